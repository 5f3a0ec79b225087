"""API contract fuzzing: schemathesis against the OpenAPI schema at /api/schema/.

Every documented operation gets valid and invalid requests generated from the
schema itself (positive and negative modes), sent in process to the WSGI
application. Each answer must not be a server error and must match the response
documented for its status. Training runs are fuzzed once more with a staff token.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import AnonRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import make_prediction

CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
FIGURES: Counter = Counter()


@pytest.fixture
def in_process_app(monkeypatch):
    """The real WSGI application, with what the Django test client also does:
    no closing of the test's database connection at the end of each request, and
    no anonymous throttle (hundreds of requests come from one address)."""
    from voiceproject.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "100000/min"})
    cache.clear()
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    cache.clear()


@pytest.fixture
def fuzz_data(in_process_app, production_model):
    """A production model, and a stored prediction to read and correct."""
    return make_prediction(production_model)


@pytest.fixture
def staff_token(db) -> str:
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser(
        "fuzz-operator", "fuzz@example.org", "fuzz-operator-password-1"
    )
    return Token.objects.create(user=staff).key


def load_schema():
    """Loaded at collection: the schema is built without touching the database.

    (``schemathesis.pytest.from_fixture`` would load it inside a test, but its lazy
    runner needs a pytest internal that pytest 9.2 no longer has.)
    """
    from voiceproject.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = load_schema()


def record(case, response) -> None:
    FIGURES[case.operation.label] += 1
    FIGURES[f"{case.operation.label} -> {response.status_code}"] += 1


@schema.parametrize()
@FUZZ
def test_every_operation_answers_without_a_server_error_and_as_documented(
    case, fuzz_data
):
    response = case.call()
    record(case, response)
    case.validate_response(response, checks=CHECKS)


@schema.include(path_regex="^/api/training-runs/").parametrize()
@FUZZ
def test_training_runs_answer_a_staff_token_as_documented(case, fuzz_data, staff_token):
    response = case.call(headers={"Authorization": f"Token {staff_token}"})
    record(case, response)
    case.validate_response(response, checks=CHECKS)


def test_the_staff_token_used_for_fuzzing_is_accepted(client, staff_token):
    """Otherwise the staff run above would only ever see documented 401s."""
    response = client.get(
        "/api/training-runs/", HTTP_AUTHORIZATION=f"Token {staff_token}"
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/predictions/null,null/", "/api/training-runs/abc/"]
)
def test_a_malformed_id_in_an_api_path_gets_the_documented_json_404(
    client, staff_token, path
):
    response = client.get(path, HTTP_AUTHORIZATION=f"Token {staff_token}")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json"), response[
        "Content-Type"
    ]
    assert set(response.json()) == {"error", "detail"}


@pytest.fixture(scope="module", autouse=True)
def figures():
    """What was sent, per operation and status (shown with ``pytest -s``)."""
    yield
    if FIGURES:
        print("\nschemathesis requests per operation and status:")
        for label, count in sorted(FIGURES.items()):
            print(f"  {label}: {count}")
