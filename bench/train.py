"""Wall time of ``manage.py train --model-type all`` and the time of each epoch.

Runs the command as the README gives it (defaults, bundled dataset) in a temporary
installation: its own VAR_DIR (SQLite database, MODELS_ROOT), REPORTS_DIR,
PROCESSED_DIR and MLflow store, so the development database and models are left
alone. Epoch boundaries are read, with this script's clock, from the command's
progress bars on stderr: per network the number of epochs, the median and total
epoch time, and what followed the last epoch (evaluation, LiteRT export, MLflow).

Usage: .venv/bin/python bench/train.py [--model-type all] [-- extra train options]
       .venv/bin/python bench/train.py --quick   (tiny data: checks the script only)
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
import _site  # noqa: E402

STAGE = re.compile(
    r"^(?P<stage>[\w ()]+?):\s+\d+%\|[^|]*\|\s*(?P<done>\d+)/(?P<total>\d+)"
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-type", default="all")
    parser.add_argument("--quick", action="store_true", help="tiny dataset, 1 epoch")
    parser.add_argument("extra", nargs="*", help="more train options, after --")
    return parser.parse_args(argv)


def tiny_manifest(folder: Path) -> Path:
    """Three clips of three speakers per gender from the bundled dataset."""
    rows = _common.dataset_rows()
    chosen = []
    for gender in ("female", "male"):
        speakers = sorted({r["speaker"] for r in rows if r["gender"] == gender})[:3]
        for speaker in speakers:
            chosen += [r for r in rows if r["speaker"] == speaker][:3]
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "speaker", "gender"])
        for row in chosen:
            path = os.path.relpath(_common.DATASET / row["path"], folder)
            writer.writerow([path, row["speaker"], row["gender"]])
    return manifest


class StageClock:
    """Timestamps of the progress bars' updates: (stage, done, total, time)."""

    def __init__(self, stream):
        self.events: list[tuple[str, int, int, float]] = []
        self.tail: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        buffer = ""
        while True:
            chunk = stream.read1(4096) if hasattr(stream, "read1") else stream.read(1)
            if not chunk:
                break
            now = time.perf_counter()
            buffer += chunk.decode(errors="replace")
            *lines, buffer = re.split(r"[\r\n]", buffer)
            for line in lines:
                self._line(line, now)
        self._line(buffer, time.perf_counter())

    def _line(self, line: str, now: float):
        line = line.strip()
        if not line:
            return
        self.tail = (self.tail + [line])[-40:]
        match = STAGE.match(line)
        if match:
            event = (match["stage"], int(match["done"]), int(match["total"]))
            if not self.events or self.events[-1][:3] != event:
                self.events.append((*event, now))


def summarise(events, started: float, finished: float) -> list[str]:
    """Per stage: first and last update, and the time of each step of it."""
    stages: dict[str, list[tuple[int, float]]] = {}
    order = []
    for stage, done, _total, when in events:
        if stage not in stages:
            stages[stage] = []
            order.append(stage)
        if not stages[stage] or stages[stage][-1][0] != done:
            stages[stage].append((done, when))
    rows = []
    starts = [stages[s][0][1] for s in order] + [finished]
    for i, stage in enumerate(order):
        points = stages[stage]
        steps = [b[1] - a[1] for a, b in zip(points, points[1:])]
        begin, end = points[0][1], points[-1][1]
        after = starts[i + 1] - end
        if stage.endswith("epochs"):
            rows.append(
                f"| {stage.split()[0]} | {len(steps)} | "
                f"{_common.median(steps):.1f} s | {end - begin:.0f} s | {after:.0f} s |"
            )
        else:
            rows.append(
                f"| {stage} | {points[-1][0]} clips | - | {end - begin:.0f} s | - |"
            )
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    _common.print_header("bench/train: manage.py train --model-type all")
    with tempfile.TemporaryDirectory(prefix="gvd-bench-train-") as tmp:
        folder = Path(tmp)
        env = _site.site_env(
            folder,
            MODELS_ROOT=str(folder / "var" / "models"),
            MLFLOW_ENABLED="true",
            MLFLOW_TRACKING_URI=f"sqlite:///{folder / 'mlflow' / 'mlflow.db'}",
            MLFLOW_ARTIFACT_LOCATION=(folder / "mlflow" / "artifacts").as_uri(),
        )
        (folder / "mlflow").mkdir()
        _site.manage(env, "migrate", "--noinput")
        command = ["manage.py", "train", "--model-type", args.model_type]
        if args.quick:
            manifest = tiny_manifest(folder / "tiny")
            command += ["--data", str(manifest), "--epochs", "2", "--units", "4"]
            command += ["--augment-copies", "0"]
        command += args.extra
        print("command:", " ".join(command))
        print(f"temporary VAR_DIR, REPORTS_DIR, PROCESSED_DIR, MLflow store: {folder}")
        print(flush=True)
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, *command],
            cwd=_common.ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        clock = StageClock(process.stderr)
        output = process.stdout.read().decode(errors="replace")
        process.wait()
        clock.thread.join(timeout=10)
        finished = time.perf_counter()
        if process.returncode:
            print("train failed:\n" + "\n".join(clock.tail), file=sys.stderr)
            return 1
        wall = finished - started
        print(output.strip())
        print()
        print(f"wall time: {wall:.0f} s ({wall / 60:.1f} min)")
        print()
        print("| stage | epochs | median epoch | stage time | after the last epoch |")
        print("|---|---|---|---|---|")
        print("\n".join(summarise(clock.events, started, finished)))
        print()
        print(
            "after the last epoch = until the next stage (or the end): evaluation on "
            "the test speakers, calibration, LiteRT export, artifact, MLflow, gate"
        )
    _common.print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
