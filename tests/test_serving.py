"""Web processes serve the production model with LiteRT and follow promotions."""

import numpy as np
import pytest

from tests.conftest import install_version, real_clip
from training.audio import decode_audio
from training.inference import Predictor
from training.registry import model_promote
from training.serving import ModelUnavailable, production_predictor


def test_the_litert_model_agrees_with_the_keras_model_on_real_clips(trained_model_dir):
    litert = Predictor.load(trained_model_dir, runtime="litert")
    keras = Predictor.load(trained_model_dir, runtime="keras")
    for gender in ("female", "male"):
        for index in range(3):
            samples = decode_audio(real_clip(gender, index * 7))
            a, b = litert.predict(samples), keras.predict(samples)
            assert a.p_female == pytest.approx(b.p_female, abs=1e-4)
            np.testing.assert_allclose(
                [w.p_female for w in a.windows],
                [w.p_female for w in b.windows],
                atol=1e-4,
            )


@pytest.mark.django_db
def test_a_promotion_reaches_a_serving_process_without_a_restart(trained_model_dir):
    first = install_version(trained_model_dir)
    assert production_predictor("gru")[0] == first
    second = install_version(trained_model_dir, stage="candidate")
    model_promote(version=second)
    assert production_predictor("gru")[0] == second


@pytest.mark.django_db
def test_the_loaded_model_is_reused_between_requests(production_model):
    assert production_predictor()[1] is production_predictor()[1]


@pytest.mark.django_db
def test_a_missing_model_is_reported_not_crashed():
    with pytest.raises(ModelUnavailable, match="No production model"):
        production_predictor()
