"""Faults: broken model artifacts and an unavailable database answer clearly."""

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.audio_factory import speech_wav
from tests.conftest import install_version
from tests.stack import Stack
from training.registry import artifact_dir, model_promote

pytestmark = pytest.mark.django_db


@pytest.fixture
def promoted_pair(trained_model_dir):
    """Production GRU v2, which replaced v1 (kept for rollback)."""
    old = install_version(trained_model_dir)
    new = install_version(trained_model_dir, stage="candidate")
    model_promote(version=new)
    return old, new


def predict(client):
    return client.post(
        "/api/predictions/", {"audio": SimpleUploadedFile("a.flac", speech_wav())}
    )


def test_a_corrupt_production_model_falls_back_to_the_previous_version(
    client, promoted_pair
):
    old, new = promoted_pair
    assert predict(client).json()["model_version"] == new.pk
    (artifact_dir(new) / "model.tflite").write_bytes(b"\0" * 1000)
    response = predict(client)
    assert response.status_code == 201
    assert response.json()["model_version"] == old.pk


def test_health_reports_a_corrupt_production_model(client, promoted_pair):
    _, new = promoted_pair
    (artifact_dir(new) / "model.tflite").write_bytes(b"garbage")
    response = client.get("/api/health/")
    assert response.status_code == 503
    assert f"v{new.pk}" in response.json()["checks"]["model"]["detail"]


def test_a_missing_model_with_nothing_to_fall_back_on_is_a_clear_503(
    client, production_model
):
    shutil.rmtree(artifact_dir(production_model))
    response = predict(client)
    assert response.status_code == 503
    assert response.json()["error"] == "model_unavailable"
    assert "artifact files are missing" in response.json()["detail"]
    assert client.get("/api/health/").status_code == 503


ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="an SQLite file fault")
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL fault")


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    stack = Stack(
        tmp_path_factory.mktemp("faults"),
        SQLITE_TIMEOUT_S="1",
        DB_LOCK_TIMEOUT_MS="1000",
    )
    try:
        yield stack.start(worker=False)
    finally:
        stack.stop()


@sqlite_only
@pytest.mark.slow
def test_a_locked_database_answers_503_and_recovers_without_restart(web):
    database = Path(web.env["VAR_DIR"]) / "db.sqlite3"
    lock = sqlite3.connect(database, timeout=5)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        status, body = web.post_audio(
            "/api/predictions/", speech_wav("female"), "clip.flac"
        )
    finally:
        lock.rollback()
        lock.close()
    assert status == 503 and body["error"] == "database_unavailable"
    status, body = web.post_audio("/api/predictions/", speech_wav("female"))
    assert status == 201, body


@sqlite_only
@pytest.mark.slow
def test_a_database_gone_for_a_moment_answers_503_and_recovers(web):
    database = Path(web.env["VAR_DIR"]) / "db.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    files = [Path(f"{database}{suffix}") for suffix in ("", "-wal", "-shm")]
    moved = [(f, f.with_name(f.name + ".aside")) for f in files if f.exists()]
    for original, aside in moved:
        original.rename(aside)
    try:
        status, body = web.get("/api/models/")
    finally:
        for original in files:
            original.unlink(missing_ok=True)  # what the failed request created
        for original, aside in moved:
            aside.rename(original)
    assert status == 503 and body["error"] == "database_unavailable"
    assert web.get("/api/models/")[0] == 200


def _admin(web):
    import psycopg

    url = web.env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    return psycopg.connect(url, autocommit=True)


@postgres_only
@pytest.mark.slow
def test_a_locked_postgres_table_answers_503_and_recovers(web):
    import psycopg

    with psycopg.connect(web.env["DATABASE_URL"]) as lock:
        lock.execute("LOCK TABLE predictions_prediction IN ACCESS EXCLUSIVE MODE")
        status, body = web.post_audio("/api/predictions/", speech_wav("female"))
        lock.rollback()
    assert status == 503 and body["error"] == "database_unavailable"
    assert web.post_audio("/api/predictions/", speech_wav("female"))[0] == 201


@postgres_only
@pytest.mark.slow
def test_a_postgres_database_gone_for_a_moment_answers_503_and_recovers(web):
    name = web.database
    with _admin(web) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        admin.execute(f'ALTER DATABASE "{name}" RENAME TO "{name}_aside"')
        try:
            status, body = web.get("/api/models/")
        finally:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [f"{name}_aside"],
            )
            admin.execute(f'ALTER DATABASE "{name}_aside" RENAME TO "{name}"')
    assert status == 503 and body["error"] == "database_unavailable"
    assert web.get("/api/models/")[0] == 200
