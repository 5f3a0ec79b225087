"""From an audio file to honest answers: decode, check for speech, run the model(s).

``male``/``female`` with a calibrated confidence; ``uncertain`` when the confidence is
below ``UNCERTAIN_BELOW``. Audio without speech raises ``AudioError("no_speech")``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings

from training.audio import (
    DecodedAudio,
    DecodeLimits,
    decode_audio_with_info,
    ensure_speech,
)
from training.inference import ClipResult
from training.networks import MODEL_TYPES
from training.registry import best_of, serving_versions
from training.serving import (
    ModelUnavailable,
    no_production_model,
    serving_predictor,
)

UNCERTAIN = "uncertain"


@dataclass
class ModelAnswer:
    model_type: str
    version_id: int
    label: str
    confidence: float
    probabilities: dict[str, float]
    segments: list[dict] = field(default_factory=list)
    speech_share: dict[str, float] = field(default_factory=dict)
    latency_ms: float = 0.0


@dataclass
class Analysis:
    decoded: DecodedAudio
    speech_ratio: float
    answers: list[ModelAnswer]
    """The answer to show first (the best production model's) comes first."""

    @property
    def duration_s(self) -> float:
        return round(self.decoded.duration_s, 3)


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
        speech_share=speech_share(segments),
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


def speech_share(segments: list[dict]) -> dict[str, float]:
    """Share of the speech time given to each answer, from the window timeline."""
    totals = {"female": 0.0, "male": 0.0, UNCERTAIN: 0.0}
    for segment in segments:
        totals[segment["label"]] += segment["speech_ratio"]
    speech = sum(totals.values())
    if speech <= 0:
        return {}
    return {label: round(value / speech, 4) for label, value in totals.items()}


def analyse_samples(samples, *, model: str | None = None) -> list[ModelAnswer]:
    """Answer with each requested production model; features are computed once.

    The best production model's answer comes first, the others follow in
    ``MODEL_TYPES`` order. Raises ``ModelUnavailable`` when a requested model is not
    in production (with "all", the types that have none are left out).
    """
    lineup = serving_versions()  # one query: every model below comes from it
    by_type = {version.model_type: version for version in lineup}
    best = best_of(lineup)
    answers, features_cache = [], {}
    for model_type in resolve_models(model):
        version = best if model_type is None else by_type.get(model_type)
        try:
            if version is None:
                raise no_production_model(model_type)
            version, predictor = serving_predictor(version)
        except ModelUnavailable:
            if model == "all":
                continue
            raise
        started = time.perf_counter()
        key = predictor.config.fingerprint()
        if key not in features_cache:
            features_cache[key] = predictor.features(samples)
        result = predictor.predict_features(
            features_cache[key], samples.size / predictor.config.sample_rate
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
        answers.append(_answer(version, result, elapsed_ms))
    if not answers:
        raise no_production_model()
    if best is not None:
        answers.sort(key=lambda answer: answer.model_type != best.model_type)
    return answers


def analyse_audio(source, *, model: str | None = None, filename: str | None = None):
    """Decode, check for speech and answer: ``AudioError`` for unusable audio."""
    started = time.perf_counter()
    decoded = decode_audio_with_info(source, limits=decode_limits(), filename=filename)
    activity = ensure_speech(decoded.samples)
    decode_ms = (time.perf_counter() - started) * 1000
    answers = analyse_samples(decoded.samples, model=model)
    for answer in answers:
        answer.latency_ms = round(answer.latency_ms + decode_ms, 2)
    return Analysis(
        decoded=decoded, speech_ratio=activity.speech_ratio, answers=answers
    )
