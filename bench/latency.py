"""Server-side cost of one prediction, beside the seed's serving path.

For clips of 1 s, 5 s, 30 s and 10 min made of real dataset speech (16 kHz FLAC):

- served: what a web worker does with an upload (training.audio decode + speech check,
  then Predictor.predict: features, LiteRT windows, calibration and the window
  timeline), one network, in a process set up as gunicorn.conf.py sets up workers
  (one BLAS thread, glibc allocator tuned) and before TensorFlow is imported;
- seed: the replaced design's path on the same clip and the same network, timed
  afterwards in the same process: ``librosa.load(sr=22050)``, the same features
  computed by librosa (``extract_features_librosa``) and Keras ``model.predict`` on
  ``model.keras``.

Usage: .venv/bin/python bench/latency.py [--artifacts var/models]
       [--models gru,lstm,rnn] [--durations 1,5,30,600] [--quick] [--no-seed]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

_common.like_a_web_worker()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPEATS = {1: (300, 30), 5: (300, 30), 30: (60, 10), 600: (7, 3)}
QUICK_REPEATS = (3, 1)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--artifacts",
        type=Path,
        default=_common.ROOT / "var" / "models",
        help="folder of artifacts per network type (with model.keras for the seed)",
    )
    parser.add_argument("--models", default=",".join(_common.MODEL_TYPES))
    parser.add_argument("--durations", default="1,5,30,600", help="seconds")
    parser.add_argument("--quick", action="store_true", help="few repetitions")
    parser.add_argument("--no-seed", action="store_true", help="skip the seed path")
    return parser.parse_args(argv)


class Served:
    """A web worker's path for one upload, timed in its three parts."""

    def __init__(self, artifact: Path):
        from training.inference import Predictor

        self.predictor = Predictor.load(artifact, runtime="litert")
        warm_up = getattr(self.predictor.runner, "warm_up", None)
        if warm_up is not None:
            warm_up()

    def __call__(self, data: bytes, parts: dict | None = None):
        import time

        from training.audio import DecodeLimits, decode_audio_with_info, ensure_speech

        t0 = time.perf_counter()
        decoded = decode_audio_with_info(data, limits=DecodeLimits())
        ensure_speech(decoded.samples)
        t1 = time.perf_counter()
        features = self.predictor.features(decoded.samples)
        t2 = time.perf_counter()
        result = self.predictor.predict_features(features, decoded.duration_s)
        t3 = time.perf_counter()
        if parts is not None:
            parts.setdefault("decode", []).append((t1 - t0) * 1000)
            parts.setdefault("features", []).append((t2 - t1) * 1000)
            parts.setdefault("model", []).append((t3 - t2) * 1000)
        return result


class Seed:
    """librosa.load at 22.05 kHz, librosa features, Keras model.predict."""

    def __init__(self, artifact: Path):
        import keras

        from training.artifacts import read_meta

        self.meta = read_meta(artifact)
        self.model = keras.models.load_model(artifact / "model.keras", compile=False)

    def __call__(self, data: bytes):
        import librosa
        import numpy as np

        from training.features import extract_features_librosa
        from training.inference import aggregate_logits, window_inputs

        samples, _ = librosa.load(io.BytesIO(data), sr=22_050)
        features = extract_features_librosa(samples, self.meta.features)
        windows, voicing = window_inputs(
            features, self.meta.features, self.meta.normalizer
        )
        logits = np.asarray(self.model.predict(windows, verbose=0)).reshape(-1)
        pitch = self.meta.pitch_baseline.logit(features.median_f0)
        return self.meta.calibration.probability(
            aggregate_logits(logits, voicing), pitch
        )


def label(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"


def main(argv=None) -> int:
    args = parse_args(argv)
    _common.print_header("bench/latency: server-side cost of one prediction")
    models = [m for m in args.models.split(",") if m]
    durations = [int(float(d)) for d in args.durations.split(",") if d]
    artifacts = _common.newest_artifacts(args.artifacts, need_keras=not args.no_seed)
    missing = [m for m in models if m not in artifacts]
    if missing:
        print(
            f"No artifact with model.tflite{'' if args.no_seed else ' and model.keras'}"
            f" for {', '.join(missing)} under {args.artifacts}: run "
            "`manage.py train --model-type all` first (or pass --artifacts).",
            file=sys.stderr,
        )
        return 2
    clips = {}
    for seconds in durations:
        clips[seconds] = _common.flac_bytes(_common.real_speech(seconds))
    print("clips: real dataset speech, female and male speakers in turn, 16 kHz FLAC")
    print("served = decode + speech check + features + LiteRT + timeline, 1 network")
    print("seed = librosa.load(sr=22050) + librosa features + Keras model.predict")
    print()
    served_rows, served_times = {}, {}
    for model_type in models:
        artifact = artifacts[model_type]
        kind = _common.tflite_export_kind(artifact / "model.tflite")
        print(f"{model_type}: {artifact} (LiteRT export: {kind})", flush=True)
        served = Served(artifact)
        for seconds in durations:
            data = clips[seconds]
            repeats = QUICK_REPEATS[0] if args.quick else REPEATS.get(seconds, (20,))[0]
            parts: dict = {}
            result = served(data)
            times = _common.timed(lambda: served(data, parts), repeats, warm=0)
            served_times[model_type, seconds] = times
            served_rows[model_type, seconds] = (
                f"| {model_type} | {label(seconds)} | {len(result.windows)} "
                f"| {_common.median(times):.2f} ms "
                f"| {_common.percentile(times, 95):.2f} ms "
                f"| {_common.median(parts['decode']):.2f} ms "
                f"| {_common.median(parts['features']):.2f} ms "
                f"| {_common.median(parts['model']):.2f} ms"
            )
            print(f"  served {label(seconds)}: {repeats} runs", flush=True)
    header = (
        "| network | clip | windows | served median | served p95 | decode | features "
        "| model | seed median | seed p95 | seed / served |"
    )
    rows = [header, "|" + "---|" * (header.count("|") - 1)]
    for model_type in models:
        seed = None if args.no_seed else Seed(artifacts[model_type])
        for seconds in durations:
            line = served_rows[model_type, seconds]
            if seed is None:
                rows.append(line + " | - | - | - |")
                continue
            data = clips[seconds]
            repeats = (
                QUICK_REPEATS[1] if args.quick else REPEATS.get(seconds, (0, 3))[1]
            )
            seed_times = _common.timed(lambda: seed(data), repeats, warm=1)
            ratio = _common.median(seed_times) / _common.median(
                served_times[model_type, seconds]
            )
            rows.append(
                line + f" | {_common.median(seed_times):.1f} ms "
                f"| {_common.percentile(seed_times, 95):.1f} ms | {ratio:.1f}x |"
            )
            print(f"  {model_type} seed {label(seconds)}: {repeats} runs", flush=True)
    print()
    print("\n".join(rows))
    _common.print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
