"""Writes for feedback."""

from __future__ import annotations

from feedback.models import Feedback
from predictions.models import Prediction


class FeedbackError(ValueError):
    """Feedback that contradicts itself or the prediction."""


def feedback_create(
    *,
    prediction: Prediction,
    true_gender: str,
    is_correct: bool | None = None,
    comment: str = "",
    consent_to_train: bool = False,
) -> Feedback:
    """Record a correction. ``is_correct`` is derived when not given.

    A person may say "correct" only when the prediction named a gender, and that
    gender must be the one they give.
    """
    if true_gender not in Feedback.Gender.values:
        raise FeedbackError("true_gender must be 'female' or 'male'.")
    derived = prediction.label == true_gender
    if is_correct is None:
        is_correct = derived
    elif is_correct != derived:
        raise FeedbackError(
            f"The prediction was '{prediction.label}'; with true gender "
            f"'{true_gender}' it is {'correct' if derived else 'not correct'}."
        )
    return Feedback.objects.create(
        prediction=prediction,
        true_gender=true_gender,
        is_correct=is_correct,
        comment=comment.strip()[:2000],
        consent_to_train=consent_to_train,
    )


def recordings_purge(*, older_than_days: int) -> int:
    """Delete the audio of old recordings that nobody consented to train on.

    The recording and prediction rows stay (they are statistics); the audio goes.
    """
    from datetime import timedelta

    from django.utils import timezone

    from predictions.models import Recording

    cutoff = timezone.now() - timedelta(days=older_than_days)
    stale = (
        Recording.objects.filter(uploaded_at__lt=cutoff, purged_at__isnull=True)
        .exclude(predictions__feedback__consent_to_train=True)
        .exclude(audio="")
    )
    purged = 0
    for recording in stale:
        recording.audio.delete(save=False)
        recording.purged_at = timezone.now()
        recording.save(update_fields=["audio", "purged_at"])
        purged += 1
    return purged
