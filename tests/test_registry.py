"""Promotion switches the production pointer atomically; rollback restores."""

import pytest
from django.db import IntegrityError

from tests.conftest import install_version
from training.models import ModelVersion
from training.registry import (
    RegistryError,
    best_production_version,
    model_promote,
    model_rollback,
    production_version,
)

pytestmark = pytest.mark.django_db


def test_promotion_archives_the_previous_production_version(trained_model_dir):
    old = install_version(trained_model_dir)
    new = install_version(trained_model_dir, stage="candidate")
    model_promote(version=new, reason="test")
    old.refresh_from_db()
    assert production_version("gru") == new
    assert old.stage == ModelVersion.Stage.ARCHIVED


def test_rollback_restores_the_version_that_was_replaced(trained_model_dir):
    old = install_version(trained_model_dir)
    new = install_version(trained_model_dir, stage="candidate")
    model_promote(version=new)
    assert model_rollback(model_type="gru") == old
    assert production_version("gru") == old


def test_rollback_without_an_earlier_version_is_refused(production_model):
    with pytest.raises(RegistryError, match="nothing to restore"):
        model_rollback(model_type="gru")


def test_a_version_without_its_artifact_cannot_be_promoted(trained_model_dir):
    version = install_version(trained_model_dir, stage="candidate")
    version.artifact_path = "gru/missing"
    version.save()
    with pytest.raises(RegistryError, match="no artifact"):
        model_promote(version=version)
    assert production_version("gru") is None


def test_the_database_refuses_two_production_versions_of_one_type(trained_model_dir):
    install_version(trained_model_dir)
    with pytest.raises(IntegrityError):
        install_version(trained_model_dir)


def test_the_best_production_model_has_the_highest_balanced_accuracy(
    trained_model_dir,
):
    install_version(trained_model_dir, "gru", metrics={"balanced_accuracy": 0.97})
    lstm = install_version(
        trained_model_dir, "lstm", metrics={"balanced_accuracy": 0.98}
    )
    install_version(trained_model_dir, "rnn", metrics={"balanced_accuracy": 0.96})
    assert best_production_version() == lstm


def test_a_tie_in_balanced_accuracy_goes_to_the_lower_log_loss(trained_model_dir):
    gru = install_version(
        trained_model_dir, "gru", metrics={"balanced_accuracy": 0.99, "log_loss": 0.02}
    )
    install_version(
        trained_model_dir, "lstm", metrics={"balanced_accuracy": 0.99, "log_loss": 0.03}
    )
    assert best_production_version() == gru
