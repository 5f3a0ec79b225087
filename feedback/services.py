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
