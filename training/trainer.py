"""Train one network into a servable artifact: the framework-free heart of a run.

No Django here: the pipeline wraps these functions with database rows, MLflow and
promotion; tests and notebooks call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from training.artifacts import ModelMeta, write_artifact
from training.dataprep import ClipFeatures, compute_features
from training.datasets import Split
from training.evaluation import (
    Calibration,
    PitchBaseline,
    classification_metrics,
    expected_calibration_error,
)
from training.features import FeatureConfig, Normalizer

ProgressFn = Callable[[str, int, int], None]


@dataclass
class PreparedData:
    """Features of a split, the normalisation statistics and the pitch baseline."""

    features: FeatureConfig
    train: ClipFeatures
    validation: ClipFeatures
    test: ClipFeatures
    normalizer: Normalizer
    baseline: PitchBaseline

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return self.train.skipped + self.validation.skipped + self.test.skipped

    def baseline_metrics(self) -> dict:
        p = self.baseline.probability(median_f0(self.test))
        metrics = classification_metrics(self.test.labels, p, self.test.speakers)
        return metrics | {"threshold_hz": self.baseline.threshold_hz}


def median_f0(data: ClipFeatures) -> np.ndarray:
    return np.array([f.median_f0 for f in data.features])


def prepare_data(
    split: Split,
    *,
    augment_copies: int,
    seed: int,
    cache_dir: Path | None = None,
    progress: ProgressFn | None = None,
    features: FeatureConfig | None = None,
) -> PreparedData:
    features = features or FeatureConfig()
    progress = progress or (lambda *a: None)

    def part(name, clips, copies=0):
        return compute_features(
            clips,
            features,
            augment_copies=copies,
            seed=seed,
            cache_dir=cache_dir,
            progress=lambda done, total: progress(f"features ({name})", done, total),
        )

    train = part("train", split.train, augment_copies)
    validation = part("validation", split.validation)
    test = part("test", split.test)
    for name, data in (("train", train), ("validation", validation), ("test", test)):
        if not data.features:
            raise ValueError(f"The {name} split has no decodable clip.")
    n_clean = len(train.features) // (1 + augment_copies)
    return PreparedData(
        features=features,
        train=train,
        validation=validation,
        test=test,
        normalizer=Normalizer.fit(np.concatenate([f.frames for f in train.features])),
        baseline=PitchBaseline.fit(median_f0(train)[:n_clean], train.labels[:n_clean]),
    )


@dataclass
class TrainedNetwork:
    model: object  # a Keras model
    metrics: dict
    calibration: Calibration
    history: dict


def train_network(
    model_type: str,
    data: PreparedData,
    params,
    on_epoch: Callable[[int, dict], None] | None = None,
) -> TrainedNetwork:
    """Fit, calibrate on validation speakers, then score the held-out test speakers."""
    from training.fit import clip_network_logits, fit_network

    feats, norm = data.features, data.normalizer
    model, history = fit_network(
        model_type, data.train, data.validation, feats, norm, params, on_epoch
    )
    calibration = Calibration.fit(
        clip_network_logits(model, data.validation, feats, norm),
        data.baseline.logit(median_f0(data.validation)),
        data.validation.labels,
    )
    p_test = calibration.probability(
        clip_network_logits(model, data.test, feats, norm),
        data.baseline.logit(median_f0(data.test)),
    )
    metrics = classification_metrics(data.test.labels, p_test, data.test.speakers)
    metrics["calibration_error"] = expected_calibration_error(data.test.labels, p_test)
    return TrainedNetwork(model, metrics, calibration, history)


def save_network(
    directory: Path,
    model_type: str,
    data: PreparedData,
    trained: TrainedNetwork,
    training: dict,
) -> Path:
    meta = ModelMeta(
        model_type=model_type,
        features=data.features,
        normalizer=data.normalizer,
        calibration=trained.calibration,
        pitch_baseline=data.baseline,
        metrics=trained.metrics,
        training=training,
    )
    return write_artifact(directory, trained.model, meta)
