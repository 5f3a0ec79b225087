"""Who reaches which admin page: staff only, and permissions for what changes things."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.test_admin_helpers import (
    make_feedback,
    make_run,
    make_user,
    make_version,
)
from training.models import ModelVersion, TrainingRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    client.force_login(make_user("olga", operator=True))
    return client


@pytest.fixture
def viewer(client):
    """Staff who may look at everything but neither train nor change production."""
    perms = (
        "training.view_trainingrun",
        "training.view_modelversion",
        "feedback.view_feedback",
    )
    client.force_login(make_user("vera", perms=perms))
    return client


@pytest.fixture
def bare_staff(client):
    client.force_login(make_user("sam"))
    return client


def test_the_migration_creates_the_model_operators_group_with_its_permissions():
    group = Group.objects.get(name="Model operators")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"start_training", "change_production"} <= codenames
    assert {
        "view_trainingrun",
        "view_modelversion",
        "view_feedback",
        "view_prediction",
        "view_recording",
    } <= codenames
    editing = {c for c in codenames if c.startswith(("add_", "change_", "delete_"))}
    assert editing == {"change_production"}


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/training/trainingrun/",
        "/admin/training/trainingrun/retrain/",
        "/admin/training/modelversion/compare/?ids=1",
        "/admin/feedback/feedback/",
        "/admin/feedback/feedback/1/audio/",
    ],
)
def test_a_user_who_is_not_staff_is_sent_to_the_login_page(client, url):
    client.force_login(make_user("nina", staff=False))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/admin/training/trainingrun/retrain/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_permissions_sees_no_dashboard(bare_staff):
    response = bare_staff.get("/admin/")
    assert response.status_code == 200
    assert b'id="gv-dashboard"' not in response.content


@pytest.mark.parametrize(
    "url",
    [
        "/admin/training/trainingrun/",
        "/admin/training/modelversion/",
        "/admin/feedback/feedback/",
        "/admin/predictions/recording/",
    ],
)
def test_staff_without_view_permission_is_refused_the_lists(bare_staff, url):
    assert bare_staff.get(url).status_code == 403


def test_staff_without_start_training_is_refused_the_retrain_form(viewer):
    assert viewer.get("/admin/training/trainingrun/retrain/").status_code == 403
    response = viewer.post(
        "/admin/training/trainingrun/retrain/",
        {
            "model_type": "gru",
            "epochs": 20,
            "batch_size": 32,
            "learning_rate": 0.001,
            "use_feedback": "no",
        },
    )
    assert response.status_code == 403
    assert not TrainingRun.objects.exists()


def test_staff_without_start_training_sees_no_retrain_button(viewer):
    response = viewer.get("/admin/training/trainingrun/")
    assert response.status_code == 200
    assert b"retrain-link" not in response.content


def test_staff_without_start_training_cannot_run_the_retrain_action(viewer):
    run = make_run()
    response = viewer.post(
        "/admin/training/trainingrun/",
        {"action": "retrain_with_these_parameters", "_selected_action": [run.pk]},
    )
    assert "retrain" not in response.get("Location", "")
    assert TrainingRun.objects.count() == 1


def test_staff_without_change_production_is_refused_a_promotion(viewer):
    version = make_version()
    url = reverse("admin:training_modelversion_promote", args=[version.pk])
    assert viewer.get(url).status_code == 403
    assert viewer.post(url, {"confirm": "yes"}).status_code == 403
    version.refresh_from_db()
    assert version.stage == ModelVersion.Stage.CANDIDATE


def test_staff_without_change_production_is_refused_a_rollback(viewer):
    old = make_version(stage=ModelVersion.Stage.ARCHIVED)
    current = make_version(stage=ModelVersion.Stage.PRODUCTION, replaced=old)
    url = reverse("admin:training_modelversion_rollback", args=["gru"])
    assert viewer.post(url, {"confirm": "yes"}).status_code == 403
    current.refresh_from_db()
    assert current.stage == ModelVersion.Stage.PRODUCTION


def test_staff_without_change_production_sees_no_promote_action(viewer):
    make_version()
    response = viewer.get("/admin/training/modelversion/")
    choices = dict(response.context["action_form"].fields["action"].choices)
    assert "compare_selected" in choices
    assert "promote_selected" not in choices
    assert "roll_back_selected" not in choices


def test_staff_without_start_training_cannot_retrain_from_feedback(viewer):
    feedback = make_feedback()
    response = viewer.post(
        "/admin/feedback/feedback/",
        {
            "action": "retrain_with_feedback",
            "_selected_action": [feedback.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not TrainingRun.objects.filter(trigger="admin").exists()


def test_a_model_operator_opens_every_admin_page(operator):
    run = make_run()
    version = make_version(run=run)
    feedback = make_feedback()
    pages = [
        "/admin/",
        "/admin/training/trainingrun/",
        f"/admin/training/trainingrun/{run.pk}/change/",
        "/admin/training/trainingrun/retrain/",
        "/admin/training/modelversion/",
        f"/admin/training/modelversion/{version.pk}/change/",
        f"/admin/training/modelversion/compare/?ids={version.pk}",
        f"/admin/training/modelversion/{version.pk}/promote/",
        "/admin/training/modelversion/rollback/gru/",
        "/admin/feedback/feedback/",
        f"/admin/feedback/feedback/{feedback.pk}/change/",
        f"/admin/feedback/feedback/{feedback.pk}/audio/",
        "/admin/predictions/recording/",
        "/admin/predictions/prediction/",
    ]
    statuses = {page: operator.get(page).status_code for page in pages}
    assert statuses == {page: 200 for page in pages}
