import pytest

from tests.conftest import write_manifest
from training.datasets import (
    ManifestError,
    dataset_checksum,
    load_manifest,
    speaker_split,
)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return load_manifest(write_manifest(tmp_path_factory.mktemp("ds"), 10, 2))


def test_it_resolves_paths_relative_to_the_manifest(tiny_manifest):
    clips = load_manifest(tiny_manifest)
    assert len(clips) == 18
    assert all(clip.path.is_file() for clip in clips)


def test_it_accepts_a_folder_holding_a_manifest(tiny_manifest):
    assert load_manifest(tiny_manifest.parent) == load_manifest(tiny_manifest)


def test_it_rejects_a_manifest_without_the_gender_column(tmp_path):
    (tmp_path / "manifest.csv").write_text("path,speaker\na.wav,s1\n")
    with pytest.raises(ManifestError, match="gender"):
        load_manifest(tmp_path / "manifest.csv")


def test_it_rejects_an_unknown_gender_label_with_its_line(tmp_path):
    (tmp_path / "manifest.csv").write_text("path,speaker,gender\na.wav,s1,child\n")
    with pytest.raises(ManifestError, match=":2: gender"):
        load_manifest(tmp_path / "manifest.csv")


def test_the_split_never_puts_one_speaker_on_two_sides(clips):
    split = speaker_split(clips)
    train, val, test = (split.speakers(p) for p in ("train", "validation", "test"))
    assert not (train & val) and not (train & test) and not (val & test)
    assert len(split.train) + len(split.validation) + len(split.test) == len(clips)


def test_every_side_of_the_split_has_both_genders(clips):
    split = speaker_split(clips)
    for part in (split.train, split.validation, split.test):
        assert {clip.gender for clip in part} == {"female", "male"}


def test_the_test_speakers_do_not_depend_on_the_training_seed(clips):
    a = speaker_split(clips, seed=1)
    b = speaker_split(clips, seed=2)
    assert a.speakers("test") == b.speakers("test")
    assert a.speakers("validation") != b.speakers("validation")


def test_the_split_is_deterministic(clips):
    assert speaker_split(clips, seed=5) == speaker_split(clips, seed=5)


def test_a_dataset_with_too_few_speakers_of_a_gender_is_refused(tiny_manifest):
    clips = [c for c in load_manifest(tiny_manifest) if c.speaker != "so762_9999"]
    males = sorted({c.speaker for c in clips if c.gender == "male"})
    clips = [c for c in clips if c.speaker not in males[:2]]
    with pytest.raises(ManifestError, match="At least 3 male speakers"):
        speaker_split(clips)


def test_the_checksum_changes_when_a_label_changes(tiny_manifest):
    clips = load_manifest(tiny_manifest)
    flipped = [clips[0].__class__(clips[0].path, clips[0].speaker, "male")] + clips[1:]
    assert dataset_checksum(clips) != dataset_checksum(flipped)
