"""Re-export the LiteRT file of model artifacts with the current exporter.

Artifacts exported before batched serving hold a fixed-batch-of-one model.tflite;
this rewrites it from the artifact's model.keras (same network, same answers) so
that its windows run in batches. In place, or into copies under --out (one folder
per network type, as models/bundled/ is laid out), which leaves the sources alone.

Usage: .venv/bin/python bench/refresh_tflite.py ARTIFACT_DIR... [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402,F401  (puts the project on sys.path)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("artifacts", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, help="write copies here instead")
    args = parser.parse_args(argv)

    from training.artifacts import read_meta, tflite_refresh

    for source in args.artifacts:
        target = source
        if args.out is not None:
            target = args.out / read_meta(source).model_type
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target)
        started = time.perf_counter()
        kind = tflite_refresh(target)
        print(f"{target}: {kind} export in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
