"""`manage.py evaluate --json` prints exactly one JSON object with a fixed shape."""

import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import install_version
from training.datasets import load_manifest

pytestmark = pytest.mark.django_db

KEYS = {"clips", "accuracy", "balanced_accuracy", "speaker_accuracy", "roc_auc"}


def evaluate_json(capsys, **options) -> dict:
    call_command("evaluate", json=True, **options)
    out = capsys.readouterr().out
    return json.loads(out)  # fails unless stdout is exactly one JSON document


def test_evaluate_json_reports_each_production_model_and_the_baseline(
    production_model, tiny_manifest, capsys
):
    report = evaluate_json(capsys, manifest=str(tiny_manifest))
    assert set(report["models"]) == {"gru"}
    assert KEYS <= set(report["models"]["gru"])
    assert KEYS <= set(report["baseline"])
    assert report["models"]["gru"]["clips"] == 18


def test_evaluate_scores_are_real_fractions(production_model, tiny_manifest, capsys):
    gru = evaluate_json(capsys, manifest=str(tiny_manifest))["models"]["gru"]
    for key in ("accuracy", "balanced_accuracy", "speaker_accuracy", "roc_auc"):
        assert 0.0 <= gru[key] <= 1.0


def test_evaluate_counts_clips_it_cannot_decode_instead_of_failing(
    production_model, tiny_manifest, tmp_path, capsys
):
    (tmp_path / "broken.flac").write_bytes(b"this is not audio")
    rows = ["path,speaker,gender", "broken.flac,sX,female"] + [
        f"{clip.path},{clip.speaker},{clip.gender}"
        for clip in load_manifest(tiny_manifest)
    ]
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n")
    report = evaluate_json(capsys, manifest=str(tmp_path / "manifest.csv"))
    assert report["clips_skipped"] == 1
    assert report["skipped"][0]["error"] == "not_audio"
    assert report["models"]["gru"]["clips"] == 18


def test_evaluate_one_model_type_only(trained_model_dir, tiny_manifest, capsys):
    install_version(trained_model_dir, "gru")
    install_version(trained_model_dir, "lstm")
    report = evaluate_json(capsys, manifest=str(tiny_manifest), model="lstm")
    assert set(report["models"]) == {"lstm"}


def test_evaluate_without_a_production_model_says_so(db, tiny_manifest):
    with pytest.raises(CommandError, match="No production model"):
        call_command("evaluate", manifest=str(tiny_manifest), json=True)


def test_evaluate_a_missing_manifest_is_a_clear_error(production_model, tmp_path):
    with pytest.raises(CommandError, match="No manifest"):
        call_command("evaluate", manifest=str(tmp_path / "nope.csv"))
