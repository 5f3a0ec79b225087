#!/usr/bin/env bash
# Lint and run the whole test suite. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh
ensure_venv requirements-dev.txt

# Browser tests drive Debian's Chromium (Playwright never downloads a browser here).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian's chromium for the browser tests"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ -n "${CI:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "chromium is required in CI for the browser tests" >&2
  exit 1
fi

black --check --quiet .
isort --check-only --quiet .
flake8
python -m pytest "$@"
