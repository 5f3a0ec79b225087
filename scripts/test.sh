#!/usr/bin/env bash
# Lint and run the whole test suite, twice: on the embedded defaults (SQLite and
# django-q2's ORM broker), then on PostgreSQL and Redis (127.0.0.1:5432 and :6379),
# starting them where they are installed but not running. `.ci/run` calls exactly this.
#
#   ./scripts/test.sh                 both passes
#   TEST_PASSES=defaults ./scripts/test.sh tests/test_features.py -x
#                                     one pass, extra arguments go to pytest
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

black --check .
isort --check-only .
flake8

PASSES="${TEST_PASSES:-defaults scale-out}"
POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/gvd}"
REDIS_TEST_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"

services_up() {
  python - "$POSTGRES_URL" "$REDIS_TEST_URL" <<'PY'
import sys

import psycopg
import redis

postgres, redis_url = sys.argv[1:]
try:
    psycopg.connect(postgres.rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
    redis.Redis.from_url(redis_url, socket_timeout=3).ping()
except Exception as exc:  # noqa: BLE001
    print(f"not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
PY
}

start_services() {
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start \
      2>/dev/null || true
  fi
  if command -v redis-server >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" \
      --appendonly no --dir /tmp >/dev/null || true
  fi
  for _ in $(seq 1 20); do services_up 2>/dev/null && return 0; sleep 0.5; done
  return 1
}

for pass in $PASSES; do
  case "$pass" in
    defaults)
      echo "== Test suite on the embedded defaults: SQLite, django-q2 ORM broker"
      env -u DATABASE_URL -u REDIS_URL python -m pytest "$@"
      ;;
    scale-out)
      if ! services_up 2>/dev/null && ! start_services; then
        if [ -n "${CI:-}" ]; then
          echo "PostgreSQL and Redis are required in CI" >&2
          exit 1
        fi
        echo "== Skipping the PostgreSQL + Redis pass: services not reachable" >&2
        continue
      fi
      # The test Redis database starts empty: no queue left by an earlier run.
      python -c "import redis, sys; redis.Redis.from_url(sys.argv[1]).flushdb()" \
        "$REDIS_TEST_URL"
      echo "== Test suite on PostgreSQL ($POSTGRES_URL) and Redis ($REDIS_TEST_URL)"
      DATABASE_URL="$POSTGRES_URL" REDIS_URL="$REDIS_TEST_URL" python -m pytest "$@"
      ;;
    *) echo "unknown pass: $pass" >&2; exit 2 ;;
  esac
done
