"""The benchmark scripts run and print their figures with the machine they ran on.

Only tiny runs of bench/latency (no seed path) and bench/batch_sizes; the other
scripts start servers or train, so here they only show their usage. Timings are never
asserted.
"""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def run(script: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_latency_bench_prints_its_figures_and_the_machine(trained_model_dir):
    out = run(
        "latency.py",
        "--quick",
        "--no-seed",
        "--durations",
        "1,5",
        "--models",
        "gru",
        "--artifacts",
        str(trained_model_dir.parent),
    )
    assert "machine: " in out and "packages: " in out and "numpy" in out
    assert "LiteRT export: dynamic-batch" in out
    assert "| gru | 1 s | 1 |" in out and "| gru | 5 s | 5 |" in out


def test_the_batch_size_bench_prints_a_row_per_shipped_network():
    out = run("batch_sizes.py", "--repeats", "2")
    assert "machine: " in out and "fixed batch" not in out
    for network in ("gru", "lstm", "rnn"):
        assert f"| {network} | " in out


@pytest.mark.parametrize("script", ["http_load.py", "startup.py", "train.py"])
def test_the_other_benches_explain_their_usage(script):
    assert "usage:" in run(script, "--help")
