"""Retrain triggers: feedback threshold, schedules, dataset change, accuracy drop."""

import shutil

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from feedback.services import feedback_create
from tests.conftest import make_prediction
from training.models import TrainingRun
from training.triggers import (
    accuracy_check,
    dataset_change_check,
    feedback_threshold_check,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def prediction(production_model):
    return make_prediction(production_model)


def give_feedback(prediction, n, consent=True):
    for _ in range(n):
        feedback_create(
            prediction=prediction, true_gender="female", consent_to_train=consent
        )


def feedback_runs():
    return TrainingRun.objects.filter(trigger=TrainingRun.Trigger.FEEDBACK)


def test_the_twentieth_consented_feedback_queues_one_run(
    prediction, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        give_feedback(prediction, 20)
    run = feedback_runs().get()
    assert run.status == TrainingRun.Status.QUEUED
    assert run.params["use_feedback"] is True
    assert "20 new consented feedback items" in run.reason


def test_the_queued_run_is_handed_to_the_django_q_broker(
    prediction, django_capture_on_commit_callbacks
):
    from django_q.brokers import get_broker

    broker = get_broker()
    queued = broker.queue_size()
    with django_capture_on_commit_callbacks(execute=True):
        give_feedback(prediction, 20)
    assert broker.queue_size() == queued + 1
    assert feedback_runs().get().task_id


def test_nineteen_items_do_not_queue_a_run(
    prediction, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        give_feedback(prediction, 19)
    assert not feedback_runs().exists()


def test_feedback_without_consent_does_not_count(
    prediction, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        give_feedback(prediction, 25, consent=False)
    assert not feedback_runs().exists()


def test_a_claimed_batch_is_not_claimed_again(prediction):
    give_feedback(prediction, 20)
    assert feedback_threshold_check() is not None
    assert feedback_threshold_check() is None
    give_feedback(prediction, 20)
    assert feedback_threshold_check() is not None
    assert feedback_runs().count() == 2


def test_setup_schedules_creates_the_weekly_retrain_at_sunday_midnight_utc(db):
    call_command("setup_schedules")
    weekly = Schedule.objects.get(name="weekly-retrain")
    assert weekly.schedule_type == Schedule.CRON
    assert weekly.cron == "0 0 * * 0"
    assert weekly.func == "training.tasks.weekly_retrain"


def test_setup_schedules_is_idempotent(db):
    call_command("setup_schedules")
    count = Schedule.objects.count()
    call_command("setup_schedules")
    assert Schedule.objects.count() == count >= 5


def test_the_weekly_task_queues_a_scheduled_run(db):
    from training.tasks import weekly_retrain

    run = TrainingRun.objects.get(pk=weekly_retrain())
    assert run.trigger == TrainingRun.Trigger.SCHEDULE


@pytest.fixture
def dataset(tmp_path, tiny_manifest):
    """A copy of the tiny dataset that a test may change."""
    folder = tmp_path / "dataset"
    folder.mkdir()
    lines = tiny_manifest.read_text().splitlines()
    rows = [lines[0]] + [
        ",".join(
            [str((tiny_manifest.parent / line.split(",")[0]).resolve())]
            + line.split(",")[1:]
        )
        for line in lines[1:]
    ]
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
    return folder / "manifest.csv"


def test_an_unchanged_dataset_does_not_queue_a_run(dataset):
    assert dataset_change_check(dataset) is None  # learns the checksum
    assert dataset_change_check(dataset) is None
    assert not TrainingRun.objects.filter(trigger="dataset").exists()


def test_a_changed_dataset_queues_one_run(dataset):
    dataset_change_check(dataset)
    lines = dataset.read_text().splitlines()
    dataset.write_text("\n".join(lines[:-1]) + "\n")  # a clip removed
    run = dataset_change_check(dataset)
    assert run is not None and run.trigger == TrainingRun.Trigger.DATASET
    assert dataset_change_check(dataset) is None


def test_the_dataset_trained_on_last_is_the_reference(dataset, production_model):
    from training.datasets import dataset_checksum, load_manifest

    run = production_model.run
    run.dataset_checksum = dataset_checksum(load_manifest(dataset))
    run.save()
    assert dataset_change_check(dataset) is None
    shutil.copy(dataset, dataset.with_suffix(".bak"))
    dataset.write_text(dataset.read_text().replace(",female", ",male", 1))
    assert dataset_change_check(dataset) is not None


def test_low_accuracy_on_recent_feedback_alerts_and_queues_one_run(
    prediction, settings, webhook, tiny_manifest
):
    settings.ACCURACY_FEEDBACK_MIN = 5
    settings.DEFAULT_DATASET = tiny_manifest
    wrong = "male" if prediction.label == "female" else "female"
    for _ in range(5):
        feedback_create(prediction=prediction, true_gender=wrong)
    run = accuracy_check()
    assert run.trigger == TrainingRun.Trigger.ACCURACY
    assert "Feedback: 0.00% of 5 answers" in run.reason
    assert webhook.events() == ["low_accuracy"]


def test_at_most_one_accuracy_run_is_queued_a_day(prediction, settings, tiny_manifest):
    settings.DEFAULT_DATASET = tiny_manifest
    settings.ACCURACY_ALERT_BELOW = 1.01  # nothing is that good
    assert accuracy_check() is not None
    assert accuracy_check() is None


def test_low_accuracy_on_the_evaluation_set_is_reported(
    prediction, settings, tiny_manifest
):
    settings.DEFAULT_DATASET = tiny_manifest
    settings.ACCURACY_ALERT_BELOW = 1.01
    run = accuracy_check()
    assert "GRU: accuracy" in run.reason and "evaluation clips" in run.reason


def test_good_accuracy_queues_nothing(prediction, settings, tiny_manifest):
    settings.DEFAULT_DATASET = tiny_manifest
    settings.ACCURACY_ALERT_BELOW = 0.0
    assert accuracy_check() is None
