"""HTTP throughput and latency of POST /api/predictions/ on gunicorn, on loopback.

A temporary installation (SQLite, bundled models bootstrapped, anonymous throttling
raised via ANON_THROTTLE_RATE) served by gunicorn with gunicorn.conf.py and 2 workers
as the README runs it. A client in this process (threads, one connection per
request, 127.0.0.1 only, bounded in time and count) uploads a 5 s clip of real
speech (16 kHz FLAC) at each concurrency; after a warm-up, it counts answers per
second, latency percentiles and errors (anything but 201). Then one 10-minute
recording, answered with its window timeline, end to end. Also printed: the CPU
time the server and the client spent per request, which shows what bounds the rate.

Usage: .venv/bin/python bench/http_load.py [--concurrency 1,8,32] [--seconds 20]
       [--models models/bundled] [--long-repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
import _site  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=20.0, help="per level")
    parser.add_argument("--max-requests", type=int, default=10_000, help="per level")
    parser.add_argument("--warm-up", type=float, default=3.0, help="seconds per level")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clip-seconds", type=float, default=5.0)
    parser.add_argument("--long-repeats", type=int, default=3, help="10-min uploads")
    _site.add_models_option(parser)
    parser.add_argument("--quick", action="store_true", help="a few seconds in all")
    return parser.parse_args(argv)


def load(port, body, content_type, concurrency, seconds, max_requests, warm_up):
    """Run ``concurrency`` clients; returns (latencies ms, statuses, wall s)."""
    lock = threading.Lock()
    latencies, statuses = [], []
    state = {"measuring": False, "count": 0}
    stop_at = time.perf_counter() + warm_up + seconds

    def client():
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            status, _ = _site.post(port, body, content_type)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if not state["measuring"]:
                    continue
                if state["count"] >= max_requests:
                    return
                state["count"] += 1
                latencies.append(elapsed)
                statuses.append(status)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(warm_up)
    with lock:
        state["measuring"] = True
        began = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - began


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.quick:
        args.concurrency, args.seconds, args.warm_up, args.long_repeats = (
            "1,2",
            1,
            0.5,
            0,
        )
    levels = [int(c) for c in args.concurrency.split(",") if c]
    _common.print_header("bench/http: POST /api/predictions/ on gunicorn, loopback")
    speech = _common.real_speech(args.clip_seconds)
    body, content_type = _site.multipart(_common.flac_bytes(speech))
    long_body = None
    if args.long_repeats:
        long_body = _site.multipart(_common.flac_bytes(_common.real_speech(600)))[0]
    with tempfile.TemporaryDirectory(prefix="gvd-bench-http-") as tmp:
        folder = Path(tmp)
        env = _site.prepare(folder, args.models)
        server = _site.Gunicorn(env, folder, workers=args.workers)
        with server:
            if not _site.wait_until_listening(server.port):
                print("gunicorn did not start; see", server.log_path, file=sys.stderr)
                return 1
            status, answer = _site.post(server.port, body, content_type)
            if status != 201:
                print(f"first upload answered {status}: {answer}", file=sys.stderr)
                return 1
            _, models = _site.get(server.port, "/api/models/")
            best = [m for m in models or [] if m.get("best")]
            print(
                f"server: gunicorn, gunicorn.conf.py, {args.workers} workers, "
                f"models from {args.models}; answers come from the best production "
                f"model ({best[0]['model'] if best else '?'}), as by default"
            )
            print(
                f"upload: {args.clip_seconds:g} s of real speech, 16 kHz FLAC, "
                f"{len(body) / 1024:.0f} KiB multipart; one connection per request"
            )
            print(
                f"each level: {args.warm_up:g} s warm-up, then {args.seconds:g} s "
                f"or {args.max_requests} requests"
            )
            print()
            header = (
                "| concurrency | requests | requests/s | p50 | p95 | p99 | errors "
                "| server CPU / request | client CPU / request |"
            )
            rows = [header, "|" + "---|" * (header.count("|") - 1)]
            for concurrency in levels:
                server_pids = [server.process.pid] + server.workers()
                cpu_before = _site.cpu_seconds(server_pids)
                client_before = resource.getrusage(resource.RUSAGE_SELF)
                latencies, statuses, wall = load(
                    server.port,
                    body,
                    content_type,
                    concurrency,
                    args.seconds,
                    args.max_requests,
                    args.warm_up,
                )
                client_after = resource.getrusage(resource.RUSAGE_SELF)
                cpu_after = _site.cpu_seconds(server_pids)
                # CPU over warm-up + measurement, shared over all requests sent then.
                sent = max(len(latencies), 1) * (args.warm_up + wall) / max(wall, 1e-9)
                client_cpu = (
                    client_after.ru_utime
                    + client_after.ru_stime
                    - client_before.ru_utime
                    - client_before.ru_stime
                )
                errors = [s for s in statuses if s != 201]
                kinds = sorted(set(errors))
                rows.append(
                    f"| {concurrency} | {len(latencies)} "
                    f"| {len(latencies) / wall:.1f} "
                    f"| {_common.median(latencies):.1f} ms "
                    f"| {_common.percentile(latencies, 95):.1f} ms "
                    f"| {_common.percentile(latencies, 99):.1f} ms "
                    f"| {len(errors)}{' ' + str(kinds) if kinds else ''} "
                    f"| {(cpu_after - cpu_before) / sent * 1000:.1f} ms "
                    f"| {client_cpu / sent * 1000:.1f} ms |"
                )
                print(f"  concurrency {concurrency}: done", flush=True)
            print()
            print("\n".join(rows))
            if long_body is not None:
                times, windows = [], 0
                for _ in range(args.long_repeats):
                    started = time.perf_counter()
                    status, answer = _site.post(server.port, long_body, content_type)
                    times.append((time.perf_counter() - started) * 1000)
                    if status != 201:
                        print(f"10-min upload answered {status}: {answer}")
                        break
                    windows = len(answer.get("segments") or [])
                print()
                print(
                    f"10-minute recording ({len(long_body) / 2**20:.1f} MiB FLAC),"
                    f" one at a time: median {_common.median(times):.0f} ms, "
                    f"max {max(times):.0f} ms over {len(times)} uploads, "
                    f"timeline of {windows} segments"
                )
            for pid in server.workers():
                rss, pss = _site.memory_mb(pid)
                print(f"worker {pid} after the run: RSS {rss:.0f} MB, PSS {pss:.0f} MB")
    _common.print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
