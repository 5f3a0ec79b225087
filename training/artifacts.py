"""A model artifact: one folder that holds everything needed to serve a network.

``meta.json`` carries the feature settings, the normalisation statistics, the
calibration and the pitch baseline, so that inference computes exactly what training
computed. ``model.keras`` is the trained network; ``model.tflite`` is the same network
for the LiteRT interpreter, which web processes load instead of TensorFlow.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from training.evaluation import Calibration, PitchBaseline
from training.features import FEATURES_VERSION, FeatureConfig, Normalizer

log = logging.getLogger(__name__)

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


# Windows that ``export_tflite`` checks the LiteRT model on against Keras.
EXPORT_CHECK_WINDOWS = 6
# Largest difference in a window's logit accepted between LiteRT and Keras. Float
# exports differ by about 2e-6 (operation order); dynamic-range quantisation moved
# the bundled GRU's logits by up to 0.08, so it is not used.
EXPORT_TOLERANCE = 1e-4
_SKIPPED_AT_INFERENCE = ("InputLayer", "GaussianNoise", "Dropout")
_GATES = {"GRU": 3, "LSTM": 4, "SimpleRNN": 1}
_NETWORK_LAYERS = [
    "Bidirectional",
    "Bidirectional",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "Concatenate",
    "Dense",
    "Dense",
]


def _recurrent_weights(layer):
    """(kind, units, [kernel, recurrent kernel, input bias, recurrent bias]) or None."""
    import numpy as np

    kind, config = type(layer).__name__, layer.get_config()
    supported = (
        kind in _GATES
        and config.get("return_sequences")
        and config.get("activation") == "tanh"
        and config.get("use_bias", True)
        and config.get("recurrent_activation", "sigmoid") == "sigmoid"
        and config.get("reset_after", True)
    )
    if not supported:
        return None
    cell = layer.cell
    kernel, recurrent_kernel, bias = (
        np.asarray(w, dtype=np.float32)
        for w in (cell.kernel, cell.recurrent_kernel, cell.bias)
    )
    # A GRU (reset_after) has an input bias and a recurrent bias; the others one bias.
    input_bias, recurrent_bias = (
        (bias[0], bias[1]) if kind == "GRU" else (bias, np.zeros_like(bias))
    )
    return kind, cell.units, [kernel, recurrent_kernel, input_bias, recurrent_bias]


def _interleave(forward, backward, gates: int, units: int):
    """Gate blocks of two directions side by side: [g0 fwd, g0 bwd, g1 fwd, ...]."""
    import numpy as np

    blocks = []
    for g in range(gates):
        columns = slice(g * units, (g + 1) * units)
        blocks += [forward[..., columns], backward[..., columns]]
    return np.concatenate(blocks, axis=-1)


def _bidirectional_weights(layer):
    """Both directions of a Bidirectional layer as one recurrent cell, or None.

    The state is [forward, backward]; the recurrent kernel is block-diagonal, and
    gate columns are interleaved so that each gate of both directions is one slice.
    """
    import numpy as np

    if layer.merge_mode != "concat" or not layer.backward_layer.go_backwards:
        return None
    forward = _recurrent_weights(layer.forward_layer)
    backward = _recurrent_weights(layer.backward_layer)
    if None in (forward, backward) or forward[:2] != backward[:2]:
        return None
    kind, units = forward[:2]
    gates = _GATES[kind]
    (k_f, u_f, ib_f, rb_f), (k_b, u_b, ib_b, rb_b) = forward[2], backward[2]
    zeros = np.zeros_like(u_f)
    recurrent_kernel = np.concatenate(
        [_interleave(u_f, zeros, gates, units), _interleave(zeros, u_b, gates, units)]
    )
    return {
        "kind": kind,
        "units": units,
        "gates": gates,
        "kernels": (k_f, k_b),
        "input_bias": _interleave(ib_f, ib_b, gates, units),
        "recurrent_kernel": recurrent_kernel,
        "recurrent_bias": _interleave(rb_f, rb_b, gates, units),
    }


def _network_function(model):
    """The network of ``networks.build_network`` as plain TensorFlow operations.

    For inference (noise and dropout off), with the loops unrolled over the fixed
    window length: no TensorList, hence a dynamic batch converts to LiteRT. Each
    layer projects its inputs for all time steps at once and steps both directions
    together (half the operations of Keras's own unrolled layers, which convert
    3-6x slower). None for any other shape of network.
    """
    import numpy as np
    import tensorflow as tf

    layers = [
        layer
        for layer in model.layers
        if type(layer).__name__ not in _SKIPPED_AT_INFERENCE
    ]
    if [type(layer).__name__ for layer in layers] != _NETWORK_LAYERS:
        return None
    recurrent = [_bidirectional_weights(layer) for layer in layers[:2]]
    dense = layers[5:]
    if None in recurrent or [d.get_config()["activation"] for d in dense] != [
        "relu",
        "linear",
    ]:
        return None
    dense = [(np.asarray(d.kernel), np.asarray(d.bias)) for d in dense]
    steps, n_features = model.input_shape[1:]

    def bidirectional(x, kind, units, gates, kernels, **weights):
        width = gates * units
        flat = tf.reshape(x, [-1, x.shape[-1]])
        forward, backward = (
            tf.reshape(tf.matmul(flat, kernel), [-1, steps, width])
            for kernel in kernels
        )
        backward = tf.reverse(backward, [1])  # step t sees input steps-1-t
        inputs = tf.concat(
            [
                part[:, :, g * units : (g + 1) * units]
                for g in range(gates)
                for part in (forward, backward)
            ],
            axis=-1,
        )
        recurrent_kernel = tf.constant(weights["recurrent_kernel"])
        recurrent_bias = tf.constant(weights["recurrent_bias"])
        input_bias = tf.constant(weights["input_bias"])
        if kind != "LSTM":
            inputs = inputs + input_bias
        h = c = tf.zeros_like(inputs[:, 0, : 2 * units])
        outputs = []
        for x_t in tf.unstack(inputs, axis=1):
            if kind == "GRU":  # keras GRUCell, reset_after, implementation 2
                x_z, x_r, x_h = tf.split(x_t, 3, axis=-1)
                inner = tf.matmul(h, recurrent_kernel) + recurrent_bias
                r_z, r_r, r_h = tf.split(inner, 3, axis=-1)
                z = tf.sigmoid(x_z + r_z)
                r = tf.sigmoid(x_r + r_r)
                h = z * h + (1 - z) * tf.tanh(x_h + r * r_h)
            elif kind == "LSTM":  # keras LSTMCell, implementation 2
                z = x_t + tf.matmul(h, recurrent_kernel) + input_bias
                i, f, g, o = tf.split(z, 4, axis=-1)
                c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
                h = tf.sigmoid(o) * tf.tanh(c)
            else:  # keras SimpleRNNCell
                h = tf.tanh(x_t + tf.matmul(h, recurrent_kernel))
            outputs.append(h)
        states = tf.stack(outputs, axis=1)
        return tf.concat(
            [states[:, :, :units], tf.reverse(states[:, :, units:], [1])], axis=-1
        )

    @tf.function(input_signature=[tf.TensorSpec([None, steps, n_features], tf.float32)])
    def serve(x):
        for weights in recurrent:
            x = bidirectional(x, **weights)
        pooled = tf.concat([tf.reduce_mean(x, 1), tf.reduce_max(x, 1)], axis=-1)
        (kernel_1, bias_1), (kernel_2, bias_2) = dense
        hidden = tf.nn.relu(tf.matmul(pooled, kernel_1) + bias_1)
        return tf.matmul(hidden, kernel_2) + bias_2

    return serve


def _with_unrolled_loops(model):
    """The same network, weights copied, with Keras's recurrent loops unrolled."""
    import keras

    config = model.get_config()

    def unroll(node):
        if isinstance(node, dict):
            if node.get("class_name") in ("GRU", "LSTM", "SimpleRNN"):
                node["config"]["unroll"] = True
            for value in node.values():
                unroll(value)
        elif isinstance(node, list):
            for value in node:
                unroll(value)

    unroll(config)
    clone = keras.Model.from_config(config)
    clone.set_weights(model.get_weights())
    return clone


def _convert_function(function) -> bytes:
    import tensorflow as tf

    module = tf.Module()
    module.serve = function
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [module.serve.get_concrete_function()], module
    )
    return converter.convert()


def _convert(model, batch: int | None) -> bytes:
    """A Keras model through a SavedModel endpoint with this batch dimension."""
    import tensorflow as tf
    from keras.export import ExportArchive

    shape = (batch,) + tuple(model.input_shape[1:])
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
        return converter.convert()


def _litert_disagreement(model, flatbuffer: bytes, windows) -> float:
    """Largest |LiteRT logit - Keras logit| over ``windows``, run as one batch."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer, num_threads=1)
    index = interpreter.get_input_details()[0]["index"]
    if interpreter.get_input_details()[0]["shape"][0] != len(windows):
        interpreter.resize_tensor_input(index, list(windows.shape), strict=True)
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, windows)
    interpreter.invoke()
    output = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    expected = np.asarray(model(windows, training=False)).reshape(-1)
    return float(np.max(np.abs(output.reshape(-1) - expected)))


def export_tflite(model, destination: Path) -> str:
    """Keras recurrent model -> LiteRT flatbuffer; returns the kind of export.

    ``"dynamic-batch"``: the network with its loops unrolled and a dynamic batch, so
    that the windows of a recording run in a few calls (3-8x less time per window
    than one by one). Built as plain operations (:func:`_network_function`), else
    from Keras's unrolled layers; kept only if its logits match Keras within
    ``EXPORT_TOLERANCE`` on random windows. Otherwise ``"batch-1"``: the looped
    network with a fixed batch of one (the usual converters fail on Keras 3 loops:
    TensorListReserve needs a static element shape), run window by window.
    """
    import numpy as np

    windows = (
        np.random.default_rng(0)
        .normal(size=(EXPORT_CHECK_WINDOWS,) + tuple(model.input_shape[1:]))
        .astype(np.float32)
    )
    function = _network_function(model)
    candidates = [lambda: _convert(_with_unrolled_loops(model), None)]
    if function is not None:
        candidates.insert(0, lambda: _convert_function(function))
    for convert in candidates:
        try:
            flatbuffer = convert()
            difference = _litert_disagreement(model, flatbuffer, windows)
        except Exception as exc:  # a converter failure: try the next export
            log.warning("A dynamic-batch LiteRT export failed: %s", exc)
            continue
        if difference <= EXPORT_TOLERANCE:
            destination.write_bytes(flatbuffer)
            return "dynamic-batch"
        log.warning("A dynamic-batch LiteRT export differs by %.2g.", difference)
    flatbuffer = _convert(model, 1)
    if _litert_disagreement(model, flatbuffer, windows[:1]) > EXPORT_TOLERANCE:
        raise ArtifactError("The LiteRT export does not reproduce the Keras model.")
    destination.write_bytes(flatbuffer)
    return "batch-1"


def tflite_refresh(directory: Path) -> str:
    """Rewrite an artifact's ``model.tflite`` from its ``model.keras`` (atomically).

    For artifacts exported before batched serving; the network and its answers are
    unchanged. Returns the kind of export written.
    """
    import keras

    directory = Path(directory)
    model = keras.models.load_model(directory / KERAS_FILE, compile=False)
    staging = directory / f".{TFLITE_FILE}.tmp"
    try:
        kind = export_tflite(model, staging)
        staging.replace(directory / TFLITE_FILE)
    finally:
        staging.unlink(missing_ok=True)
    return kind


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
