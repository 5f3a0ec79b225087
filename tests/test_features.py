import numpy as np

from tests.conftest import real_clip
from training.audio import decode_audio
from training.dataprep import compute_features
from training.datasets import Clip
from training.features import FeatureConfig, extract_features, make_windows
from training.inference import Predictor, window_inputs


def test_training_and_inference_compute_identical_features(trained_model_dir):
    path = real_clip("female", 3)
    predictor = Predictor.load(trained_model_dir)
    served = predictor.features(decode_audio(path))
    trained = compute_features([Clip(path, "s", "female")], predictor.config)
    np.testing.assert_array_equal(served.frames, trained.features[0].frames)
    np.testing.assert_array_equal(served.voiced, trained.features[0].voiced)


def test_the_model_artifact_carries_the_feature_settings_it_was_trained_with(
    trained_model_dir,
):
    predictor = Predictor.load(trained_model_dir)
    assert predictor.config == FeatureConfig()
    assert predictor.meta.normalizer.mean.shape == (FeatureConfig().n_features,)


def test_the_pitch_track_separates_a_female_from_a_male_voice():
    config = FeatureConfig()
    female = extract_features(decode_audio(real_clip("female")), config)
    male = extract_features(decode_audio(real_clip("male")), config)
    assert female.median_f0 > 165 > male.median_f0


def test_a_clip_shorter_than_a_window_fills_one_window_with_itself():
    config = FeatureConfig()
    frames = np.arange(30 * 4, dtype=np.float32).reshape(30, 4)
    windows = make_windows(frames, config)
    assert windows.shape == (1, config.window_frames, 4)
    np.testing.assert_array_equal(windows[0, 30:60], frames)


def test_a_long_clip_is_covered_by_windows_up_to_its_last_frame():
    config = FeatureConfig()
    frames = np.random.default_rng(0).normal(size=(333, 4)).astype(np.float32)
    windows = make_windows(frames, config)
    assert windows.shape[0] == 6
    np.testing.assert_array_equal(windows[-1][-1], frames[-1])


def test_the_served_input_windows_match_the_training_windows(trained_model_dir):
    predictor = Predictor.load(trained_model_dir)
    features = predictor.features(decode_audio(real_clip("male", 2)))
    a, _ = window_inputs(features, predictor.config, predictor.meta.normalizer)
    b = make_windows(predictor.meta.normalizer.apply(features.frames), predictor.config)
    np.testing.assert_array_equal(a, b)
