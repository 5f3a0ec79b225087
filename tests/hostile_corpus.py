"""Hostile inputs for every place audio enters, made by code at test time.

Nothing binary is committed: each item is built from a real clip of the bundled
dataset (encoded with soundfile or PyAV, then cut, flipped or rewritten) or from
numbers. Every item carries the outcomes an entry point may give it, as the
decoder's error codes (``training.audio.ERROR_CODES``) plus ``CREATED`` where the
input is legitimately usable audio (a truncated file that still holds seconds of
speech, a header that lies about its size in front of a real clip, a hostile file
name on a real recording). ``predictions.errors.AUDIO_STATUS`` turns codes into
HTTP statuses; ``CREATED`` is 201.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import soundfile as sf
import soxr

from tests.audio_factory import encode_with_pyav, encode_with_soundfile
from tests.conftest import real_clip
from training.audio import (
    CORRUPT,
    EMPTY,
    NO_SPEECH,
    NOT_AUDIO,
    TOO_LARGE,
    TOO_LONG,
    TOO_SHORT,
    UNSUPPORTED,
)

CREATED = "created"
# Refused by Django's multipart parser before any audio code runs: a 400 with
# ``{"error": "parse_error"}`` (a part's headers are limited to 1,024 bytes).
REQUEST_REFUSED = "parse_error"
RATE = 16_000
HOUR_S = 3_660  # an hour and a minute: past the upload (600 s) and dataset limits


@dataclass(frozen=True)
class Item:
    """One hostile input: what is sent, and what may come back."""

    key: str
    filename: str
    data: bytes
    outcomes: frozenset[str]
    why: str = ""

    @property
    def may_be_created(self) -> bool:
        return CREATED in self.outcomes

    @property
    def must_be_created(self) -> bool:
        return self.outcomes == {CREATED}

    def __repr__(self) -> str:  # bytes would flood pytest's output
        return f"Item({self.key!r}, {len(self.data)} bytes, {sorted(self.outcomes)})"


def _item(key, filename, data, *outcomes, why=""):
    return Item(key, filename, data, frozenset(outcomes), why)


# ---------------------------------------------------------------------- encoders


@lru_cache(maxsize=1)
def speech() -> np.ndarray:
    """A real female clip of the bundled dataset: 3.3 s, 16 kHz mono float32."""
    samples, rate = sf.read(real_clip("female", 0), dtype="float32")
    assert rate == RATE
    return samples


def wav(samples, rate: int = RATE, subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype=subtype)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def encoded() -> dict[str, bytes]:
    """The real clip in each format uploads arrive in."""
    clip = speech()
    return {
        "wav": wav(clip),
        "flac": encode_with_soundfile(clip, "FLAC", "PCM_16"),
        "ogg": encode_with_soundfile(clip, "OGG", "VORBIS"),
        "mp3": encode_with_pyav(clip, "mp3", "libmp3lame", RATE),
        "m4a": encode_with_pyav(clip, "ipod", "aac", RATE),
        "webm": encode_with_pyav(clip, "webm", "libopus", 48_000, seekable=False),
    }


# ---------------------------------------------------------------------- damage


def truncated(data: bytes, keep: float) -> bytes:
    return data[: int(len(data) * keep)]


def bit_flipped(data: bytes, flips: int = 40, seed: int = 8) -> bytes:
    """``flips`` single-bit flips in the last 90 % of the file (past the headers)."""
    rng = np.random.default_rng(seed)
    out = bytearray(data)
    for position in rng.integers(len(data) // 10, len(data), flips):
        out[position] ^= 1 << int(rng.integers(8))
    return bytes(out)


def wav_fields(data: bytes) -> dict[str, int]:
    """Offsets of a canonical RIFF/WAVE header's fields (``fmt `` then ``data``)."""
    fmt, chunk = data.index(b"fmt "), data.index(b"data")
    return {
        "riff_size": 4,
        "format_tag": fmt + 8,
        "channels": fmt + 10,
        "sample_rate": fmt + 12,
        "byte_rate": fmt + 16,
        "block_align": fmt + 20,
        "bits": fmt + 22,
        "data_size": chunk + 4,
    }


WAV_FIELD_SIZES = {
    "riff_size": 4,
    "format_tag": 2,
    "channels": 2,
    "sample_rate": 4,
    "byte_rate": 4,
    "block_align": 2,
    "bits": 2,
    "data_size": 4,
}


def with_wav_field(data: bytes, **values: int) -> bytes:
    out, offsets = bytearray(data), wav_fields(data)
    for name, value in values.items():
        size = WAV_FIELD_SIZES[name]
        out[offsets[name] : offsets[name] + size] = value.to_bytes(size, "little")
    return bytes(out)


# ---------------------------------------------------------------------- non-audio


def png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + bytes(range(12)) for _ in range(4)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    body = (
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )
    return body + bytes(2048)


def random_bytes(size: int = 64 * 1024, seed: int = 3) -> bytes:
    return np.random.default_rng(seed).bytes(size)


# ---------------------------------------------------------------------- signals


def tone(hz: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def white_noise(seconds: float = 3.0, level: float = 0.3) -> np.ndarray:
    rng = np.random.default_rng(5)
    noise = level * rng.standard_normal(int(seconds * RATE))
    return np.clip(noise, -1, 1).astype(np.float32)


def eight_channels_192k(seconds: float = 3.0) -> bytes:
    """The real clip at 192 kHz on 8 channels (each a little delayed): ~9 MB."""
    up = soxr.resample(speech()[: int(seconds * RATE)], RATE, 192_000)
    channels = np.stack([np.roll(up, 40 * c) * 0.9 for c in range(8)], axis=1)
    return wav(channels.astype(np.float32), rate=192_000)


def gigabyte_header(data: bytes) -> bytes:
    """A wav whose RIFF and data sizes claim ~4 GB, whatever actually follows."""
    return with_wav_field(data, riff_size=0xFFFFFFF0, data_size=0xFFFFFFC0)


def float_wav_with(value: float) -> bytes:
    samples = speech().copy()
    samples[8_000:8_100] = value
    return wav(samples, subtype="FLOAT")


def hour_of_silence_flac() -> bytes:
    """61 minutes of digital silence at 8 kHz: FLAC stores it in ~120 kB."""
    buffer = io.BytesIO()
    block = np.zeros(8_000 * 60, np.int16)
    with sf.SoundFile(buffer, "w", 8_000, 1, format="FLAC", subtype="PCM_16") as handle:
        for _ in range(HOUR_S // 60):
            handle.write(block)
    return buffer.getvalue()


def hour_of_tone_u8_wav() -> bytes:
    """61 minutes of a 200 Hz tone, 8 kHz 8-bit: 29 MB, over the 25 MB limit."""
    period = (128 + 60 * np.sin(2 * np.pi * np.arange(40) / 40)).astype(np.uint8)
    payload = np.tile(period, HOUR_S * 8_000 // 40).tobytes()
    header = wav(np.zeros(1, np.float32), rate=8_000, subtype="PCM_U8")
    header = header[: header.index(b"data") + 8]
    return with_wav_field(
        header + payload,
        riff_size=len(header) - 8 + len(payload),
        data_size=len(payload),
    )


def hour_of_speech_mp3() -> bytes:
    """61 minutes of real speech at 8 kbps: one short CBR mp3 repeated (~3.7 MB).

    No Xing/ID3 header, so FFmpeg can only estimate the duration from the bit rate,
    as it must for any concatenated or streamed mp3.
    """
    piece = encode_with_pyav(
        np.tile(speech(), 3),
        "mp3",
        "libmp3lame",
        8_000,
        bit_rate=8_000,
        options={"write_xing": "0", "id3v2_version": "0"},
    )
    seconds = 3 * len(speech()) / RATE
    return piece * (int(HOUR_S / seconds) + 1)


# ---------------------------------------------------------------------- the corpus

HOSTILE_NAMES = {
    "path-traversal": "../../etc/passwd.wav",
    "windows-path": "..\\..\\Windows\\win.ini.wav",
    "thousand-characters": "v" * 996 + ".wav",
    "control-characters": "clip\x01\x07\x1b[2J\x7f\r\n\tend.wav",
    "nul-like": "clip\x00.wav\u2400\ufffd%00.wav",
    "rtl-override": "voice\u202egnp.wav",
}


def _name_items() -> list[Item]:
    clip = encoded()["wav"]
    items = [
        _item(
            f"name-{key}",
            name,
            clip,
            CREATED,
            *([REQUEST_REFUSED] if len(name) > 900 else []),
            why="a real recording under a hostile name: stored under a random name",
        )
        for key, name in HOSTILE_NAMES.items()
    ]
    items += [
        _item(
            "name-path-traversal-text",
            HOSTILE_NAMES["path-traversal"],
            b"root:x:0:0:root:/root:/bin/bash\n" * 20,
            NOT_AUDIO,
        ),
        _item(
            "name-control-characters-text",
            HOSTILE_NAMES["control-characters"],
            b"\x1b[31mnot audio\x1b[0m\n" * 20,
            NOT_AUDIO,
        ),
    ]
    return items


def _format_items() -> list[Item]:
    items = []
    for fmt, data in encoded().items():
        name = f"clip.{fmt}"
        items += [
            _item(
                f"truncated-{fmt}-half",
                name,
                truncated(data, 0.5),
                CREATED,
                CORRUPT,
                TOO_SHORT,
                why="half of a 3.3 s clip is still speech: decoding it is fine",
            ),
            _item(
                f"truncated-{fmt}-header",
                name,
                data[:60],
                CORRUPT,
                TOO_SHORT,
                UNSUPPORTED,
                NOT_AUDIO,
            ),
            _item(
                f"bit-flipped-{fmt}",
                name,
                bit_flipped(data),
                CREATED,
                CORRUPT,
                TOO_SHORT,
                UNSUPPORTED,
                NO_SPEECH,
                why="flipped payload bits may decode to noisy but usable speech",
            ),
        ]
    return items


@lru_cache(maxsize=1)
def corpus() -> tuple[Item, ...]:
    """Every hostile input, in a fixed order."""
    clip = encoded()["wav"]
    items = [
        _item("empty", "empty.wav", b"", EMPTY),
        _item("random-bytes", "random.wav", random_bytes(), NOT_AUDIO),
        _item(
            "text-named-wav",
            "notes.wav",
            b"Dear diary, today I recorded nothing at all.\n" * 40,
            NOT_AUDIO,
        ),
        _item("png-named-wav", "photo.wav", png(), NOT_AUDIO),
        _item("pdf-named-wav", "paper.wav", pdf(), NOT_AUDIO),
        *_format_items(),
        _item(
            "gigabyte-header-over-speech",
            "huge.wav",
            gigabyte_header(clip),
            CREATED,
            CORRUPT,
            why="the header claims 4 GB but 3.3 s of speech follow: read what is there",
        ),
        _item(
            "gigabyte-header-alone",
            "huge.wav",
            gigabyte_header(clip)[:200],
            CORRUPT,
            TOO_SHORT,
        ),
        _item(
            "zero-sample-rate",
            "zero.wav",
            with_wav_field(clip, sample_rate=0, byte_rate=0),
            CORRUPT,
        ),
        _item(
            "eight-channels-192khz",
            "surround.wav",
            eight_channels_192k(),
            CREATED,
            why="3 s of real speech on 8 channels at 192 kHz is valid audio",
        ),
        _item("nan-samples", "nan.wav", float_wav_with(np.nan), CORRUPT),
        _item("infinite-samples", "inf.wav", float_wav_with(np.inf), CORRUPT),
        _item("ten-milliseconds", "blip.wav", wav(speech()[:160]), TOO_SHORT),
        _item("hour-of-silence-flac", "hour.flac", hour_of_silence_flac(), TOO_LONG),
        _item("hour-of-speech-mp3", "hour.mp3", hour_of_speech_mp3(), TOO_LONG),
        _item(
            "hour-of-tone-wav-8bit",
            "hour.wav",
            hour_of_tone_u8_wav(),
            TOO_LARGE,
            TOO_LONG,
        ),
        _item("silence", "silence.wav", wav(np.zeros(3 * RATE, np.float32)), NO_SPEECH),
        _item("white-noise", "noise.wav", wav(white_noise()), NO_SPEECH),
        _item("dc-only", "dc.wav", wav(np.full(3 * RATE, 0.5, np.float32)), NO_SPEECH),
        _item("tone-440hz", "tone.wav", wav(tone(440, 3.0, RATE)), NO_SPEECH),
        *_name_items(),
    ]
    keys = [item.key for item in items]
    assert len(keys) == len(set(keys)), "corpus keys must be unique"
    return tuple(items)


def by_key() -> dict[str, Item]:
    return {item.key: item for item in corpus()}


HEAVY = ("hour-of-silence-flac", "hour-of-speech-mp3", "hour-of-tone-wav-8bit")
