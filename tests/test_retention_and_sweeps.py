"""Recordings nobody consented to keep are purged; silent runs are marked failed."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from feedback.services import feedback_create, recordings_purge
from predictions.models import Recording
from tests.conftest import make_prediction
from training.models import TrainingRun
from training.tasks import sweep_stale_runs

pytestmark = pytest.mark.django_db


def age(recording, days):
    Recording.objects.filter(pk=recording.pk).update(
        uploaded_at=timezone.now() - timedelta(days=days)
    )


def test_old_audio_without_consent_is_deleted_but_the_rows_stay(production_model):
    prediction = make_prediction(production_model)
    path = Path(prediction.recording.audio.path)
    age(prediction.recording, 40)
    assert recordings_purge(older_than_days=30) == 1
    recording = Recording.objects.get()
    assert not path.exists() and recording.purged_at is not None
    assert recording.predictions.count() == 1


def test_audio_with_consented_feedback_is_kept(production_model):
    prediction = make_prediction(production_model)
    feedback_create(prediction=prediction, true_gender="female", consent_to_train=True)
    age(prediction.recording, 40)
    assert recordings_purge(older_than_days=30) == 0
    assert Path(prediction.recording.audio.path).exists()


def test_recent_audio_is_kept(production_model):
    make_prediction(production_model)
    assert recordings_purge(older_than_days=30) == 0


def test_a_running_run_without_a_heartbeat_is_marked_failed(db, settings):
    settings.STALE_RUN_AFTER_S = 60
    old = timezone.now() - timedelta(minutes=5)
    stale = TrainingRun.objects.create(
        trigger="cli", status="running", started_at=old, heartbeat_at=old
    )
    fresh = TrainingRun.objects.create(
        trigger="cli", status="running", started_at=old, heartbeat_at=timezone.now()
    )
    assert sweep_stale_runs() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == "failed" and "No sign of life" in stale.error
    assert fresh.status == "running"
