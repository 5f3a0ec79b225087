"""The model versions admin: compare, promote and roll back with a confirmation."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse

from tests.test_admin_helpers import make_run, make_user, make_version
from training.models import ModelVersion

pytestmark = pytest.mark.django_db

LIST = "/admin/training/modelversion/"
PRODUCTION = ModelVersion.Stage.PRODUCTION
ARCHIVED = ModelVersion.Stage.ARCHIVED
CANDIDATE = ModelVersion.Stage.CANDIDATE


@pytest.fixture
def operator(client):
    client.force_login(make_user("olga", operator=True))
    return client


def promote_url(version):
    return reverse("admin:training_modelversion_promote", args=[version.pk])


def test_the_versions_list_shows_metrics_baseline_and_size(operator):
    make_version(metrics={"balanced_accuracy": 0.9321, "accuracy": 0.9456})
    html = operator.get(LIST).content.decode()
    assert "0.9321" in html
    assert "0.9456" in html
    assert "0.9000" in html  # the pitch baseline's balanced accuracy
    assert "120.6\xa0KB" in html


def test_the_versions_list_filters_by_type_and_stage(operator):
    make_version("lstm", PRODUCTION)
    make_version("gru", CANDIDATE)
    response = operator.get(
        LIST, {"model_type__exact": "lstm", "stage__exact": PRODUCTION}
    )
    assert [v.model_type for v in response.context["cl"].result_list] == ["lstm"]


def test_compare_selected_opens_a_side_by_side_table(operator):
    first, second = make_version(), make_version("lstm")
    response = operator.post(
        LIST,
        {"action": "compare_selected", "_selected_action": [first.pk, second.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}compare/?ids={first.pk}%2C{second.pk}"


def test_the_compare_page_shows_both_versions_with_their_metrics_and_data(operator):
    run = make_run(
        data_summary={
            "clips": 1280,
            "speakers": {"train": 42, "validation": 9, "test": 13},
            "clips_used": {"train": 840, "validation": 180, "test": 260},
            "augmented_copies": 1,
        },
        params={"epochs": 30, "batch_size": 64, "learning_rate": 0.001, "units": 48},
    )
    first = make_version("gru", run=run, metrics={"balanced_accuracy": 0.9111})
    second = make_version("lstm", metrics={"balanced_accuracy": 0.9555, "roc_auc": 0.5})
    response = operator.get(f"{LIST}compare/", {"ids": f"{first.pk},{second.pk}"})
    html = response.content.decode()
    assert str(first) in html and str(second) in html
    assert '<td class="best">0.9555</td>' in html
    for label in (
        "Precision (female)",
        "Recall (male)",
        "ROC AUC",
        "Baseline balanced accuracy",
        "Size (bytes)",
        "Parameters",
        "Speakers train / val / test",
    ):
        assert label in html
    assert "42 / 9 / 13" in html
    assert "840 / 180 / 260" in html


def test_the_compare_page_without_versions_returns_to_the_list(operator):
    response = operator.get(f"{LIST}compare/", {"ids": ""})
    assert response.status_code == 302
    assert response["Location"] == LIST


def test_promote_asks_for_confirmation_before_changing_production(operator):
    current = make_version(stage=PRODUCTION)
    candidate = make_version()
    response = operator.get(promote_url(candidate))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Yes, promote it" in html
    assert f"Serving now: {current}" in html
    candidate.refresh_from_db()
    assert candidate.stage == CANDIDATE


def test_confirming_a_promotion_changes_production(operator):
    current = make_version(stage=PRODUCTION)
    candidate = make_version()
    response = operator.post(promote_url(candidate), {"confirm": "yes"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    current.refresh_from_db()
    assert candidate.stage == PRODUCTION
    assert candidate.replaced == current
    assert current.stage == ARCHIVED


def test_a_promotion_is_logged_with_who_did_it(operator):
    current = make_version(stage=PRODUCTION)
    candidate = make_version()
    operator.post(promote_url(candidate), {"confirm": "yes"})
    entries = {e.object_id: e for e in LogEntry.objects.all()}
    assert entries[str(candidate.pk)].user.username == "olga"
    assert entries[str(candidate.pk)].action_flag == CHANGE
    assert (
        "Promoted to production, replacing"
        in entries[str(candidate.pk)].get_change_message()
    )
    assert "Archived" in entries[str(current.pk)].get_change_message()


def test_a_post_without_confirm_promotes_nothing(operator):
    candidate = make_version()
    response = operator.post(promote_url(candidate), {})
    assert response.status_code == 200
    candidate.refresh_from_db()
    assert candidate.stage == CANDIDATE


def test_a_promotion_refused_by_the_registry_shows_its_reason(operator):
    candidate = make_version()
    shutil.rmtree(Path(settings.MODELS_ROOT) / candidate.artifact_path)
    response = operator.post(promote_url(candidate), {"confirm": "yes"}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("has no artifact" in m for m in messages)
    assert 'class="error"' in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.stage == CANDIDATE
    assert not LogEntry.objects.exists()


def test_the_promote_action_leads_to_the_confirmation_page(operator):
    candidate = make_version()
    response = operator.post(
        LIST, {"action": "promote_selected", "_selected_action": [candidate.pk]}
    )
    assert response["Location"] == promote_url(candidate)


def test_the_promote_action_needs_exactly_one_version(operator):
    versions = [make_version(), make_version()]
    response = operator.post(
        LIST,
        {"action": "promote_selected", "_selected_action": [v.pk for v in versions]},
        follow=True,
    )
    assert "Select exactly one version to promote." in response.content.decode()


def test_rollback_asks_for_confirmation_then_restores_the_replaced_version(operator):
    old = make_version(stage=ARCHIVED)
    current = make_version(stage=PRODUCTION, replaced=old)
    url = reverse("admin:training_modelversion_rollback", args=["gru"])
    assert "Yes, roll back" in operator.get(url).content.decode()
    response = operator.post(url, {"confirm": "yes"})
    old.refresh_from_db()
    current.refresh_from_db()
    assert (old.stage, current.stage) == (PRODUCTION, ARCHIVED)
    assert response["Location"] == f"{LIST}{old.pk}/change/"
    entry = LogEntry.objects.get(object_id=str(old.pk))
    assert entry.user.username == "olga"


def test_rollback_without_an_earlier_version_shows_the_registry_error(operator):
    make_version(stage=PRODUCTION)
    url = reverse("admin:training_modelversion_rollback", args=["gru"])
    assert "nothing to restore" in operator.get(url).content.decode()
    response = operator.post(url, {"confirm": "yes"}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("replaced no earlier version" in m for m in messages)


def test_rollback_of_an_unknown_model_type_is_not_found(operator):
    url = reverse("admin:training_modelversion_rollback", args=["transformer"])
    assert operator.get(url).status_code == 404


def test_the_roll_back_action_leads_to_the_confirmation_page(operator):
    version = make_version("rnn", PRODUCTION)
    response = operator.post(
        LIST, {"action": "roll_back_selected", "_selected_action": [version.pk]}
    )
    assert response["Location"] == reverse(
        "admin:training_modelversion_rollback", args=["rnn"]
    )


def test_the_version_page_offers_promotion_to_an_operator(operator):
    candidate = make_version()
    html = operator.get(f"{LIST}{candidate.pk}/change/").content.decode()
    assert f'href="{promote_url(candidate)}" id="promote-link"' in html
    assert b'name="_save"' not in html.encode()


def test_the_version_page_links_to_the_mlflow_run(operator, settings):
    settings.MLFLOW_TRACKING_URI = "http://mlflow.internal:5000"
    version = make_version(mlflow_run_id="feed42")
    html = operator.get(f"{LIST}{version.pk}/change/").content.decode()
    assert 'href="http://mlflow.internal:5000/#/runs/feed42"' in html
