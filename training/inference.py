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


def window_median_f0(features: Features, starts, size: int) -> np.ndarray:
    """Median F0 of the voiced frames of each window (NaN where none is voiced).

    The same numbers as ``np.median`` of each window's voiced F0 values, for all
    windows at once: a 10-minute recording has 600.
    """
    total = features.f0_hz.size
    index = np.asarray(starts)[:, None] + np.arange(size)
    voiced = (index < total) & features.voiced[np.minimum(index, total - 1)]
    f0 = np.where(voiced, features.f0_hz[np.minimum(index, total - 1)], np.nan)
    ordered = np.sort(f0, axis=1)  # NaN last
    count = voiced.sum(axis=1)
    rows = np.arange(len(ordered))
    low = ordered[rows, np.maximum(count - 1, 0) // 2]
    high = ordered[rows, count // 2]
    medians = (low + high) / np.float32(2)
    return np.where(count > 0, medians, np.nan)


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
    """LiteRT interpreter over an exported network: windows in, logits out.

    A dynamic-batch export runs the windows of a recording in one call of exactly
    that many windows, up to ``MAX_BATCH`` (a 10-minute recording takes ten calls).
    The interpreter keeps its batch size until a request needs another; resizing
    costs 0.4-0.8 ms, less than padding did (5 windows padded to 8 took 1-2 ms more
    in the LSTM and GRU, even when every request switched sizes). A batch-1 export
    (artifacts made before batching) runs the windows in turn.
    """

    MAX_BATCH = 64
    # Warm-up sizes, the last one staying: a long recording's, then a 5 s clip's.
    WARM_UP_SIZES = (MAX_BATCH, 4)

    def __init__(self, path: Path, num_threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        details = self.interpreter.get_input_details()[0]
        self.input_index = details["index"]
        self.window_shape = tuple(int(n) for n in details["shape"][1:])
        self.batched = int(details["shape_signature"][0]) == -1
        self.batch = int(details["shape"][0])
        if self.batched:
            self._resize(self.WARM_UP_SIZES[-1])
        else:
            self.interpreter.allocate_tensors()
        self.output_index = self.interpreter.get_output_details()[0]["index"]
        self.lock = threading.Lock()

    def _resize(self, batch: int) -> None:
        self.interpreter.resize_tensor_input(
            self.input_index, [batch, *self.window_shape], strict=True
        )
        self.interpreter.allocate_tensors()
        self.batch = batch

    def _invoke(self, batch: np.ndarray) -> np.ndarray:
        self.interpreter.set_tensor(self.input_index, batch)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output_index).reshape(-1)

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        windows = np.ascontiguousarray(windows, dtype=np.float32)
        out = np.empty(len(windows), dtype=np.float32)
        with self.lock:
            if not self.batched:
                for i in range(len(windows)):
                    out[i] = self._invoke(windows[i : i + 1])[0]
                return out
            for start in range(0, len(windows), self.MAX_BATCH):
                chunk = windows[start : start + self.MAX_BATCH]
                if len(chunk) != self.batch:
                    self._resize(len(chunk))
                out[start : start + len(chunk)] = self._invoke(chunk)
        return out

    def warm_up(self) -> None:
        """Run a long recording's batch, then a short clip's, which stays."""
        sizes = self.WARM_UP_SIZES if self.batched else (1,)
        for size in sizes:
            self(np.zeros((size, *self.window_shape), dtype=np.float32))


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
        medians = window_median_f0(features, starts, config.window_frames)
        p_female = meta.calibration.probability(
            window_logits, meta.pitch_baseline.logit(medians)  # 0 where unvoiced
        )
        length = config.window_frames * config.frame_seconds
        results = []
        for start, p, voiced in zip(starts, p_female.tolist(), voicing.tolist()):
            start_s = start * config.frame_seconds
            results.append(
                WindowResult(
                    start_s=round(start_s, 3),
                    end_s=round(min(start_s + length, duration_s), 3),
                    p_female=p,
                    voiced_ratio=voiced,
                )
            )
        return results

    def predict(self, samples: np.ndarray) -> ClipResult:
        duration_s = samples.size / self.config.sample_rate
        return self.predict_features(self.features(samples), duration_s)


def probability_from_logit(logit: float) -> float:
    return float(sigmoid(logit))
