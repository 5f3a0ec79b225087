"""Retrain triggers: feedback threshold, weekly schedule, dataset change, accuracy.

Each trigger that fires queues exactly one run through ``training_run_enqueue``.
A trigger claims what it acts on with a compare-and-swap on its ``TriggerState`` row
inside the transaction that creates the run, so concurrent processes (web workers
receiving feedback at the same moment, several queue workers) never start two runs
for one event.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from training.datasets import dataset_checksum, load_manifest
from training.jobs import training_run_enqueue
from training.models import TrainingRun, TriggerState

log = logging.getLogger(__name__)

FEEDBACK = "feedback"
DATASET = "dataset"
ACCURACY = "accuracy"


def _state(name: str) -> TriggerState:
    return TriggerState.objects.get_or_create(name=name)[0]


def _claim(name: str, old: str, new: str) -> bool:
    """True in exactly one caller when several try to move ``old`` to ``new``."""
    return TriggerState.objects.filter(name=name, cursor=old).update(cursor=new) == 1


def _auto_params(**extra) -> dict:
    return dict(settings.AUTO_RETRAIN_PARAMS) | extra


def _enqueue(trigger: str, reason: str, **params) -> TrainingRun:
    return training_run_enqueue(
        trigger=trigger,
        model_type=settings.AUTO_RETRAIN_MODEL_TYPE,
        params=_auto_params(**params),
        reason=reason,
    )


def feedback_threshold_check() -> TrainingRun | None:
    """Queue a run when enough consented feedback arrived since the last claim."""
    from feedback.selectors import consented_feedback_ids_after

    state = _state(FEEDBACK)
    pending = consented_feedback_ids_after(int(state.cursor or 0))
    if len(pending) < settings.FEEDBACK_RETRAIN_THRESHOLD:
        return None
    with transaction.atomic():
        if not _claim(FEEDBACK, state.cursor, str(pending[-1])):
            return None  # another process claimed this batch
        return _enqueue(
            TrainingRun.Trigger.FEEDBACK,
            f"{len(pending)} new consented feedback items",
            use_feedback=True,
        )


def dataset_change_check(manifest=None) -> TrainingRun | None:
    """Queue a run when the dataset's checksum differs from the last one trained on."""
    manifest = manifest or settings.DEFAULT_DATASET
    checksum = dataset_checksum(load_manifest(manifest))
    state = _state(DATASET)
    if not state.cursor:
        # First look: the reference is what production was trained on, else today's
        # data (nothing was trained yet, so nothing has changed).
        reference = _last_trained_checksum() or checksum
        _claim(DATASET, "", reference)
        state.cursor = reference
    if checksum == state.cursor:
        return None
    with transaction.atomic():
        if not _claim(DATASET, state.cursor, checksum):
            return None
        return _enqueue(
            TrainingRun.Trigger.DATASET,
            f"dataset checksum changed to {checksum[:12]}",
        )


def _last_trained_checksum() -> str:
    run = (
        TrainingRun.objects.exclude(dataset_checksum="")
        .filter(status=TrainingRun.Status.SUCCEEDED)
        .order_by("-created_at")
        .first()
    )
    return run.dataset_checksum if run else ""


def weekly_retrain() -> TrainingRun:
    return _enqueue(TrainingRun.Trigger.SCHEDULE, "weekly retrain (Sunday 00:00 UTC)")


def accuracy_findings() -> list[str]:
    """What falls below ACCURACY_ALERT_BELOW: production on its evaluation speakers,
    and the share of recent feedback that called a prediction correct."""
    from feedback.selectors import recent_feedback_accuracy
    from training.evaluation_set import evaluate_production

    floor = settings.ACCURACY_ALERT_BELOW
    findings = []
    for model_type, metrics in evaluate_production().items():
        if metrics["accuracy"] < floor:
            findings.append(
                f"{model_type.upper()}: accuracy {metrics['accuracy']:.4f} on "
                f"{metrics['clips']} evaluation clips (< {floor:.2f})"
            )
    items, accuracy = recent_feedback_accuracy(settings.ACCURACY_FEEDBACK_DAYS)
    if items >= settings.ACCURACY_FEEDBACK_MIN and accuracy < floor:
        findings.append(
            f"Feedback: {accuracy:.2%} of {items} answers in the last "
            f"{settings.ACCURACY_FEEDBACK_DAYS} days were correct (< {floor:.0%})"
        )
    return findings


def accuracy_check() -> TrainingRun | None:
    """Alert and queue (at most one run a day) when production accuracy drops."""
    from training.notifications import notify_low_accuracy

    findings = accuracy_findings()
    if not findings:
        return None
    notify_low_accuracy(findings)
    state = _state(ACCURACY)
    today = timezone.now().date().isoformat()
    if state.cursor == today:
        return None
    with transaction.atomic():
        if not _claim(ACCURACY, state.cursor, today):
            return None
        return _enqueue(TrainingRun.Trigger.ACCURACY, "; ".join(findings)[:300])
