"""Decoding every supported format into 16 kHz mono float32, and finding speech."""

from __future__ import annotations

import csv
import io
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

import training.audio as audio
from tests.audio_factory import (
    NonSeekableSource,
    encode_with_pyav,
    encode_with_soundfile,
)
from training.audio import (
    TARGET_SAMPLE_RATE,
    DecodedAudio,
    SpeechActivity,
    decode_audio,
    decode_audio_with_info,
    ensure_speech,
)

DATASET = (
    Path(__file__).resolve().parent.parent / "data" / "raw" / "speechocean762-adults"
)


def manifest_rows() -> list[dict[str, str]]:
    manifest = DATASET / "manifest.csv"
    if not manifest.exists():
        return []
    with manifest.open(newline="") as fh:
        return list(csv.DictReader(fh))


def first_clip_of(gender: str) -> np.ndarray:
    rows = [row for row in manifest_rows() if row["gender"] == gender]
    if not rows:
        pytest.skip("the speechocean762 dataset is not in data/raw")
    samples, rate = sf.read(DATASET / rows[0]["path"], dtype="float32")
    assert rate == TARGET_SAMPLE_RATE
    return samples


def one_clip_per_speaker(count: int) -> list[dict[str, str]]:
    picked: dict[str, dict[str, str]] = {}
    for row in manifest_rows():
        picked.setdefault(row["speaker"], row)
    return list(picked.values())[:count]


ENCODERS = {
    "wav-pcm16": lambda x: encode_with_soundfile(x, "WAV", "PCM_16"),
    "wav-pcm24": lambda x: encode_with_soundfile(x, "WAV", "PCM_24"),
    "wav-pcm32": lambda x: encode_with_soundfile(x, "WAV", "PCM_32"),
    "wav-float": lambda x: encode_with_soundfile(x, "WAV", "FLOAT"),
    "flac": lambda x: encode_with_soundfile(x, "FLAC", "PCM_16"),
    "mp3": lambda x: encode_with_pyav(x, "mp3", "libmp3lame", 16000),
    "ogg-vorbis": lambda x: encode_with_soundfile(x, "OGG", "VORBIS"),
    "ogg-opus": lambda x: encode_with_pyav(x, "ogg", "libopus", 48000),
    "m4a-aac": lambda x: encode_with_pyav(x, "ipod", "aac", 16000),
    "webm-opus": lambda x: encode_with_pyav(x, "webm", "libopus", 48000),
}
LOSSLESS = ["wav-pcm16", "wav-pcm24", "wav-pcm32", "wav-float", "flac"]
LOSSY = ["mp3", "ogg-vorbis", "ogg-opus", "m4a-aac", "webm-opus"]
EXPECTED_INFO = {
    "wav-pcm16": ("wav", "pcm_16", 16000),
    "flac": ("flac", "pcm_16", 16000),
    "mp3": ("mp3", "mp3", 16000),
    "ogg-vorbis": ("ogg", "vorbis", 16000),
    "ogg-opus": ("ogg", "opus", 48000),
    "m4a-aac": ("mp4", "aac", 16000),
    "webm-opus": ("webm", "opus", 48000),
}


@pytest.fixture(scope="module", params=["female", "male"])
def speech(request) -> np.ndarray:
    return first_clip_of(request.param)


@pytest.fixture(scope="module")
def encoded(speech) -> dict[str, bytes]:
    return {name: encode(speech) for name, encode in ENCODERS.items()}


def rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)))


def dominant_frequency(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[spectrum.argmax()])


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize("fmt", list(ENCODERS))
def test_it_decodes_every_format_to_16khz_mono_float32(encoded, fmt):
    samples = decode_audio(encoded[fmt])
    assert samples.dtype == np.float32
    assert samples.ndim == 1
    assert np.abs(samples).max() <= 1.0


@pytest.mark.parametrize("fmt", LOSSLESS)
def test_it_decodes_lossless_formats_sample_for_sample(encoded, speech, fmt):
    np.testing.assert_allclose(decode_audio(encoded[fmt]), speech, atol=1e-4)


@pytest.mark.parametrize("fmt", LOSSY)
def test_it_keeps_the_length_of_lossy_formats_within_50_ms(encoded, speech, fmt):
    samples = decode_audio(encoded[fmt])
    assert abs(len(samples) - len(speech)) / TARGET_SAMPLE_RATE <= 0.05


@pytest.mark.parametrize("fmt", LOSSY)
def test_it_keeps_the_level_of_lossy_formats_within_3_db(encoded, speech, fmt):
    assert abs(rms_db(decode_audio(encoded[fmt])) - rms_db(speech)) <= 3.0


@pytest.mark.parametrize("fmt", LOSSY)
def test_it_decodes_lossy_formats_in_step_with_the_original(encoded, speech, fmt):
    samples = decode_audio(encoded[fmt])
    n = min(len(samples), len(speech))
    assert np.corrcoef(samples[:n], speech[:n])[0, 1] > 0.9


def test_it_decodes_browser_webm_without_duration(encoded, speech):
    with av.open(io.BytesIO(encoded["webm-opus"])) as container:
        assert container.duration is None
    samples = decode_audio(encoded["webm-opus"])
    assert abs(len(samples) - len(speech)) / TARGET_SAMPLE_RATE <= 0.05


@pytest.mark.parametrize("fmt", list(EXPECTED_INFO))
def test_it_reports_container_codec_and_original_rate(encoded, fmt):
    info = decode_audio_with_info(encoded[fmt])
    assert isinstance(info, DecodedAudio)
    assert (info.format, info.codec, info.original_sample_rate) == EXPECTED_INFO[fmt]
    assert info.sample_rate == TARGET_SAMPLE_RATE
    assert info.channels == 1
    assert info.duration_s == pytest.approx(len(info.samples) / TARGET_SAMPLE_RATE)


# ------------------------------------------------------------------- normalisation


def test_it_resamples_44k_stereo_keeping_a_440_hz_tone_at_440_hz():
    t = np.arange(2 * 44100) / 44100
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    stereo = np.stack([tone, tone], axis=1).astype(np.float32)
    samples = decode_audio(encode_with_soundfile(stereo, "WAV", "PCM_16", 44100))
    assert len(samples) == 2 * TARGET_SAMPLE_RATE
    assert dominant_frequency(samples, TARGET_SAMPLE_RATE) == pytest.approx(440, abs=2)


def test_it_downmixes_stereo_by_averaging_the_channels(speech):
    stereo = np.stack([speech, np.zeros_like(speech)], axis=1)
    samples = decode_audio(encode_with_soundfile(stereo, "WAV", "FLOAT"))
    np.testing.assert_allclose(samples, speech / 2, atol=1e-6)


@pytest.mark.parametrize(
    "container, codec", [("matroska", "pcm_s16le"), ("matroska", "flac")]
)
def test_it_downmixes_integer_audio_that_only_ffmpeg_reads(speech, container, codec):
    stereo = np.stack([speech, np.zeros_like(speech)], axis=1)
    data = encode_with_pyav(stereo, container, codec, TARGET_SAMPLE_RATE)
    np.testing.assert_allclose(decode_audio(data), speech / 2, atol=1e-4)


def test_it_decodes_long_files_in_blocks_to_the_same_samples(monkeypatch):
    t = np.arange(3 * 44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 300 * t), np.sin(2 * np.pi * 500 * t)], 1)
    data = encode_with_soundfile(
        0.5 * stereo.astype(np.float32), "FLAC", "PCM_16", 44100
    )
    whole = decode_audio(data)
    monkeypatch.setattr(audio, "_WHOLE_READ_MAX_SAMPLES", 1000)
    monkeypatch.setattr(audio, "_BLOCK_FRAMES", 4096)
    monkeypatch.setattr(audio, "_RESAMPLE_BATCH_FRAMES", 10_000)
    np.testing.assert_allclose(decode_audio(data), whole, atol=1e-6)


def test_it_reports_the_channels_and_rate_of_the_source():
    stereo = np.zeros((22050, 2), np.float32)
    info = decode_audio_with_info(encode_with_soundfile(stereo, "WAV", "PCM_16", 22050))
    assert (info.channels, info.original_sample_rate) == (2, 22050)


def test_it_scales_float_audio_beyond_full_scale_into_minus_one_to_one(speech):
    loud = speech * (4.0 / np.abs(speech).max())
    samples = decode_audio(encode_with_soundfile(loud, "WAV", "FLOAT"))
    assert np.abs(samples).max() == pytest.approx(1.0)
    np.testing.assert_allclose(samples, loud / 4.0, atol=1e-6)


# --------------------------------------------------------------------------- sources


@pytest.mark.parametrize(
    "make_source",
    [
        pytest.param(lambda data, path: str(path), id="str-path"),
        pytest.param(lambda data, path: path, id="pathlib-path"),
        pytest.param(lambda data, path: data, id="bytes"),
        pytest.param(lambda data, path: bytearray(data), id="bytearray"),
        pytest.param(lambda data, path: memoryview(data), id="memoryview"),
        pytest.param(lambda data, path: io.BytesIO(data), id="bytesio"),
        pytest.param(lambda data, path: path.open("rb"), id="open-file"),
        pytest.param(lambda data, path: NonSeekableSource(data), id="non-seekable"),
    ],
)
def test_it_accepts_paths_bytes_and_file_objects(
    encoded, speech, tmp_path, make_source
):
    path = tmp_path / "clip.flac"
    path.write_bytes(encoded["flac"])
    source = make_source(encoded["flac"], path)
    np.testing.assert_allclose(decode_audio(source), speech, atol=1e-4)


def test_it_reads_a_file_object_from_its_current_position(encoded, speech):
    stream = io.BytesIO(b"preamble" + encoded["flac"])
    stream.seek(len(b"preamble"))
    np.testing.assert_allclose(decode_audio(stream), speech, atol=1e-4)


def test_it_leaves_a_file_object_open_where_it_found_it(encoded):
    stream = io.BytesIO(b"preamble" + encoded["flac"])
    stream.seek(len(b"preamble"))
    decode_audio(stream)
    assert not stream.closed
    assert stream.tell() == len(b"preamble")


def test_it_reads_a_django_upload_held_in_memory(encoded, speech):
    uploadedfile = pytest.importorskip("django.core.files.uploadedfile")
    upload = uploadedfile.InMemoryUploadedFile(
        io.BytesIO(encoded["m4a-aac"]),
        "file",
        "voice.m4a",
        "audio/mp4",
        len(encoded["m4a-aac"]),
        None,
    )
    samples = decode_audio(upload, filename=upload.name)
    assert abs(len(samples) - len(speech)) / TARGET_SAMPLE_RATE <= 0.05


def test_it_reads_a_django_upload_spooled_to_disk(encoded, speech):
    # TemporaryUploadedFile is exactly this, but its constructor needs settings.
    uploadedfile = pytest.importorskip("django.core.files.uploadedfile")
    with tempfile.NamedTemporaryFile(suffix=".upload.webm") as spool:
        spool.write(encoded["webm-opus"])
        spool.seek(0)
        upload = uploadedfile.UploadedFile(
            spool, "voice.webm", "audio/webm", len(encoded["webm-opus"])
        )
        samples = decode_audio(upload, filename=upload.name)
        assert not spool.closed
    assert abs(len(samples) - len(speech)) / TARGET_SAMPLE_RATE <= 0.05


# ----------------------------------------------------------------------------- speed


def median_seconds(fn, repeats: int = 21) -> float:
    fn()
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return float(np.median(timings))


def test_it_decodes_a_five_second_wav_in_a_few_milliseconds(speech):
    five_seconds = np.resize(speech, 5 * TARGET_SAMPLE_RATE)
    data = encode_with_soundfile(five_seconds, "WAV", "PCM_16")
    # Target is 1 ms; the bound leaves room for a loaded CI machine.
    assert median_seconds(lambda: decode_audio(data)) < 0.005


# ---------------------------------------------------------------------------- speech

SPEAKER_CLIPS = one_clip_per_speaker(40)
SPEAKER_PARAMS = [pytest.param(row, id=row["speaker"]) for row in SPEAKER_CLIPS] or [
    pytest.param(None, marks=pytest.mark.skip(reason="dataset not in data/raw"))
]


def add_noise(samples: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(len(samples))
    scale = np.sqrt(np.mean(samples.astype(np.float64) ** 2) / 10 ** (snr_db / 10))
    return (samples + scale * noise).astype(np.float32)


@pytest.mark.parametrize("row", SPEAKER_PARAMS)
def test_real_speech_passes_the_speech_check(row):
    activity = ensure_speech(decode_audio(DATASET / row["path"]))
    assert isinstance(activity, SpeechActivity)
    assert 0.1 < activity.speech_ratio <= 1.0


@pytest.mark.parametrize("row", SPEAKER_PARAMS)
def test_real_speech_under_20_db_of_noise_passes_the_speech_check(row):
    samples = add_noise(decode_audio(DATASET / row["path"]), snr_db=20)
    assert ensure_speech(samples).speech_ratio > 0.1


def test_the_speech_ratio_is_the_share_of_frames_with_speech(speech):
    padded = np.concatenate([np.zeros(len(speech), np.float32), speech])
    alone, half_silent = ensure_speech(speech), ensure_speech(padded)
    assert half_silent.speech_ratio == pytest.approx(alone.speech_ratio / 2, rel=0.1)
    assert half_silent.speech_duration_s == pytest.approx(
        alone.speech_duration_s, rel=0.1
    )


def test_the_speech_check_takes_a_few_milliseconds_for_five_seconds(speech):
    five_seconds = np.resize(speech, 5 * TARGET_SAMPLE_RATE)
    # Target is 2 ms; the bound leaves room for a loaded CI machine.
    assert median_seconds(lambda: ensure_speech(five_seconds)) < 0.01
