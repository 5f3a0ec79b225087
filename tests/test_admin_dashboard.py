"""The admin index as the product's dashboard."""

from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.models import Feedback
from predictions.models import Prediction
from tests.test_admin_helpers import (
    make_feedback,
    make_prediction,
    make_run,
    make_user,
    make_version,
)
from training import dashboard
from training.models import ModelVersion, TrainingRun, TriggerState

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    client.force_login(make_user("olga", operator=True))
    return client


def _dashboard_html(client) -> str:
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_shows_each_production_model_with_its_metrics(operator):
    version = make_version(
        "lstm",
        ModelVersion.Stage.PRODUCTION,
        metrics={"balanced_accuracy": 0.9876, "roc_auc": 0.9991},
    )
    html = _dashboard_html(operator)
    assert str(version) in html
    assert "0.9876" in html
    assert "0.9991" in html


def test_the_dashboard_says_when_a_network_has_no_production_model(operator):
    make_version("lstm", ModelVersion.Stage.PRODUCTION)
    html = _dashboard_html(operator)
    assert "predictions with RNN are unavailable" in html
    assert "predictions with LSTM are unavailable" not in html


def test_activity_counts_predictions_and_feedback_per_day():
    version = make_version(stage=ModelVersion.Stage.PRODUCTION)
    today = make_prediction(version)
    make_feedback(today)
    old = make_prediction(version)
    Prediction.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    ancient = make_prediction(version)
    Prediction.objects.filter(pk=ancient.pk).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    rows = dashboard.activity_per_day(days=14)
    assert len(rows) == 14
    assert rows[-1]["day"] == timezone.localdate()
    assert (rows[-1]["predictions"], rows[-1]["feedback"]) == (1, 1)
    assert rows[-4]["predictions"] == 1
    assert sum(r["predictions"] for r in rows) == 2


def test_the_dashboard_draws_the_activity_chart_as_inline_svg(operator):
    make_feedback()
    html = _dashboard_html(operator)
    chart = html[html.index('id="gv-activity"') :]
    assert "<svg" in chart
    assert "predictions 1</title>" in chart
    assert "<script" not in chart


def test_feedback_progress_counts_consented_feedback_since_the_last_feedback_run(
    settings,
):
    settings.FEEDBACK_RETRAIN_THRESHOLD = 5
    make_feedback()
    run = make_run(trigger=TrainingRun.Trigger.FEEDBACK)
    TrainingRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - timedelta(minutes=1)
    )
    make_feedback()
    make_feedback()
    make_feedback(consent_to_train=False)
    Feedback.objects.filter(pk=Feedback.objects.order_by("pk").first().pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    progress = dashboard.feedback_progress()
    assert (progress["count"], progress["threshold"]) == (2, 5)
    assert progress["percent"] == 40


def test_feedback_progress_follows_the_feedback_triggers_cursor():
    claimed = make_feedback()
    make_feedback()
    TriggerState.objects.create(name="feedback", cursor=str(claimed.pk))
    assert dashboard.feedback_progress()["count"] == 1


def test_the_dashboard_shows_feedback_toward_the_threshold(operator, settings):
    settings.FEEDBACK_RETRAIN_THRESHOLD = 4
    make_feedback()
    html = _dashboard_html(operator)
    assert "1 of 4" in html


def test_the_dashboard_shows_the_last_run_and_the_next_scheduled_retrain(operator):
    from django_q.models import Schedule

    run = make_run(reason="weekly retrain")
    schedule = Schedule.objects.create(
        name="weekly-retrain",
        func="training.tasks.weekly_retrain",
        schedule_type=Schedule.CRON,
        cron="0 0 * * 0",
    )
    html = _dashboard_html(operator)
    assert str(run) in html
    assert schedule.next_run.strftime("%Y-%m-%d %H:%M") in html
    assert "weekly-retrain" in html


def test_the_dashboard_shows_a_running_runs_progress(operator):
    make_run(
        status=TrainingRun.Status.RUNNING,
        model_types=["lstm", "gru"],
        current_model="gru",
        current_epoch=7,
        total_epochs=30,
    )
    assert "epoch 7 of 30 (gru, model 2 of 2)" in _dashboard_html(operator)


def test_the_dashboard_reports_a_reachable_queue_and_its_size(operator):
    from django_q.tasks import async_task

    before = dashboard.queue_health()["queued"]
    async_task("math.floor", 1.5, sync=False)
    health = dashboard.queue_health()
    assert health["ok"] is True
    assert health["queued"] == before + 1
    assert "Broker reachable" in _dashboard_html(operator)


def test_the_dashboard_reports_an_unreachable_broker(operator, monkeypatch):
    def broken_broker():
        raise ConnectionError("connection refused")

    monkeypatch.setattr("django_q.brokers.get_broker", broken_broker)
    html = _dashboard_html(operator)
    assert "Broker unreachable" in html
    assert "connection refused" in html


def test_the_dashboard_warns_about_a_run_queued_too_long(operator):
    run = make_run(status=TrainingRun.Status.QUEUED)
    TrainingRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    assert "is a worker running" in _dashboard_html(operator)


def test_chart_text_is_escaped():
    from training.admin_charts import bar_chart

    svg = bar_chart(["<b>day</b>"], [("<script>", [1], "x")], title="a & b")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert 'aria-label="a &amp; b"' in svg
