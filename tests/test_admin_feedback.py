"""The feedback admin: filters, audio for staff only, CSV export, retrain from it."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from feedback.models import Feedback
from tests.test_admin_helpers import (
    make_feedback,
    make_prediction,
    make_user,
    wav_bytes,
)
from training.models import TrainingRun

pytestmark = pytest.mark.django_db

LIST = "/admin/feedback/feedback/"


@pytest.fixture
def operator(client):
    client.force_login(make_user("olga", operator=True))
    return client


def listed(client, **params) -> set[int]:
    response = client.get(LIST, params)
    return {f.pk for f in response.context["cl"].result_list}


def test_the_list_shows_the_prediction_and_an_audio_player(operator):
    feedback = make_feedback(make_prediction(label="male", confidence=0.83))
    html = operator.get(LIST).content.decode()
    assert "83%" in html
    assert f"GRU v{feedback.prediction.model_version_id}" in html
    assert f'<audio controls preload="none" src="{LIST}{feedback.pk}/audio/"' in html


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"is_correct__exact": "0"}, {"wrong"}),
        ({"true_gender__exact": "male"}, {"wrong"}),
        ({"consent_to_train__exact": "0"}, {"private"}),
        ({"created_at__year": "2000", "created_at__month": "1"}, {"old"}),
    ],
)
def test_the_list_filters_by_correctness_gender_consent_and_date(
    operator, params, expected
):
    items = {
        "wrong": make_feedback(true_gender="male"),
        "private": make_feedback(consent_to_train=False),
        "old": make_feedback(),
    }
    Feedback.objects.filter(pk=items["old"].pk).update(
        created_at=timezone.make_aware(timezone.datetime(2000, 1, 1, 12))
    )
    wanted = {items[name].pk for name in expected}
    assert listed(operator, **params) == wanted


def test_the_audio_view_streams_the_recording_with_its_content_type(operator):
    feedback = make_feedback()
    response = operator.get(f"{LIST}{feedback.pk}/audio/")
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    assert b"".join(response.streaming_content) == wav_bytes()


def test_the_audio_view_sends_anonymous_visitors_to_the_login_page(client):
    feedback = make_feedback()
    response = client.get(f"{LIST}{feedback.pk}/audio/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_audio_view_refuses_staff_who_may_not_view_feedback(client):
    feedback = make_feedback()
    client.force_login(make_user("sam"))
    assert client.get(f"{LIST}{feedback.pk}/audio/").status_code == 403


def test_the_audio_of_a_purged_recording_is_gone(operator):
    feedback = make_feedback(make_prediction(with_audio=False))
    recording = feedback.prediction.recording
    recording.purged_at = timezone.now()
    recording.save()
    assert operator.get(f"{LIST}{feedback.pk}/audio/").status_code == 404
    assert "purged" in operator.get(LIST).content.decode()


def test_media_files_are_not_served_publicly(client):
    feedback = make_feedback()
    name = feedback.prediction.recording.audio.name
    assert client.get(f"/media/{name}").status_code == 404


def export(client, ids):
    response = client.post(LIST, {"action": "export_csv", "_selected_action": ids})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="feedback')
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_export_contains_the_selected_feedback(operator):
    chosen = make_feedback(
        make_prediction(label="female", confidence=0.75),
        true_gender="male",
        comment="deep voice",
    )
    make_feedback()
    header, *rows = export(operator, [chosen.pk])
    assert header == [
        "id",
        "created_at",
        "prediction_id",
        "predicted_label",
        "confidence",
        "model",
        "true_gender",
        "is_correct",
        "consent_to_train",
        "comment",
        "recording_duration_s",
        "recording_format",
    ]
    assert len(rows) == 1
    row = dict(zip(header, rows[0]))
    assert row["id"] == str(chosen.pk)
    assert row["prediction_id"] == str(chosen.prediction_id)
    assert (row["predicted_label"], row["confidence"]) == ("female", "0.7500")
    assert row["model"] == f"gru v{chosen.prediction.model_version_id}"
    assert (row["true_gender"], row["is_correct"]) == ("male", "False")
    assert (row["consent_to_train"], row["comment"]) == ("True", "deep voice")
    assert (row["recording_duration_s"], row["recording_format"]) == ("0.500", "wav")


def test_the_csv_export_keeps_spreadsheet_formulas_as_text(operator):
    feedback = make_feedback(comment='=HYPERLINK("http://evil")')
    header, row = export(operator, [feedback.pk])
    assert dict(zip(header, row))["comment"] == '\'=HYPERLINK("http://evil")'


def retrain_post(client, ids, **extra):
    data = {"action": "retrain_with_feedback", "_selected_action": ids} | extra
    return client.post(LIST, data)


def test_retrain_with_feedback_asks_for_confirmation_first(operator):
    items = [make_feedback(), make_feedback(consent_to_train=False)]
    response = retrain_post(operator, [f.pk for f in items])
    html = response.content.decode()
    assert response.status_code == 200
    assert "Yes, queue the retrain" in html
    assert "2 item(s), 1 of them with consent" in html
    assert not TrainingRun.objects.filter(trigger=TrainingRun.Trigger.ADMIN).exists()


def test_confirming_retrain_with_feedback_queues_an_admin_run_on_feedback(
    operator, django_capture_on_commit_callbacks
):
    items = [make_feedback(), make_feedback(), make_feedback()]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = retrain_post(operator, [f.pk for f in items], post="yes")
    run = TrainingRun.objects.get(trigger=TrainingRun.Trigger.ADMIN)
    assert run.status == TrainingRun.Status.QUEUED
    assert run.params["use_feedback"] is True
    assert run.reason == "retrain with 3 selected feedback items"
    assert run.requested_by == "olga"
    assert len(callbacks) == 1
    assert response["Location"] == f"/admin/training/trainingrun/{run.pk}/change/"
    assert LogEntry.objects.get(object_id=str(run.pk)).user.username == "olga"


def test_feedback_cannot_be_added_or_edited_in_the_admin(client):
    feedback = make_feedback()
    client.force_login(make_user("root", superuser=True))
    assert client.get(f"{LIST}add/").status_code == 403
    page = client.get(f"{LIST}{feedback.pk}/change/")
    assert b'name="_save"' not in page.content
    client.post(f"{LIST}{feedback.pk}/change/", {"true_gender": "male"})
    feedback.refresh_from_db()
    assert feedback.true_gender == "female"


def test_recordings_and_predictions_are_read_only_lists(client):
    feedback = make_feedback()
    client.force_login(make_user("root", superuser=True))
    recording = feedback.prediction.recording
    assert client.get("/admin/predictions/recording/").status_code == 200
    assert client.get("/admin/predictions/prediction/").status_code == 200
    assert client.get("/admin/predictions/recording/add/").status_code == 403
    delete = f"/admin/predictions/recording/{recording.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_the_recording_admin_plays_its_audio_for_staff(operator):
    recording = make_feedback().prediction.recording
    response = operator.get(f"/admin/predictions/recording/{recording.pk}/audio/")
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"


def test_recent_feedback_is_listed_newest_first(operator):
    old = make_feedback()
    Feedback.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    new = make_feedback()
    response = operator.get(LIST)
    assert [f.pk for f in response.context["cl"].result_list] == [new.pk, old.pk]


def test_the_recording_page_plays_the_audio_without_linking_the_media_file(operator):
    recording = make_feedback().prediction.recording
    html = operator.get(
        f"/admin/predictions/recording/{recording.pk}/change/"
    ).content.decode()
    assert f"/admin/predictions/recording/{recording.pk}/audio/" in html
    assert recording.audio.name not in html
