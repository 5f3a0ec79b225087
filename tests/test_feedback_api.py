"""POST /api/feedback/: corrections, with consent, validated."""

import pytest

from feedback.models import Feedback
from tests.conftest import make_prediction

pytestmark = pytest.mark.django_db


@pytest.fixture
def prediction(production_model):
    return make_prediction(production_model)


def post(client, **data):
    return client.post("/api/feedback/", data, content_type="application/json")


def test_feedback_is_recorded_and_its_correctness_derived(client, prediction):
    response = post(
        client,
        prediction=str(prediction.public_id),
        true_gender="female",
        consent_to_train=True,
        comment="right",
    )
    assert response.status_code == 201
    feedback = Feedback.objects.get()
    assert feedback.is_correct == (prediction.label == "female")
    assert feedback.consent_to_train is True


def test_feedback_that_contradicts_the_prediction_is_refused(client, prediction):
    wrong = "male" if prediction.label == "female" else "female"
    response = post(
        client, prediction=str(prediction.public_id), true_gender=wrong, is_correct=True
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_feedback"


def test_feedback_on_an_unknown_prediction_is_a_400(client, prediction):
    response = post(
        client,
        prediction="00000000-0000-0000-0000-000000000000",
        true_gender="male",
    )
    assert response.status_code == 400
    assert "prediction" in response.json()["detail"]


def test_feedback_needs_a_known_gender(client, prediction):
    response = post(client, prediction=str(prediction.public_id), true_gender="robot")
    assert response.status_code == 400
    assert "true_gender" in response.json()["detail"]


def test_feedback_without_consent_keeps_consent_off(client, prediction):
    post(client, prediction=str(prediction.public_id), true_gender="male")
    assert Feedback.objects.get().consent_to_train is False
