"""From a manifest's clips to feature arrays for training and evaluation.

Features come from :func:`training.features.extract_features` on audio decoded by
:func:`training.audio.decode_audio`: the same two functions that serve uploads.
Optionally cached under ``data/processed/``, keyed by the dataset's checksum, the
feature settings and the augmentation plan, so a cache can never be stale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.audio import AudioError, DecodeLimits, decode_audio
from training.augment import augment
from training.datasets import Clip, dataset_checksum
from training.features import FeatureConfig, Features, extract_features

log = logging.getLogger(__name__)

# Training clips may be longer than uploads; the decoder still guards against garbage.
DATASET_LIMITS = DecodeLimits(max_bytes=200 * 1024 * 1024, max_duration_s=3600.0)


@dataclass
class ClipFeatures:
    clips: list[Clip]
    features: list[Features]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    @property
    def labels(self) -> np.ndarray:
        return np.array([clip.label for clip in self.clips], dtype=np.int64)

    @property
    def speakers(self) -> list[str]:
        return [clip.speaker for clip in self.clips]


def _pack(items: list[Features]) -> dict[str, np.ndarray]:
    lengths = np.array([f.frames.shape[0] for f in items], dtype=np.int64)
    return {
        "lengths": lengths,
        "frames": np.concatenate([f.frames for f in items]),
        "f0": np.concatenate([f.f0_hz for f in items]),
        "voiced": np.concatenate([f.voiced for f in items]),
    }


def _unpack(data) -> list[Features]:
    bounds = np.concatenate([[0], np.cumsum(data["lengths"])])
    return [
        Features(
            frames=data["frames"][a:b],
            f0_hz=data["f0"][a:b],
            voiced=data["voiced"][a:b],
        )
        for a, b in zip(bounds[:-1], bounds[1:])
    ]


def compute_features(
    clips: list[Clip],
    config: FeatureConfig,
    *,
    augment_copies: int = 0,
    seed: int = 0,
    cache_dir: Path | None = None,
    progress=None,
) -> ClipFeatures:
    """Features of each clip, then of ``augment_copies`` random variants of each.

    The result lists clips in order: every decodable clip clean, then each copy.
    Clips that cannot be decoded are skipped and reported, never fatal.
    """
    cache = None
    if cache_dir is not None:
        key = f"{dataset_checksum(clips)[:20]}-{config.fingerprint()}-a{augment_copies}"
        cache = Path(cache_dir) / f"{key}-s{seed}.npz"
        if cache.is_file():
            with np.load(cache, allow_pickle=False) as data:
                kept = set(data["kept"].tolist())
                features = _unpack(data)
            ordered = [c for i, c in enumerate(clips) if i in kept]
            ordered = ordered * (1 + augment_copies)
            skipped = [(str(c.path), "cached as undecodable") for i, c in
                       enumerate(clips) if i not in kept]
            return ClipFeatures(ordered, features, skipped)

    kept_clips, clean, variants, skipped, kept_idx = [], [], [], [], []
    for index, clip in enumerate(clips):
        try:
            samples = decode_audio(clip.path, limits=DATASET_LIMITS)
        except AudioError as exc:
            log.warning("Skipping %s: %s", clip.path, exc.message)
            skipped.append((str(clip.path), exc.message))
        else:
            kept_clips.append(clip)
            kept_idx.append(index)
            clean.append(extract_features(samples, config))
            for copy in range(augment_copies):
                rng = np.random.default_rng([seed, index, copy])
                variant = augment(samples, rng, config.sample_rate)
                variants.append((copy, extract_features(variant, config)))
        if progress is not None:
            progress(index + 1, len(clips))
    augmented = [f for copy in range(augment_copies) for c, f in variants if c == copy]
    features = clean + augmented
    if cache is not None and features:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, kept=np.array(kept_idx, dtype=np.int64), **_pack(features))
        tmp.rename(cache)
    return ClipFeatures(kept_clips * (1 + augment_copies), features, skipped)
