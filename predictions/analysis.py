"""From an audio file to honest answers: decode, check for speech, run the model(s).

``male``/``female`` with a calibrated confidence; ``uncertain`` when the confidence is
below ``UNCERTAIN_BELOW``. Audio without speech raises ``AudioError("no_speech")``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings

from training.audio import DecodeLimits, decode_audio, ensure_speech
from training.inference import ClipResult
from training.networks import MODEL_TYPES
from training.serving import ModelUnavailable, production_predictor

UNCERTAIN = "uncertain"


@dataclass
class ModelAnswer:
    model_type: str
    version_id: int
    label: str
    confidence: float
    probabilities: dict[str, float]
    segments: list[dict] = field(default_factory=list)
    latency_ms: float = 0.0


@dataclass
class Analysis:
    duration_s: float
    speech_ratio: float
    answers: list[ModelAnswer]


def decode_limits() -> DecodeLimits:
    return DecodeLimits(
        max_bytes=settings.AUDIO_MAX_BYTES,
        max_duration_s=settings.AUDIO_MAX_DURATION_S,
        min_duration_s=settings.AUDIO_MIN_DURATION_S,
    )


def label_for(p_female: float, uncertain_below: float) -> tuple[str, float]:
    label = "female" if p_female >= 0.5 else "male"
    confidence = max(p_female, 1.0 - p_female)
    return (label if confidence >= uncertain_below else UNCERTAIN), confidence


def _answer(version, result: ClipResult, latency_ms: float) -> ModelAnswer:
    threshold = settings.UNCERTAIN_BELOW
    label, confidence = label_for(result.p_female, threshold)
    segments = []
    if len(result.windows) > 1:
        for window in result.windows:
            seg_label, seg_conf = label_for(window.p_female, threshold)
            segments.append(
                {
                    "start_s": window.start_s,
                    "end_s": window.end_s,
                    "label": seg_label,
                    "confidence": round(seg_conf, 4),
                    "speech_ratio": round(window.voiced_ratio, 3),
                }
            )
    return ModelAnswer(
        model_type=version.model_type,
        version_id=version.pk,
        label=label,
        confidence=round(confidence, 4),
        probabilities={
            "female": round(result.p_female, 4),
            "male": round(1 - result.p_female, 4),
        },
        segments=segments,
        latency_ms=round(latency_ms, 2),
    )


def resolve_models(model: str | None) -> list[str | None]:
    """``None``/"" -> the best production model; "all" -> every network type."""
    if not model:
        return [None]
    if model == "all":
        return list(MODEL_TYPES)
    if model not in MODEL_TYPES:
        raise ValueError(f"model must be one of {', '.join(MODEL_TYPES)} or all")
    return [model]


def analyse_audio(source, *, model: str | None = None, filename: str | None = None):
    """Decode, check for speech and answer with each requested model.

    Raises ``AudioError`` for unusable audio and ``ModelUnavailable`` when a requested
    model is not in production.
    """
    started = time.perf_counter()
    samples = decode_audio(source, limits=decode_limits(), filename=filename)
    activity = ensure_speech(samples)
    decode_ms = (time.perf_counter() - started) * 1000
    answers, features_cache = [], {}
    wanted = resolve_models(model)
    for model_type in wanted:
        try:
            version, predictor = production_predictor(model_type)
        except ModelUnavailable:
            if model == "all":
                continue
            raise
        t0 = time.perf_counter()
        key = predictor.config.fingerprint()
        if key not in features_cache:
            features_cache[key] = predictor.features(samples)
        result = predictor.predict_features(
            features_cache[key], samples.size / predictor.config.sample_rate
        )
        answers.append(
            _answer(version, result, decode_ms + (time.perf_counter() - t0) * 1000)
        )
    if not answers:
        raise ModelUnavailable("No production model yet.")
    return Analysis(
        duration_s=round(samples.size / 16_000, 3),
        speech_ratio=round(activity.speech_ratio, 3),
        answers=answers,
    )
