"""The batch endpoint and the list of production models."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.audio_factory import silence, speech_wav
from tests.conftest import install_version

pytestmark = pytest.mark.django_db


def files(*items):
    return [SimpleUploadedFile(name, data) for name, data in items]


def test_a_batch_answers_each_file_with_a_result_or_its_error(client, production_model):
    response = client.post(
        "/api/predictions/batch/",
        {
            "audio": files(
                ("a.flac", speech_wav("female")),
                ("b.wav", silence()),
                ("c.txt", b"hello"),
            )
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 415]
    assert results[0]["prediction"]["label"] in {"female", "male", "uncertain"}
    assert results[1]["error"] == "no_speech" and results[1]["filename"] == "b.wav"


def test_a_batch_over_the_file_limit_is_refused(client, production_model, settings):
    settings.BATCH_MAX_FILES = 2
    response = client.post(
        "/api/predictions/batch/",
        {"audio": files(*[(f"{i}.flac", speech_wav()) for i in range(3)])},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "too_many_files"


def test_an_empty_batch_is_a_400(client, production_model):
    response = client.post("/api/predictions/batch/", {})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_models_lists_production_versions_with_metrics_and_the_default(
    client, trained_model_dir
):
    install_version(trained_model_dir, "gru", metrics={"balanced_accuracy": 0.97})
    install_version(trained_model_dir, "lstm", metrics={"balanced_accuracy": 0.99})
    body = client.get("/api/models/").json()
    assert [(m["model"], m["best"]) for m in body] == [("gru", False), ("lstm", True)]
    assert body[1]["metrics"]["balanced_accuracy"] == 0.99
