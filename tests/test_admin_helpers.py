"""Builders shared by the admin tests (this module holds no tests itself)."""

from __future__ import annotations

import importlib
import io
import json
import wave
from pathlib import Path

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.files.base import ContentFile

from feedback.models import Feedback
from predictions.models import Prediction, Recording
from training.models import ModelVersion, TrainingRun

PASSWORD = "a-long-test-password-42"
OPERATORS = "Model operators"


def operator_group() -> Group:
    """The group the migration creates (made again if a flushed database lost it)."""
    migration = importlib.import_module("training.migrations.0003_model_operator_group")
    if not Group.objects.filter(name=OPERATORS).exists():
        migration.create_model_operator_group(global_apps, None)
    return Group.objects.get(name=OPERATORS)


def make_user(
    username: str,
    *,
    staff: bool = True,
    superuser: bool = False,
    operator: bool = False,
    perms: tuple[str, ...] = (),
) -> User:
    user = User.objects.create_user(
        username, f"{username}@example.com", PASSWORD, is_staff=staff
    )
    if superuser:
        user.is_superuser = True
        user.save()
    if operator:
        user.groups.add(operator_group())
    for perm in perms:
        app, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    return user


def make_run(**fields) -> TrainingRun:
    defaults = {
        "trigger": TrainingRun.Trigger.CLI,
        "status": TrainingRun.Status.SUCCEEDED,
        "model_types": ["gru"],
        "params": {"epochs": 30, "batch_size": 64, "learning_rate": 0.001},
        "total_epochs": 30,
    }
    return TrainingRun.objects.create(**(defaults | fields))


METRICS = {
    "accuracy": 0.95,
    "balanced_accuracy": 0.94,
    "precision_female": 0.96,
    "precision_male": 0.93,
    "recall_female": 0.97,
    "recall_male": 0.91,
    "roc_auc": 0.99,
    "log_loss": 0.12,
    "speaker_accuracy": 1.0,
    "clips": 260,
    "speakers": 13,
    "confusion_matrix": [[91, 9], [5, 155]],
}


def make_version(
    model_type: str = "gru",
    stage: str = ModelVersion.Stage.CANDIDATE,
    *,
    run: TrainingRun | None = None,
    metrics: dict | None = None,
    artifact: bool = True,
    **fields,
) -> ModelVersion:
    """A version whose artifact folder holds the ``meta.json`` the registry checks."""
    run = run or make_run(model_types=[model_type])
    relative = f"{model_type}/run{run.pk}-{ModelVersion.objects.count() + 1}"
    if artifact:
        folder = Path(settings.MODELS_ROOT) / relative
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "meta.json").write_text(json.dumps({"model_type": model_type}))
    return ModelVersion.objects.create(
        run=run,
        model_type=model_type,
        artifact_path=relative,
        stage=stage,
        metrics=METRICS | (metrics or {}),
        baseline_metrics={"balanced_accuracy": 0.9, "accuracy": 0.91},
        size_bytes=fields.pop("size_bytes", 123_456),
        n_parameters=fields.pop("n_parameters", 27_000),
        **fields,
    )


def wav_bytes(seconds: float = 0.5, rate: int = 16_000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def _production_gru() -> ModelVersion:
    production = ModelVersion.Stage.PRODUCTION
    existing = ModelVersion.objects.filter(stage=production, model_type="gru").first()
    return existing or make_version("gru", production)


def make_prediction(
    version: ModelVersion | None = None,
    *,
    label: str = "female",
    confidence: float = 0.9,
    with_audio: bool = True,
) -> Prediction:
    version = version or _production_gru()
    recording = Recording(
        original_name="clip.wav",
        format="wav",
        codec="pcm_s16le",
        duration_s=0.5,
        sample_rate=16_000,
        sha256="0" * 64,
        size_bytes=16_044,
        source=Recording.Source.PAGE,
    )
    if with_audio:
        recording.audio.save("clip.wav", ContentFile(wav_bytes()), save=False)
    recording.save()
    return Prediction.objects.create(
        recording=recording,
        model_version=version,
        model_type=version.model_type,
        label=label,
        confidence=confidence,
        p_female=confidence if label == "female" else 1 - confidence,
        latency_ms=12.0,
    )


def make_feedback(prediction: Prediction | None = None, **fields) -> Feedback:
    prediction = prediction or make_prediction()
    defaults = {
        "true_gender": prediction.label if prediction.label != "uncertain" else "male",
        "consent_to_train": True,
        "comment": "",
    }
    values = defaults | fields
    values.setdefault("is_correct", values["true_gender"] == prediction.label)
    return Feedback.objects.create(prediction=prediction, **values)
