"""Web processes serve the production model with LiteRT and follow promotions."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import install_version, real_clip
from training.artifacts import export_tflite
from training.audio import decode_audio
from training.features import (
    FeatureConfig,
    Normalizer,
    extract_features,
    extract_features_librosa,
)
from training.inference import LiteRTRunner, Predictor, window_inputs
from training.registry import model_promote
from training.serving import ModelUnavailable, production_predictor

# LiteRT (float, XNNPACK) against Keras on the same windows: the bundled networks
# differ by at most 1.2e-7 in a window's probability; allow this much.
PROBABILITY_TOLERANCE = 1e-4


def long_speech(seconds: float) -> np.ndarray:
    """Real clips of female and male speakers in turn, cut to ``seconds``."""
    parts, index = [], 0
    while sum(p.size for p in parts) < seconds * 16_000:
        parts.append(decode_audio(real_clip(("female", "male")[index % 2], index)))
        index += 1
    return np.concatenate(parts)[: int(seconds * 16_000)]


def real_windows(config: FeatureConfig, seconds: float = 100.0) -> np.ndarray:
    features = extract_features(long_speech(seconds), config)
    return window_inputs(features, config, Normalizer.fit(features.frames))[0]


def assert_same_answers(a, b):
    assert a.p_female == pytest.approx(b.p_female, abs=PROBABILITY_TOLERANCE)
    served = np.array([w.p_female for w in a.windows])
    keras = np.array([w.p_female for w in b.windows])
    np.testing.assert_allclose(served, keras, atol=PROBABILITY_TOLERANCE)
    decided = np.abs(keras - 0.5) > PROBABILITY_TOLERANCE
    assert ((served >= 0.5) == (keras >= 0.5))[decided].all()


def test_the_litert_model_agrees_with_the_keras_model_on_real_clips(trained_model_dir):
    litert = Predictor.load(trained_model_dir, runtime="litert")
    keras = Predictor.load(trained_model_dir, runtime="keras")
    assert litert.runner.batched
    for gender in ("female", "male"):
        for index in range(3):
            samples = decode_audio(real_clip(gender, index * 7))
            assert_same_answers(litert.predict(samples), keras.predict(samples))
    # 150 s: 150 windows, run as batches of 64, 64 and 22 padded to 64.
    samples = long_speech(150)
    a, b = litert.predict(samples), keras.predict(samples)
    assert len(a.windows) == 150
    assert_same_answers(a, b)


def test_windows_run_in_batches_give_the_logits_they_give_one_at_a_time(
    trained_model_dir,
):
    runner = Predictor.load(trained_model_dir).runner
    windows = real_windows(FeatureConfig(), seconds=80)
    alone = np.array([runner(windows[i : i + 1])[0] for i in range(len(windows))])
    for count in (1, 7, 8, 9, 64, 65, len(windows)):
        np.testing.assert_allclose(runner(windows[:count]), alone[:count], atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("model_type", ["lstm", "rnn"])
def test_every_network_type_exports_to_a_batched_litert_model_that_matches_keras(
    model_type, tmp_path
):
    from training.networks import build_network

    config = FeatureConfig()
    model = build_network(
        model_type,
        window_frames=config.window_frames,
        n_features=config.n_features,
        units=4,
    )
    assert export_tflite(model, tmp_path / "model.tflite") == "dynamic-batch"
    runner = LiteRTRunner(tmp_path / "model.tflite")
    windows = real_windows(config, seconds=40)
    expected = np.asarray(model.predict_on_batch(windows)).reshape(-1)
    np.testing.assert_allclose(runner(windows), expected, atol=1e-4)


@pytest.mark.slow
def test_an_artifact_exported_window_by_window_still_serves_the_same_answers(
    trained_model_dir, tmp_path
):
    import shutil

    import keras

    from training.artifacts import _convert

    folder = tmp_path / "batch-1"
    shutil.copytree(trained_model_dir, folder)
    model = keras.models.load_model(folder / "model.keras", compile=False)
    (folder / "model.tflite").write_bytes(_convert(model, 1))
    old = Predictor.load(folder)
    assert not old.runner.batched
    samples = long_speech(20)
    assert_same_answers(
        old.predict(samples), Predictor.load(trained_model_dir).predict(samples)
    )


def test_the_served_features_are_exactly_the_features_librosa_defines():
    """extract_features is a faster, librosa-free computation of the same numbers."""
    config = FeatureConfig()
    speech = long_speech(100)
    clip = decode_audio(real_clip("male", 5))
    # Lengths around every edge: shorter than YIN's frame, odd, one hop, whole clips,
    # and longer than a processing block (256 frames, 5 s).
    cases = [clip[:700], clip[:8000], clip[:8321], clip, speech[: 16_000 * 7 + 319]]
    cases += [decode_audio(real_clip("female", 11)), speech]
    for samples in cases:
        fast = extract_features(samples, config)
        reference = extract_features_librosa(samples, config)
        np.testing.assert_array_equal(fast.frames, reference.frames)
        np.testing.assert_array_equal(fast.f0_hz, reference.f0_hz)
        np.testing.assert_array_equal(fast.voiced, reference.voiced)


@pytest.mark.django_db
def test_a_promotion_reaches_a_serving_process_without_a_restart(trained_model_dir):
    first = install_version(trained_model_dir)
    assert production_predictor("gru")[0] == first
    second = install_version(trained_model_dir, stage="candidate")
    model_promote(version=second)
    assert production_predictor("gru")[0] == second


@pytest.mark.django_db
def test_the_loaded_model_is_reused_between_requests(production_model):
    assert production_predictor()[1] is production_predictor()[1]


@pytest.mark.django_db
def test_a_missing_model_is_reported_not_crashed():
    with pytest.raises(ModelUnavailable, match="No production model"):
        production_predictor()


HEAVY_MODULES = ("tensorflow", "keras", "librosa", "numba", "scipy.signal", "mlflow")


def test_a_web_process_answers_without_importing_training_libraries(tmp_path):
    """What a web worker loads: the app, every URL's views, LiteRT and a prediction."""
    root = Path(__file__).resolve().parent.parent
    script = f"""
import os, sys
import numpy as np
os.environ["DJANGO_SETTINGS_MODULE"] = "voiceproject.settings"
from django.core.wsgi import get_wsgi_application
get_wsgi_application()
from django.urls import get_resolver
get_resolver().url_patterns
from training.inference import Predictor
noise = np.random.default_rng(0).normal(0, 0.1, 48_000).astype(np.float32)
Predictor.load({str(root / "models" / "bundled" / "gru")!r}).predict(noise)
print(" ".join(m for m in {HEAVY_MODULES!r} if m in sys.modules))
"""
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env=environment | {"VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
