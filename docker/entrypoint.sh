#!/usr/bin/env bash
# How the container starts (the tests run it outside Docker the same way).
#
#   all     (default) prepare, then the django-q worker beside gunicorn, unless
#           RUN_WORKER=0: one container is what a Hugging Face Space runs.
#   web     prepare, then gunicorn only.
#   worker  the django-q cluster only, to scale it apart from the web processes
#           (start it once a web container has migrated the database).
#   serve   web and worker without preparing (scripts/start.sh prepares first).
#   other   any other arguments run as a command: `... python manage.py train`.
#
# Preparing is: migrations, static files, and the bundled models (models/bundled/,
# made by `manage.py train`) put into production where no model serves yet.
# gunicorn never gets --preload: TensorFlow is not fork-safe, so every worker
# process imports the application itself, after the fork.
set -euo pipefail
cd "$(dirname "$0")/.."

prepare() {
  if [ -z "${SECRET_KEY:-}" ]; then
    echo "entrypoint: SECRET_KEY is not set: using the development key." >&2
  fi
  python manage.py migrate --noinput
  python manage.py collectstatic --noinput --verbosity 0
  python manage.py bootstrap_models
  python manage.py setup_schedules
}

# gunicorn also reads ./gunicorn.conf.py (timeouts, logs, model warm-up per
# worker); the address and the number of workers are set here.
gunicorn_args=(
  voiceproject.wsgi:application
  --bind "${HOST:-0.0.0.0}:${PORT:-7860}"
  --workers "${WEB_WORKERS:-2}"
  # No control socket: nothing here uses it, and its default path is shared by
  # every gunicorn of the same user.
  --no-control-socket
)

# Web and worker side by side: a TERM or INT stops both, and when either one ends
# the other is stopped too, so that whatever supervises the container restarts it.
# Each runs in a session of its own, so that a Ctrl-C on a terminal reaches this
# script only, and each gets exactly one TERM from it: django-q2's cluster deadlocks
# in its signal handler when a second signal arrives while it handles the first.
serve_both() {
  setsid python manage.py qcluster &
  worker=$!
  setsid gunicorn "${gunicorn_args[@]}" &
  web=$!
  stopping=0
  stop() {
    if [ "$stopping" = 0 ]; then
      stopping=1
      kill -TERM "$web" "$worker" 2>/dev/null || true
    fi
  }
  trap stop TERM INT
  status=0
  wait -n || status=$?
  stop
  # A signal that arrives now interrupts `wait`: wait again until both are gone.
  until wait; do :; done
  exit "$status"
}

role="${1:-all}"
case "$role" in
  all)
    prepare
    if [ "${RUN_WORKER:-1}" = "0" ]; then
      exec gunicorn "${gunicorn_args[@]}"
    fi
    serve_both
    ;;
  web)
    prepare
    exec gunicorn "${gunicorn_args[@]}"
    ;;
  worker)
    exec python manage.py qcluster
    ;;
  serve)
    serve_both
    ;;
  *)
    exec "$@"
    ;;
esac
