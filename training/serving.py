"""Production models for serving processes: loaded once, swapped on promotion.

Each process keeps the loaded predictor of each production version. A request asks
the database which version is in production (one indexed query) and loads a new one
only when the pointer has moved, so a promotion or rollback reaches every web worker
without a restart. Loading uses the LiteRT runtime: no TensorFlow in web processes.
"""

from __future__ import annotations

import threading

from training.artifacts import ArtifactError
from training.inference import Predictor
from training.models import ModelVersion
from training.registry import artifact_dir, best_production_version, production_version

_lock = threading.Lock()
_loaded: dict[int, Predictor] = {}


class ModelUnavailable(Exception):
    """No production model of that type, or its artifact cannot be loaded."""


def predictor_for(version: ModelVersion) -> Predictor:
    with _lock:
        predictor = _loaded.get(version.pk)
        if predictor is None:
            try:
                predictor = Predictor.load(artifact_dir(version), runtime="litert")
            except ArtifactError as exc:
                raise ModelUnavailable(f"{version} cannot be loaded: {exc}") from exc
            # Keep only current versions: drop those of the same type.
            for pk in [
                pk
                for pk, p in _loaded.items()
                if p.meta.model_type == version.model_type
            ]:
                del _loaded[pk]
            _loaded[version.pk] = predictor
        return predictor


def production_predictor(model_type: str | None = None):
    """(version, predictor) for a network type, or for the best production model."""
    version = (
        best_production_version()
        if model_type is None
        else production_version(model_type)
    )
    if version is None:
        raise ModelUnavailable(
            "No production model yet."
            if model_type is None
            else f"No {model_type} model is in production."
        )
    return version, predictor_for(version)


def clear_cache() -> None:
    with _lock:
        _loaded.clear()


def warm_up() -> list[str]:
    """Load every production model and run it once on a second of noise.

    Called when a web worker starts, so that the first request does not pay for
    loading models or compiling librosa's numba kernels.
    """
    import numpy as np

    from training.registry import production_versions

    noise = np.random.default_rng(0).normal(0, 0.1, 16_000).astype(np.float32)
    warmed = []
    for version in production_versions():
        try:
            predictor_for(version).predict(noise)
        except ModelUnavailable:
            continue
        warmed.append(version.model_type)
    return warmed
