#!/usr/bin/env bash
# Lint and run the whole test suite. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh
ensure_venv requirements-dev.txt

black --check --quiet .
isort --check-only --quiet .
flake8
python -m pytest "$@"
