"""django-q2 tasks: thin wrappers that call the services.

A training task claims its queued run, then executes it in a fresh subprocess
(``manage.py execute_training_run``): TensorFlow is never imported in the forked
queue worker, memory returns when training ends, and a killed or timed-out training
is noticed and recorded here.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from training.models import TrainingRun

log = logging.getLogger(__name__)


def _fail(run_id: int, error: str) -> None:
    from training.notifications import notify_run_finished

    updated = TrainingRun.objects.filter(
        pk=run_id, status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING]
    ).update(status=TrainingRun.Status.FAILED, error=error, finished_at=timezone.now())
    if updated:
        log.error("Training run %s failed: %s", run_id, error)
        notify_run_finished(TrainingRun.objects.get(pk=run_id))


def _die_with_parent() -> None:
    """In the child: be killed when the queue worker dies (Linux), so a killed worker
    never leaves an orphan training that could still change production."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def execute_training_run(run_id: int) -> str:
    now = timezone.now()
    claimed = TrainingRun.objects.filter(
        pk=run_id, status=TrainingRun.Status.QUEUED
    ).update(status=TrainingRun.Status.RUNNING, started_at=now, heartbeat_at=now)
    if not claimed:
        return f"run {run_id} was not queued: nothing to do"
    command = [
        sys.executable,
        str(settings.BASE_DIR / "manage.py"),
        "execute_training_run",
        str(run_id),
    ]
    # Leave a minute of the django-q timeout to record the outcome.
    timeout = max(settings.TRAINING_TIMEOUT_S - 60, 1)
    process = subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        _fail(run_id, f"Training timed out after {timeout} s and was stopped.")
        return "timed out"
    if code != 0:
        reason = (
            f"killed by signal {signal.Signals(-code).name}"
            if code < 0
            else f"exited with status {code}"
        )
        _fail(run_id, f"The training process {reason}; production is unchanged.")
    return TrainingRun.objects.get(pk=run_id).status


def sweep_stale_runs() -> int:
    """Mark failed the runs whose training process stopped giving signs of life."""
    cutoff = timezone.now() - timedelta(seconds=settings.STALE_RUN_AFTER_S)
    stale = TrainingRun.objects.filter(status=TrainingRun.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    ids = list(stale.values_list("pk", flat=True))
    for run_id in ids:
        _fail(
            run_id,
            f"No sign of life for {settings.STALE_RUN_AFTER_S} s: the worker "
            "stopped; production is unchanged.",
        )
    return len(ids)


def weekly_retrain() -> int:
    from training.triggers import weekly_retrain

    return weekly_retrain().pk


def check_dataset() -> int | None:
    from training.triggers import dataset_change_check

    run = dataset_change_check()
    return run.pk if run else None


def check_accuracy() -> int | None:
    from training.triggers import accuracy_check

    run = accuracy_check()
    return run.pk if run else None


def check_feedback() -> int | None:
    from training.triggers import feedback_threshold_check

    run = feedback_threshold_check()
    return run.pk if run else None
