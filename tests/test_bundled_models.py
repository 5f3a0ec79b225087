"""The shipped models make a fresh installation answer without training."""

import shutil

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.conftest import install_version, real_clip
from training.bundled import bundled_models_export
from training.registry import production_version, production_versions

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle(trained_model_dir):
    """models/bundled/ as the export after a training run leaves it."""
    version = install_version(trained_model_dir)
    bundled_models_export([version], command="manage.py train (test)")
    version.run.versions.all().delete()
    version.run.delete()
    shutil.rmtree(settings.MODELS_ROOT)
    return settings.BUNDLED_MODELS_DIR


def test_the_export_keeps_only_what_serving_needs(bundle):
    assert {p.name for p in (bundle / "gru").iterdir()} == {"meta.json", "model.tflite"}


def test_bootstrap_puts_the_bundled_models_into_production(bundle, capsys):
    call_command("bootstrap_models")
    version = production_version("gru")
    assert version is not None and version.model_type == "gru"
    assert "Installed bundled GRU" in capsys.readouterr().out


def test_bootstrap_never_replaces_a_serving_model(bundle, trained_model_dir):
    serving = install_version(trained_model_dir)
    call_command("bootstrap_models")
    assert production_versions() == [serving]


def test_a_bootstrapped_model_answers(bundle, capsys):
    call_command("bootstrap_models")
    call_command("predict", str(real_clip("female")))
    assert "P(female)=" in capsys.readouterr().out
