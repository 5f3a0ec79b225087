"""The OpenAPI schema is valid and each documented response matches the endpoint."""

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.validation import validate_schema
from openapi_schema_validator import OAS30Validator

from tests.audio_factory import silence, speech_wav

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def response_schema(schema, path, method, status):
    operation = schema["paths"][path][method]
    content = operation["responses"][str(status)]["content"]["application/json"]
    return {**content["schema"], "components": schema["components"]}


def assert_matches(schema, path, method, response):
    spec = response_schema(schema, path, method, response.status_code)
    OAS30Validator(spec).validate(response.json())


def test_the_schema_is_a_valid_openapi_document(schema):
    validate_schema(schema)
    assert {
        "/api/predictions/",
        "/api/predictions/batch/",
        "/api/predictions/{id}/",
        "/api/models/",
        "/api/health/",
    } <= set(schema["paths"])


def test_the_docs_page_loads_its_ui_without_a_cdn(client):
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page and "cdn" not in page.lower()


def test_a_created_prediction_matches_its_documented_shape(
    client, schema, production_model
):
    response = client.post(
        "/api/predictions/", {"audio": SimpleUploadedFile("a.flac", speech_wav())}
    )
    assert_matches(schema, "/api/predictions/", "post", response)
    detail = client.get(f"/api/predictions/{response.json()['id']}/")
    assert_matches(schema, "/api/predictions/{id}/", "get", detail)


@pytest.mark.parametrize("data, status", [(b"", 400), (b"text", 415), (silence(), 422)])
def test_errors_match_their_documented_shape(
    client, schema, production_model, data, status
):
    response = client.post(
        "/api/predictions/", {"audio": SimpleUploadedFile("x.wav", data)}
    )
    assert response.status_code == status
    assert_matches(schema, "/api/predictions/", "post", response)


def test_a_batch_matches_its_documented_shape(client, schema, production_model):
    response = client.post(
        "/api/predictions/batch/",
        {
            "audio": [
                SimpleUploadedFile("a.flac", speech_wav()),
                SimpleUploadedFile("b.wav", b""),
            ]
        },
    )
    assert_matches(schema, "/api/predictions/batch/", "post", response)


def test_models_and_health_match_their_documented_shapes(
    client, schema, production_model
):
    assert_matches(schema, "/api/models/", "get", client.get("/api/models/"))
    assert_matches(schema, "/api/health/", "get", client.get("/api/health/"))
