"""Writes for predictions: store a recording and the answers given on it."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction

from predictions.analysis import Analysis, analyse_audio, decode_limits
from predictions.models import Prediction, Recording
from training.audio import TOO_LARGE, AudioError
from training.registry import best_production_version

EXTENSIONS = {"mp4": "m4a", "matroska": "mkv", "ogg": "ogg", "wav": "wav"}
MAX_NAME = 255


def read_limited(source, max_bytes: int) -> bytes:
    """All bytes of an upload, a path or bytes, refusing more than ``max_bytes``."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif isinstance(source, (str, Path)):
        with open(source, "rb") as handle:
            data = handle.read(max_bytes + 1)
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AudioError(
            TOO_LARGE,
            f"The file is larger than {max_bytes / 1024 / 1024:.0f} MB, the limit.",
        )
    return data


def clean_name(name: str | None) -> str:
    """A display name: no folders, no control characters, bounded length."""
    base = Path(str(name or "")).name
    printable = "".join(ch for ch in base if ch.isprintable())
    return printable[-MAX_NAME:]


def prediction_create(
    *, source, filename: str | None, origin: str, model: str | None = None
) -> tuple[Recording, list[Prediction]]:
    """Decode, check, predict, then store the recording and one row per model.

    The predictions come in the analysis's order: the one to show first, first.
    Raises ``AudioError`` (nothing is stored) or ``ModelUnavailable``.
    """
    data = read_limited(source, decode_limits().max_bytes)
    analysis: Analysis = analyse_audio(data, model=model, filename=filename)
    decoded = analysis.decoded
    extension = EXTENSIONS.get(decoded.format, decoded.format or "bin")
    recording = Recording(
        original_name=clean_name(filename),
        format=decoded.format,
        codec=decoded.codec,
        duration_s=round(decoded.duration_s, 3),
        sample_rate=decoded.original_sample_rate,
        channels=decoded.channels,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        speech_ratio=round(analysis.speech_ratio, 3),
        source=origin,
    )
    recording.audio.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(data), False)
    try:
        with transaction.atomic():
            recording.save()
            predictions = [
                Prediction.objects.create(
                    recording=recording,
                    model_version_id=answer.version_id,
                    model_type=answer.model_type,
                    label=answer.label,
                    confidence=answer.confidence,
                    p_female=answer.probabilities["female"],
                    segments=answer.segments,
                    speech_share=answer.speech_share,
                    latency_ms=answer.latency_ms,
                )
                for answer in analysis.answers
            ]
    except BaseException:
        recording.audio.delete(save=False)
        raise
    return recording, predictions


def primary_prediction(predictions: list[Prediction]) -> Prediction:
    """The answer to show first: the best production model's, when it answered."""
    best = best_production_version()
    for prediction in predictions:
        if best is not None and prediction.model_version_id == best.pk:
            return prediction
    return predictions[0]
