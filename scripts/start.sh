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

# gunicorn and the django-q cluster side by side, as the container runs them: Ctrl-C
# or a TERM stops both.
export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-7860}"
echo "Gender Voice Detection on http://$HOST:$PORT (Ctrl-C to stop)"
exec docker/entrypoint.sh serve
