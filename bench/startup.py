"""How soon a gunicorn web worker answers, and how much memory it holds.

On a temporary installation (SQLite, bundled models bootstrapped):

1. cold start as the README runs it (gunicorn.conf.py, 2 workers): from launching
   gunicorn to the first answer (201) to a 5 s upload;
2. a worker from start to its first answer: with one worker serving, the worker is
   killed and an upload sent at once; it waits in the listen queue while gunicorn
   starts a new worker, which imports Django, loads and warms the production models
   (post_worker_init) and then answers it. Timed from the kill, and from the new
   worker process's start (/proc);
3. the resident memory (RSS, and PSS, which shares libraries fairly) of a worker
   after warm-up, after 200 uploads of 5 s and after a 10-minute recording.

Usage: .venv/bin/python bench/startup.py [--repeats 5] [--models models/bundled]
       [--quick]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
import _site  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--uploads", type=int, default=200, help="before RSS")
    _site.add_models_option(parser)
    parser.add_argument("--quick", action="store_true")
    return parser.parse_args(argv)


def first_answer(port: int, body: bytes, content_type: str, started: float):
    """Seconds from ``started`` until an upload is answered 201 (retrying refusals)."""
    if not _site.wait_until_listening(port, 60):
        return None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, _ = _site.post(port, body, content_type)
        if status == 201:
            return time.perf_counter() - started
        time.sleep(0.01)
    return None


def seconds_since_start(pid: int) -> float:
    """How long ago a process started (10 ms resolution), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return float(Path("/proc/uptime").read_text().split()[0]) - started


def wait_for_new_worker(server: _site.Gunicorn, old: set[int], seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        new = set(server.workers()) - old
        if new:
            return new.pop()
        time.sleep(0.005)
    return None


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.quick:
        args.repeats, args.uploads = 1, 3
    _common.print_header("bench/startup: a web worker's start and memory")
    body, content_type = _site.multipart(_common.flac_bytes(_common.real_speech(5)))
    long_body, _ = _site.multipart(_common.flac_bytes(_common.real_speech(600)))
    with tempfile.TemporaryDirectory(prefix="gvd-bench-startup-") as tmp:
        folder = Path(tmp)
        env = _site.prepare(folder, args.models)
        print(f"models: {args.models}; upload: 5 s of real speech, 16 kHz FLAC")
        print()

        cold = []
        for _ in range(args.repeats):
            with _site.Gunicorn(env, folder, workers=2) as server:
                seconds = first_answer(server.port, body, content_type, server.started)
                cold.append(seconds if seconds is not None else float("nan"))

        respawn, booted, rss_rows = [], [], []
        with _site.Gunicorn(env, folder, workers=1) as server:
            first_answer(server.port, body, content_type, server.started)
            for _ in range(args.repeats):
                old = set(server.workers())
                victim = min(old)
                started = time.perf_counter()
                os.kill(victim, signal.SIGKILL)
                status, _ = _site.post(server.port, body, content_type)
                elapsed = time.perf_counter() - started
                new = wait_for_new_worker(server, old)
                respawn.append(elapsed if status == 201 else float("nan"))
                if new is not None and status == 201:
                    booted.append(seconds_since_start(new))
            pid = server.workers()[0]
            rss_rows.append(("after warm-up and one upload", *_site.memory_mb(pid)))
            for _ in range(args.uploads):
                _site.post(server.port, body, content_type)
            rss_rows.append(
                (f"after {args.uploads} uploads of 5 s", *_site.memory_mb(pid))
            )
            status, _ = _site.post(server.port, long_body, content_type)
            rss_rows.append(
                (
                    f"after a 10-minute recording (answer {status})",
                    *_site.memory_mb(pid),
                )
            )

        def seconds(values):
            return (
                f"median {_common.median(values):.2f} s, "
                f"min {min(values):.2f} s, max {max(values):.2f} s"
            )

        print("| measure | result | runs |")
        print("|---|---|---|")
        print(
            f"| gunicorn launch (2 workers) -> first answer | {seconds(cold)} "
            f"| {len(cold)} |"
        )
        print(
            f"| worker killed -> new worker's first answer | {seconds(respawn)} "
            f"| {len(respawn)} |"
        )
        print(
            f"| new worker's process start -> its first answer (10 ms clock) "
            f"| {seconds(booted)} | {len(booted)} |"
        )
        for label, rss, pss in rss_rows:
            print(f"| worker memory {label} | RSS {rss:.0f} MB, PSS {pss:.0f} MB | 1 |")
    _common.print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
