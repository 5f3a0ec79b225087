"""`manage.py predict FILE...`: a label and both probabilities per usable file."""

import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import install_version, real_clip
from training.registry import best_production_version

pytestmark = pytest.mark.django_db


def test_predict_prints_label_and_probabilities_as_json(production_model, capsys):
    call_command("predict", str(real_clip("female")), json=True)
    result = json.loads(capsys.readouterr().out)["results"][0]
    answer = result["predictions"][0]
    assert answer["label"] in {"female", "male", "uncertain"}
    p = answer["probabilities"]
    assert p["female"] + p["male"] == pytest.approx(1.0, abs=1e-3)
    assert result["duration_s"] > 1


def test_predict_names_each_file_in_plain_text(production_model, capsys):
    call_command("predict", str(real_clip("male")))
    out = capsys.readouterr().out
    assert str(real_clip("male")) in out and "P(female)=" in out


def test_predict_explains_a_file_it_cannot_use_and_fails(
    production_model, tmp_path, capsys
):
    text = tmp_path / "notes.wav"
    text.write_text("hello")
    with pytest.raises(CommandError, match="1 of 2 file"):
        call_command("predict", str(real_clip("female")), str(text), json=True)
    results = json.loads(capsys.readouterr().out)["results"]
    assert results[1] == {
        "file": str(text),
        "error": "not_audio",
        "detail": results[1]["detail"],
    }
    assert "predictions" in results[0]


def test_predict_a_missing_file_is_a_message_not_a_traceback(production_model, capsys):
    with pytest.raises(CommandError):
        call_command("predict", "/nonexistent/clip.wav", json=True)
    result = json.loads(capsys.readouterr().out)["results"][0]
    assert result["error"] in {"unavailable", "not_found"}


@pytest.fixture
def answers_of_all(trained_model_dir, capsys) -> list[dict]:
    """`predict --model all` on a real clip, with all three networks in production."""
    for model_type in ("gru", "lstm", "rnn"):
        install_version(trained_model_dir, model_type)
    call_command("predict", str(real_clip("female")), model="all", json=True)
    return json.loads(capsys.readouterr().out)["results"][0]["predictions"]


def test_predict_with_all_answers_with_every_production_network(answers_of_all):
    assert sorted(a["model_type"] for a in answers_of_all) == ["gru", "lstm", "rnn"]


def test_predict_with_all_puts_the_default_models_answer_first(answers_of_all):
    assert answers_of_all[0]["model_type"] == best_production_version().model_type
