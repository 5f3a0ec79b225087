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


class NonSeekableSink(io.RawIOBase):
    """What a browser's MediaRecorder writes to: no going back to fill in a duration."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, chunk):
        self.data += bytes(chunk)
        return len(chunk)


class NonSeekableSource(io.RawIOBase):
    """A stream that can only be read forward, in small pieces."""

    def __init__(self, data: bytes):
        self._inner = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._inner.read(min(len(buffer), 1000))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def encode_with_pyav(
    samples,
    container: str,
    codec: str,
    rate: int,
    *,
    sample_rate: int = 16_000,
    bit_rate: int | None = None,
    options: dict | None = None,
    seekable: bool | None = None,
) -> bytes:
    """Encode (frames,) or (frames, channels) float32 samples with FFmpeg (PyAV).

    webm is written to a non-seekable sink by default, as browsers record it: the
    file then declares no duration.
    """
    import av

    seekable = container != "webm" if seekable is None else seekable
    planar = np.ascontiguousarray(
        np.asarray(samples, np.float32).reshape(len(samples), -1).T
    )
    layout = "mono" if len(planar) == 1 else "stereo"
    sink = io.BytesIO() if seekable else NonSeekableSink()
    with av.open(sink, "w", format=container, options=options or {}) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        if bit_rate:
            stream.codec_context.bit_rate = bit_rate
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name,
            layout=layout,
            rate=rate,
            frame_size=stream.codec_context.frame_size or None,
        )
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=layout)
        frame.sample_rate = sample_rate
        frame.pts = 0
        for chunk in resampler.resample(frame) + resampler.resample(None):
            out.mux(stream.encode(chunk))
        out.mux(stream.encode(None))
    return sink.getvalue() if seekable else bytes(sink.data)


def encode_with_soundfile(samples, fmt: str, subtype: str, sample_rate=16_000) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, sample_rate, format=fmt, subtype=subtype)
    return buffer.getvalue()
