"""django-q2 tasks of the feedback app."""

from django.conf import settings

from feedback.services import recordings_purge


def purge_recordings() -> int:
    return recordings_purge(older_than_days=settings.RECORDING_RETENTION_DAYS)
