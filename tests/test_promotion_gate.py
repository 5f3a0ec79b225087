"""A new model replaces production only if it beats it on the same held-out speakers."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import install_version, train_tiny
from training.models import ModelVersion
from training.registry import production_version

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BUNDLED_GRU = Path(settings.BASE_DIR) / "models" / "bundled" / "gru"


@pytest.fixture
def strong_production():
    """The shipped GRU (balanced accuracy 0.99 on unseen speakers) serves."""
    return install_version(BUNDLED_GRU, "gru")


def test_a_worse_model_is_not_promoted(tiny_manifest, strong_production):
    run = train_tiny(tiny_manifest, learning_rate=1e-6, units=2)
    assert production_version("gru") == strong_production
    assert "kept production" in run.decision
    assert ModelVersion.objects.get(run=run).stage == ModelVersion.Stage.CANDIDATE


def test_a_better_model_is_promoted(tmp_path, tiny_manifest, strong_production):
    """On a dataset whose labels are swapped, the shipped model is wrong on almost
    every held-out clip; a model trained on that data is judged on the same clips."""
    swapped = tmp_path / "manifest.csv"
    rows = tiny_manifest.read_text().splitlines()
    body = [
        ",".join(
            [
                str((tiny_manifest.parent / r.split(",")[0]).resolve()),
                r.split(",")[1],
                {"female": "male", "male": "female"}[r.split(",")[2]],
            ]
        )
        for r in rows[1:]
    ]
    swapped.write_text("\n".join([rows[0], *body]) + "\n")
    run = train_tiny(swapped, epochs=3, units=8)
    new = ModelVersion.objects.get(run=run)
    assert production_version("gru") == new
    assert new.replaced == strong_production
    assert "promoted" in run.decision


def test_a_broken_production_artifact_loses_the_gate(tiny_manifest, strong_production):
    shutil.rmtree(Path(settings.MODELS_ROOT) / strong_production.artifact_path)
    run = train_tiny(tiny_manifest)
    assert production_version("gru").run == run
