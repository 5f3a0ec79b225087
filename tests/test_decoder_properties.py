"""Properties of the decoder on mutated real files (hypothesis).

Whatever is done to a valid recording — cut anywhere, bits flipped anywhere, any
value written into any field of a wav header — ``decode_audio`` either raises
``AudioError`` with one of the documented codes, or returns finite float32 mono
16 kHz samples within [-1, 1], within the duration limits, and as long as the
(possibly rewritten) header says. Complements the arbitrary-bytes test in
test_audio_failures.py, which rarely gets past the container parsers.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.hostile_corpus import (
    WAV_FIELD_SIZES,
    encoded,
    speech,
    wav,
    wav_fields,
    with_wav_field,
)
from training.audio import (
    ERROR_CODES,
    TARGET_SAMPLE_RATE,
    AudioError,
    DecodedAudio,
    DecodeLimits,
    decode_audio_with_info,
)

FORMATS = ["wav", "flac", "ogg", "mp3", "m4a", "webm"]
LIMITS = [DecodeLimits(), DecodeLimits(min_duration_s=0.0)]
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Codecs with a fixed number of bits per sample: their length follows from the
# header's data size, channel count and sample rate alone.
FIXED_BITS = {
    "pcm_u8": 8,
    "pcm_s8": 8,
    "pcm_16": 16,
    "pcm_s16le": 16,
    "pcm_24": 24,
    "pcm_s24le": 24,
    "pcm_32": 32,
    "pcm_s32le": 32,
    "float": 32,
    "pcm_f32le": 32,
    "double": 64,
    "pcm_f64le": 64,
    "alaw": 8,
    "pcm_alaw": 8,
    "ulaw": 8,
    "pcm_mulaw": 8,
}


def decode(data: bytes, limits: DecodeLimits) -> DecodedAudio | None:
    """The decoded audio, or None after checking the AudioError it raised.

    Any other exception escapes and fails the property.
    """
    try:
        decoded = decode_audio_with_info(data, limits=limits)
    except AudioError as error:
        event(f"AudioError({error.code})")
        assert error.code in ERROR_CODES
        assert isinstance(error.message, str) and error.message
        return None
    event(f"decoded ({decoded.codec})")
    return decoded


def assert_sane(decoded: DecodedAudio, limits: DecodeLimits) -> None:
    samples = decoded.samples
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert decoded.sample_rate == TARGET_SAMPLE_RATE
    assert decoded.duration_s == pytest.approx(samples.size / TARGET_SAMPLE_RATE)
    if samples.size:
        assert np.isfinite(samples).all()
        assert float(np.abs(samples).max()) <= 1.0
    assert decoded.duration_s >= limits.min_duration_s
    assert decoded.duration_s <= limits.max_duration_s + 0.01
    assert decoded.channels >= 1 and decoded.original_sample_rate > 0


def full_duration(fmt: str) -> float:
    return decode_audio_with_info(encoded()[fmt]).duration_s


@st.composite
def cut_file(draw) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(FORMATS))
    data = encoded()[fmt]
    return fmt, data[: draw(st.integers(1, len(data) - 1))]


@st.composite
def flipped_file(draw) -> bytes:
    data = bytearray(encoded()[draw(st.sampled_from(FORMATS))])
    positions = st.integers(0, len(data) - 1)
    for where, bit in draw(
        st.lists(st.tuples(positions, st.integers(0, 7)), min_size=1, max_size=32)
    ):
        data[where] ^= 1 << bit
    return bytes(data)


@PROPERTY
@given(cut=cut_file(), limits=st.sampled_from(LIMITS))
def test_a_file_cut_anywhere_decodes_at_most_what_it_held_or_raises_an_audio_error(
    cut, limits
):
    fmt, data = cut

    decoded = decode(data, limits)

    if decoded is not None:
        assert_sane(decoded, limits)
        assert decoded.duration_s <= full_duration(fmt) + 0.05


@PROPERTY
@given(data=flipped_file(), limits=st.sampled_from(LIMITS))
def test_flipped_bits_anywhere_give_sane_samples_or_an_audio_error(data, limits):
    decoded = decode(data, limits)

    if decoded is not None:
        assert_sane(decoded, limits)


def base_wav() -> bytes:
    """One second of the real clip: short, so that odd rates stay cheap."""
    return wav(speech()[:TARGET_SAMPLE_RATE])


UNKNOWN_SIZES = {0, 0xFFFFFFFF}
ORIGINAL = {"channels": 1, "block_align": 2, "bits": 16}  # of base_wav()
INTERESTING = {
    "format_tag": [0, 1, 2, 3, 6, 7, 0x11, 0x31, 0x40, 0xFFFE, 0xFFFF],
    "channels": [0, 1, 2, 3, 8, 255, 0xFFFF],
    "sample_rate": [0, 1, 100, 8_000, 16_000, 44_100, 192_000, 4_000_000],
    "byte_rate": [0, 1, 32_000, 0xFFFFFFFF],
    "block_align": [0, 1, 2, 3, 4, 8, 0xFFFF],
    "bits": [0, 1, 4, 8, 12, 16, 24, 32, 64, 0xFFFF],
    "data_size": [0, 1, 100, 32_000, 32_001, 64_000, 0xFFFFFFF0, 0xFFFFFFFF],
    "riff_size": [0, 4, 36, 0xFFFFFFFF],
}


@st.composite
def header_values(draw) -> dict[str, int]:
    names = draw(st.sets(st.sampled_from(sorted(WAV_FIELD_SIZES)), min_size=1))
    values = {}
    for name in sorted(names):
        largest = (1 << (8 * WAV_FIELD_SIZES[name])) - 1
        values[name] = draw(
            st.one_of(st.sampled_from(INTERESTING[name]), st.integers(0, largest))
        )
    return values


@PROPERTY
@given(fields=header_values(), limits=st.sampled_from(LIMITS))
def test_any_wav_header_values_give_what_the_header_says_or_an_audio_error(
    fields, limits
):
    original = base_wav()
    data = with_wav_field(original, **fields)
    payload = len(original) - (wav_fields(original)["data_size"] + 4)

    decoded = decode(data, limits)

    if decoded is None:
        return
    assert_sane(decoded, limits)
    bits = FIXED_BITS.get(decoded.codec)
    if bits is None:
        return  # block codecs (ADPCM, G.72x, GSM) round to their block sizes
    declared = fields.get("data_size", payload)
    if declared in UNKNOWN_SIZES:
        declared = payload  # streaming writers' "unknown length": read to the end
    frames = min(declared, payload) * 8 // (bits * decoded.channels)
    expected = frames / decoded.original_sample_rate
    tolerance = 2 / decoded.original_sample_rate + 2 / TARGET_SAMPLE_RATE
    facts = (decoded.codec, decoded.channels, decoded.original_sample_rate)
    # Never more audio than the bytes can hold, read the way the header says ...
    assert decoded.duration_s <= expected + tolerance, (*facts, decoded.duration_s)
    # ... and all of it when the header agrees with itself.
    header = {name: fields.get(name, ORIGINAL[name]) for name in ORIGINAL}
    if (
        header["block_align"] * 8
        == header["channels"] * bits
        == decoded.channels * bits
    ):
        assert decoded.duration_s == pytest.approx(expected, abs=tolerance), facts
