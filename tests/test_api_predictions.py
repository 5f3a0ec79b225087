"""POST /api/predictions/: answers, stored rows, and every error as JSON."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from predictions.models import Prediction, Recording
from tests.audio_factory import long_speech, silence, speech_wav, wav_bytes
from tests.conftest import install_version

pytestmark = pytest.mark.django_db

URL = "/api/predictions/"


def upload(name: str, data: bytes, content_type="audio/wav"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def post(client, data: bytes, name="clip.flac", **fields):
    return client.post(URL, {"audio": upload(name, data), **fields})


def test_it_answers_201_with_label_confidence_and_probabilities(
    client, production_model
):
    response = post(client, speech_wav("female"))
    assert response.status_code == 201
    body = response.json()
    assert body["label"] in {"female", "male", "uncertain"}
    assert body["probabilities"]["female"] + body["probabilities"]["male"] == (
        pytest.approx(1.0, abs=1e-3)
    )
    assert body["confidence"] == max(body["probabilities"].values())
    assert body["model"] == "gru" and body["duration_s"] > 1


def test_it_stores_the_recording_under_a_random_name_and_one_prediction(
    client, production_model
):
    response = post(client, speech_wav("male"), name="../../etc/passwd.flac")
    recording = Recording.objects.get()
    stored = Path(recording.audio.path)
    assert stored.is_relative_to(settings.MEDIA_ROOT)
    assert "passwd" not in stored.name and stored.suffix == ".flac"
    assert recording.original_name == "passwd.flac"
    assert recording.source == "api" and recording.format == "flac"
    assert Prediction.objects.get().public_id.hex == response.json()["id"].replace(
        "-", ""
    )


def test_model_all_compares_every_production_network(client, trained_model_dir):
    for model_type in ("lstm", "rnn", "gru"):
        install_version(trained_model_dir, model_type)
    response = post(client, speech_wav("female"), model="all")
    body = response.json()
    assert response.status_code == 201
    assert sorted(a["model"] for a in body["comparison"]) == ["gru", "lstm", "rnn"]
    assert Prediction.objects.count() == 3


def test_a_chosen_model_answers_alone(client, trained_model_dir):
    for model_type in ("lstm", "gru"):
        install_version(trained_model_dir, model_type)
    body = post(client, speech_wav("male"), model="lstm").json()
    assert body["model"] == "lstm" and body["comparison"] == []


def test_a_long_recording_gets_a_timeline_and_speech_shares(client, production_model):
    data = wav_bytes(long_speech(12.0))
    body = post(client, data, name="long.wav").json()
    assert len(body["segments"]) >= 10
    assert body["segments"][-1]["end_s"] == pytest.approx(12.0, abs=0.05)
    assert sum(body["speech_share"].values()) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    "name, data, status, code",
    [
        ("empty.wav", b"", 400, "empty"),
        ("notes.wav", b"just some text, not audio at all", 415, "not_audio"),
        ("image.wav", b"\x89PNG\r\n\x1a\n" + b"\0" * 200, 415, "not_audio"),
        ("short.wav", wav_bytes(long_speech(0.2)), 400, "too_short"),
        ("silence.wav", silence(), 422, "no_speech"),
    ],
)
def test_unusable_audio_gets_a_clear_json_error(
    client, production_model, name, data, status, code
):
    response = post(client, data, name=name)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert response.json()["detail"]
    assert not Recording.objects.exists()


def test_a_corrupt_file_is_a_400(client, production_model):
    data = speech_wav("female")
    response = post(client, data[:200], name="cut.flac")
    assert response.status_code == 400
    assert response.json()["error"] == "corrupt"


def test_a_file_over_the_size_limit_is_a_413(client, production_model, settings):
    settings.AUDIO_MAX_BYTES = 10_000
    response = post(client, speech_wav("female"))
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


def test_a_recording_over_the_duration_limit_is_a_413(
    client, production_model, settings
):
    settings.AUDIO_MAX_DURATION_S = 2.0
    response = post(client, speech_wav("female"))
    assert response.status_code == 413
    assert response.json()["error"] == "too_long"


def test_an_unknown_model_is_a_400_that_names_the_field(client, production_model):
    response = post(client, speech_wav("female"), model="transformer")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "model" in response.json()["detail"]


def test_a_missing_audio_field_is_a_400(client, production_model):
    response = client.post(URL, {"file": upload("a.flac", speech_wav())})
    assert response.status_code == 400
    assert "audio" in response.json()["detail"]


def test_no_production_model_is_a_503_not_a_crash(client):
    response = post(client, speech_wav("female"))
    assert response.status_code == 503
    assert response.json()["error"] == "model_unavailable"


def test_a_prediction_can_be_read_back_by_its_id(client, production_model):
    created = post(client, speech_wav("female")).json()
    response = client.get(f"{URL}{created['id']}/")
    assert response.status_code == 200
    assert response.json() == created


def test_an_unknown_prediction_id_is_a_json_404(client, db):
    response = client.get(f"{URL}00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_anonymous_clients_are_throttled(client, production_model, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    cache.clear()
    statuses = [post(client, speech_wav("female")).status_code for _ in range(3)]
    cache.clear()
    assert statuses == [201, 201, 429]
