"""Settings for Gender Voice Detection, read from the environment.

Every value has a working default for one machine: SQLite, django-q2's ORM broker and a
local MLflow store, all under the ignored ``var/`` folder. Set ``DATABASE_URL``,
``REDIS_URL`` or ``MLFLOW_TRACKING_URI`` to move a part elsewhere; nothing else changes.
"""

import json
from pathlib import Path

import dj_database_url

from voiceproject.env import envbool, envfloat, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", False)
# A development-only key: production must set SECRET_KEY.
SECRET_KEY = envstr("SECRET_KEY", "django-insecure-dev-only-gender-voice-detection")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "training",
    "predictions",
    "feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "voiceproject.middleware.ContentSecurityPolicyMiddleware",
    "voiceproject.middleware.DatabaseUnavailableMiddleware",
]

# --- Security ---------------------------------------------------------------------
# HTTPS=true behind a TLS-terminating proxy (a Hugging Face Space, a load balancer):
# secure cookies, HSTS, redirects to https. `manage.py check --deploy` is clean then.
HTTPS = envbool("HTTPS", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = HTTPS and envbool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Pages may be framed only by these origins (e.g. https://huggingface.co for a Space).
FRAME_ANCESTORS = envstr("FRAME_ANCESTORS", "'none'")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; "
    f"object-src 'none'; base-uri 'self'; form-action 'self'; "
    f"frame-ancestors {FRAME_ANCESTORS}"
)
CONTENT_SECURITY_POLICY_DOCS = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline'"
)

ROOT_URLCONF = "voiceproject.urls"
WSGI_APPLICATION = "voiceproject.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite in WAL mode by default; DATABASE_URL (e.g. postgres://...) selects another.
SQLITE_PATH = VAR_DIR / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Kept connections that reconnect when the file is removed or replaced.
    DATABASES["default"]["ENGINE"] = "voiceproject.sqlite_backend"
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"] = {
        "timeout": envfloat("SQLITE_TIMEOUT_S", 20.0),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A locked table or a dead connection fails fast (a 503), never hangs a worker.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": 5,
        "options": f"-c lock_timeout={envint('DB_LOCK_TIMEOUT_MS', 10_000)}",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}

# --- Audio input limits -----------------------------------------------------------
AUDIO_MAX_BYTES = envint("AUDIO_MAX_BYTES", 25 * 1024 * 1024)
AUDIO_MAX_DURATION_S = envfloat("AUDIO_MAX_DURATION_S", 600.0)
AUDIO_MIN_DURATION_S = envfloat("AUDIO_MIN_DURATION_S", 0.5)
DATA_UPLOAD_MAX_MEMORY_SIZE = AUDIO_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Models, datasets, reports ----------------------------------------------------
DEFAULT_DATASET = Path(
    envstr(
        "DEFAULT_DATASET",
        str(BASE_DIR / "data" / "raw" / "speechocean762-adults" / "manifest.csv"),
    )
)
PROCESSED_DIR = Path(envstr("PROCESSED_DIR", str(BASE_DIR / "data" / "processed")))
MODELS_ROOT = Path(envstr("MODELS_ROOT", str(VAR_DIR / "models")))
BUNDLED_MODELS_DIR = BASE_DIR / "models" / "bundled"
REPORTS_DIR = Path(envstr("REPORTS_DIR", str(BASE_DIR / "reports")))

# --- MLflow -----------------------------------------------------------------------
# A local SQLite store with an explicit artifact folder; MLFLOW_TRACKING_URI (for
# example a DagsHub repository) replaces it. Credentials come from MLflow's own
# variables (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD).
MLFLOW_DIR = Path(envstr("MLFLOW_DIR", str(VAR_DIR / "mlflow")))
MLFLOW_TRACKING_URI = envstr(
    "MLFLOW_TRACKING_URI", f"sqlite:///{MLFLOW_DIR / 'mlflow.db'}"
)
MLFLOW_ARTIFACT_LOCATION = envstr(
    "MLFLOW_ARTIFACT_LOCATION", (MLFLOW_DIR / "artifacts").as_uri()
)
MLFLOW_EXPERIMENT = envstr("MLFLOW_EXPERIMENT", "gender-voice-detection")
MLFLOW_ENABLED = envbool("MLFLOW_ENABLED", True)

# --- Predictions ------------------------------------------------------------------
# Below this calibrated confidence the answer is "uncertain" rather than a gender.
UNCERTAIN_BELOW = envfloat("UNCERTAIN_BELOW", 0.7)

# --- REST framework ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": envstr("ANON_THROTTLE_RATE", "120/min")},
    "EXCEPTION_HANDLER": "predictions.errors.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}
# At most this many files in one batch request.
BATCH_MAX_FILES = envint("BATCH_MAX_FILES", 10)
SPECTACULAR_SETTINGS = {
    "TITLE": "Gender Voice Detection API",
    "DESCRIPTION": (
        "Predict the gender of an adult voice, send feedback, manage models."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The Swagger UI's files come from drf-spectacular-sidecar: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "NetworkEnum": "training.models.ModelType",
        "ModelChoiceEnum": "predictions.serializers.MODEL_CHOICES",
    },
}

# --- Retraining ---------------------------------------------------------------------
# Consented feedback items that start a retrain (exactly one run per crossing).
FEEDBACK_RETRAIN_THRESHOLD = envint("FEEDBACK_RETRAIN_THRESHOLD", 20)
# Automatic runs (feedback, schedule, dataset, accuracy) train these networks with
# these parameters, e.g. AUTO_RETRAIN_PARAMS='{"epochs": 40}'.
AUTO_RETRAIN_MODEL_TYPE = envstr("AUTO_RETRAIN_MODEL_TYPE", "all")
AUTO_RETRAIN_PARAMS = json.loads(envstr("AUTO_RETRAIN_PARAMS", "{}"))
# Production accuracy below this (evaluation set or recent feedback) retrains.
ACCURACY_ALERT_BELOW = envfloat("ACCURACY_ALERT_BELOW", 0.95)
ACCURACY_FEEDBACK_DAYS = envint("ACCURACY_FEEDBACK_DAYS", 7)
ACCURACY_FEEDBACK_MIN = envint("ACCURACY_FEEDBACK_MIN", 20)
# Recordings without consented feedback are deleted after this many days.
RECORDING_RETENTION_DAYS = envint("RECORDING_RETENTION_DAYS", 30)
# A running training that shows no sign of life for this long is marked failed.
STALE_RUN_AFTER_S = envint("STALE_RUN_AFTER_S", 15 * 60)

# --- Notifications ----------------------------------------------------------------
# A Slack or Discord incoming webhook, and/or e-mail through Django's mail settings.
NOTIFY_WEBHOOK_URL = envstr("NOTIFY_WEBHOOK_URL")
NOTIFY_EMAILS = envlist("NOTIFY_EMAILS")
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "gender-voice@localhost")

# --- Background jobs (django-q2) ---------------------------------------------------
# The broker's retry must exceed the timeout, and the timeout the longest training run,
# or a long training job is delivered twice.
TRAINING_TIMEOUT_S = envint("TRAINING_TIMEOUT_S", 3 * 60 * 60)
REDIS_URL = envstr("REDIS_URL")
Q_CLUSTER = {
    "name": envstr("Q_CLUSTER_NAME", "gender-voice"),
    "workers": envint("Q_WORKERS", 1),
    "recycle": 20,
    "timeout": TRAINING_TIMEOUT_S,
    "retry": TRAINING_TIMEOUT_S + 15 * 60,
    "max_attempts": 1,
    "save_limit": 500,
    "catch_up": False,
    "orm": "default",
    "sync": envbool("Q_SYNC", False),
}
if REDIS_URL:
    del Q_CLUSTER["orm"]
    Q_CLUSTER["redis"] = REDIS_URL

# Throttling counts live in the cache: shared by every process once Redis is there.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
