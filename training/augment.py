"""Waveform augmentation for training: noise, gain and reverberation.

Never pitch shifting: pitch is the very cue the models must learn.
"""

from __future__ import annotations

import numpy as np


def add_noise(y: np.ndarray, rng: np.random.Generator, snr_db: float) -> np.ndarray:
    noise = rng.standard_normal(y.size).astype(np.float32)
    if rng.random() < 0.5:  # pink-ish noise: integrate white noise, remove drift
        noise = np.cumsum(noise)
        noise -= np.convolve(noise, np.ones(64) / 64, mode="same")
    signal_power = np.mean(y**2) + 1e-10
    noise_power = np.mean(noise**2) + 1e-10
    scale = np.sqrt(signal_power / (noise_power * 10 ** (snr_db / 10)))
    return y + scale * noise


def add_reverb(y: np.ndarray, rng: np.random.Generator, rt60_s: float, sr: int):
    """Convolve with a synthetic room response: decaying noise after a direct path."""
    # Imported here: scipy.signal costs a web worker about 1 s and 70 MB at start-up,
    # and web processes import this module (through the pipeline) but never call it.
    from scipy.signal import fftconvolve

    length = int(rt60_s * sr)
    t = np.arange(length) / sr
    response = rng.standard_normal(length) * np.exp(-6.9 * t / rt60_s)
    response[0] = 1.0
    response /= np.sqrt(np.sum(response**2))
    wet = fftconvolve(y, response)[: y.size]
    return wet.astype(np.float32)


def augment(y: np.ndarray, rng: np.random.Generator, sr: int = 16_000) -> np.ndarray:
    """One random, label-preserving variant of a clip."""
    out = y.astype(np.float32, copy=True)
    if rng.random() < 0.5:
        out = add_reverb(out, rng, rt60_s=float(rng.uniform(0.15, 0.6)), sr=sr)
    if rng.random() < 0.8:
        out = add_noise(out, rng, snr_db=float(rng.uniform(5, 30)))
    out *= 10 ** (rng.uniform(-18, 6) / 20)
    peak = np.max(np.abs(out)) + 1e-9
    if peak > 1.0:
        out /= peak
    return out.astype(np.float32)
