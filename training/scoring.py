"""Score a loaded model on the clips of a manifest: the ``evaluate`` command's core."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from training.audio import AudioError, decode_audio
from training.dataprep import DATASET_LIMITS
from training.datasets import Clip
from training.evaluation import classification_metrics
from training.inference import Predictor

SUMMARY_KEYS = ("clips", "accuracy", "balanced_accuracy", "speaker_accuracy", "roc_auc")


@dataclass
class Scores:
    labels: list[int] = field(default_factory=list)
    p_female: list[float] = field(default_factory=list)
    pitch_p_female: list[float] = field(default_factory=list)
    speakers: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def metrics(self) -> dict:
        return classification_metrics(self.labels, self.p_female, self.speakers)

    def baseline_metrics(self) -> dict:
        return classification_metrics(self.labels, self.pitch_p_female, self.speakers)


def score_clips(
    predictors: dict[str, Predictor], clips: list[Clip]
) -> dict[str, Scores]:
    """Each predictor's P(female) per decodable clip; undecodable ones are listed.

    Audio is decoded once per clip and shared by all predictors.
    """
    scores = {name: Scores() for name in predictors}
    for clip in clips:
        try:
            samples = decode_audio(clip.path, limits=DATASET_LIMITS)
        except AudioError as exc:
            for s in scores.values():
                s.skipped.append({"path": str(clip.path), "error": exc.code})
            continue
        for name, predictor in predictors.items():
            result = predictor.predict(samples)
            s = scores[name]
            s.labels.append(clip.label)
            s.p_female.append(result.p_female)
            pitch = predictor.meta.pitch_baseline.probability(result.median_f0_hz)
            s.pitch_p_female.append(float(np.asarray(pitch)))
            s.speakers.append(clip.speaker)
    return scores


def summary(metrics: dict) -> dict:
    return {key: metrics.get(key) for key in SUMMARY_KEYS} | {
        "recall_male": metrics.get("recall_male"),
        "recall_female": metrics.get("recall_female"),
    }
