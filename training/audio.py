"""Decode uploaded audio to 16 kHz mono float32 and check that it holds speech.

Framework-free: numpy, soundfile, soxr and (lazily) PyAV only. Every unusable
input raises AudioError with one of ERROR_CODES and a message fit for a person.
WAV, FLAC, Ogg/Vorbis, AIFF and the like go through libsndfile (fast); MP3,
Opus, MP4/M4A, WebM/Matroska, ADTS and AMR through FFmpeg (PyAV).
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import soundfile as sf
import soxr

__all__ = [
    "TARGET_SAMPLE_RATE",
    "ERROR_CODES",
    "EMPTY",
    "NOT_AUDIO",
    "CORRUPT",
    "UNSUPPORTED",
    "TOO_LARGE",
    "TOO_LONG",
    "TOO_SHORT",
    "NO_SPEECH",
    "AudioError",
    "DecodeLimits",
    "DecodedAudio",
    "SpeechActivity",
    "decode_audio",
    "decode_audio_with_info",
    "ensure_speech",
]

TARGET_SAMPLE_RATE = 16_000

EMPTY = "empty"
NOT_AUDIO = "not_audio"
CORRUPT = "corrupt"
UNSUPPORTED = "unsupported"
TOO_LARGE = "too_large"
TOO_LONG = "too_long"
TOO_SHORT = "too_short"
NO_SPEECH = "no_speech"
ERROR_CODES = frozenset(
    {EMPTY, NOT_AUDIO, CORRUPT, UNSUPPORTED, TOO_LARGE, TOO_LONG, TOO_SHORT, NO_SPEECH}
)

_MB = 1024 * 1024
# Above this many decoded samples (all channels) a file is read in blocks so that
# memory stays bounded by the 16 kHz mono output rather than the source layout.
_WHOLE_READ_MAX_SAMPLES = 8 * 1024 * 1024
_BLOCK_FRAMES = 1 << 18
_READ_CHUNK = 1 << 20
_RESAMPLE_BATCH_FRAMES = 1 << 16
_SF_UNKNOWN_FRAMES = 1 << 62
_GAP_JITTER_S = 0.005
_MAX_MISSING_S = 0.25
_SOUNDFILE_ERRORS = (sf.LibsndfileError, RuntimeError, ValueError, TypeError)


class AudioError(Exception):
    """One failure type for every unusable input."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"AudioError({self.code!r}, {self.message!r})"

    def __reduce__(self):
        return (type(self), (self.code, self.message))


@dataclass(frozen=True)
class DecodeLimits:
    """Bounds on an input; checked before decoding wherever the file declares them."""

    max_bytes: int = 25 * _MB
    max_duration_s: float = 600.0
    min_duration_s: float = 0.5


@dataclass(frozen=True, eq=False)
class DecodedAudio:
    """Decoded samples plus what was learnt about the source on the way."""

    samples: np.ndarray
    sample_rate: int
    original_sample_rate: int
    channels: int
    duration_s: float
    format: str
    codec: str = ""


@dataclass(frozen=True)
class SpeechActivity:
    """speech_ratio: share of all 30 ms frames judged speech."""

    speech_ratio: float
    speech_duration_s: float
    peak_dbfs: float


# --------------------------------------------------------------------------- messages


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pair(value: float, limit: float) -> tuple[str, str]:
    """Format value and limit with enough decimals that they read differently."""
    for digits in range(1, 4):
        a, b = _trim(f"{value:.{digits}f}"), _trim(f"{limit:.{digits}f}")
        if a != b and (a != "0" or value == 0):
            break
    return a, b


def _duration_pair(value: float, limit: float) -> tuple[str, str]:
    if max(value, limit) >= 120:
        a, b = _pair(value / 60, limit / 60)
        return f"{a} min", f"{b} min"
    a, b = _pair(value, limit)
    return f"{a} s", f"{b} s"


def _too_large(size: int | None, limit: int) -> AudioError:
    if size is None:
        shown = _pair(limit / _MB, 0)[0]
        return AudioError(TOO_LARGE, f"The file is over the {shown} MB limit.")
    a, b = _pair(size / _MB, limit / _MB)
    return AudioError(TOO_LARGE, f"The file is {a} MB; the limit is {b} MB.")


def _too_long(duration: float | None, limit: float) -> AudioError:
    if duration is None:
        shown = _duration_pair(limit, 0)[0]
        return AudioError(TOO_LONG, f"The recording is longer than the {shown} limit.")
    a, b = _duration_pair(duration, limit)
    return AudioError(TOO_LONG, f"The recording is {a} long; the limit is {b}.")


def _too_short(duration: float, limit: float) -> AudioError:
    a, b = _duration_pair(duration, limit)
    return AudioError(TOO_SHORT, f"The recording is {a} long; at least {b} is needed.")


def _not_audio(filename: str | None = None) -> AudioError:
    name = f"“{filename}”" if filename else "The file"
    return AudioError(
        NOT_AUDIO, f"{name} is not an audio file in a format we can read."
    )


def _corrupt(detail: str = "") -> AudioError:
    suffix = f" ({detail})" if detail else ""
    return AudioError(
        CORRUPT, f"The audio file is damaged and cannot be decoded{suffix}."
    )


# --------------------------------------------------------------------------- input


def _read_source(source, max_bytes: int) -> tuple[bytes, str | None]:
    """Return the bytes of source (at most max_bytes) and its name when known."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        size = memoryview(source).nbytes
        if size > max_bytes:
            raise _too_large(size, max_bytes)
        return source if isinstance(source, bytes) else bytes(source), None
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise _too_large(size, max_bytes)
            data = _read_limited(fh.read, size or None, max_bytes)
        return data, os.path.basename(os.fspath(source))
    if hasattr(source, "read"):
        return _read_fileobj(source, max_bytes), getattr(source, "name", None)
    raise TypeError(f"decode_audio() cannot read a {type(source).__name__}")


def _read_fileobj(fileobj, max_bytes: int) -> bytes:
    """Read from the current position; restore it afterwards when possible."""
    try:
        start = fileobj.tell()
        size = fileobj.seek(0, io.SEEK_END) - start
        fileobj.seek(start)
    except (AttributeError, OSError, ValueError, TypeError):
        start = size = None
    if size is not None and size > max_bytes:
        raise _too_large(size, max_bytes)
    try:
        return _read_limited(fileobj.read, size, max_bytes)
    finally:
        if start is not None:
            fileobj.seek(start)


def _read_limited(read, expected: int | None, max_bytes: int) -> bytes:
    """Read to the end, but never more than max_bytes."""
    chunks, total, limit = [], 0, max_bytes + 1
    while total < limit:
        # Buffered files allocate the whole request up front: ask for what is
        # expected (+1 to see the end), or for pieces when the size is unknown.
        want = _READ_CHUNK if expected is None else max(expected - total, 0) + 1
        chunk = read(min(want, limit - total))
        if not chunk:
            break
        if isinstance(chunk, str):
            raise TypeError("decode_audio() needs a file opened in binary mode")
        chunks.append(chunk)
        total += len(chunk)
    if total > max_bytes:
        raise _too_large(None if expected is None else total, max_bytes)
    if len(chunks) == 1 and isinstance(chunks[0], bytes):
        return chunks[0]
    return b"".join(chunks)


_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_W64_GUID = b"riff\x2e\x91\xcf\x11\xa5\xd6\x28\xdb\x04\xc1\x00\x00"
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")


def _sniff(data: bytes, depth: int = 0) -> str | None:
    """Name the container from its magic bytes; None when it is not one we know."""
    head = data[:64]
    if head[:4] in (b"RIFF", b"RIFX", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[4:8] in _MP4_BOXES:
        return "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm" if b"webm" in head else "matroska"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[:3] == b"ID3" and len(head) >= 10 and depth == 0:
        # An ID3v2 tag may precede MP3, ADTS AAC or even FLAC: look behind it.
        size = 10 + sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(head[6:10]))
        size += 10 if head[5] & 0x10 else 0
        return _sniff(data[size:], depth + 1) or "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "aac" if head[1] & 0x06 == 0 else "mp3"
    if head[:4] == b"caff":
        return "caf"
    if head[:5] == b"#!AMR":
        return "amr"
    if head[:4] == b".snd":
        return "au"
    if head[:16] == _ASF_GUID:
        return "asf"
    if head[:16] == _W64_GUID:
        return "w64"
    return None


# MP3 goes to PyAV: libsndfile's mpg123 resyncs over damage silently and writes
# warnings straight to stderr.
_SOUNDFILE_FIRST = frozenset({"wav", "flac", "ogg", "aiff", "caf", "au", "w64"})
_CODEC_NAMES = {
    "mpeg_layer_iii": "mp3",
    "mpeg_layer_ii": "mp2",
    "mpeg_layer_i": "mp1",
    "mp3float": "mp3",
    "mp2float": "mp2",
}


# --------------------------------------------------------------------------- normalise


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def _downmix(block: np.ndarray) -> np.ndarray:
    """(frames, channels) float32 -> (frames,) float32 by the mean over channels."""
    channels = block.shape[1]
    if channels == 1:
        return block.reshape(-1) if block.flags.c_contiguous else block[:, 0].copy()
    # Column adds beat block.mean(axis=1), which is ~30x slower on 2-column arrays.
    # Damaged float files may hold inf; the finiteness check in finish() reports it.
    with np.errstate(over="ignore", invalid="ignore"):
        mono = block[:, 0] + block[:, 1]
        for c in range(2, channels):
            mono += block[:, c]
        mono *= np.float32(1.0 / channels)
    return mono


class _Normaliser:
    """Downmix and resample decoded blocks to 16 kHz mono; shared by both readers."""

    def __init__(self, sample_rate: int, limits: DecodeLimits):
        self.sample_rate = sample_rate
        self.limits = limits
        self.frames_in = 0
        self.channels = 0
        self.declared_s: float | None = None
        self._max_frames = limits.max_duration_s * sample_rate
        self._pending: list[np.ndarray] = []  # mono, still at the source rate
        self._pending_frames = 0
        self._parts: list[np.ndarray] = []  # mono at 16 kHz
        self._stream = None

    def push(self, block: np.ndarray) -> None:
        """Add a (frames, channels) float32 block."""
        self.channels = max(self.channels, block.shape[1])
        self.frames_in += len(block)
        if self.frames_in > self._max_frames:
            raise _too_long(None, self.limits.max_duration_s)
        mono = _downmix(block)
        if self.sample_rate == TARGET_SAMPLE_RATE:
            self._parts.append(mono)
            return
        self._pending.append(mono)
        self._pending_frames += len(mono)
        # Resampling in batches: one soxr call per codec frame costs more than
        # decoding, while batches keep memory bounded on long inputs.
        if self._pending_frames >= _RESAMPLE_BATCH_FRAMES:
            self._resample(last=False)

    def _resample(self, last: bool) -> None:
        mono = _concat(self._pending)
        self._pending, self._pending_frames = [], 0
        if last and self._stream is None:
            mono = soxr.resample(mono, self.sample_rate, TARGET_SAMPLE_RATE, "HQ")
        else:
            if self._stream is None:
                self._stream = soxr.ResampleStream(
                    self.sample_rate, TARGET_SAMPLE_RATE, 1, "float32", "HQ"
                )
            mono = self._stream.resample_chunk(mono, last=last)
        if len(mono):
            self._parts.append(mono)

    def finish(self) -> np.ndarray:
        """All samples so far as 16 kHz mono float32 in [-1, 1]."""
        if self._pending or self._stream is not None:
            self._resample(last=True)
        samples = _concat(self._parts)
        self._parts = []
        if len(samples):
            hi, lo = float(samples.max()), float(samples.min())
            if not (math.isfinite(hi) and math.isfinite(lo)):
                raise _corrupt("it contains invalid sample values")
            peak = max(hi, -lo)
            if peak > 1.0:
                if not samples.flags.writeable:
                    samples = samples.copy()
                # Division, unlike multiplying by 1/peak, maps the peak to exactly 1.
                np.divide(samples, np.float32(peak), out=samples)
        return samples


# --------------------------------------------------------------------------- readers


class _ClampedBytesIO(io.BytesIO):
    """libsndfile seeks before the start of some damaged files; BytesIO then raises
    inside a cffi callback, which only prints a traceback. Stop at 0 instead."""

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        try:
            return super().seek(offset, whence)
        except ValueError:
            return super().seek(0)


class _Fallback(Exception):
    """soundfile could not handle the data: let PyAV try."""


def _read_soundfile(data: bytes, limits: DecodeLimits) -> tuple[_Normaliser, str]:
    try:
        handle = sf.SoundFile(_ClampedBytesIO(data))
    except _SOUNDFILE_ERRORS:
        raise _Fallback
    with handle:
        rate, channels, frames = handle.samplerate, handle.channels, handle.frames
        if rate <= 0 or channels <= 0:
            raise _corrupt("the header declares no sample rate")
        if frames <= 0 or frames >= _SF_UNKNOWN_FRAMES:
            raise _Fallback
        if frames / rate > limits.max_duration_s:
            raise _too_long(frames / rate, limits.max_duration_s)
        norm = _Normaliser(rate, limits)
        norm.declared_s = frames / rate
        read = 0
        try:
            if frames * channels <= _WHOLE_READ_MAX_SAMPLES:
                block = handle.read(frames, dtype="float32", always_2d=True)
                read = len(block)
                norm.push(block)
            else:
                for block in handle.blocks(
                    _BLOCK_FRAMES, dtype="float32", always_2d=True
                ):
                    read += len(block)
                    norm.push(block)
        except _SOUNDFILE_ERRORS + (MemoryError,):
            raise _Fallback
        if read < frames:
            # Short read: PyAV tells a truncated file from one damaged mid-way.
            raise _Fallback
        codec = handle.subtype.lower()
        return norm, _CODEC_NAMES.get(codec, codec)


def _frame_block(frame) -> np.ndarray:
    """A PyAV AudioFrame -> (frames, channels) float32."""
    channels = len(frame.layout.channels) or 1
    array = frame.to_ndarray()
    if frame.format.is_planar:
        array = array.T
    else:
        array = array.reshape(-1, channels)
    kind = array.dtype
    if kind == np.float32:
        return array
    if kind == np.float64:
        return array.astype(np.float32)
    if kind == np.int16:
        return array.astype(np.float32) * np.float32(1 / 32768)
    if kind == np.int32:
        return array.astype(np.float32) * np.float32(1 / 2147483648)
    if kind == np.int64:
        return (array / 9223372036854775808.0).astype(np.float32)
    if kind == np.uint8:
        return (array.astype(np.float32) - 128) * np.float32(1 / 128)
    raise AudioError(UNSUPPORTED, f"Audio samples of type {kind} are not supported.")


def _read_pyav(data: bytes, limits: DecodeLimits) -> tuple[_Normaliser, str]:
    import av

    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, ValueError, OSError, RuntimeError) as exc:
        # The magic bytes named a container, so failing to open it means damage.
        raise _corrupt() from exc
    with container:
        if not container.streams.audio:
            raise AudioError(UNSUPPORTED, "The file contains no audio track.")
        stream = container.streams.audio[0]
        context = stream.codec_context
        if context is None or context.codec is None:
            raise AudioError(
                UNSUPPORTED, "The audio codec of this file is not supported."
            )
        declared = None
        if stream.duration and stream.time_base:
            declared = float(stream.duration * stream.time_base)
        elif container.duration:
            declared = container.duration / 1_000_000
        # Declared durations are estimates (bitrate, edit lists): only reject early
        # when clearly over; the decoded length is checked exactly while decoding.
        if declared is not None and declared > limits.max_duration_s * 1.05:
            raise _too_long(declared, limits.max_duration_s)
        try:
            norm, failed = _decode_stream(av, container, stream, limits)
        except (av.error.FFmpegError, ValueError, RuntimeError) as exc:
            raise _corrupt() from exc
        if norm is None:
            if not failed and (declared or 0) < limits.min_duration_s:
                raise _too_short(0.0, limits.min_duration_s)
            raise _corrupt()
        norm.declared_s = declared
        return norm, _CODEC_NAMES.get(context.name, context.name)


def _decode_stream(av, container, stream, limits) -> tuple[_Normaliser | None, bool]:
    """Decode frame by frame; return the audio and whether decoding failed at the end.

    A decoding error followed by more audio, or timestamps showing that more than
    _MAX_MISSING_S went missing, means damage mid-way: AudioError(corrupt).
    """
    norm = None
    failed = False
    time_base = float(stream.time_base or 0)
    expected = None  # where the next frame should start, in seconds
    missing = 0.0
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except (av.error.FFmpegError, ValueError):
            failed = True  # fine if it is the truncated tail; see below
            continue
        for frame in frames:
            if failed:
                raise _corrupt()
            rate = frame.sample_rate
            if norm is None:
                if not rate or rate <= 0:
                    raise _corrupt("the stream declares no sample rate")
                norm = _Normaliser(rate, limits)
            elif rate != norm.sample_rate:
                raise AudioError(
                    UNSUPPORTED, "The sample rate changes within the recording."
                )
            # Parsers resync past damaged data silently; the timestamps still
            # show how much audio went missing.
            if frame.pts is not None and time_base:
                start = frame.pts * time_base
                if expected is not None and start - expected > _GAP_JITTER_S:
                    missing += start - expected
                    if missing > _MAX_MISSING_S:
                        raise _corrupt()
                expected = start
            if expected is not None:
                expected += frame.samples / rate
            norm.push(_frame_block(frame))
    return norm, failed


# --------------------------------------------------------------------------- public


def decode_audio_with_info(
    source, *, limits: DecodeLimits = DecodeLimits(), filename: str | None = None
) -> DecodedAudio:
    """Like decode_audio, but also report the source's format, rate and channels."""
    data, name = _read_source(source, limits.max_bytes)
    filename = filename or name
    if not data:
        raise AudioError(EMPTY, "The file is empty.")
    label = _sniff(data)
    if label is None:
        raise _not_audio(filename and os.path.basename(str(filename)))
    try:
        result = None
        # libsndfile decodes Opus at 48 kHz about 3x slower than FFmpeg does.
        if label in _SOUNDFILE_FIRST and b"OpusHead" not in data[:96]:
            try:
                result = _read_soundfile(data, limits)
            except _Fallback:
                pass
        if result is None:
            result = _read_pyav(data, limits)
        norm, codec = result
        samples = norm.finish()
    except AudioError:
        raise
    except MemoryError as exc:
        raise AudioError(TOO_LARGE, "The recording is too large to decode.") from exc
    except Exception as exc:  # a decoder bug must still read as bad input
        raise _corrupt() from exc
    duration = len(samples) / TARGET_SAMPLE_RATE
    if duration < limits.min_duration_s:
        declared = norm.declared_s
        if declared and declared >= limits.min_duration_s and duration < 0.9 * declared:
            # Cut short by damage, not recorded short: "too short" would mislead.
            raise _corrupt("it ends early")
        raise _too_short(duration, limits.min_duration_s)
    return DecodedAudio(
        samples=samples,
        sample_rate=TARGET_SAMPLE_RATE,
        original_sample_rate=norm.sample_rate,
        channels=norm.channels,
        duration_s=duration,
        format=label,
        codec=codec,
    )


def decode_audio(
    source, *, limits: DecodeLimits = DecodeLimits(), filename: str | None = None
) -> np.ndarray:
    """Any supported file (path, bytes or binary file object) -> 16 kHz mono float32.

    File objects are read from their current position, which is restored
    afterwards when they are seekable; they are never closed.
    """
    return decode_audio_with_info(source, limits=limits, filename=filename).samples


# --------------------------------------------------------------------------- speech

_FRAME_S = 0.03
_MIN_PEAK_DBFS = -50.0
_MIN_FRAME_DBFS = -75.0
_DIGITAL_SILENCE_DBFS = -100.0
# Frames this far above the clip's noise floor (10th percentile) count as active.
_ACTIVE_ABOVE_FLOOR_DB = 9.0
# Spectral flatness of white noise is ~0.56; voiced speech is below 0.1 even at
# 10 dB SNR.
_MAX_SPEECH_FLATNESS = 0.35
# A frame is tonal when >90% of its power lies within +-2 bins of its peak and
# the peak sits where it was in the previous frame (within 0.1 bin). Speech
# reaches ~50% of such frames (a high, pure voice), a held tone ~100%.
_TONAL_CONCENTRATION = 0.9
_TONAL_DRIFT_BINS = 0.1
_MAX_TONAL_SHARE = 0.75
_MIN_SPEECH_S = 0.15
_MAX_SPECTRAL_FRAMES = 400


@lru_cache(maxsize=8)
def _window(length: int) -> np.ndarray:
    return np.hanning(length).astype(np.float32)


def _is_steady_tone(power: np.ndarray) -> bool:
    """power: (frames, bins) spectra of loud, non-noisy frames, in time order."""
    if len(power) < 3:
        return False
    rows = np.arange(len(power))
    peak = np.clip(power.argmax(axis=1), 2, power.shape[1] - 3)
    near = sum(power[rows, peak + d] for d in range(-2, 3))
    concentrated = near / power.sum(axis=1) > _TONAL_CONCENTRATION
    # Parabolic interpolation of the log spectrum locates the peak between bins.
    left, mid, right = (np.log(power[rows, peak + d]) for d in (-1, 0, 1))
    curvature = left - 2 * mid + right
    offset = np.divide(
        left - right, 2 * curvature, out=np.zeros_like(mid), where=curvature < 0
    )
    steady = np.abs(np.diff(peak + offset)) < _TONAL_DRIFT_BINS
    return float(np.mean(steady & concentrated[1:])) > _MAX_TONAL_SHARE


def _no_speech(reason: str) -> AudioError:
    return AudioError(NO_SPEECH, f"No speech was found: {reason}.")


def ensure_speech(
    samples: np.ndarray, sample_rate: int = TARGET_SAMPLE_RATE
) -> SpeechActivity:
    """Raise AudioError(no_speech) unless some 30 ms frames look like speech.

    Rejects silence, very low levels, DC, stationary noise and steady tones.
    Samples that are not finite raise AudioError(corrupt).
    """
    if sample_rate < 4000:
        raise ValueError(f"sample_rate must be at least 4000 Hz, not {sample_rate}")
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    frame = int(round(sample_rate * _FRAME_S))
    n_frames = len(x) // frame
    if n_frames == 0:
        raise _no_speech("the recording is too short")
    frames = x[: n_frames * frame].reshape(n_frames, frame)
    # Removing each frame's own mean drops DC and slow drift, and keeps padding
    # that is constant (not only zero) digitally silent.
    frames = frames - frames.mean(axis=1, keepdims=True)
    peak = float(np.abs(frames).max())
    if not math.isfinite(peak):
        raise _corrupt("it contains invalid sample values")
    peak_dbfs = 20 * math.log10(peak) if peak > 0 else -math.inf
    if peak_dbfs < _MIN_PEAK_DBFS:
        raise _no_speech("the recording is silent or too quiet")

    power = np.einsum("ij,ij->i", frames, frames) / frame
    level = 10 * np.log10(power + 1e-12)
    # Digitally silent frames (padding, gated input) would drag the floor down
    # and let steady background count as active.
    audible = level[level > _DIGITAL_SILENCE_DBFS]
    if len(audible) == 0:
        raise _no_speech("the recording is silent or too quiet")
    floor = np.partition(audible, len(audible) // 10)[len(audible) // 10]
    active = np.flatnonzero(
        (level > floor + _ACTIVE_ABOVE_FLOOR_DB) & (level > _MIN_FRAME_DBFS)
    )
    if len(active) == 0:
        raise _no_speech(
            "the recording holds only a steady sound (noise, hum or a tone)"
        )

    picked = active
    if len(picked) > _MAX_SPECTRAL_FRAMES:
        picked = picked[
            np.linspace(0, len(picked) - 1, _MAX_SPECTRAL_FRAMES).astype(int)
        ]
    n_fft = 1 << (frame - 1).bit_length()
    spectrum = np.fft.rfft(frames[picked] * _window(frame), n_fft, axis=1)
    spectrum = (spectrum.real**2 + spectrum.imag**2)[:, 2:] + 1e-20
    mean = spectrum.mean(axis=1)
    flatness = np.exp(np.log(spectrum).mean(axis=1)) / mean
    voiced = flatness < _MAX_SPEECH_FLATNESS
    if not voiced.any():
        raise _no_speech("the recording holds only noise")

    if _is_steady_tone(spectrum[voiced]):
        raise _no_speech("the recording holds a steady tone")

    speech_frames = len(active) * voiced.mean()
    speech_s = speech_frames * frame / sample_rate
    if speech_s < _MIN_SPEECH_S:
        raise _no_speech("too little of the recording sounds like a voice")
    return SpeechActivity(
        speech_ratio=float(speech_frames / n_frames),
        speech_duration_s=float(speech_s),
        peak_dbfs=float(peak_dbfs),
    )
