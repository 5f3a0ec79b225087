"""Production models on the fixed evaluation set: the test speakers of the dataset."""

from __future__ import annotations

from django.conf import settings

from training.datasets import load_manifest, speaker_split
from training.networks import MODEL_TYPES
from training.pipeline import DEFAULTS
from training.scoring import score_clips
from training.serving import ModelUnavailable, production_predictor


def evaluation_clips(manifest=None):
    clips = load_manifest(manifest or settings.DEFAULT_DATASET)
    return speaker_split(
        clips,
        test_fraction=DEFAULTS["test_fraction"],
        validation_fraction=DEFAULTS["validation_fraction"],
        eval_seed=DEFAULTS["eval_seed"],
    ).test


def evaluate_production(manifest=None) -> dict[str, dict]:
    predictors = {}
    for model_type in MODEL_TYPES:
        try:
            predictors[model_type] = production_predictor(model_type)[1]
        except ModelUnavailable:
            continue
    if not predictors:
        return {}
    scores = score_clips(predictors, evaluation_clips(manifest))
    return {name: s.metrics() for name, s in scores.items() if s.labels}
