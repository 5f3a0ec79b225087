"""Queue training runs on django-q2: the one way every trigger starts training.

Training never runs in a web request. A queued run is a ``TrainingRun`` row plus a
django-q task that executes it in a fresh subprocess (TensorFlow is not fork-safe and
a subprocess returns its memory and can be killed cleanly).
"""

from __future__ import annotations

import logging

from django.db import transaction

from training.models import TrainingRun
from training.pipeline import training_run_create

log = logging.getLogger(__name__)

TASK = "training.tasks.execute_training_run"


def _enqueue(run_id: int) -> None:
    from django_q.tasks import async_task

    task_id = async_task(TASK, run_id, task_name=f"training-run-{run_id}")
    TrainingRun.objects.filter(pk=run_id).update(task_id=task_id or "")


def training_run_enqueue(
    *,
    trigger: str,
    model_type: str = "all",
    params: dict | None = None,
    dataset=None,
    reason: str = "",
    requested_by: str = "",
) -> TrainingRun:
    """Record a queued run and hand it to the queue once the row is committed.

    Raises ``ValueError`` for an unknown model type or training parameter.
    """
    run = training_run_create(
        trigger=trigger,
        model_type=model_type,
        params=params,
        dataset=dataset,
        reason=reason,
        requested_by=requested_by,
    )
    transaction.on_commit(lambda: _enqueue(run.pk))
    log.info("Queued %s: %s", run, reason)
    return run
