"""How a recording's windows are best run through a LiteRT model: exact or padded.

For each network's ``model.tflite`` (one LiteRT interpreter, 1 thread, XNNPACK, as a
web worker runs it), the median time of one call on 5 windows (a 5 s clip):

- exact: the interpreter already sized for 5 windows;
- padded to 8: the former design, a fixed batch of 8 with 3 windows of zeros;
- switching 4/5: calls alternating between 4 and 5 windows, resizing every call
  (the worst case of exact sizes);

and what resizing an interpreter costs (``resize_tensor_input`` + ``allocate_tensors``).

Usage: .venv/bin/python bench/batch_sizes.py [--models models/bundled] [--repeats 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

_common.like_a_web_worker()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models", type=Path, default=_common.ROOT / "models" / "bundled"
    )
    parser.add_argument("--repeats", type=int, default=200)
    return parser.parse_args(argv)


class Interpreter:
    def __init__(self, path: Path):
        from ai_edge_litert.interpreter import Interpreter as LiteRT

        self.interpreter = LiteRT(model_path=str(path), num_threads=1)
        details = self.interpreter.get_input_details()[0]
        self.index = details["index"]
        self.window = [int(n) for n in details["shape"][1:]]
        self.batch = None

    def resize(self, batch: int) -> None:
        self.interpreter.resize_tensor_input(self.index, [batch, *self.window])
        self.interpreter.allocate_tensors()
        self.batch = batch

    def call(self, batch: int) -> None:
        import numpy as np

        if batch != self.batch:
            self.resize(batch)
        self.interpreter.set_tensor(self.index, np.zeros([batch, *self.window], "f4"))
        self.interpreter.invoke()


def per_call_ms(interpreter: Interpreter, batches: list[int], repeats: int) -> float:
    for batch in batches:
        interpreter.call(batch)
    times = []
    for _ in range(repeats):
        for batch in batches:
            started = time.perf_counter()
            interpreter.call(batch)
            times.append(time.perf_counter() - started)
    return 1000 * _common.median(times)


def resize_ms(interpreter: Interpreter, repeats: int) -> float:
    times = []
    for i in range(repeats):
        started = time.perf_counter()
        interpreter.resize(5 if i % 2 else 8)
        times.append(time.perf_counter() - started)
    return 1000 * _common.median(times)


def main(argv=None) -> int:
    args = parse_args(argv)
    _common.print_header("bench/batch_sizes: 5 windows through LiteRT, exact or padded")
    print("| network | exact (5) | padded to 8 | switching 4/5 | resize |")
    print("|---|---|---|---|---|")
    for path in sorted(args.models.glob("*/model.tflite")):
        interpreter = Interpreter(path)
        if interpreter.interpreter.get_input_details()[0]["shape_signature"][0] != -1:
            print(f"| {path.parent.name} | fixed batch of one: not batched | | | |")
            continue
        exact = per_call_ms(interpreter, [5], args.repeats)
        padded = per_call_ms(interpreter, [8], args.repeats)
        switching = per_call_ms(interpreter, [4, 5], args.repeats)
        resize = resize_ms(interpreter, args.repeats)
        print(
            f"| {path.parent.name} | {exact:.2f} ms | {padded:.2f} ms "
            f"| {switching:.2f} ms | {resize:.2f} ms |",
            flush=True,
        )
    _common.print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
