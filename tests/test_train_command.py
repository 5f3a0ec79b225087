"""`manage.py train` end to end on a tiny real dataset with one epoch."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from training.models import ModelVersion, TrainingRun
from training.registry import artifact_dir, production_version

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def train(tiny_manifest):
    def run(**options):
        args = {
            "data": str(tiny_manifest),
            "model_type": "gru",
            "epochs": 1,
            "units": 4,
            "augment_copies": 0,
            "batch_size": 16,
        } | options
        call_command("train", **args)
        return TrainingRun.objects.latest("pk")

    return run


def test_train_records_a_succeeded_run_with_its_configuration(train):
    run = train()
    assert run.status == TrainingRun.Status.SUCCEEDED
    assert run.params["epochs"] == 1 and run.params["units"] == 4
    assert run.trigger == TrainingRun.Trigger.CLI
    assert [h["epoch"] for h in run.history["gru"]] == [1]
    assert run.started_at <= run.finished_at


def test_train_holds_out_whole_speakers_for_the_test_metrics(train):
    run = train()
    assert run.data_summary["speakers"] == {"train": 2, "validation": 2, "test": 2}
    assert run.metrics["gru"]["clips"] == 6
    assert run.metrics["gru"]["speakers"] == 2 == len(run.eval_speakers)
    assert "balanced_accuracy" in run.baseline_metrics


def test_train_saves_a_servable_artifact_for_each_network(train):
    run = train(model_type="all")
    versions = ModelVersion.objects.filter(run=run)
    assert sorted(v.model_type for v in versions) == ["gru", "lstm", "rnn"]
    for version in versions:
        files = {p.name for p in artifact_dir(version).iterdir()}
        assert {"meta.json", "model.keras", "model.tflite"} <= files
        assert version.size_bytes > 0 and version.n_parameters > 0


def test_the_first_trained_model_becomes_production(train):
    run = train()
    version = production_version("gru")
    assert version.run == run
    assert "promoted (no production model yet)" in run.decision


def test_no_promote_leaves_production_untouched(train):
    first = train()
    train(no_promote=True)
    assert production_version("gru").run == first
    assert ModelVersion.objects.filter(stage="candidate").count() == 1


def test_train_logs_an_mlflow_run_with_curves_and_a_registered_model(
    train, django_capture_on_commit_callbacks
):
    from mlflow.tracking import MlflowClient

    with django_capture_on_commit_callbacks(execute=True):
        run = train()
    version = ModelVersion.objects.get(run=run)
    client = MlflowClient(settings.MLFLOW_TRACKING_URI)
    child = client.get_run(version.mlflow_run_id)
    assert child.data.tags["mlflow.parentRunId"] == run.mlflow_run_id
    assert child.data.params["epochs"] == "1"
    assert "test_balanced_accuracy" in child.data.metrics
    assert len(client.get_metric_history(child.info.run_id, "loss")) == 1
    figures = {a.path for a in client.list_artifacts(child.info.run_id, "figures")}
    assert figures == {"figures/confusion_matrix.png", "figures/learning_curves.png"}
    registered = client.get_model_version_by_alias("gender-voice-gru", "production")
    assert str(registered.version) == version.registered_version


def test_train_writes_metrics_files_and_a_comparison_table(train):
    train(model_type="all")
    reports = Path(settings.REPORTS_DIR)
    metrics = json.loads((reports / "gru" / "metrics.json").read_text())
    assert metrics["metrics"]["clips"] == 6
    table = (reports / "comparison.md").read_text()
    assert "| Model | Accuracy | Balanced accuracy | Precision | Recall |" in table
    for row in ("| GRU |", "| LSTM |", "| RNN |", "| Pitch baseline"):
        assert row in table


def test_train_records_a_failed_run_when_the_data_is_unusable(train, tmp_path):
    (tmp_path / "manifest.csv").write_text("path,speaker,gender\n")
    with pytest.raises(CommandError, match="lists no clips"):
        train(data=str(tmp_path / "manifest.csv"))
    run = TrainingRun.objects.latest("pk")
    assert run.status == TrainingRun.Status.FAILED
    assert "lists no clips" in run.error
    assert not ModelVersion.objects.exists()


def test_train_still_succeeds_when_the_mlflow_store_is_unreachable(
    train, settings, monkeypatch
):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    settings.MLFLOW_TRACKING_URI = "http://127.0.0.1:9/"
    run = train()
    assert run.status == TrainingRun.Status.SUCCEEDED
    assert "MLflow: could not" in run.warnings
    assert production_version("gru").run == run
