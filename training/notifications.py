"""Tell people what training did: a Slack/Discord webhook and e-mail.

A notification that cannot be delivered is logged and never fails the run.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail

log = logging.getLogger(__name__)

SUCCEEDED = "run_succeeded"
FAILED = "run_failed"
PROMOTED = "model_promoted"
LOW_ACCURACY = "low_accuracy"


def webhook_payload(event: str, title: str, lines: list[str]) -> dict:
    """JSON that Slack (``text``) and Discord (``content``) incoming webhooks accept."""
    text = "\n".join([f"*{title}*", *lines])
    return {"text": text, "content": text[:2000], "event": event}


def notify(event: str, title: str, lines: list[str]) -> None:
    if settings.NOTIFY_WEBHOOK_URL:
        import requests

        try:
            response = requests.post(
                settings.NOTIFY_WEBHOOK_URL,
                json=webhook_payload(event, title, lines),
                timeout=10,
            )
            response.raise_for_status()
        except requests.RequestException as exc:
            log.warning("Webhook notification %s failed: %s", event, exc)
    if settings.NOTIFY_EMAILS:
        try:
            send_mail(
                subject=f"[Gender Voice Detection] {title}",
                message="\n".join(lines),
                from_email=None,
                recipient_list=settings.NOTIFY_EMAILS,
            )
        except Exception as exc:  # noqa: BLE001 - any mail failure is only logged
            log.warning("E-mail notification %s failed: %s", event, exc)


def notify_run_finished(run) -> None:
    if run.status == run.Status.SUCCEEDED:
        lines = [f"Trigger: {run.get_trigger_display()} ({run.reason})"]
        for model_type, metrics in run.metrics.items():
            lines.append(
                f"{model_type.upper()}: balanced accuracy "
                f"{metrics['balanced_accuracy']:.4f} on held-out speakers"
            )
        if run.baseline_metrics:
            lines.append(
                "Pitch baseline: balanced accuracy "
                f"{run.baseline_metrics['balanced_accuracy']:.4f}"
            )
        lines += run.decision.splitlines()
        notify(SUCCEEDED, f"Training run {run.pk} succeeded", lines)
    else:
        first_line = (run.error or "unknown error").splitlines()[0]
        notify(
            FAILED,
            f"Training run {run.pk} failed",
            [
                f"Trigger: {run.get_trigger_display()}",
                first_line[:500],
                "Production is unchanged.",
            ],
        )


def notify_promoted(version, reason: str) -> None:
    notify(
        PROMOTED,
        f"{version.model_type.upper()} v{version.pk} is now in production",
        [reason],
    )


def notify_low_accuracy(findings: list[str]) -> None:
    notify(LOW_ACCURACY, "Production accuracy dropped", findings)
