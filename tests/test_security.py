"""Production settings pass Django's deploy checks; pages send security headers."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def manage(*args, **env):
    environment = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")
    } | env
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        HTTPS="true",
        SECRET_KEY=secrets.token_urlsafe(64),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_check_deploy_flags_the_development_secret_key():
    result = manage("check", "--deploy", "--fail-level", "WARNING", HTTPS="true")
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_debug_is_off_unless_asked():
    code = "from django.conf import settings; print(settings.DEBUG)"
    assert manage("shell", "-c", code).stdout.strip().splitlines()[-1] == "False"


def test_pages_send_a_content_security_policy_and_security_headers(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_page_loads_no_script_from_another_origin(client):
    page = client.get("/").content.decode()
    assert "<script>" not in page  # no inline script: the policy forbids it
    assert "http://" not in page.split("<footer>")[0].replace("http://testserver", "")
    assert "https://" not in page


def test_the_admin_is_only_for_staff(client, django_user_model):
    assert client.get("/admin/").status_code == 302
    django_user_model.objects.create_user("visitor", password="pw-123456789")
    client.login(username="visitor", password="pw-123456789")
    assert client.get("/admin/").status_code == 302


def test_media_files_are_not_served_publicly(client, production_model):
    from tests.conftest import make_prediction

    prediction = make_prediction(production_model)
    name = prediction.recording.audio.name
    assert client.get(f"/media/{name}").status_code == 404
    assert client.get(f"/static/../media/{name}").status_code == 404
