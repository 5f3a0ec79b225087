"""The training runs admin: list, live progress, read-only detail with charts."""

import pytest
from django.contrib.admin.models import LogEntry

from tests.test_admin_helpers import make_run, make_user, make_version
from training.models import TrainingRun

pytestmark = pytest.mark.django_db

LIST = "/admin/training/trainingrun/"


@pytest.fixture
def operator(client):
    client.force_login(make_user("olga", operator=True))
    return client


@pytest.fixture
def superuser(client):
    client.force_login(make_user("root", superuser=True))
    return client


def finished_run(**fields):
    history = {
        "gru": [
            {
                "epoch": e,
                "loss": 1 / e,
                "val_loss": 1.2 / e,
                "accuracy": 0.6 + e / 20,
                "val_accuracy": 0.55 + e / 20,
            }
            for e in range(1, 6)
        ]
    }
    metrics = {
        "gru": {
            "accuracy": 0.95,
            "balanced_accuracy": 0.9432,
            "confusion_matrix": [[91, 9], [5, 155]],
        },
        "lstm": {"accuracy": 0.9, "balanced_accuracy": 0.8811},
    }
    values = {
        "trigger": TrainingRun.Trigger.ADMIN,
        "reason": "requested in the admin",
        "model_types": ["lstm", "gru"],
        "params": {
            "epochs": 40,
            "batch_size": 32,
            "learning_rate": 0.0005,
            "use_feedback": True,
        },
        "history": history,
        "metrics": metrics,
        "baseline_metrics": {"balanced_accuracy": 0.9},
        "data_summary": {"clips": 1280, "speakers": {"train": 42}},
        "decision": "gru: promoted (balanced accuracy 0.9432 > 0.9100)",
        "warnings": "MLflow: could not log a figure",
        "requested_by": "olga",
    }
    return make_run(**(values | fields))


def test_the_runs_list_shows_status_trigger_parameters_and_best_accuracy(operator):
    finished_run()
    html = operator.get(LIST).content.decode()
    assert "gv-status-succeeded" in html
    assert "admin request" in html
    assert "requested in the admin" in html
    assert "LSTM, GRU" in html
    assert "40 epochs · batch 32 · lr 0.0005 · + feedback" in html
    assert "0.9432 (gru)" in html


def test_a_running_run_shows_its_epoch_progress_in_the_list(operator):
    make_run(
        status=TrainingRun.Status.RUNNING,
        current_model="gru",
        current_epoch=3,
        total_epochs=10,
    )
    html = operator.get(LIST).content.decode()
    assert "epoch 3 of 10 (gru)" in html
    assert '<progress max="10" value="3">' in html


def test_a_queued_run_says_it_waits_for_a_worker(operator):
    make_run(status=TrainingRun.Status.QUEUED)
    assert "waiting for a worker" in operator.get(LIST).content.decode()


@pytest.mark.parametrize("status", ["queued", "running"])
def test_the_runs_list_refreshes_itself_while_a_run_is_active(operator, status):
    make_run(status=status)
    html = operator.get(LIST).content.decode()
    assert 'admin-extra/autorefresh.js" data-seconds="5"' in html
    assert "refreshes every 5 s" in html


def test_the_runs_list_does_not_refresh_when_no_run_is_active(operator):
    make_run(status=TrainingRun.Status.SUCCEEDED)
    make_run(status=TrainingRun.Status.FAILED)
    assert "autorefresh.js" not in operator.get(LIST).content.decode()


def test_the_run_page_draws_learning_curves_as_inline_svg(operator):
    run = finished_run()
    html = operator.get(f"{LIST}{run.pk}/change/").content.decode()
    curves = html[html.index("field-learning_curves") :]
    assert 'aria-label="GRU loss per epoch"' in curves
    assert 'aria-label="GRU accuracy per epoch"' in curves
    assert "<polyline" in curves


def test_the_run_page_draws_a_confusion_matrix_per_model(operator):
    run = finished_run()
    html = operator.get(f"{LIST}{run.pk}/change/").content.decode()
    assert 'aria-label="GRU confusion matrix"' in html
    assert "true male, predicted female: 9 (9%)" in html
    assert "true female, predicted female: 155 (97%)" in html


def test_the_run_page_shows_decision_warnings_and_data_summary(operator):
    run = finished_run()
    html = operator.get(f"{LIST}{run.pk}/change/").content.decode()
    assert "gru: promoted (balanced accuracy 0.9432 &gt; 0.9100)" in html
    assert "MLflow: could not log a figure" in html
    assert "&quot;clips&quot;: 1280" in html


def test_a_failed_runs_page_shows_the_error_text(operator):
    run = make_run(
        status=TrainingRun.Status.FAILED, error="TrainingError: no clips <decoded>"
    )
    html = operator.get(f"{LIST}{run.pk}/change/").content.decode()
    assert "TrainingError: no clips &lt;decoded&gt;" in html


def test_the_run_page_links_the_versions_it_produced(operator):
    run = finished_run()
    version = make_version("gru", run=run)
    html = operator.get(f"{LIST}{run.pk}/change/").content.decode()
    assert f'/admin/training/modelversion/{version.pk}/change/"' in html


def test_the_run_page_links_to_an_mlflow_server(operator, settings):
    settings.MLFLOW_TRACKING_URI = "https://dagshub.com/someone/voice.mlflow"
    run = finished_run(mlflow_run_id="abc123")
    html = operator.get(f"{LIST}{run.pk}/change/").content.decode()
    assert 'href="https://dagshub.com/someone/voice.mlflow/#/runs/abc123"' in html


def test_the_run_page_shows_the_mlflow_run_id_for_a_local_store(operator):
    run = finished_run(mlflow_run_id="abc123")
    html = operator.get(f"{LIST}{run.pk}/change/").content.decode()
    assert "<code>abc123</code>" in html
    assert "#/runs/abc123" not in html


def test_the_run_page_is_read_only_even_for_a_superuser(superuser):
    run = finished_run()
    page = superuser.get(f"{LIST}{run.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert superuser.post(f"{LIST}{run.pk}/change/", {"reason": "x"}).status_code == 403
    assert superuser.get(f"{LIST}add/").status_code == 403
    assert superuser.post(f"{LIST}{run.pk}/delete/", {"post": "yes"}).status_code == 403
    run.refresh_from_db()
    assert run.reason == "requested in the admin"


def test_retrain_with_these_parameters_prefills_the_form(operator):
    run = finished_run()
    response = operator.post(
        LIST,
        {"action": "retrain_with_these_parameters", "_selected_action": [run.pk]},
        follow=True,
    )
    form = response.context["form"]
    assert response.request["PATH_INFO"] == "/admin/training/trainingrun/retrain/"
    assert form.initial == {
        "model_type": "all",
        "epochs": 40,
        "batch_size": 32,
        "learning_rate": 0.0005,
        "use_feedback": "yes",
    }
    assert TrainingRun.objects.count() == 1


def test_retrain_with_these_parameters_keeps_a_single_model_type(operator):
    run = make_run(model_types=["rnn"])
    response = operator.get(f"{LIST}retrain/?from_run={run.pk}")
    assert response.context["form"].initial["model_type"] == "rnn"


def test_retrain_with_these_parameters_needs_exactly_one_run(operator):
    runs = [make_run(), make_run()]
    response = operator.post(
        LIST,
        {
            "action": "retrain_with_these_parameters",
            "_selected_action": [r.pk for r in runs],
        },
        follow=True,
    )
    assert "Select exactly one run" in response.content.decode()
    assert TrainingRun.objects.count() == 2
    assert not LogEntry.objects.exists()
