"""/api/training-runs/: staff read runs; model operators queue them."""

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token

from training.models import TrainingRun

pytestmark = pytest.mark.django_db

URL = "/api/training-runs/"


def staff(can_train: bool) -> User:
    user = User.objects.create_user("op" if can_train else "viewer", is_staff=True)
    if can_train:
        user.user_permissions.add(Permission.objects.get(codename="start_training"))
    return user


def token_header(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}


def start(client, headers, **data):
    body = {
        "model_type": "gru",
        "epochs": 20,
        "batch_size": 32,
        "learning_rate": 0.001,
    } | data
    return client.post(URL, body, content_type="application/json", **headers)


def test_an_operator_with_a_token_queues_a_run_that_returns_at_once(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = start(client, token_header(staff(can_train=True)))
    assert response.status_code == 202
    run = TrainingRun.objects.get()
    assert (run.trigger, run.status, run.model_types) == ("api", "queued", ["gru"])
    assert run.params["epochs"] == 20 and run.requested_by == "op"
    assert len(callbacks) == 1  # the hand-over to the queue, after commit


def test_staff_without_the_permission_cannot_start_training(client):
    response = start(client, token_header(staff(can_train=False)))
    assert response.status_code == 403
    assert "start a training run" in response.json()["detail"]
    assert not TrainingRun.objects.exists()


def test_anonymous_clients_cannot_see_or_start_runs(client):
    assert client.get(URL).status_code in (401, 403)
    assert start(client, {}).status_code in (401, 403)


@pytest.mark.parametrize(
    "field, value",
    [
        ("epochs", 5),
        ("epochs", 201),
        ("batch_size", 256),
        ("learning_rate", 0.5),
        ("model_type", "cnn"),
    ],
)
def test_parameters_out_of_range_are_refused(client, field, value):
    response = start(client, token_header(staff(can_train=True)), **{field: value})
    assert response.status_code == 400
    assert field in response.json()["detail"]


def test_staff_read_runs_with_progress(client):
    TrainingRun.objects.create(
        trigger="admin",
        status="running",
        current_model="gru",
        current_epoch=3,
        total_epochs=10,
    )
    client.force_login(staff(can_train=False))
    run = client.get(URL).json()[0]
    assert (run["current_model"], run["current_epoch"], run["total_epochs"]) == (
        "gru",
        3,
        10,
    )
    assert client.get(f"{URL}{run['id']}/").json()["status"] == "running"
