"""Turn samples into a calibrated answer with a saved model artifact.

Used by the train command (on its in-memory Keras model), by ``evaluate`` and
``predict``, and by the web processes. Web processes use the LiteRT runtime, which loads
in a fraction of a second and never imports TensorFlow; the Keras runtime is for
processes that already train.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from training.artifacts import KERAS_FILE, TFLITE_FILE, ArtifactError, read_meta
from training.evaluation import sigmoid
from training.features import (
    FeatureConfig,
    Features,
    Normalizer,
    extract_features,
    make_windows,
    window_starts,
    window_voicing,
)

LogitsFn = Callable[[np.ndarray], np.ndarray]


@dataclass
class WindowResult:
    start_s: float
    end_s: float
    p_female: float
    voiced_ratio: float


@dataclass
class ClipResult:
    p_female: float
    network_logit: float
    pitch_logit: float
    median_f0_hz: float
    duration_s: float
    windows: list[WindowResult]


def window_inputs(features: Features, config: FeatureConfig, normalizer: Normalizer):
    """The network's input windows for one clip and each window's voiced share."""
    return (
        make_windows(normalizer.apply(features.frames), config),
        window_voicing(features.voiced, config),
    )


def aggregate_logits(window_logits: np.ndarray, voicing: np.ndarray) -> float:
    """One clip logit: window logits averaged, weighted by how much each is voiced."""
    weights = voicing + 0.05
    return float(np.sum(window_logits * weights) / np.sum(weights))


class KerasRunner:
    def __init__(self, model):
        self.model = model

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict_on_batch(windows)).reshape(-1)


class LiteRTRunner:
    """LiteRT interpreter over a fixed-batch-of-one model; windows run in turn."""

    def __init__(self, path: Path, num_threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        self.interpreter.allocate_tensors()
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        self.output_index = self.interpreter.get_output_details()[0]["index"]
        self.lock = threading.Lock()

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        out = np.empty(len(windows), dtype=np.float32)
        with self.lock:
            for i, window in enumerate(windows):
                self.interpreter.set_tensor(self.input_index, window[None])
                self.interpreter.invoke()
                out[i] = self.interpreter.get_tensor(self.output_index).reshape(-1)[0]
        return out


def load_runner(directory: Path, runtime: str = "litert"):
    directory = Path(directory)
    if runtime == "litert":
        path = directory / TFLITE_FILE
        if not path.is_file():
            raise ArtifactError(f"No {TFLITE_FILE} in {directory}.")
        try:
            return LiteRTRunner(path)
        except (ValueError, RuntimeError) as exc:
            raise ArtifactError(f"{path} cannot be loaded: {exc}") from exc
    if runtime == "keras":
        import keras

        path = directory / KERAS_FILE
        if not path.is_file():
            raise ArtifactError(f"No {KERAS_FILE} in {directory}.")
        return KerasRunner(keras.models.load_model(path, compile=False))
    raise ValueError("runtime must be 'litert' or 'keras'")


class Predictor:
    """A loaded model: features, network, calibration and pitch fusion together."""

    def __init__(self, meta, runner: LogitsFn):
        self.meta = meta
        self.runner = runner

    @classmethod
    def load(cls, directory: str | Path, runtime: str = "litert") -> "Predictor":
        return cls(read_meta(directory), load_runner(Path(directory), runtime))

    @property
    def config(self) -> FeatureConfig:
        return self.meta.features

    def features(self, samples: np.ndarray) -> Features:
        return extract_features(samples, self.config)

    def predict_features(self, features: Features, duration_s: float) -> ClipResult:
        meta, config = self.meta, self.config
        windows, voicing = window_inputs(features, config, meta.normalizer)
        window_logits = self.runner(windows)
        network_logit = aggregate_logits(window_logits, voicing)
        pitch_logit = float(meta.pitch_baseline.logit(features.median_f0))
        p_female = float(meta.calibration.probability(network_logit, pitch_logit))
        return ClipResult(
            p_female=p_female,
            network_logit=network_logit,
            pitch_logit=pitch_logit,
            median_f0_hz=features.median_f0,
            duration_s=duration_s,
            windows=self._window_results(features, window_logits, voicing, duration_s),
        )

    def _window_results(self, features, window_logits, voicing, duration_s):
        config, meta = self.config, self.meta
        starts = window_starts(features.frames.shape[0], config)
        results = []
        for start, logit, voiced in zip(starts, window_logits, voicing):
            span = slice(start, start + config.window_frames)
            f0 = features.f0_hz[span][features.voiced[span]]
            pitch = meta.pitch_baseline.logit(np.median(f0)) if f0.size else 0.0
            start_s = start * config.frame_seconds
            results.append(
                WindowResult(
                    start_s=round(start_s, 3),
                    end_s=round(
                        min(
                            start_s + config.window_frames * config.frame_seconds,
                            duration_s,
                        ),
                        3,
                    ),
                    p_female=float(meta.calibration.probability(logit, pitch)),
                    voiced_ratio=float(voiced),
                )
            )
        return results

    def predict(self, samples: np.ndarray) -> ClipResult:
        duration_s = samples.size / self.config.sample_rate
        return self.predict_features(self.features(samples), duration_s)


def probability_from_logit(logit: float) -> float:
    return float(sigmoid(logit))
