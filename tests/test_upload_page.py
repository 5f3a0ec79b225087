"""The upload page without a browser: forms, redirects, errors in words."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback.models import Feedback
from predictions.models import Recording
from tests.audio_factory import silence, speech_wav

pytestmark = pytest.mark.django_db


def upload(client, data, name="clip.flac", model=""):
    return client.post("/", {"audio": SimpleUploadedFile(name, data), "model": model})


def test_the_page_offers_a_file_field_a_model_choice_and_the_models(
    client, production_model
):
    page = client.get("/").content.decode()
    assert 'type="file"' in page and "Compare all three" in page
    assert "GRU" in page


def test_an_upload_redirects_to_its_result(client, production_model):
    response = upload(client, speech_wav("female"))
    recording = Recording.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/r/{recording.public_id}/"
    assert recording.source == "page"


def test_the_result_shows_the_answer_and_a_feedback_form(client, production_model):
    response = client.get(upload(client, speech_wav("male"))["Location"])
    page = response.content.decode()
    assert 'data-label="' in page and 'id="feedback-form"' in page


def test_a_non_audio_file_is_explained_next_to_the_form(client, production_model):
    response = upload(client, b"%PDF-1.4 not audio", name="paper.pdf")
    assert response.status_code == 415
    assert "is not an audio file" in response.content.decode()
    assert not Recording.objects.exists()


def test_silence_is_answered_as_no_speech(client, production_model):
    response = upload(client, silence(), name="quiet.wav")
    assert response.status_code == 422
    assert "speech" in response.content.decode().lower()


def test_feedback_is_recorded_with_consent(client, production_model):
    location = upload(client, speech_wav("female"))["Location"]
    response = client.post(
        f"{location}feedback/",
        {"true_gender": "female", "comment": "my voice", "consent_to_train": "on"},
    )
    feedback = Feedback.objects.get()
    assert response.status_code == 302
    assert feedback.consent_to_train and feedback.comment == "my voice"
    assert feedback.is_correct == (feedback.prediction.label == "female")
    assert "Thank you" in client.get(location).content.decode()


def test_feedback_without_a_gender_is_refused_in_words(client, production_model):
    location = upload(client, speech_wav("female"))["Location"]
    response = client.post(f"{location}feedback/", {"comment": "?"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Feedback.objects.exists()


def test_an_unknown_result_is_a_404(client, db):
    assert client.get("/r/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_too_many_uploads_from_one_address_are_refused_in_words(
    client, production_model, monkeypatch
):
    from django.core.cache import cache
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    cache.clear()
    responses = [upload(client, speech_wav("female")) for _ in range(3)]
    cache.clear()
    assert [r.status_code for r in responses] == [302, 302, 429]
    assert "Too many uploads" in responses[2].content.decode()
    assert int(responses[2]["Retry-After"]) > 0
    assert Recording.objects.count() == 2
