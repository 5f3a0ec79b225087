"""The django-q2 schedules of the product, recreated idempotently."""

from __future__ import annotations

from django.db import transaction

SCHEDULES = [
    {
        "name": "weekly-retrain",
        "func": "training.tasks.weekly_retrain",
        "schedule_type": "C",
        "cron": "0 0 * * 0",  # Sunday 00:00 UTC (TIME_ZONE is UTC)
    },
    {
        "name": "dataset-change-check",
        "func": "training.tasks.check_dataset",
        "schedule_type": "I",
        "minutes": 60,
    },
    {
        "name": "accuracy-check",
        "func": "training.tasks.check_accuracy",
        "schedule_type": "C",
        "cron": "30 1 * * *",
    },
    {
        "name": "feedback-threshold-check",
        "func": "training.tasks.check_feedback",
        "schedule_type": "I",
        "minutes": 30,
    },
    {
        "name": "stale-run-sweep",
        "func": "training.tasks.sweep_stale_runs",
        "schedule_type": "I",
        "minutes": 5,
    },
    {
        "name": "recording-retention-purge",
        "func": "feedback.tasks.purge_recordings",
        "schedule_type": "C",
        "cron": "0 2 * * *",
    },
]


@transaction.atomic
def schedules_setup() -> list[str]:
    """Create or update every schedule by name; returns the names."""
    from django_q.models import Schedule

    for spec in SCHEDULES:
        fields = {
            "func": spec["func"],
            "schedule_type": spec["schedule_type"],
            "cron": spec.get("cron"),
            "minutes": spec.get("minutes"),
            "repeats": -1,
        }
        Schedule.objects.update_or_create(name=spec["name"], defaults=fields)
    return [spec["name"] for spec in SCHEDULES]
