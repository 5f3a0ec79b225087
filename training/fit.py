"""Fit one network on prepared features and score clips with it.

Framework code lives here, imported only by the training path (never by web processes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from training.dataprep import ClipFeatures
from training.features import FeatureConfig, Normalizer
from training.inference import aggregate_logits, window_inputs
from training.networks import build_network


@dataclass(frozen=True)
class FitParams:
    epochs: int
    batch_size: int
    learning_rate: float
    patience: int
    min_delta: float
    units: int
    seed: int


def window_dataset(data: ClipFeatures, config: FeatureConfig, normalizer: Normalizer):
    xs, ys = [], []
    for features, label in zip(data.features, data.labels):
        windows, _ = window_inputs(features, config, normalizer)
        xs.append(windows)
        ys.append(np.full(len(windows), label, dtype=np.float32))
    return np.concatenate(xs), np.concatenate(ys)


def class_weights(labels: np.ndarray) -> dict[int, float]:
    counts = np.bincount(labels.astype(int), minlength=2).astype(float)
    return {i: float(labels.size / (2 * max(c, 1.0))) for i, c in enumerate(counts)}


def fit_network(
    model_type: str,
    train: ClipFeatures,
    validation: ClipFeatures,
    config: FeatureConfig,
    normalizer: Normalizer,
    params: FitParams,
    on_epoch: Callable[[int, dict], None] | None = None,
):
    """Train with early stopping on validation loss; returns (model, history dict)."""
    import keras

    x_train, y_train = window_dataset(train, config, normalizer)
    x_val, y_val = window_dataset(validation, config, normalizer)
    model = build_network(
        model_type,
        window_frames=config.window_frames,
        n_features=config.n_features,
        units=params.units,
        learning_rate=params.learning_rate,
        seed=params.seed,
    )
    callbacks = [
        keras.callbacks.EarlyStopping(
            monitor="val_loss",
            min_delta=params.min_delta,
            patience=params.patience,
            restore_best_weights=True,
        )
    ]
    if on_epoch is not None:
        callbacks.append(
            keras.callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs: on_epoch(epoch + 1, dict(logs or {}))
            )
        )
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=params.epochs,
        batch_size=params.batch_size,
        class_weight=class_weights(y_train),
        callbacks=callbacks,
        shuffle=True,
        verbose=0,
    )
    return model, {k: [float(v) for v in vals] for k, vals in history.history.items()}


def clip_network_logits(model, data: ClipFeatures, config, normalizer) -> np.ndarray:
    """Each clip's aggregated network logit, as the serving path computes it."""
    inputs = [window_inputs(f, config, normalizer) for f in data.features]
    if not inputs:
        return np.zeros(0)
    windows = np.concatenate([w for w, _ in inputs])
    flat = np.asarray(model.predict(windows, batch_size=512, verbose=0)).reshape(-1)
    bounds = np.cumsum([0] + [len(w) for w, _ in inputs])
    return np.array(
        [
            aggregate_logits(flat[a:b], voicing)
            for (a, b), (_, voicing) in zip(zip(bounds[:-1], bounds[1:]), inputs)
        ]
    )
