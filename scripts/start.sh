#!/usr/bin/env bash
# Set up and run Gender Voice Detection on its embedded defaults: SQLite, django-q2's
# ORM broker and a local MLflow store under var/. Serves http://127.0.0.1:7860.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh
ensure_venv requirements.txt

python manage.py migrate --noinput
python manage.py collectstatic --noinput --verbosity 0
# A production model for each network: the bundled ones if none serves yet,
# else (bundled models missing or stale) train from the bundled dataset.
python manage.py bootstrap_models || true
if ! python manage.py shell -c "from training.registry import production_versions as p; raise SystemExit(0 if p() else 1)"; then
  python manage.py train --model-type all
fi

python manage.py setup_schedules

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-7860}"
python manage.py qcluster &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT INT TERM
echo "Gender Voice Detection on http://$HOST:$PORT (Ctrl-C to stop)"
export HOST PORT
gunicorn voiceproject.wsgi:application --config gunicorn.conf.py --no-control-socket &
web=$!
trap 'kill "$web" "$worker" 2>/dev/null; wait "$web" "$worker" 2>/dev/null' EXIT INT TERM
wait "$web"
