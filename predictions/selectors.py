"""Reads of predictions for other apps (the admin dashboard counts them)."""

from __future__ import annotations

from django.db.models import QuerySet

from predictions.models import Prediction


def prediction_list() -> QuerySet[Prediction]:
    """Every prediction, for counts and charts."""
    return Prediction.objects.all()
