import pytest

pytestmark = pytest.mark.django_db


def test_the_home_page_lists_production_models_with_their_metrics(
    client, production_model
):
    response = client.get("/")
    assert response.status_code == 200
    assert b"GRU" in response.content and b"0.9000" in response.content


def test_the_home_page_says_when_no_model_is_trained_yet(client):
    response = client.get("/")
    assert b"No production model yet" in response.content


def test_health_is_ready_with_a_model_a_database_and_a_queue(client, production_model):
    response = client.get("/api/health/")
    assert response.status_code == 200
    assert response.json()["ready"] is True


def test_health_is_not_ready_without_a_production_model(client):
    response = client.get("/api/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["model"]["ok"] is False
