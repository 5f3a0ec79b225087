"""Datasets in the product's manifest format and speaker-disjoint splits.

A dataset is any folder with a ``manifest.csv`` whose columns include ``path``
(relative to the manifest's folder), ``speaker`` and ``gender`` (``female``/``male``);
more columns are allowed and ignored.
"""

from __future__ import annotations

import csv
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

LABELS = ("male", "female")  # index = class id; the networks output P(female)
REQUIRED_COLUMNS = ("path", "speaker", "gender")


class ManifestError(ValueError):
    """The manifest cannot be used: missing file, columns or labels."""


@dataclass(frozen=True)
class Clip:
    path: Path
    speaker: str
    gender: str
    sha256: str = ""

    @property
    def label(self) -> int:
        return LABELS.index(self.gender)


def load_manifest(manifest: str | Path) -> list[Clip]:
    manifest = Path(manifest)
    if manifest.is_dir():
        manifest = manifest / "manifest.csv"
    if not manifest.is_file():
        raise ManifestError(f"No manifest at {manifest}.")
    with manifest.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ManifestError(
                f"{manifest} lacks the column(s): {', '.join(missing)}."
            )
        clips = []
        for line, row in enumerate(reader, start=2):
            gender = row["gender"].strip().lower()
            if gender not in LABELS:
                raise ManifestError(
                    f"{manifest}:{line}: gender must be 'female' or 'male', "
                    f"not {row['gender']!r}."
                )
            clips.append(
                Clip(
                    path=(manifest.parent / row["path"]).resolve(),
                    speaker=row["speaker"].strip(),
                    gender=gender,
                    sha256=(row.get("sha256") or "").strip(),
                )
            )
    if not clips:
        raise ManifestError(f"{manifest} lists no clips.")
    return clips


def dataset_checksum(clips: list[Clip]) -> str:
    """A digest of the clip list: labels, speakers and each file's content hash.

    When the manifest carries ``sha256`` it is trusted; otherwise the file's size and
    modification time stand in, so a changed file still changes the checksum.
    """
    digest = hashlib.sha256()
    for clip in sorted(clips, key=lambda c: str(c.path)):
        if clip.sha256:
            content = clip.sha256
        else:
            stat = clip.path.stat()
            content = f"{stat.st_size}:{stat.st_mtime_ns}"
        digest.update(
            f"{clip.path.name}|{clip.speaker}|{clip.gender}|{content}\n".encode()
        )
    return digest.hexdigest()


@dataclass(frozen=True)
class Split:
    train: list[Clip]
    validation: list[Clip]
    test: list[Clip]

    def speakers(self, part: str) -> set[str]:
        return {clip.speaker for clip in getattr(self, part)}


def _speakers_by_gender(clips: list[Clip]) -> dict[str, list[str]]:
    genders: dict[str, set[str]] = {}
    for clip in clips:
        genders.setdefault(clip.gender, set()).add(clip.speaker)
    return {g: sorted(s) for g, s in sorted(genders.items())}


def speaker_split(
    clips: list[Clip],
    *,
    test_fraction: float = 0.2,
    validation_fraction: float = 0.15,
    eval_seed: int = 762,
    seed: int = 42,
) -> Split:
    """Split by speaker, stratified by gender; no speaker is on two sides.

    The test speakers depend only on ``eval_seed`` and the dataset, so every run on a
    dataset is judged on the same held-out speakers and the promotion gate compares like
    with like; ``seed`` varies only the train/validation division.
    """
    speakers = {clip.speaker: clip.gender for clip in clips}
    if len({g for g in speakers.values()}) < 2:
        raise ManifestError("A dataset needs speakers of both genders.")
    test, validation = set(), set()
    for gender, names in _speakers_by_gender(clips).items():
        if len(names) < 3:
            raise ManifestError(
                f"At least 3 {gender} speakers are needed for a speaker-disjoint "
                f"split; the dataset has {len(names)}."
            )
        names = names[:]
        random.Random(f"{eval_seed}:{gender}").shuffle(names)
        n_test = max(1, round(len(names) * test_fraction))
        test.update(names[:n_test])
        rest = sorted(names[n_test:])
        random.Random(f"{seed}:{gender}").shuffle(rest)
        n_val = max(1, round(len(names) * validation_fraction))
        validation.update(rest[:n_val])
    return Split(
        train=[c for c in clips if c.speaker not in test | validation],
        validation=[c for c in clips if c.speaker in validation],
        test=[c for c in clips if c.speaker in test],
    )
