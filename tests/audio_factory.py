"""Audio made by the tests from real clips of the bundled dataset."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from tests.conftest import real_clip
from training.audio import decode_audio


def wav_bytes(samples: np.ndarray, rate: int = 16_000, subtype="PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype=subtype)
    return buffer.getvalue()


def speech_wav(gender: str = "female", index: int = 0) -> bytes:
    return real_clip(gender, index).read_bytes()


def long_speech(seconds: float, genders=("female", "male")) -> np.ndarray:
    """Real clips of alternating voices joined until ``seconds`` are filled."""
    parts, total, i = [], 0, 0
    while total < seconds * 16_000:
        samples = decode_audio(real_clip(genders[i % len(genders)], i))
        parts.append(samples)
        total += samples.size
        i += 1
    return np.concatenate(parts)[: int(seconds * 16_000)]


def silence(seconds: float = 2.0) -> bytes:
    return wav_bytes(np.zeros(int(seconds * 16_000), dtype=np.float32))
