"""--use-feedback trains on consented feedback audio, never on held-out clips."""

import hashlib

import pytest

from feedback.services import feedback_create
from tests.conftest import make_prediction, train_tiny
from training.datasets import load_manifest, speaker_split
from training.models import TrainingRun
from training.pipeline import with_feedback

pytestmark = pytest.mark.django_db


def test_consented_feedback_joins_the_training_side_with_the_corrected_label(
    production_model, tiny_manifest
):
    prediction = make_prediction(production_model, label="male")
    feedback_create(prediction=prediction, true_gender="male", consent_to_train=True)
    split, summary = with_feedback(speaker_split(load_manifest(tiny_manifest)))
    added = [c for c in split.train if c.speaker.startswith("feedback-")]
    assert summary == {"clips": 1, "excluded": 0}
    assert added[0].gender == "male"
    assert str(added[0].path) == prediction.recording.audio.path


def test_feedback_without_consent_is_never_trained_on(production_model, tiny_manifest):
    prediction = make_prediction(production_model)
    feedback_create(prediction=prediction, true_gender="female")
    _, summary = with_feedback(speaker_split(load_manifest(tiny_manifest)))
    assert summary["clips"] == 0


def test_feedback_audio_identical_to_a_test_clip_is_left_out(
    production_model, tiny_manifest
):
    from predictions.services import prediction_create

    split = speaker_split(load_manifest(tiny_manifest))
    test_clip = split.test[0]
    digest = hashlib.sha256(test_clip.path.read_bytes()).hexdigest()
    clips = [
        c.__class__(c.path, c.speaker, c.gender, digest if c == test_clip else c.sha256)
        for c in split.test
    ]
    split = split.__class__(split.train, split.validation, clips)
    _, predictions = prediction_create(
        source=test_clip.path, filename="leak.flac", origin="api"
    )
    feedback_create(
        prediction=predictions[0], true_gender=test_clip.gender, consent_to_train=True
    )
    _, summary = with_feedback(split)
    assert summary == {"clips": 0, "excluded": 1}


@pytest.mark.slow
def test_a_run_with_feedback_records_what_it_added(production_model, tiny_manifest):
    prediction = make_prediction(production_model, label="female")
    feedback_create(prediction=prediction, true_gender="female", consent_to_train=True)
    run = train_tiny(tiny_manifest, use_feedback=True)
    assert run.status == TrainingRun.Status.SUCCEEDED
    assert run.data_summary["feedback"] == {"clips": 1, "excluded": 0}
    assert run.data_summary["clips_used"]["train"] == 7
