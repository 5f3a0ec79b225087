"""gunicorn settings shared by scripts/start.sh, the container and the benchmarks.

Never preload the application: workers must not inherit a forked TensorFlow or
interpreter state. Each worker warms its own models after it starts.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '7860')}"
workers = int(os.environ.get("WEB_WORKERS", "2"))
timeout = 60
graceful_timeout = 20
preload_app = False
accesslog = "-" if os.environ.get("ACCESS_LOG", "1") == "1" else None


def post_worker_init(worker):
    from django.db import DatabaseError

    from training.serving import warm_up

    try:
        warmed = warm_up()
    except DatabaseError as exc:  # not migrated yet: the first request will say so
        worker.log.warning("No models warmed: %s", exc)
    else:
        worker.log.info("Warmed models: %s", ", ".join(warmed) or "none")
