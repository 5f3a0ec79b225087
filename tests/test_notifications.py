"""Notifications reach a webhook (Slack/Discord JSON) and never fail a run."""

import pytest
from django.core import mail

from tests.conftest import train_tiny
from tests.webhook_server import WebhookServer
from training.models import TrainingRun
from training.notifications import notify_low_accuracy

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_a_successful_first_run_reports_success_and_promotion(webhook, tiny_manifest):
    run = train_tiny(tiny_manifest)
    assert webhook.events() == ["model_promoted", "run_succeeded"]
    success = webhook.payloads[1]
    assert f"Training run {run.pk} succeeded" in success["text"]
    assert success["content"] == success["text"]
    assert "GRU: balanced accuracy" in success["text"]


def test_a_failed_run_reports_its_error(webhook, tmp_path):
    (tmp_path / "manifest.csv").write_text("path,speaker,gender\n")
    run = train_tiny(tmp_path / "manifest.csv")
    assert run.status == TrainingRun.Status.FAILED
    assert webhook.events() == ["run_failed"]
    assert "lists no clips" in webhook.payloads[0]["text"]
    assert "Production is unchanged." in webhook.payloads[0]["text"]


def test_an_unreachable_webhook_does_not_fail_the_run(settings, tmp_path):
    settings.NOTIFY_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    (tmp_path / "manifest.csv").write_text("path,speaker,gender\n")
    run = train_tiny(tmp_path / "manifest.csv")
    assert run.status == TrainingRun.Status.FAILED  # the data's fault, recorded
    assert "lists no clips" in run.error


def test_a_webhook_answering_an_error_is_only_logged(settings, caplog):
    with WebhookServer(status=500) as server:
        settings.NOTIFY_WEBHOOK_URL = server.url
        notify_low_accuracy(["GRU: accuracy 0.90"])
    assert server.events() == ["low_accuracy"]
    assert "Webhook notification low_accuracy failed" in caplog.text


def test_notifications_are_mailed_when_addresses_are_set(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFY_EMAILS = ["ops@example.org"]
    notify_low_accuracy(["GRU: accuracy 0.90 on 260 evaluation clips"])
    assert mail.outbox[0].to == ["ops@example.org"]
    assert "Production accuracy dropped" in mail.outbox[0].subject
    assert "0.90" in mail.outbox[0].body
