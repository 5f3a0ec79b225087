"""A model artifact: one folder that holds everything needed to serve a network.

``meta.json`` carries the feature settings, the normalisation statistics, the
calibration and the pitch baseline, so that inference computes exactly what training
computed. ``model.keras`` is the trained network; ``model.tflite`` is the same network
for the LiteRT interpreter, which web processes load instead of TensorFlow.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from training.evaluation import Calibration, PitchBaseline
from training.features import FEATURES_VERSION, FeatureConfig, Normalizer

ARTIFACT_FORMAT = 1
META_FILE = "meta.json"
KERAS_FILE = "model.keras"
TFLITE_FILE = "model.tflite"


class ArtifactError(RuntimeError):
    """The artifact is missing, incomplete or made for other feature code."""


@dataclass
class ModelMeta:
    model_type: str
    features: FeatureConfig
    normalizer: Normalizer
    calibration: Calibration
    pitch_baseline: PitchBaseline
    metrics: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "format": ARTIFACT_FORMAT,
            "model_type": self.model_type,
            "labels": ["male", "female"],
            "output": "P(female) = sigmoid(calibration(network_logit, pitch_logit))",
            "features": self.features.to_dict(),
            "normalizer": self.normalizer.to_dict(),
            "calibration": asdict(self.calibration),
            "pitch_baseline": asdict(self.pitch_baseline),
            "metrics": self.metrics,
            "training": self.training,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "ModelMeta":
        if data.get("format") != ARTIFACT_FORMAT:
            raise ArtifactError(f"Unknown artifact format {data.get('format')!r}.")
        features = FeatureConfig.from_dict(data["features"])
        if features.version != FEATURES_VERSION:
            raise ArtifactError(
                f"The model was trained with features v{features.version}; this code "
                f"computes v{FEATURES_VERSION}. Retrain it."
            )
        return cls(
            model_type=data["model_type"],
            features=features,
            normalizer=Normalizer.from_dict(data["normalizer"]),
            calibration=Calibration(**data["calibration"]),
            pitch_baseline=PitchBaseline(**data["pitch_baseline"]),
            metrics=data.get("metrics", {}),
            training=data.get("training", {}),
        )


def read_meta(directory: str | Path) -> ModelMeta:
    path = Path(directory) / META_FILE
    try:
        return ModelMeta.from_dict(json.loads(path.read_text()))
    except FileNotFoundError as exc:
        raise ArtifactError(f"No {META_FILE} in {directory}.") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"{path} is unreadable: {exc}") from exc


def export_tflite(model, destination: Path) -> None:
    """Keras recurrent model -> LiteRT flatbuffer with a fixed batch of one.

    The usual converters fail on Keras 3 recurrent layers (TensorListReserve needs a
    static element shape); exporting a fixed-batch signature first converts exactly.
    """
    import tensorflow as tf
    from keras.export import ExportArchive

    shape = (1,) + tuple(model.input_shape[1:])
    with tempfile.TemporaryDirectory() as tmp:
        archive = ExportArchive()
        archive.track(model)
        archive.add_endpoint(
            name="serve",
            fn=lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec(shape=shape, dtype=tf.float32)],
        )
        archive.write_out(tmp, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        destination.write_bytes(converter.convert())


def write_artifact(directory: Path, model, meta: ModelMeta) -> Path:
    """Write an artifact atomically: a half-written folder never appears in place."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=directory.parent))
    try:
        model.save(staging / KERAS_FILE)
        export_tflite(model, staging / TFLITE_FILE)
        (staging / META_FILE).write_text(json.dumps(meta.to_dict(), indent=2))
        staging.rename(directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def artifact_size(directory: Path) -> int:
    return sum(p.stat().st_size for p in Path(directory).glob("*") if p.is_file())
