"""Shipped models in ``models/bundled/``: export after training, install at set-up."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction

from training.artifacts import ArtifactError, artifact_size, read_meta
from training.models import ModelVersion, TrainingRun
from training.registry import artifact_dir, model_promote, production_version


def bundled_dirs() -> list[Path]:
    root = Path(settings.BUNDLED_MODELS_DIR)
    return sorted(p for p in root.glob("*") if (p / "meta.json").is_file())


@transaction.atomic
def bundled_models_install() -> list[ModelVersion]:
    """Copy each bundled model whose type has no production version, and promote it."""
    installed = []
    run = None
    for source in bundled_dirs():
        meta = read_meta(source)
        if production_version(meta.model_type) is not None:
            continue
        if run is None:
            run = TrainingRun.objects.create(
                trigger=TrainingRun.Trigger.CLI,
                reason="bundled models installed by manage.py bootstrap_models",
                status=TrainingRun.Status.SUCCEEDED,
                params=meta.training.get("params", {}),
                dataset=meta.training.get("dataset", ""),
                dataset_checksum=meta.training.get("dataset_checksum", ""),
                eval_speakers=meta.training.get("eval_speakers", []),
            )
        relative = f"{meta.model_type}/bundled-{source.name}-run{run.pk}"
        destination = Path(settings.MODELS_ROOT) / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, destination)
        version = ModelVersion.objects.create(
            run=run,
            model_type=meta.model_type,
            artifact_path=relative,
            metrics=meta.metrics,
            baseline_metrics=meta.training.get("baseline_metrics", {}),
            size_bytes=artifact_size(destination),
        )
        run.metrics[meta.model_type] = meta.metrics
        run.save(update_fields=["metrics"])
        installed.append(
            model_promote(version=version, actor="bootstrap", reason="bundled model")
        )
    return installed


def bundled_models_export(versions: list[ModelVersion], command: str) -> Path:
    """Replace models/bundled/ with these versions' artifacts (the LiteRT file only)."""
    root = Path(settings.BUNDLED_MODELS_DIR)
    root.mkdir(parents=True, exist_ok=True)
    for version in versions:
        source = artifact_dir(version)
        meta = read_meta(source)  # refuses an artifact from other feature code
        target = root / version.model_type
        if target.exists():
            shutil.rmtree(target)
        target.mkdir()
        for name in ("meta.json", "model.tflite"):
            shutil.copy2(source / name, target / name)
        data = json.loads((target / "meta.json").read_text())
        data["training"]["baseline_metrics"] = version.baseline_metrics
        data["training"]["command"] = command
        dataset = Path(data["training"].get("dataset", ""))
        if dataset.is_absolute() and dataset.is_relative_to(settings.BASE_DIR):
            data["training"]["dataset"] = str(dataset.relative_to(settings.BASE_DIR))
        (target / "meta.json").write_text(json.dumps(data, indent=2))
        if meta.model_type != version.model_type:
            raise ArtifactError("artifact and version disagree on the model type")
    return root
