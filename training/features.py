"""Frame-level features shared by training and inference.

The same function, with the same saved :class:`FeatureConfig` and normalisation
statistics, turns 16 kHz samples into the network's input in both places; a model's
artifact carries both, so serving can never drift from training.

Per frame: 20 MFCCs with per-utterance mean removed, their deltas, a log-F0 track from
YIN on every frame (its absolute level is the strongest gender cue, so it is never
normalised per utterance), a voicing flag and the frame energy relative to the loudest
frame.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np

FEATURES_VERSION = 1


@dataclass(frozen=True)
class FeatureConfig:
    sample_rate: int = 16_000
    n_mfcc: int = 20
    n_mels: int = 40
    n_fft: int = 512
    win_length: int = 400  # 25 ms
    hop_length: int = 320  # 20 ms
    f0_min: float = 65.0  # above mains hum, below the lowest adult male voices
    f0_max: float = 400.0
    f0_frame_length: int = 1024
    f0_reference_hz: float = 150.0
    voicing_floor_db: float = 35.0  # frames this far below the loudest are unvoiced
    window_frames: int = 100  # 2 s at a 20 ms hop: the network's input length
    window_hop_frames: int = 50
    version: int = FEATURES_VERSION

    @property
    def n_features(self) -> int:
        return 2 * self.n_mfcc + 3

    @property
    def frame_seconds(self) -> float:
        return self.hop_length / self.sample_rate

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureConfig":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def fingerprint(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Normalizer:
    """Global standardisation fitted on the training frames and saved with a model."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, frames: np.ndarray) -> "Normalizer":
        mean = frames.mean(axis=0)
        std = frames.std(axis=0)
        return cls(mean.astype(np.float32), np.maximum(std, 1e-3).astype(np.float32))

    def apply(self, frames: np.ndarray) -> np.ndarray:
        return ((frames - self.mean) / self.std).astype(np.float32)

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "Normalizer":
        return cls(
            np.asarray(data["mean"], dtype=np.float32),
            np.asarray(data["std"], dtype=np.float32),
        )


@dataclass
class Features:
    """One clip's frames (T, n_features), its F0 track in Hz and voicing flags."""

    frames: np.ndarray
    f0_hz: np.ndarray
    voiced: np.ndarray

    @property
    def median_f0(self) -> float:
        """Median F0 of voiced frames; NaN when no frame is voiced."""
        voiced = self.f0_hz[self.voiced]
        return float(np.median(voiced)) if voiced.size else float("nan")


def _voicing(f0: np.ndarray, energy_db: np.ndarray, floor_db: float) -> np.ndarray:
    """Voiced = loud enough and a pitch track that continues into a neighbour frame.

    YIN returns a value on every frame; on unvoiced frames it jumps about, on voiced
    ones it moves smoothly, so continuity is a cheap periodicity test.
    """
    loud = energy_db > -floor_db
    log_f0 = np.log2(f0)
    step = np.abs(np.diff(log_f0)) < 0.08
    smooth = np.zeros_like(loud)
    smooth[:-1] |= step
    smooth[1:] |= step
    return loud & smooth


def extract_features(samples: np.ndarray, config: FeatureConfig) -> Features:
    """16 kHz mono float samples -> :class:`Features` (not yet globally normalised)."""
    import librosa

    y = np.ascontiguousarray(samples, dtype=np.float32)
    min_len = config.f0_frame_length
    if y.size < min_len:
        y = np.pad(y, (0, min_len - y.size))
    mel = librosa.feature.melspectrogram(
        y=y,
        sr=config.sample_rate,
        n_fft=config.n_fft,
        win_length=config.win_length,
        hop_length=config.hop_length,
        n_mels=config.n_mels,
        power=2.0,
    )
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=config.n_mfcc)
    mfcc -= mfcc.mean(axis=1, keepdims=True)
    delta = librosa.feature.delta(mfcc, order=1, mode="nearest")
    f0 = librosa.yin(
        y,
        fmin=config.f0_min,
        fmax=config.f0_max,
        sr=config.sample_rate,
        frame_length=config.f0_frame_length,
        hop_length=config.hop_length,
    )
    rms = librosa.feature.rms(
        y=y, frame_length=config.win_length, hop_length=config.hop_length
    )[0]
    n = min(mfcc.shape[1], f0.size, rms.size)
    mfcc, delta, f0, rms = mfcc[:, :n], delta[:, :n], f0[:n], rms[:n]
    energy_db = 20 * np.log10(np.maximum(rms, 1e-5))
    energy_db -= energy_db.max()
    voiced = _voicing(f0, energy_db, config.voicing_floor_db)
    log_f0 = np.where(voiced, np.log2(f0 / config.f0_reference_hz), 0.0)
    frames = np.concatenate(
        [
            mfcc.T,
            delta.T,
            log_f0[:, None],
            voiced[:, None].astype(np.float32),
            (energy_db / config.voicing_floor_db)[:, None],
        ],
        axis=1,
    ).astype(np.float32)
    return Features(frames=frames, f0_hz=f0.astype(np.float32), voiced=voiced)


def window_starts(n_frames: int, config: FeatureConfig) -> list[int]:
    """Start frames of the windows that cover a clip; the last one ends at its end."""
    size, hop = config.window_frames, config.window_hop_frames
    if n_frames <= size:
        return [0]
    starts = list(range(0, n_frames - size + 1, hop))
    if starts[-1] + size < n_frames:
        starts.append(n_frames - size)
    return starts


def make_windows(frames: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """(T, F) frames -> (n_windows, window_frames, F).

    A clip shorter than one window is repeated to fill it, so every window the network
    sees holds real speech rather than padding.
    """
    size = config.window_frames
    if frames.shape[0] < size:
        reps = int(np.ceil(size / max(frames.shape[0], 1)))
        return np.tile(frames, (reps, 1))[:size][None]
    starts = window_starts(frames.shape[0], config)
    return np.stack([frames[s : s + size] for s in starts])


def window_voicing(voiced: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Share of voiced frames in each window, aligned with :func:`make_windows`."""
    size = config.window_frames
    if voiced.size < size:
        return np.array([voiced.mean() if voiced.size else 0.0], dtype=np.float32)
    return np.array(
        [voiced[s : s + size].mean() for s in window_starts(voiced.size, config)],
        dtype=np.float32,
    )
