# syntax=docker/dockerfile:1
# Gender Voice Detection: gunicorn + whitenoise on port 7860 and the django-q worker
# in one container (what a Hugging Face Space runs); `worker` and `web` arguments
# separate them for scale (see docker-compose.yml and the README).

# --- builder: the pinned requirements in a virtualenv ----------------------------
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# Every pinned package ships a manylinux wheel: no compiler is needed here.
RUN /opt/venv/bin/pip install --no-cache-dir --requirement /tmp/requirements.txt

# --- runtime: the virtualenv, the code, a non-root user ---------------------------
FROM python:3.11-slim

# uid 1000 is the user a Hugging Face Space runs its container as.
RUN useradd --create-home --uid 1000 --user-group app

# Everything the application writes lives under /app/var (a volume in compose):
# the SQLite database, static files, media, models, MLflow's local store, reports.
# The code itself stays owned by root and read-only to the app user.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    VAR_DIR=/app/var \
    REPORTS_DIR=/app/var/reports \
    PROCESSED_DIR=/app/var/processed \
    NUMBA_CACHE_DIR=/app/.cache/numba \
    MPLCONFIGDIR=/app/.cache/matplotlib \
    PORT=7860 \
    ALLOWED_HOSTS=localhost,127.0.0.1,[::1],.hf.space \
    CSRF_TRUSTED_ORIGINS=https://*.hf.space

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# The production model: models/bundled/ holds LiteRT models that `manage.py train`
# made and exported with their held-out metrics; docker/entrypoint.sh installs them
# at start (`manage.py bootstrap_models`) wherever no model serves yet, and never
# replaces one that does. They are copied, not trained here: training at build
# time would take minutes and need TensorFlow's heavy path in every image build.
COPY . /app
RUN mkdir -p /app/var /app/.cache \
    && chown app:app /app/var /app/.cache

# The app user, by number: Kubernetes' runAsNonRoot can only check a numeric id.
USER 1000:1000
# librosa's first feature call compiles numba code for about 17 s: do it once here,
# into NUMBA_CACHE_DIR (site-packages is read-only to the app user).
RUN python -c "import numpy as np; from training.features import FeatureConfig, extract_features; t = np.arange(32000) / 16000; extract_features((0.3 * np.sin(2 * np.pi * 150 * t)).astype(np.float32), FeatureConfig())"

EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/health/' % os.environ.get('PORT', '7860'), timeout=8)"]
ENTRYPOINT ["docker/entrypoint.sh"]
CMD ["all"]
