"""WSGI entry point. TensorFlow is never imported here: gunicorn forks workers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceproject.settings")
application = get_wsgi_application()
