"""Shared fixtures: isolated storage per test, tiny real datasets, a tiny real model."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings

DATASET_DIR = Path(django_settings.BASE_DIR) / "data" / "raw" / "speechocean762-adults"


def dataset_rows() -> list[dict]:
    with (DATASET_DIR / "manifest.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def write_manifest(folder: Path, speakers_per_gender: int, clips_per_speaker: int):
    """A manifest in ``folder`` pointing at real clips of the bundled dataset.

    Speakers are taken from the end of the sorted list so that they overlap little
    with the bundled models' training speakers.
    """
    folder.mkdir(parents=True, exist_ok=True)
    by_speaker: dict[tuple[str, str], list[dict]] = {}
    for row in dataset_rows():
        by_speaker.setdefault((row["gender"], row["speaker"]), []).append(row)
    chosen = []
    for gender in ("female", "male"):
        speakers = sorted(k for k in by_speaker if k[0] == gender)[
            -speakers_per_gender:
        ]
        for key in speakers:
            chosen += by_speaker[key][:clips_per_speaker]
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "speaker", "gender"])
        for row in chosen:
            target = os.path.relpath(DATASET_DIR / row["path"], folder)
            writer.writerow([target, row["speaker"], row["gender"]])
    return manifest


def real_clip(gender: str, index: int = 0) -> Path:
    rows = [r for r in dataset_rows() if r["gender"] == gender]
    return DATASET_DIR / rows[index]["path"]


@pytest.fixture(scope="session")
def mlflow_store_template(tmp_path_factory) -> Path:
    """An empty MLflow store with its tables made: creating them takes 1-2 s a store,
    copying this file takes milliseconds."""
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    client = MlflowClient(f"sqlite:///{path}", registry_uri=f"sqlite:///{path}")
    client.search_experiments()
    client.search_registered_models()
    return path


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path, mlflow_store_template):
    """Every test writes models, reports, media and MLflow runs under its tmp_path."""
    settings.MODELS_ROOT = tmp_path / "models"
    settings.REPORTS_DIR = tmp_path / "reports"
    settings.PROCESSED_DIR = tmp_path / "processed"
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "mlflow").mkdir()
    shutil.copyfile(mlflow_store_template, tmp_path / "mlflow" / "mlflow.db")
    settings.MLFLOW_TRACKING_URI = f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}"
    settings.MLFLOW_ARTIFACT_LOCATION = (tmp_path / "mlflow" / "artifacts").as_uri()
    settings.BUNDLED_MODELS_DIR = tmp_path / "bundled"
    # Tests do not run collectstatic: serve static files without the hashed manifest.
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        }
    }
    from training.serving import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def generous_anonymous_throttle(monkeypatch):
    """All tests are one anonymous address: only the throttling tests set a low rate.

    Without this, the suite's uploads would add up to the default 120 a minute.
    """
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "100000/min"})


@pytest.fixture(scope="session")
def tiny_manifest(tmp_path_factory) -> Path:
    """18 real clips: 3 speakers per gender, 3 clips each."""
    return write_manifest(tmp_path_factory.mktemp("tiny"), 3, 3)


TINY_TRAINING = {
    "epochs": 1,
    "units": 4,
    "augment_copies": 0,
    "batch_size": 16,
}


def train_tiny(manifest, model_type="gru", **params):
    """A real training run (tiny network, one epoch) recorded like any other."""
    from training.models import TrainingRun
    from training.pipeline import training_run_create, training_run_execute

    run = training_run_create(
        trigger=TrainingRun.Trigger.CLI,
        model_type=model_type,
        params=TINY_TRAINING | params,
        dataset=manifest,
    )
    return training_run_execute(run)


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory, tiny_manifest) -> Path:
    """A real (tiny) GRU artifact trained on real clips by the product's own code."""
    from training.datasets import load_manifest, speaker_split
    from training.fit import FitParams
    from training.trainer import prepare_data, save_network, train_network

    split = speaker_split(load_manifest(tiny_manifest))
    data = prepare_data(split, augment_copies=0, seed=1)
    params = FitParams(
        epochs=1,
        batch_size=16,
        learning_rate=1e-3,
        patience=1,
        min_delta=0.0,
        units=4,
        seed=1,
    )
    trained = train_network("gru", data, params)
    return save_network(
        tmp_path_factory.mktemp("artifact") / "gru",
        "gru",
        data,
        trained,
        training={"params": TINY_TRAINING, "dataset": str(tiny_manifest)},
    )


def install_version(artifact: Path, model_type: str = "gru", stage="production", **kw):
    """Copy an artifact under MODELS_ROOT and record a ModelVersion for it."""
    from training.models import ModelVersion, TrainingRun

    relative = f"{model_type}/{artifact.name}-{ModelVersion.objects.count() + 1}"
    target = Path(django_settings.MODELS_ROOT) / relative
    shutil.copytree(artifact, target)
    run = TrainingRun.objects.create(trigger="cli", status="succeeded")
    metrics = kw.pop("metrics", {"balanced_accuracy": 0.9, "log_loss": 0.3})
    return ModelVersion.objects.create(
        run=run,
        model_type=model_type,
        artifact_path=relative,
        stage=stage,
        metrics=metrics,
        **kw,
    )


@pytest.fixture
def production_model(db, trained_model_dir):
    return install_version(trained_model_dir)


@pytest.fixture
def webhook(settings):
    from tests.webhook_server import WebhookServer

    with WebhookServer() as server:
        settings.NOTIFY_WEBHOOK_URL = server.url
        yield server


def make_prediction(production, label="female", source="api"):
    """A stored recording and prediction for a real clip, as an upload makes them."""
    from predictions.services import prediction_create

    path = real_clip(label)
    _, predictions = prediction_create(source=path, filename=path.name, origin=source)
    return predictions[0]
