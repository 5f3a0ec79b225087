"""The retrain form: validated ranges, and a queued run that returns at once.

django-q2 hands a run to the queue in ``transaction.on_commit``; these tests capture
that callback without executing it (executing it would queue or run real training).
"""

import time

import pytest
from django.contrib.admin.models import ADDITION, LogEntry

from tests.test_admin_helpers import make_user
from training.models import TrainingRun

pytestmark = pytest.mark.django_db

URL = "/admin/training/trainingrun/retrain/"
VALID = {
    "model_type": "gru",
    "epochs": "25",
    "batch_size": "32",
    "learning_rate": "0.0005",
    "use_feedback": "yes",
}


@pytest.fixture
def operator(client):
    client.force_login(make_user("olga", operator=True))
    return client


def test_the_form_offers_every_model_type_and_the_default_parameters(operator):
    response = operator.get(URL)
    form = response.context["form"]
    assert [c[0] for c in form.fields["model_type"].choices] == [
        "all",
        "lstm",
        "rnn",
        "gru",
    ]
    html = response.content.decode()
    assert 'name="epochs" value="30" min="10" max="200"' in html
    assert 'name="batch_size" value="64" min="8" max="128"' in html
    assert 'value="no" required id="id_use_feedback_0" checked' in html


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("epochs", "9", "Epochs must be at least 10."),
        ("epochs", "201", "Epochs must be at most 200."),
        ("batch_size", "7", "Batch size must be at least 8."),
        ("batch_size", "129", "Batch size must be at most 128."),
        ("learning_rate", "0.00009", "Learning rate must be at least 0.0001."),
        ("learning_rate", "0.02", "Learning rate must be at most 0.01."),
        ("model_type", "transformer", "Select a valid choice."),
        ("use_feedback", "maybe", "Select a valid choice."),
        ("epochs", "", "This field is required."),
    ],
)
def test_the_form_refuses_a_value_out_of_range_with_a_clear_error(
    operator, django_capture_on_commit_callbacks, field, value, message
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = operator.post(URL, VALID | {field: value})
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not TrainingRun.objects.exists()
    assert callbacks == []


@pytest.mark.parametrize(
    "limits",
    [
        {"epochs": "10", "batch_size": "8", "learning_rate": "0.0001"},
        {"epochs": "200", "batch_size": "128", "learning_rate": "0.01"},
    ],
)
def test_the_form_accepts_the_limits_of_each_range(
    operator, django_capture_on_commit_callbacks, limits
):
    with django_capture_on_commit_callbacks(execute=False):
        response = operator.post(URL, VALID | limits)
    assert response.status_code == 302
    assert TrainingRun.objects.count() == 1


def test_a_valid_submit_queues_one_admin_run_with_its_parameters_at_once(
    operator, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = operator.post(URL, VALID)
    elapsed = time.monotonic() - started
    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.QUEUED
    assert run.trigger == TrainingRun.Trigger.ADMIN
    assert run.model_types == ["gru"]
    assert (
        run.params["epochs"],
        run.params["batch_size"],
        run.params["learning_rate"],
        run.params["use_feedback"],
    ) == (25, 32, 0.0005, True)
    assert run.reason == "requested in the admin"
    assert run.requested_by == "olga"
    assert len(callbacks) == 1  # the hand-over to django-q2, not executed here
    assert elapsed < 5
    assert response.status_code == 302
    assert response["Location"] == f"/admin/training/trainingrun/{run.pk}/change/"


def test_all_model_types_queue_the_three_networks(
    operator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        operator.post(URL, VALID | {"model_type": "all", "use_feedback": "no"})
    run = TrainingRun.objects.get()
    assert run.model_types == ["lstm", "rnn", "gru"]
    assert run.params["use_feedback"] is False


def test_a_queued_retrain_is_logged_with_who_asked(
    operator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        operator.post(URL, VALID)
    entry = LogEntry.objects.get()
    assert entry.user.username == "olga"
    assert entry.action_flag == ADDITION
    assert entry.object_id == str(TrainingRun.objects.get().pk)
    assert "Queued a retrain (GRU; 25 epochs" in entry.get_change_message()


def test_the_user_is_told_the_run_is_queued(
    operator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = operator.post(URL, VALID, follow=True)
    run = TrainingRun.objects.get()
    assert f"{run} is queued" in response.content.decode()


def test_the_runs_list_links_to_the_form_for_operators(operator):
    html = operator.get("/admin/training/trainingrun/").content.decode()
    assert f'href="{URL}" class="addlink" id="retrain-link"' in html
