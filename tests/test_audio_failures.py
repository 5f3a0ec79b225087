"""Every unusable input ends as one AudioError with a code and a readable message."""

from __future__ import annotations

import csv
import io
import pickle
import struct
import zlib
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import training.audio as audio
from tests.audio_factory import NonSeekableSource, encode_with_pyav
from training.audio import (
    CORRUPT,
    EMPTY,
    ERROR_CODES,
    NO_SPEECH,
    NOT_AUDIO,
    TARGET_SAMPLE_RATE,
    TOO_LARGE,
    TOO_LONG,
    TOO_SHORT,
    UNSUPPORTED,
    AudioError,
    DecodeLimits,
    decode_audio,
    ensure_speech,
)

DATASET = (
    Path(__file__).resolve().parent.parent / "data" / "raw" / "speechocean762-adults"
)
MB = 1024 * 1024


def first_female_clip() -> np.ndarray:
    manifest = DATASET / "manifest.csv"
    if not manifest.exists():
        pytest.skip("the speechocean762 dataset is not in data/raw")
    with manifest.open(newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["gender"] == "female")
    samples, rate = sf.read(DATASET / row["path"], dtype="float32")
    assert rate == TARGET_SAMPLE_RATE
    return samples


def encode_video_only(container: str, codec: str) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        stream = out.add_stream(codec, rate=10)
        stream.width = stream.height = 16
        stream.pix_fmt = "yuv420p"
        for i in range(5):
            image = np.full((16, 16, 3), 40 * i, np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode(None))
    return buffer.getvalue()


def wav(samples, subtype="PCM_16", rate=TARGET_SAMPLE_RATE) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype=subtype)
    return buffer.getvalue()


def flac(samples) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, TARGET_SAMPLE_RATE, format="FLAC")
    return buffer.getvalue()


def png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def truncated(data: bytes, keep: float) -> bytes:
    return data[: int(len(data) * keep)]


def overwritten(data: bytes, share: float, seed: int = 1) -> bytes:
    """Random bytes over `share` of the file, starting at 40% of it."""
    out = bytearray(data)
    start, size = int(len(data) * 0.4), int(len(data) * share)
    out[start : start + size] = np.random.default_rng(seed).bytes(size)
    return bytes(out)


def bit_flipped(data: bytes, flips: int = 50, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    out = bytearray(data)
    for i in rng.integers(len(data) // 10, len(data), flips):
        out[i] ^= 1 << int(rng.integers(8))
    return bytes(out)


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return first_female_clip()


@pytest.fixture(scope="module")
def encoded(speech) -> dict[str, bytes]:
    return {
        "wav": wav(speech),
        "flac": flac(speech),
        "mp3": encode_with_pyav(speech, "mp3", "libmp3lame", 16000),
        "ogg-opus": encode_with_pyav(speech, "ogg", "libopus", 48000),
        "m4a-aac": encode_with_pyav(speech, "ipod", "aac", 16000),
        "webm-opus": encode_with_pyav(speech, "webm", "libopus", 48000),
    }


def code_of(source, **kwargs) -> str:
    with pytest.raises(AudioError) as caught:
        decode_audio(source, **kwargs)
    return caught.value.code


# ------------------------------------------------------------------------ the error


def test_an_audio_error_reads_as_its_message():
    error = AudioError(TOO_SHORT, "The recording is 0.2 s long.")
    assert (error.code, error.message, str(error)) == (
        TOO_SHORT,
        "The recording is 0.2 s long.",
        "The recording is 0.2 s long.",
    )


def test_an_audio_error_survives_pickling():
    error = pickle.loads(pickle.dumps(AudioError(CORRUPT, "Damaged.")))
    assert (error.code, error.message) == (CORRUPT, "Damaged.")


def test_the_error_codes_are_the_eight_documented_ones():
    assert ERROR_CODES == {
        "empty",
        "not_audio",
        "corrupt",
        "unsupported",
        "too_large",
        "too_long",
        "too_short",
        "no_speech",
    }


# ----------------------------------------------------------------------------- empty


@pytest.mark.parametrize("kind", ["bytes", "path", "file-object"])
def test_it_rejects_an_empty_file(tmp_path, kind):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    source = {"bytes": b"", "path": path, "file-object": io.BytesIO()}[kind]
    assert code_of(source) == EMPTY


def test_it_rejects_a_file_object_already_read_to_its_end(encoded):
    stream = io.BytesIO(encoded["wav"])
    stream.read()
    assert code_of(stream) == EMPTY


# ------------------------------------------------------------------------- not audio


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(np.random.default_rng(0).bytes(4096), id="random-bytes"),
        pytest.param(b"Dear diary, today I recorded nothing.\n" * 50, id="text"),
        pytest.param(png(), id="png"),
        pytest.param(b'{"samples": [0, 1, 0]}', id="json"),
        pytest.param(b"%PDF-1.7\n" + bytes(2000), id="pdf"),
    ],
)
def test_it_rejects_bytes_that_are_not_audio(data):
    assert code_of(data) == NOT_AUDIO


def test_it_rejects_a_text_file_named_wav(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("these are my notes, not a recording\n" * 20)
    assert code_of(path) == NOT_AUDIO


def test_it_names_the_file_that_is_not_audio():
    with pytest.raises(AudioError, match="notes.wav"):
        decode_audio(b"plain text", filename="notes.wav")


# --------------------------------------------------------------------------- corrupt


@pytest.mark.parametrize(
    "fmt, damage",
    [
        pytest.param("flac", lambda d: truncated(d, 0.1), id="flac-truncated"),
        pytest.param("flac", lambda d: overwritten(d, 0.2), id="flac-overwritten"),
        pytest.param("flac", bit_flipped, id="flac-bit-flipped"),
        pytest.param("mp3", lambda d: truncated(d, 0.02), id="mp3-truncated"),
        pytest.param("mp3", lambda d: overwritten(d, 0.02), id="mp3-overwritten"),
        pytest.param("m4a-aac", lambda d: truncated(d, 0.5), id="m4a-truncated"),
        pytest.param("m4a-aac", lambda d: overwritten(d, 0.02), id="m4a-overwritten"),
        pytest.param("m4a-aac", bit_flipped, id="m4a-bit-flipped"),
        pytest.param("ogg-opus", lambda d: overwritten(d, 0.02), id="opus-overwritten"),
        pytest.param(
            "webm-opus", lambda d: overwritten(d[:200], 0.9), id="webm-header"
        ),
    ],
)
def test_it_rejects_a_damaged_file_as_corrupt(encoded, fmt, damage):
    assert code_of(damage(encoded[fmt])) == CORRUPT


def test_it_decodes_what_survives_of_a_truncated_file(encoded):
    samples = decode_audio(truncated(encoded["flac"], 0.5))
    assert 1.0 < len(samples) / TARGET_SAMPLE_RATE < 2.0


def test_it_rejects_a_wav_header_with_a_zero_sample_rate_as_corrupt(encoded):
    data = bytearray(encoded["wav"])
    fmt = data.index(b"fmt ")
    data[fmt + 12 : fmt + 20] = bytes(8)  # sample rate and byte rate
    assert code_of(bytes(data)) == CORRUPT


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_it_rejects_float_samples_that_are_not_finite_as_corrupt(speech, bad_value):
    samples = speech.copy()
    samples[1000:1010] = bad_value
    assert code_of(wav(samples, "FLOAT")) == CORRUPT


def test_it_reads_a_wav_whose_header_claims_gigabytes_at_its_real_length(
    encoded, speech
):
    data = bytearray(encoded["wav"])
    chunk = data.index(b"data")
    data[4:8] = data[chunk + 4 : chunk + 8] = struct.pack("<I", 0xFFFFFFF0)
    assert len(decode_audio(bytes(data))) == len(speech)


def test_it_rejects_a_flac_header_claiming_days_before_decoding(encoded):
    data = bytearray(encoded["flac"])
    # STREAMINFO: rate (20 bits), channels (3), bits (5), total samples (36).
    field = int.from_bytes(data[18:26], "big") | (1 << 36) - 1
    data[18:26] = field.to_bytes(8, "big")
    assert code_of(bytes(data)) == TOO_LONG


# -------------------------------------------------------------------------- duration


def test_it_rejects_a_10_ms_recording_as_too_short():
    assert code_of(wav(np.zeros(160, np.float32))) == TOO_SHORT


def test_it_says_how_long_the_recording_is_and_how_long_it_must_be():
    with pytest.raises(AudioError) as caught:
        decode_audio(wav(np.zeros(3200, np.float32)))
    assert (
        caught.value.message == "The recording is 0.2 s long; at least 0.5 s is needed."
    )


def test_it_honours_a_custom_minimum_duration(speech):
    limits = DecodeLimits(min_duration_s=5.0)
    assert code_of(wav(speech), limits=limits) == TOO_SHORT


@pytest.mark.parametrize(
    "fmt", ["wav", "flac", "mp3", "ogg-opus", "m4a-aac", "webm-opus"]
)
def test_it_rejects_a_recording_over_the_duration_limit(encoded, fmt):
    assert code_of(encoded[fmt], limits=DecodeLimits(max_duration_s=2.0)) == TOO_LONG


def test_it_says_how_long_the_recording_is_and_what_the_limit_is(encoded):
    with pytest.raises(AudioError) as caught:
        decode_audio(encoded["wav"], limits=DecodeLimits(max_duration_s=2.0))
    assert caught.value.message == "The recording is 3.3 s long; the limit is 2 s."


def test_it_names_the_limit_a_stream_without_duration_went_past(encoded):
    with pytest.raises(AudioError) as caught:
        decode_audio(encoded["webm-opus"], limits=DecodeLimits(max_duration_s=2.0))
    assert caught.value.message == "The recording is longer than the 2 s limit."


def test_it_stops_decoding_a_stream_without_duration_once_past_the_limit(
    speech, monkeypatch
):
    long_webm = encode_with_pyav(np.tile(speech, 6), "webm", "libopus", 48000)
    decoded_frames = []
    original = audio._frame_block
    monkeypatch.setattr(
        audio, "_frame_block", lambda frame: decoded_frames.append(1) or original(frame)
    )
    with pytest.raises(AudioError) as caught:
        decode_audio(long_webm, limits=DecodeLimits(max_duration_s=1.0))
    assert caught.value.code == TOO_LONG
    assert len(decoded_frames) * 0.02 < 1.2  # 20 ms Opus frames: ~1 s decoded


# ------------------------------------------------------------------------------ size


@pytest.mark.parametrize(
    "make_source",
    [
        pytest.param(lambda data, path: data, id="bytes"),
        pytest.param(lambda data, path: path, id="path"),
        pytest.param(lambda data, path: io.BytesIO(data), id="file-object"),
        pytest.param(lambda data, path: NonSeekableSource(data), id="non-seekable"),
    ],
)
def test_it_rejects_a_file_over_the_size_limit(encoded, tmp_path, make_source):
    path = tmp_path / "clip.flac"
    path.write_bytes(encoded["flac"])
    source = make_source(encoded["flac"], path)
    assert code_of(source, limits=DecodeLimits(max_bytes=10_000)) == TOO_LARGE


def test_it_states_the_size_and_the_limit_in_megabytes(tmp_path):
    path = tmp_path / "huge.wav"
    with path.open("wb") as fh:
        fh.truncate(int(31.2 * MB))  # sparse: nothing is written
    with pytest.raises(AudioError) as caught:
        decode_audio(path)
    assert caught.value.message == "The file is 31.2 MB; the limit is 25 MB."


def test_it_checks_the_size_of_a_file_object_before_reading_it():
    class Huge(io.RawIOBase):
        def seekable(self):
            return True

        def tell(self):
            return 0

        def seek(self, offset, whence=io.SEEK_SET):
            return 10 * 1024 * MB if whence == io.SEEK_END else 0

        def read(self, size=-1):
            raise AssertionError("read before the size check")

    assert code_of(Huge()) == TOO_LARGE


# ----------------------------------------------------------------------- unsupported


@pytest.mark.parametrize(
    "container, codec", [("mp4", "mpeg4"), ("webm", "libvpx")], ids=["mp4", "webm"]
)
def test_it_rejects_a_container_without_audio_as_unsupported(container, codec):
    assert code_of(encode_video_only(container, codec)) == UNSUPPORTED


# ------------------------------------------------------------------------- no speech


def steady(value: float, seconds: float = 3.0) -> np.ndarray:
    return np.full(int(seconds * TARGET_SAMPLE_RATE), value, np.float32)


def tone(hz: float, amplitude: float = 0.5, seconds: float = 3.0) -> np.ndarray:
    t = np.arange(int(seconds * TARGET_SAMPLE_RATE)) / TARGET_SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def white_noise(level: float, seconds: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (level * rng.standard_normal(int(seconds * TARGET_SAMPLE_RATE))).astype(
        np.float32
    )


def beeping(hz: float) -> np.ndarray:
    t = np.arange(3 * TARGET_SAMPLE_RATE) / TARGET_SAMPLE_RATE
    return tone(hz) * ((t % 1.0) < 0.5) + white_noise(0.001)


@pytest.mark.parametrize(
    "make_samples",
    [
        pytest.param(lambda speech: steady(0.0), id="digital-silence"),
        pytest.param(
            lambda speech: speech * (10 ** (-60 / 20) / np.abs(speech).max()),
            id="speech-at-minus-60-dbfs",
        ),
        pytest.param(lambda speech: white_noise(0.1), id="white-noise"),
        pytest.param(
            lambda speech: np.clip(white_noise(0.5), -1, 1), id="loud-white-noise"
        ),
        pytest.param(lambda speech: steady(0.4) + white_noise(1e-5), id="dc-offset"),
        pytest.param(lambda speech: tone(440), id="440-hz-tone"),
        pytest.param(lambda speech: tone(440) + white_noise(0.05), id="tone-in-noise"),
        pytest.param(lambda speech: beeping(1000), id="beeping-tone"),
        pytest.param(lambda speech: speech[:400], id="shorter-than-a-frame"),
    ],
)
def test_the_speech_check_rejects_audio_without_speech(speech, make_samples):
    with pytest.raises(AudioError) as caught:
        ensure_speech(make_samples(speech))
    assert caught.value.code == NO_SPEECH


# ------------------------------------------------------------------------ properties

MAGIC = [
    b"",
    b"RIFF\x24\x00\x00\x00WAVEfmt ",
    b"fLaC",
    b"OggS\x00\x02",
    b"ID3\x04\x00\x00\x00\x00\x00\x00",
    b"\xff\xfb\x90\x64",
    b"\xff\xf1\x50\x80",
    b"\x1a\x45\xdf\xa3",
    b"\x00\x00\x00\x1cftypM4A ",
    b"FORM\x00\x00\x00\x00AIFF",
]


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.tuples(st.sampled_from(MAGIC), st.binary(max_size=4096)))
def test_arbitrary_bytes_only_ever_raise_an_audio_error(parts):
    try:
        samples = decode_audio(
            parts[0] + parts[1], limits=DecodeLimits(min_duration_s=0)
        )
    except AudioError as error:
        assert error.code in ERROR_CODES
    else:
        assert samples.dtype == np.float32 and samples.ndim == 1


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    fmt=st.sampled_from(["wav", "flac", "mp3", "ogg-opus", "m4a-aac", "webm-opus"]),
    cut=st.floats(0.0, 1.0),
    start=st.floats(0.0, 1.0),
    junk=st.binary(min_size=1, max_size=512),
)
def test_damaged_real_files_only_ever_raise_an_audio_error(
    encoded, fmt, cut, start, junk
):
    data = bytearray(encoded[fmt][: max(1, int(len(encoded[fmt]) * cut))])
    at = int(len(data) * start)
    data[at : at + len(junk)] = junk
    try:
        samples = decode_audio(bytes(data))
    except AudioError as error:
        assert error.code in ERROR_CODES
    else:
        assert samples.dtype == np.float32 and np.isfinite(samples).all()
