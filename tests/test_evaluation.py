import numpy as np
import pytest

from training.evaluation import (
    Calibration,
    PitchBaseline,
    beats,
    classification_metrics,
    speaker_accuracy,
)


def test_balanced_accuracy_weighs_both_classes_equally():
    y = [1, 1, 1, 1, 0]
    scores = [0.9, 0.9, 0.9, 0.9, 0.9]  # everything called female
    m = classification_metrics(y, scores, ["a", "b", "c", "d", "e"])
    assert m["accuracy"] == pytest.approx(0.8)
    assert m["balanced_accuracy"] == pytest.approx(0.5)
    assert m["recall_male"] == 0.0 and m["recall_female"] == 1.0


def test_speaker_accuracy_takes_a_majority_vote_per_speaker():
    y = [1, 1, 1, 0, 0]
    pred = [1, 1, 0, 1, 1]
    assert speaker_accuracy(y, pred, ["f", "f", "f", "m", "m"]) == 0.5


def test_the_pitch_baseline_fits_a_threshold_between_the_voices():
    baseline = PitchBaseline.fit(
        np.array([110, 120, 130, 200, 210, 220.0]), np.array([0, 0, 0, 1, 1, 1])
    )
    assert 130 < baseline.threshold_hz <= 200
    assert baseline.probability([100.0])[0] < 0.5 < baseline.probability([250.0])[0]


def test_the_pitch_baseline_is_undecided_when_nothing_is_voiced():
    assert PitchBaseline(165.0).probability([float("nan")])[0] == 0.5


def test_calibration_learns_to_trust_an_informative_network_logit():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    net = (y * 2 - 1) * 3 + rng.normal(0, 1, 400)
    pitch = rng.normal(0, 1, 400)
    calibration = Calibration.fit(net, pitch, y)
    assert calibration.network_weight > 0.5
    assert abs(calibration.pitch_weight) < calibration.network_weight


def test_a_candidate_beats_production_only_with_higher_balanced_accuracy():
    production = {"balanced_accuracy": 0.95, "log_loss": 0.2}
    assert beats({"balanced_accuracy": 0.96, "log_loss": 0.3}, production)[0]
    assert not beats({"balanced_accuracy": 0.94, "log_loss": 0.1}, production)[0]


def test_a_tie_is_broken_by_lower_log_loss():
    production = {"balanced_accuracy": 0.95, "log_loss": 0.2}
    assert beats({"balanced_accuracy": 0.95, "log_loss": 0.1}, production)[0]
    assert not beats({"balanced_accuracy": 0.95, "log_loss": 0.2}, production)[0]


def test_the_first_model_always_wins():
    assert beats({"balanced_accuracy": 0.5, "log_loss": 1.0}, None) == (
        True,
        "no production model yet",
    )
