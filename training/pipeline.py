"""The training pipeline: data, features, networks, evaluation, artifacts, promotion.

Every default lives in :data:`DEFAULTS`; a run's whole configuration is that dict with
its overrides, stored on the ``TrainingRun`` row and logged to MLflow.
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from pathlib import Path
from typing import Callable

from django.conf import settings
from django.utils import timezone

from training import notifications, reports
from training.artifacts import artifact_size
from training.dataprep import ClipFeatures
from training.datasets import (
    Clip,
    Split,
    dataset_checksum,
    load_manifest,
    speaker_split,
)
from training.evaluation import beats
from training.models import ModelVersion, TrainingRun
from training.networks import MODEL_TYPES
from training.registry import artifact_dir, model_promote, production_version
from training.tracking import Tracker
from training.trainer import PreparedData, prepare_data, save_network, train_network

log = logging.getLogger(__name__)

DEFAULTS = {
    "epochs": 30,
    "batch_size": 64,
    "learning_rate": 1e-3,
    "patience": 3,
    "min_delta": 1e-3,
    "units": 48,
    "augment_copies": 1,
    "seed": 42,
    "eval_seed": 762,
    "test_fraction": 0.2,
    "validation_fraction": 0.15,
    "use_processed": False,
    "use_feedback": False,
    "promote": True,
}
# What an operator may ask for from the admin or the API: (lowest, highest).
RETRAIN_RANGES = {
    "epochs": (10, 200),
    "batch_size": (8, 128),
    "learning_rate": (0.0001, 0.01),
}

Progress = Callable[[str, int, int], None]
HEARTBEAT_EVERY_S = 5.0


class TrainingError(Exception):
    """The run cannot go on; the message says why."""


def training_config(overrides: dict | None = None) -> dict:
    unknown = set(overrides or {}) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"Unknown training parameter(s): {', '.join(sorted(unknown))}")
    return {**DEFAULTS, **(overrides or {})}


def resolve_model_types(model_type: str) -> list[str]:
    if model_type == "all":
        return list(MODEL_TYPES)
    if model_type not in MODEL_TYPES:
        raise ValueError(f"model type must be one of {', '.join(MODEL_TYPES)} or all")
    return [model_type]


def training_run_create(
    *,
    trigger: str,
    model_type: str = "all",
    params: dict | None = None,
    dataset: str | Path | None = None,
    reason: str = "",
    requested_by: str = "",
) -> TrainingRun:
    """Record a queued run; :func:`training_run_execute` does the work."""
    config = training_config(params)
    return TrainingRun.objects.create(
        trigger=trigger,
        reason=reason,
        model_types=resolve_model_types(model_type),
        params=config,
        dataset=_portable(Path(dataset or settings.DEFAULT_DATASET)),
        total_epochs=config["epochs"],
        requested_by=requested_by,
    )


def _portable(path: Path) -> str:
    """A path inside the project is stored relative to it, so records travel."""
    path = path.resolve()
    try:
        return str(path.relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)


def dataset_path(run: TrainingRun) -> Path:
    return Path(settings.BASE_DIR) / run.dataset  # an absolute path stays as it is


def _save(run: TrainingRun, *fields: str) -> None:
    run.save(update_fields=list(fields))


def training_run_execute(run: TrainingRun, *, progress: Progress | None = None):
    """Run a queued training run to its end; failures are recorded, never raised."""
    run.status = TrainingRun.Status.RUNNING
    run.started_at = timezone.now()
    run.error = ""
    _save(run, "status", "started_at", "error")
    tracker = Tracker()
    try:
        _execute(run, tracker, _with_heartbeat(run, progress))
    except Exception as exc:  # noqa: BLE001 - the run row must say what happened
        log.exception("Training run %s failed", run.pk)
        run.status = TrainingRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"[-20000:]
        tracker.finish(run.mlflow_run_id, "FAILED")
    else:
        run.status = TrainingRun.Status.SUCCEEDED
        tracker.finish(run.mlflow_run_id)
    run.finished_at = timezone.now()
    run.warnings = "\n".join(tracker.warnings)
    _save(run, "status", "error", "finished_at", "warnings")
    notifications.notify_run_finished(run)
    return run


def _with_heartbeat(run: TrainingRun, progress: Progress | None) -> Progress:
    """Pass progress on, and record a sign of life at most every few seconds."""
    last = [0.0]

    def report(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= HEARTBEAT_EVERY_S:
            last[0] = now
            TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
        if progress is not None:
            progress(stage, done, total)

    return report


def _prepare(run: TrainingRun, config: dict, progress: Progress) -> PreparedData:
    clips = load_manifest(dataset_path(run))
    split = speaker_split(
        clips,
        test_fraction=config["test_fraction"],
        validation_fraction=config["validation_fraction"],
        eval_seed=config["eval_seed"],
        seed=config["seed"],
    )
    run.dataset_checksum = dataset_checksum(clips)
    run.eval_speakers = sorted(split.speakers("test"))
    _save(run, "dataset_checksum", "eval_speakers")
    feedback_summary = {}
    if config["use_feedback"]:
        split, feedback_summary = with_feedback(split)
    data = prepare_data(
        split,
        augment_copies=config["augment_copies"],
        seed=config["seed"],
        cache_dir=settings.PROCESSED_DIR if config["use_processed"] else None,
        progress=progress,
    )
    run.data_summary = {
        "clips": len(clips),
        "speakers": {
            k: len(split.speakers(k)) for k in ("train", "validation", "test")
        },
        "clips_used": {
            k: len(getattr(split, k)) for k in ("train", "validation", "test")
        },
        "augmented_copies": config["augment_copies"],
        "skipped": [{"path": p, "error": e} for p, e in data.skipped[:50]],
        "skipped_count": len(data.skipped),
        "feedback": feedback_summary,
    }
    run.baseline_metrics = data.baseline_metrics()
    _save(run, "data_summary", "baseline_metrics")
    return data


def with_feedback(split: Split) -> tuple[Split, dict]:
    """Add the audio of consented feedback to the training side only.

    Each feedback recording counts as its own speaker, labelled with the corrected
    gender; a recording whose audio equals a validation or test clip is left out, so
    the evaluation speakers stay unseen.
    """
    from feedback.selectors import training_feedback_clips

    held_out = {c.sha256 for c in split.validation + split.test if c.sha256}
    extra, excluded = [], 0
    for item in training_feedback_clips():
        if item.sha256 in held_out or not item.path.is_file():
            excluded += 1
            continue
        extra.append(
            Clip(item.path, f"feedback-{item.recording_id}", item.gender, item.sha256)
        )
    summary = {"clips": len(extra), "excluded": excluded}
    return Split(split.train + extra, split.validation, split.test), summary


def _fit_params(config: dict):
    from training.fit import FitParams

    return FitParams(
        epochs=config["epochs"],
        batch_size=config["batch_size"],
        learning_rate=config["learning_rate"],
        patience=config["patience"],
        min_delta=config["min_delta"],
        units=config["units"],
        seed=config["seed"],
    )


def _execute(run: TrainingRun, tracker: Tracker, progress: Progress) -> None:
    config = training_config(run.params)
    data = _prepare(run, config, progress)
    run.mlflow_run_id = tracker.start(
        f"run-{run.pk}",
        config | {"dataset": run.dataset, "features": data.features.to_dict()},
    )
    _save(run, "mlflow_run_id")
    params = _fit_params(config)
    for model_type in run.model_types:
        child = tracker.start_child(model_type, config)
        run.current_model, run.current_epoch = model_type, 0
        run.history[model_type] = []
        _save(run, "current_model", "current_epoch", "history")

        def on_epoch(epoch, logs, model_type=model_type, child=child):
            run.current_epoch = epoch
            run.history[model_type].append({"epoch": epoch, **logs})
            _save(run, "current_epoch", "history")
            tracker.log_metrics(child, logs, step=epoch)
            progress(f"{model_type} epochs", epoch, params.epochs)

        progress(f"{model_type} epochs", 0, params.epochs)
        trained = train_network(model_type, data, params, on_epoch)
        version = _save_version(run, model_type, data, trained, config)
        run.metrics[model_type] = trained.metrics
        _save(run, "metrics")
        _track_version(tracker, child, run, version)
        if config["promote"]:
            _gate(run, version, data.test)
    reports.write_reports(run, Path(settings.REPORTS_DIR))


def _save_version(run, model_type, data, trained, config) -> ModelVersion:
    relative = f"{model_type}/run{run.pk}-{uuid.uuid4().hex[:8]}"
    directory = save_network(
        Path(settings.MODELS_ROOT) / relative,
        model_type,
        data,
        trained,
        training={
            "run": run.pk,
            "params": config,
            "dataset": run.dataset,
            "dataset_checksum": run.dataset_checksum,
            "eval_speakers": run.eval_speakers,
        },
    )
    return ModelVersion.objects.create(
        run=run,
        model_type=model_type,
        artifact_path=relative,
        metrics=trained.metrics,
        baseline_metrics=run.baseline_metrics,
        size_bytes=artifact_size(directory),
        n_parameters=int(trained.model.count_params()),
    )


def _track_version(tracker: Tracker, child: str, run, version: ModelVersion) -> None:
    if not child:
        return
    tracker.log_metrics(
        child,
        {f"test_{k}": v for k, v in version.metrics.items()}
        | {f"baseline_{k}": v for k, v in run.baseline_metrics.items()},
    )
    with reports.figures(run, version) as folder:
        tracker.log_artifacts(child, folder, "figures")
    tracker.log_artifacts(child, artifact_dir(version), "model")
    version.mlflow_run_id = child
    version.registered_version = tracker.register(child, version.model_type, "model")
    version.save(update_fields=["mlflow_run_id", "registered_version"])
    tracker.finish(child)


def _gate(run: TrainingRun, version: ModelVersion, test: ClipFeatures) -> None:
    """Promote only if the candidate beats production on this run's test speakers."""
    from training.inference import Predictor
    from training.scoring import score_clips

    incumbent = production_version(version.model_type)
    incumbent_metrics = None
    if incumbent is not None:
        try:
            predictor = Predictor.load(artifact_dir(incumbent), runtime="litert")
            scores = score_clips({"production": predictor}, test.clips)["production"]
            incumbent_metrics = scores.metrics()
        except Exception as exc:  # noqa: BLE001 - a broken incumbent loses the gate
            log.warning("Production %s could not be evaluated: %s", incumbent, exc)
    better, why = beats(version.metrics, incumbent_metrics)
    if better:
        model_promote(version=version, reason=why, actor=f"run {run.pk}")
        notifications.notify_promoted(version, why)
    line = (
        f"{version.model_type}: {'promoted' if better else 'kept production'} ({why})"
    )
    run.decision = "\n".join(filter(None, [run.decision, line]))
    _save(run, "decision")
