"""Production models for serving processes: loaded once, swapped on promotion.

Each process keeps the loaded predictor of each production version. A request asks
the database which version is in production (one indexed query) and loads a new one
only when the pointer has moved, so a promotion or rollback reaches every web worker
without a restart. Loading uses the LiteRT runtime: no TensorFlow in web processes.
"""

from __future__ import annotations

import logging
import threading

from training.artifacts import META_FILE, TFLITE_FILE, ArtifactError
from training.inference import Predictor
from training.models import ModelVersion
from training.registry import artifact_dir, best_production_version, production_version

log = logging.getLogger(__name__)
_lock = threading.Lock()
_loaded: dict[int, tuple[Predictor, tuple]] = {}


class ModelUnavailable(Exception):
    """No production model of that type, or its artifact cannot be loaded."""


def _signature(version: ModelVersion) -> tuple:
    """What the artifact's files look like on disk: a change means reload."""
    signature = []
    for name in (META_FILE, TFLITE_FILE):
        try:
            stat = (artifact_dir(version) / name).stat()
        except OSError:
            return ()
        signature.append((stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def predictor_for(version: ModelVersion) -> Predictor:
    """The loaded predictor of a version; reloaded when its files change on disk."""
    signature = _signature(version)
    with _lock:
        cached = _loaded.get(version.pk)
        if cached is not None and cached[1] == signature and signature:
            return cached[0]
        _loaded.pop(version.pk, None)
        if not signature:
            raise ModelUnavailable(
                f"{version} cannot be loaded: its artifact files are missing."
            )
        try:
            predictor = Predictor.load(artifact_dir(version), runtime="litert")
        except ArtifactError as exc:
            raise ModelUnavailable(f"{version} cannot be loaded: {exc}") from exc
        # Keep only current versions: drop the other loaded ones of the same type.
        for pk in [
            pk
            for pk, (p, _) in _loaded.items()
            if p.meta.model_type == version.model_type
        ]:
            del _loaded[pk]
        _loaded[version.pk] = (predictor, signature)
        return predictor


def production_predictor(model_type: str | None = None):
    """(version, predictor) for a network type, or for the best production model.

    When the production artifact cannot be loaded (missing or corrupt files), the
    version it replaced serves instead, and health reports the fault.
    """
    version = (
        best_production_version()
        if model_type is None
        else production_version(model_type)
    )
    if version is None:
        raise no_production_model(model_type)
    return serving_predictor(version)


def no_production_model(model_type: str | None = None) -> ModelUnavailable:
    """The error for a network type (or any, for None) with no production version."""
    return ModelUnavailable(
        "No production model yet."
        if model_type is None
        else f"No {model_type} model is in production."
    )


def serving_predictor(version: ModelVersion):
    """(version, predictor) that answers for ``version``: itself, or what it replaced.

    Raises ``ModelUnavailable`` when neither it nor any version it replaced loads.
    """
    try:
        return version, predictor_for(version)
    except ModelUnavailable as fault:
        previous = version.replaced
        while previous is not None:
            try:
                predictor = predictor_for(previous)
            except ModelUnavailable:
                previous = previous.replaced
                continue
            log.error("%s; serving %s instead", fault, previous)
            return previous, predictor
        raise


def production_faults() -> list[str]:
    """Why any production version cannot serve (empty when all load)."""
    from training.registry import production_versions

    faults = []
    for version in production_versions():
        try:
            predictor_for(version)
        except ModelUnavailable as exc:
            faults.append(str(exc))
    return faults


def clear_cache() -> None:
    with _lock:
        _loaded.clear()


def warm_up() -> list[str]:
    """Load every production model, run it on a second of noise, size its batches.

    Called when a web worker starts, so that the first request pays neither for
    loading models and feature code nor for an interpreter's first call at a batch
    size.
    """
    import numpy as np

    from training.registry import production_versions

    noise = np.random.default_rng(0).normal(0, 0.1, 16_000).astype(np.float32)
    warmed = []
    for version in production_versions():
        try:
            predictor = predictor_for(version)
        except ModelUnavailable:
            continue
        runner_warm_up = getattr(predictor.runner, "warm_up", None)
        if runner_warm_up is not None:
            runner_warm_up()
        predictor.predict(noise)
        warmed.append(version.model_type)
    return warmed
