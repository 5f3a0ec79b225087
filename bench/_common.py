"""Shared by the benchmarks: the machine report, real clips, statistics, artifacts."""

from __future__ import annotations

import csv
import io
import os
import platform
import runpy
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT / "data" / "raw" / "speechocean762-adults"
MODEL_TYPES = ("gru", "lstm", "rnn")
PACKAGES = (
    "numpy",
    "scipy",
    "librosa",
    "ai-edge-litert",
    "tensorflow-cpu",
    "keras",
    "Django",
    "djangorestframework",
    "gunicorn",
    "soundfile",
    "soxr",
    "av",
)

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def like_a_web_worker() -> None:
    """This process set up as gunicorn.conf.py sets up web workers.

    One BLAS thread, glibc's allocator tuned. Call before numpy is imported.
    """
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))["tune_allocator"]()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
    return "unknown"


def busy_processes(exclude: set[int] | None = None, threshold: float = 10.0) -> str:
    """Other processes using more than ``threshold`` % CPU right now (ps snapshot)."""
    exclude = (exclude or set()) | {os.getpid()}
    try:
        out = subprocess.run(
            ["ps", "-eo", "pid,pcpu,args", "--sort=-pcpu"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    busy = []
    for line in out.splitlines()[1:]:
        pid, cpu, args = line.split(None, 2)
        if int(pid) in exclude or float(cpu) < threshold:
            continue
        busy.append(f"{args[:70]} ({float(cpu):.0f}% CPU)")
    return "; ".join(busy[:5]) or "nothing above {:.0f}% CPU".format(threshold)


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine_report() -> str:
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return "\n".join(
        [
            f"machine: {_cpu_model()}, {cores} cores ({usable} usable), "
            f"{_memory_gb()} RAM, {platform.system()} {platform.release()}",
            f"python: {platform.python_version()} ({sys.executable})",
            f"packages: {', '.join(versions)}",
            f"load average (1/5/15 min): {load_average()}",
            f"other busy processes: {busy_processes()}",
            f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        ]
    )


def print_header(title: str) -> None:
    print(f"# {title}")
    print(machine_report())
    print(flush=True)


def print_footer() -> None:
    print()
    print(f"load average at the end (1/5/15 min): {load_average()}")
    print(f"other busy processes at the end: {busy_processes()}", flush=True)


# --- statistics -----------------------------------------------------------------


def percentile(values, q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if len(values) else float("nan")


def median(values) -> float:
    return percentile(values, 50)


def timed(fn, repeats: int, warm: int = 1) -> list[float]:
    """Milliseconds of ``repeats`` calls of ``fn`` after ``warm`` untimed ones."""
    for _ in range(warm):
        fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


# --- real audio -------------------------------------------------------------------


def dataset_rows() -> list[dict]:
    with (DATASET / "manifest.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def real_speech(seconds: float, offset: int = 0):
    """``seconds`` of 16 kHz speech: dataset clips, female and male in turn."""
    import numpy as np

    from training.audio import decode_audio

    rows = dataset_rows()
    by_gender = {
        g: [r for r in rows if r["gender"] == g][offset:] for g in ("female", "male")
    }
    need = int(seconds * 16_000)
    parts, total, i = [], 0, 0
    while total < need:
        row = by_gender[("female", "male")[i % 2]][i // 2]
        samples = decode_audio(DATASET / row["path"])
        parts.append(samples)
        total += samples.size
        i += 1
    return np.concatenate(parts)[:need]


def flac_bytes(samples, sample_rate: int = 16_000) -> bytes:
    """16-bit FLAC, the dataset's own encoding."""
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, samples, sample_rate, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


# --- artifacts --------------------------------------------------------------------


def newest_artifacts(root: Path, need_keras: bool = False) -> dict[str, Path]:
    """The newest artifact folder of each network type under ``root``.

    ``root`` is either a folder of artifacts per type (``var/models/gru/run1-…``) or of
    one artifact per type (``models/bundled/gru``).
    """
    found = {}
    for model_type in MODEL_TYPES:
        folder = root / model_type
        candidates = [folder] + sorted(
            (p for p in folder.glob("*") if p.is_dir()),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for candidate in candidates:
            if (candidate / "model.tflite").is_file() and (
                not need_keras or (candidate / "model.keras").is_file()
            ):
                found[model_type] = candidate
                break
    return found


def tflite_export_kind(path: Path) -> str:
    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_path=str(path)).get_input_details()[0]
    if int(details["shape_signature"][0]) == -1:
        return "dynamic-batch"
    return f"batch-{int(details['shape'][0])}"
