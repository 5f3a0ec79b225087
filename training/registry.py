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


def serving_versions() -> list[ModelVersion]:
    """Production versions with only the fields serving reads: one light query.

    A prediction asks this once; its run (with the training curves) and the
    baseline metrics stay in the database.
    """
    return list(
        ModelVersion.objects.filter(stage=ModelVersion.Stage.PRODUCTION)
        .only("id", "model_type", "artifact_path", "stage", "metrics", "replaced_id")
        .order_by("model_type")
    )


def best_of(versions: list[ModelVersion]) -> ModelVersion | None:
    """The version that answers by default, by the promotion gate's rule.

    The highest held-out balanced accuracy; on a tie the lower log-loss (the better
    calibrated probabilities); then the newest.
    """
    if not versions:
        return None

    def merit(version: ModelVersion):
        metrics = version.metrics
        log_loss = metrics.get("log_loss")
        return (
            round(metrics.get("balanced_accuracy") or 0, 9),
            -log_loss if log_loss is not None else float("-inf"),
            version.pk,
        )

    return max(versions, key=merit)


def best_production_version() -> ModelVersion | None:
    """The production version that answers by default (see :func:`best_of`)."""
    return best_of(serving_versions())


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
