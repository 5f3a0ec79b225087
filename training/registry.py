"""Which model versions serve: selectors, promotion and rollback.

Promotion switches the production pointer in one transaction and keeps the replaced
version for rollback; artifact folders are never overwritten.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from training.models import ModelVersion

log = logging.getLogger(__name__)


class RegistryError(Exception):
    """A promotion or rollback that cannot be done, with the reason."""


def artifact_dir(version: ModelVersion) -> Path:
    return Path(settings.MODELS_ROOT) / version.artifact_path


def production_versions() -> list[ModelVersion]:
    return list(
        ModelVersion.objects.filter(stage=ModelVersion.Stage.PRODUCTION)
        .select_related("run")
        .order_by("model_type")
    )


def production_version(model_type: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(
        stage=ModelVersion.Stage.PRODUCTION, model_type=model_type
    ).first()


def best_production_version() -> ModelVersion | None:
    """The production version with the highest held-out balanced accuracy."""
    versions = production_versions()
    if not versions:
        return None
    return max(versions, key=lambda v: (v.metrics.get("balanced_accuracy") or 0, v.pk))


def _mirror_alias(version: ModelVersion) -> None:
    from training import tracking

    transaction.on_commit(lambda: tracking.set_production_alias(version))


@transaction.atomic
def model_promote(*, version: ModelVersion, actor: str = "", reason: str = ""):
    """Make ``version`` its type's production model; the old one is archived."""
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.stage == ModelVersion.Stage.PRODUCTION:
        raise RegistryError(f"{version} is already in production.")
    if not (artifact_dir(version) / "meta.json").is_file():
        raise RegistryError(f"{version} has no artifact at {artifact_dir(version)}.")
    current = (
        ModelVersion.objects.select_for_update()
        .filter(stage=ModelVersion.Stage.PRODUCTION, model_type=version.model_type)
        .first()
    )
    if current is not None:
        current.stage = ModelVersion.Stage.ARCHIVED
        current.save(update_fields=["stage"])
        version.replaced = current
    version.stage = ModelVersion.Stage.PRODUCTION
    version.promoted_at = timezone.now()
    version.save(update_fields=["stage", "replaced", "promoted_at"])
    log.info("Promoted %s (by %s): %s", version, actor or "system", reason)
    _mirror_alias(version)
    return version


@transaction.atomic
def model_rollback(*, model_type: str, actor: str = "") -> ModelVersion:
    """Restore the version that the current production one replaced."""
    current = (
        ModelVersion.objects.select_for_update()
        .filter(stage=ModelVersion.Stage.PRODUCTION, model_type=model_type)
        .first()
    )
    if current is None:
        raise RegistryError(f"No {model_type} model is in production.")
    previous = current.replaced
    if previous is None:
        raise RegistryError(
            f"{current} replaced no earlier version: nothing to restore."
        )
    current.stage = ModelVersion.Stage.ARCHIVED
    current.save(update_fields=["stage"])
    previous.stage = ModelVersion.Stage.PRODUCTION
    previous.promoted_at = timezone.now()
    previous.save(update_fields=["stage", "promoted_at"])
    log.info("Rolled %s back to %s (by %s)", current, previous, actor or "system")
    _mirror_alias(previous)
    return previous
