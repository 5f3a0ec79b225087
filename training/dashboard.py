"""What the admin dashboard shows: reads only, never a write.

Each function answers one question the index page asks; ``dashboard`` gathers them.
Nothing here imports TensorFlow or touches model files.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from training.models import ModelType, ModelVersion, TrainingRun, TriggerState
from training.registry import production_versions

log = logging.getLogger(__name__)

DAYS = 14
# The django-q2 schedules that start training (the others only check conditions).
RETRAIN_SCHEDULE_FUNCS = ("training.tasks.weekly_retrain",)
# A run queued longer than this with nobody starting it suggests no worker runs.
QUEUED_TOO_LONG = timedelta(minutes=10)


def daily_counts(queryset, field: str, *, days: int = DAYS, today: date | None = None):
    """Rows of ``queryset`` per calendar day (current time zone), oldest day first."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    rows = (
        queryset.filter(**{f"{field}__date__gte": first})
        .annotate(day=TruncDate(field, tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("pk"))
    )
    counts = {row["day"]: row["n"] for row in rows}
    return [
        (first + timedelta(days=i), counts.get(first + timedelta(days=i), 0))
        for i in range(days)
    ]


def activity_per_day(*, days: int = DAYS) -> list[dict]:
    """Predictions and feedback per day over the last ``days`` days."""
    from feedback.selectors import feedback_list
    from predictions.selectors import prediction_list

    predictions = daily_counts(prediction_list(), "created_at", days=days)
    feedback = daily_counts(feedback_list(), "created_at", days=days)
    return [
        {"day": day, "predictions": n, "feedback": m}
        for (day, n), (_, m) in zip(predictions, feedback)
    ]


def production_models() -> list[dict]:
    """One row per network type: its production version (or None) and metrics."""
    by_type = {v.model_type: v for v in production_versions()}
    return [
        {
            "model_type": model_type,
            "label": label,
            "version": by_type.get(model_type),
            "metrics": by_type[model_type].metrics if model_type in by_type else {},
            "baseline": (
                by_type[model_type].baseline_metrics if model_type in by_type else {}
            ),
        }
        for model_type, label in ModelType.choices
    ]


def feedback_progress() -> dict:
    """Consented feedback collected toward the automatic retrain threshold.

    Counts what the feedback trigger will count: consented items after the one it
    last claimed (its ``TriggerState`` cursor); without a cursor, those created
    after the last feedback-triggered run, or all of them.
    """
    from feedback.selectors import consented_feedback

    threshold = getattr(settings, "FEEDBACK_RETRAIN_THRESHOLD", 20)
    consented = consented_feedback()
    state = TriggerState.objects.filter(name=TrainingRun.Trigger.FEEDBACK).first()
    last_run = (
        TrainingRun.objects.filter(trigger=TrainingRun.Trigger.FEEDBACK)
        .order_by("-created_at")
        .first()
    )
    if state is not None and state.cursor.isdigit():
        pending = consented.filter(pk__gt=int(state.cursor))
    elif last_run is not None:
        pending = consented.filter(created_at__gt=last_run.created_at)
    else:
        pending = consented
    count = pending.count()
    return {
        "count": count,
        "threshold": threshold,
        "percent": min(100, round(100 * count / threshold)) if threshold else 100,
        "last_run": last_run,
        "consented_total": consented.count(),
    }


def recent_runs(limit: int = 5) -> list[TrainingRun]:
    return list(TrainingRun.objects.order_by("-created_at")[:limit])


def last_finished_run() -> TrainingRun | None:
    return (
        TrainingRun.objects.filter(
            status__in=[TrainingRun.Status.SUCCEEDED, TrainingRun.Status.FAILED]
        )
        .order_by("-created_at")
        .first()
    )


def active_runs() -> list[TrainingRun]:
    return list(
        TrainingRun.objects.filter(
            status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING]
        ).order_by("created_at")
    )


def scheduled_tasks() -> dict:
    """The training schedules of django-q2 and the next one that trains."""
    from django_q.models import Schedule

    schedules = list(
        Schedule.objects.filter(func__startswith="training.").order_by("next_run")
    )
    retrains = [s for s in schedules if s.func in RETRAIN_SCHEDULE_FUNCS]
    return {"next_retrain": retrains[0] if retrains else None, "all": schedules}


def queue_health() -> dict:
    """Whether the django-q2 broker answers, and how much work waits in it."""
    from django_q.brokers import get_broker
    from django_q.models import Failure, Success

    health = {"ok": False, "broker": "", "queued": None, "in_progress": None}
    try:
        broker = get_broker()
        health["broker"] = type(broker).__name__
        health["ok"] = bool(broker.ping())
        health["queued"] = broker.queue_size()
        health["in_progress"] = broker.lock_size()
    except Exception as exc:  # noqa: BLE001 - the dashboard reports, never fails
        log.warning("Queue broker unreachable: %s", exc)
        health["error"] = f"{type(exc).__name__}: {exc}"
    last_success = Success.objects.order_by("-stopped").first()
    health["last_success"] = last_success.stopped if last_success else None
    since = timezone.now() - timedelta(days=1)
    health["failures_24h"] = Failure.objects.filter(stopped__gte=since).count()
    oldest = (
        TrainingRun.objects.filter(status=TrainingRun.Status.QUEUED)
        .order_by("created_at")
        .first()
    )
    health["stuck_run"] = (
        oldest
        if oldest is not None and timezone.now() - oldest.created_at > QUEUED_TOO_LONG
        else None
    )
    return health


def model_counts() -> dict:
    return {
        "versions": ModelVersion.objects.count(),
        "runs": TrainingRun.objects.count(),
        "failed_runs": TrainingRun.objects.filter(
            status=TrainingRun.Status.FAILED
        ).count(),
    }


def dashboard(*, days: int = DAYS) -> dict:
    activity = activity_per_day(days=days)
    return {
        "days": days,
        "production": production_models(),
        "activity": activity,
        "predictions_total": sum(row["predictions"] for row in activity),
        "feedback_total": sum(row["feedback"] for row in activity),
        "feedback_progress": feedback_progress(),
        "recent_runs": recent_runs(),
        "last_run": last_finished_run(),
        "active_runs": active_runs(),
        "schedules": scheduled_tasks(),
        "queue": queue_health(),
        "counts": model_counts(),
    }
