"""Reads of feedback for other apps: training reads feedback only through these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.db.models import QuerySet
from django.utils import timezone

from feedback.models import Feedback


@dataclass(frozen=True)
class FeedbackClip:
    path: Path
    gender: str
    sha256: str
    recording_id: int


def feedback_list() -> QuerySet[Feedback]:
    """Every feedback item, for counts and charts."""
    return Feedback.objects.all()


def consented_feedback() -> QuerySet[Feedback]:
    """The feedback whose audio people allowed us to train on."""
    return Feedback.objects.filter(consent_to_train=True)


def consented_feedback_ids_after(last_id: int) -> list[int]:
    return list(
        consented_feedback()
        .filter(pk__gt=last_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def training_feedback_clips() -> list[FeedbackClip]:
    """The audio of consented feedback, labelled with the corrected gender.

    One clip per recording (its latest consented answer wins); purged audio is gone.
    """
    clips: dict[int, FeedbackClip] = {}
    rows = (
        Feedback.objects.filter(
            consent_to_train=True, prediction__recording__purged_at__isnull=True
        )
        .exclude(prediction__recording__audio="")
        .select_related("prediction__recording")
        .order_by("created_at", "pk")
    )
    for feedback in rows:
        recording = feedback.prediction.recording
        clips[recording.pk] = FeedbackClip(
            path=Path(recording.audio.path),
            gender=feedback.true_gender,
            sha256=recording.sha256,
            recording_id=recording.pk,
        )
    return list(clips.values())


def recent_feedback_accuracy(days: int) -> tuple[int, float | None]:
    """(items, share judged correct) of feedback given in the last ``days``."""
    since = timezone.now() - timedelta(days=days)
    rows = Feedback.objects.filter(created_at__gte=since)
    total = rows.count()
    if not total:
        return 0, None
    return total, rows.filter(is_correct=True).count() / total
