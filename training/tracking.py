"""MLflow bookkeeping for training runs, kept apart from the training itself.

Every call is best effort: when the tracking store is unreachable the run still
succeeds and records in the database what could not be logged.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

REGISTERED_MODEL_PREFIX = "gender-voice-"
PRODUCTION_ALIAS = "production"


def _client():
    # Fail fast on an unreachable server: MLflow's defaults retry for minutes.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    from mlflow.tracking import MlflowClient

    uri = settings.MLFLOW_TRACKING_URI
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _local_store() -> bool:
    return settings.MLFLOW_TRACKING_URI.startswith(("sqlite:", "file:", "/"))


def registered_name(model_type: str) -> str:
    return f"{REGISTERED_MODEL_PREFIX}{model_type}"


class Tracker:
    """One MLflow parent run per training run, a child run per network."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = settings.MLFLOW_ENABLED if enabled is None else enabled
        self.warnings: list[str] = []
        self.client = None
        self.parent_id = ""

    @contextmanager
    def _guard(self, what: str):
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - tracking must never fail training
            message = f"MLflow: could not {what}: {type(exc).__name__}: {exc}"
            log.warning(message)
            self.warnings.append(message[:500])
            if not self.parent_id:
                # The store was not reachable at the start: do not retry every call.
                self.enabled = False

    def _experiment_id(self) -> str:
        name = settings.MLFLOW_EXPERIMENT
        experiment = self.client.get_experiment_by_name(name)
        if experiment is not None:
            return experiment.experiment_id
        location = settings.MLFLOW_ARTIFACT_LOCATION if _local_store() else None
        return self.client.create_experiment(name, artifact_location=location)

    def start(self, run_name: str, params: dict) -> str:
        if not self.enabled:
            return ""
        with self._guard("start a run"):
            self.client = _client()
            experiment_id = self._experiment_id()
            run = self.client.create_run(experiment_id, run_name=run_name)
            self.parent_id = run.info.run_id
            self.experiment_id = experiment_id
            self.log_params(self.parent_id, params)
        return self.parent_id

    def start_child(self, model_type: str, params: dict) -> str:
        if not (self.enabled and self.parent_id):
            return ""
        with self._guard(f"start the {model_type} run"):
            run = self.client.create_run(
                self.experiment_id,
                run_name=model_type,
                tags={"mlflow.parentRunId": self.parent_id, "model_type": model_type},
            )
            self.log_params(run.info.run_id, dict(params, model_type=model_type))
            return run.info.run_id
        return ""

    def log_params(self, run_id: str, params: dict) -> None:
        from mlflow.entities import Param

        self.client.log_batch(
            run_id, params=[Param(k, str(v)[:500]) for k, v in sorted(params.items())]
        )

    def log_metrics(self, run_id: str, metrics: dict, step: int | None = None):
        if not (self.enabled and run_id):
            return
        import time

        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        values = [
            Metric(k, float(v), stamp, step or 0)
            for k, v in metrics.items()
            if isinstance(v, (int, float)) and v is not None
        ]
        with self._guard("log metrics"):
            self.client.log_batch(run_id, metrics=values)

    def log_artifacts(self, run_id: str, directory: Path, artifact_path: str):
        if not (self.enabled and run_id):
            return
        with self._guard(f"log {artifact_path}"):
            self.client.log_artifacts(run_id, str(directory), artifact_path)

    def register(self, run_id: str, model_type: str, artifact_path: str) -> str:
        """Register the logged artifact as a new version of the network's model."""
        if not (self.enabled and run_id):
            return ""
        with self._guard(f"register the {model_type} model"):
            from mlflow.exceptions import MlflowException

            name = registered_name(model_type)
            try:
                self.client.create_registered_model(name)
            except MlflowException:
                pass  # already registered
            source = f"{self.client.get_run(run_id).info.artifact_uri}/{artifact_path}"
            version = self.client.create_model_version(name, source, run_id=run_id)
            return str(version.version)
        return ""

    def finish(self, run_id: str, status: str = "FINISHED") -> None:
        if not (self.enabled and run_id):
            return
        with self._guard("close a run"):
            self.client.set_terminated(run_id, status=status)


def set_production_alias(version) -> None:
    """Mirror the database's production pointer as the MLflow alias, if registered."""
    if not (settings.MLFLOW_ENABLED and version.registered_version):
        return
    try:
        _client().set_registered_model_alias(
            registered_name(version.model_type),
            PRODUCTION_ALIAS,
            version.registered_version,
        )
    except Exception as exc:  # noqa: BLE001 - the database stays the source of truth
        log.warning("MLflow: could not move the production alias: %s", exc)
