"""Hostile input through every entry point: the API, the batch API, the upload page,
the `predict` command and training/evaluation data.

Every item of ``tests.hostile_corpus`` gets the documented answer (a 4xx with
``{"error", "detail"}``, the page's error message, a per-file error in the command's
JSON, a skipped clip in an evaluation) or, where the corpus says the input is usable,
a stored prediction. Never a 5xx, never a hang past a bound, never a file outside
MEDIA_ROOT, never a row for a refused input, and the server keeps serving.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from rest_framework.throttling import AnonRateThrottle

import training.audio as audio
from predictions.analysis import decode_limits
from predictions.errors import AUDIO_STATUS
from predictions.models import Prediction, Recording
from predictions.services import clean_name
from tests.conftest import real_clip
from tests.hostile_corpus import (
    CREATED,
    HEAVY,
    HOSTILE_NAMES,
    REQUEST_REFUSED,
    by_key,
    corpus,
)
from training.audio import AudioError, decode_audio_with_info, ensure_speech
from training.dataprep import DATASET_LIMITS, compute_features
from training.datasets import load_manifest
from training.features import FeatureConfig

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
API = "/api/predictions/"
BATCH = "/api/predictions/batch/"
PAGE = "/"
REQUEST_BOUND_S = 10.0  # a hang guard, not a speed test
HEAVY_BOUND_S = 5.0  # the hour-long inputs must be refused before decoding them
STORED_NAME = re.compile(r"^recordings/\d{4}/\d{2}/[0-9a-f]{32}\.[a-z0-9]{2,5}$")
UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".m4a", ".webm", ".mkv", ".upload"}
SKIP_DIRS = {
    ".venv",
    ".git",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    "node_modules",
    ".mypy_cache",
}
CORPUS_KEYS = [item.key for item in corpus()]


# --------------------------------------------------------------------------- helpers


def status_of(outcome: str) -> int:
    return 201 if outcome == CREATED else AUDIO_STATUS[outcome]


def oracle(data: bytes, filename: str | None = None) -> tuple[str, str]:
    """What the decoder and the speech check say, called directly."""
    try:
        decoded = decode_audio_with_info(
            data, limits=decode_limits(), filename=filename
        )
        ensure_speech(decoded.samples)
    except AudioError as exc:
        return exc.code, exc.message
    return CREATED, ""


def browser_quote(name: str) -> str:
    """Quote a file name for a Content-Disposition header as browsers do (WHATWG)."""
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def multipart(*parts: tuple[str, str | None, bytes], raw_names: bool = False):
    """A multipart/form-data body built by hand: the test client's own encoder
    would clean the file names that this file wants to send as they are."""
    boundary = f"----hostile-{uuid.uuid4().hex}"
    chunks = []
    for field, filename, data in parts:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            quoted = filename if raw_names else browser_quote(filename)
            disposition += f'; filename="{quoted}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if filename is not None:
            head += "Content-Type: application/octet-stream\r\n"
        chunks.append(head.encode("utf-8", "surrogatepass") + b"\r\n" + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def timed_post(client, url: str, body: bytes, content_type: str, **extra):
    started = time.monotonic()
    response = client.post(url, data=body, content_type=content_type, **extra)
    return response, time.monotonic() - started


def assert_json_error(response, status: int | None = None, code: str | None = None):
    """A 4xx whose body is exactly the documented ``{"error", "detail"}``."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content)
    if status is not None:
        assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response.content
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["detail"], str) and body["detail"].strip()
    assert not UNSAFE_CHARS.search(body["detail"]), body["detail"]
    if code is not None:
        assert body["error"] == code, body
    return body


def page_error(response) -> str:
    """The error the upload page shows next to the form, as plain text."""
    page = response.content.decode()
    found = re.search(r'<p class="error" role="alert"[^>]*>(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


def same_message(shown: str, expected: str, code: str) -> bool:
    """The message the decoder gives, allowing for the layers that speak first."""
    if code == audio.NOT_AUDIO:  # it quotes the (cleaned) file name
        return shown.endswith("is not an audio file in a format we can read.")
    if code == audio.TOO_LARGE:  # the service checks the size before the decoder
        return "limit" in shown and "MB" in shown
    if code == audio.EMPTY:  # the page's form refuses empty files itself
        return "empty" in shown.lower()
    return shown == expected


def refused_as_request(item, response) -> bool:
    """Refused by the multipart parser (only allowed where the corpus says so)."""
    return (
        REQUEST_REFUSED in item.outcomes
        and response.status_code == 400
        and (
            not response["Content-Type"].startswith("application/json")
            or response.json()["error"] == REQUEST_REFUSED
        )
    )


# --------------------------------------------------------------------------- guards


def _tree(folder: Path) -> dict[Path, tuple[int, int]]:
    files = {}
    for base, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in names:
            path = Path(base) / name
            try:
                stat = path.lstat()
            except OSError:
                continue
            files[path] = (stat.st_mtime_ns, stat.st_size)
    return files


class WriteGuard:
    """Proof that hostile input wrote nothing outside MEDIA_ROOT.

    * Inside the test's tmp_path (where MEDIA_ROOT lives) every file must be under
      an allowed folder: a traversal out of MEDIA_ROOT would land next to it.
    * The repository (others edit its sources meanwhile) must gain no audio file and
      no file named after a corpus item; /etc must gain no passwd.wav.
    * Django's upload temp folder must be empty again and the working folder too.
    * MEDIA_ROOT holds exactly the accepted recordings, under random names.
    """

    def __init__(self, tmp_path: Path, allowed: list[Path], markers: set[str]):
        self.tmp_path = tmp_path
        self.allowed = [p.resolve() for p in allowed]
        self.markers = markers
        self.before = _tree(tmp_path)  # e.g. the test's empty MLflow store
        self.repo = _tree(ROOT)
        self.system_tmp = set(os.listdir(tempfile.gettempdir()))
        self.etc = set(os.listdir("/etc"))

    def problems(self) -> list[str]:
        found = []
        media = Path(django_settings.MEDIA_ROOT).resolve()
        for path, stamp in _tree(self.tmp_path).items():
            if self.before.get(path) == stamp:
                continue
            real = path.resolve()
            if not any(real.is_relative_to(a) for a in [media, *self.allowed]):
                found.append(f"written outside MEDIA_ROOT: {path}")
        for path, stamp in _tree(ROOT).items():
            if self.repo.get(path) == stamp:
                continue
            if path.suffix.lower() in AUDIO_SUFFIXES or path.name in self.markers:
                found.append(f"written into the repository: {path}")
        for name in set(os.listdir(tempfile.gettempdir())) - self.system_tmp:
            if Path(name).suffix.lower() in AUDIO_SUFFIXES or name in self.markers:
                found.append(f"written into {tempfile.gettempdir()}: {name}")
        found += [f"written into /etc: {n}" for n in set(os.listdir("/etc")) - self.etc]
        upload_tmp = Path(django_settings.FILE_UPLOAD_TEMP_DIR)
        found += [f"upload temp file left: {p}" for p in upload_tmp.iterdir()]
        found += [f"written to the working folder: {p}" for p in Path.cwd().iterdir()]
        stored = {
            (media / r.audio.name).resolve()
            for r in Recording.objects.exclude(audio="")
        }
        for r in Recording.objects.all():
            if not STORED_NAME.match(r.audio.name):
                found.append(f"stored under a non-random name: {r.audio.name!r}")
        on_disk = {p.resolve() for p in media.rglob("*") if p.is_file()}
        found += [f"media file without a recording: {p}" for p in on_disk - stored]
        found += [f"recording without its file: {p}" for p in stored - on_disk]
        return found


def markers() -> set[str]:
    names = {item.filename for item in corpus()} | set(HOSTILE_NAMES.values())
    return names | {Path(n.replace("\\", "/")).name for n in names} | {"passwd.wav"}


@pytest.fixture(autouse=True)
def unthrottled(monkeypatch):
    """Hundreds of requests from one address: keep the anonymous throttle away."""
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "100000/min"})
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def guard(settings, tmp_path, monkeypatch):
    upload_tmp = tmp_path / "upload-tmp"
    upload_tmp.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(upload_tmp)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    watch = WriteGuard(
        tmp_path,
        allowed=[tmp_path / "models", corpus_dir, upload_tmp, cwd],
        markers=markers(),
    )
    watch.corpus_dir = corpus_dir
    yield watch


def still_serving(client) -> None:
    """After the corpus a real recording still gets its answer."""
    body, content_type = multipart(
        ("audio", "after.flac", real_clip("male").read_bytes())
    )
    response, elapsed = timed_post(client, API, body, content_type)
    assert response.status_code == 201, response.content
    assert elapsed < REQUEST_BOUND_S


def report(table: list[tuple], header: tuple) -> str:
    rows = [header, *table]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows
    )


# --------------------------------------------------------------------------- the API

# Truncated halves of the 3.3 s clip that still decode to 0.8-1.7 s of speech.
SHORT_SPEECH = [
    f"truncated-{fmt}-half" for fmt in ("wav", "flac", "ogg", "mp3", "webm")
]


@pytest.mark.parametrize("key", CORPUS_KEYS)
def test_the_api_answers_each_hostile_input_as_documented(
    client, production_model, guard, key
):
    item = by_key()[key]
    expected, message = oracle(item.data)
    assert expected in item.outcomes, f"the decoder says {expected}: {message}"
    body, content_type = multipart(("audio", item.filename, item.data))

    response, elapsed = timed_post(client, API, body, content_type)

    assert elapsed < REQUEST_BOUND_S
    if refused_as_request(item, response):
        assert_json_error(response, code=REQUEST_REFUSED)
        assert not Recording.objects.exists()
    elif expected == CREATED:
        assert response.status_code == 201, response.content
        recording = Recording.objects.get()
        assert response.json()["recording"] == str(recording.public_id)
        assert recording.original_name == clean_name(recording.original_name)
        assert not UNSAFE_CHARS.search(recording.original_name)
        assert "/" not in recording.original_name and "\\" not in (
            recording.original_name
        )
    else:
        error = assert_json_error(response, status_of(expected), code=expected)
        assert same_message(error["detail"], message, expected)
        assert not Recording.objects.exists() and not Prediction.objects.exists()
    assert guard.problems() == []


@pytest.mark.parametrize("key", HEAVY)
def test_an_hour_of_audio_is_refused_without_being_decoded(
    client, production_model, guard, monkeypatch, key
):
    item = by_key()[key]
    decoded_frames = []
    push = audio._Normaliser.push

    def counting_push(self, block):
        decoded_frames.append(len(block) / self.sample_rate)
        return push(self, block)

    monkeypatch.setattr(audio._Normaliser, "push", counting_push)
    body, content_type = multipart(("audio", item.filename, item.data))

    response, elapsed = timed_post(client, API, body, content_type)

    assert_json_error(response, status=413)
    assert response.json()["error"] in {audio.TOO_LONG, audio.TOO_LARGE}
    assert elapsed < HEAVY_BOUND_S, f"{elapsed:.2f} s for {key}"
    assert sum(decoded_frames) < 60, f"{sum(decoded_frames):.0f} s were decoded"
    assert not Recording.objects.exists()
    assert guard.problems() == []


# --------------------------------------------------------------------------- batches


def chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def test_the_batch_api_gives_every_hostile_input_its_own_status(
    client, production_model, guard, settings
):
    items = list(corpus())
    alone = [[i] for i in items if REQUEST_REFUSED in i.outcomes]
    items = [i for i in items if REQUEST_REFUSED not in i.outcomes]
    groups = list(chunks(items, settings.BATCH_MAX_FILES)) + alone
    mismatches, table, created = [], [], 0
    for group in groups:
        body, content_type = multipart(*[("audio", i.filename, i.data) for i in group])
        response, elapsed = timed_post(client, BATCH, body, content_type)
        if refused_as_request(group[0], response):
            assert_json_error(response, code=REQUEST_REFUSED)
            table.append((group[0].key, 400, REQUEST_REFUSED))
            continue
        assert response.status_code == 200, response.content
        assert elapsed < REQUEST_BOUND_S * len(group)
        results = response.json()["results"]
        assert len(results) == len(group)
        for item, result in zip(group, results):
            expected, message = oracle(item.data)
            table.append((item.key, result["status"], result.get("error", "")))
            if result["status"] != status_of(expected) or expected not in (
                item.outcomes
            ):
                mismatches.append((item.key, expected, result))
            elif expected == CREATED:
                created += 1
                assert set(result) == {"filename", "status", "prediction"}
            else:
                assert set(result) == {"filename", "status", "error", "detail"}
                assert result["error"] == expected
                assert same_message(result["detail"], message, expected)
                assert not UNSAFE_CHARS.search(result["detail"])
            assert not UNSAFE_CHARS.search(result["filename"])
            assert "/" not in result["filename"]
    print(report(table, ("item", "status", "error")))
    assert mismatches == []
    assert Recording.objects.count() == created
    assert Prediction.objects.count() == created
    assert guard.problems() == []
    still_serving(client)


def test_the_batch_api_answers_short_but_valid_recordings(
    client, production_model, guard
):
    items = [by_key()[key] for key in SHORT_SPEECH]
    body, content_type = multipart(*[("audio", i.filename, i.data) for i in items])

    response, elapsed = timed_post(client, BATCH, body, content_type)

    assert response.status_code == 200, response.status_code
    assert [r["status"] for r in response.json()["results"]] == [201] * len(items)


# --------------------------------------------------------------------------- the page


def test_the_upload_page_explains_every_refused_input(client, production_model, guard):
    mismatches, table, created = [], [], 0
    for item in corpus():
        expected, message = oracle(item.data)
        body, content_type = multipart(("audio", item.filename, item.data))
        before = Recording.objects.count()
        response, elapsed = timed_post(client, PAGE, body, content_type)
        assert elapsed < REQUEST_BOUND_S, item.key
        table.append((item.key, response.status_code))
        if refused_as_request(item, response):
            ok = Recording.objects.count() == before
        elif expected == CREATED:
            created += 1
            recording = Recording.objects.order_by("-pk").first()
            ok = (
                response.status_code == 302
                and response["Location"] == f"/r/{recording.public_id}/"
                and Recording.objects.count() == before + 1
            )
        else:
            shown = page_error(response)
            ok = (
                response.status_code == status_of(expected)
                and same_message(shown, message, expected)
                and not UNSAFE_CHARS.search(response.content.decode())
                and Recording.objects.count() == before
            )
        if not ok:
            mismatches.append((item.key, expected, response.status_code))
    print(report(table, ("item", "status")))
    assert mismatches == []
    assert Recording.objects.count() == created
    assert Recording.objects.filter(source="page").count() == created
    assert guard.problems() == []
    still_serving(client)


# --------------------------------------------------------------------------- the CLI


def cli_paths(folder: Path) -> list[tuple[str, object]]:
    """(argument, corpus item) for each file handed to the command.

    Hostile names are real file names on disk where Linux allows them; a name with
    NUL cannot exist (nor be typed in a shell) and one of 1,000 characters cannot
    exist either: that one is passed as is and must be reported, not crash.
    """
    paths = []
    for index, item in enumerate(corpus()):
        if item.key == "name-path-traversal":
            (folder / "etc").mkdir(exist_ok=True)
            (folder / "x" / "y").mkdir(parents=True, exist_ok=True)
            (folder / "etc" / "passwd.wav").write_bytes(item.data)
            paths.append((str(folder / "x/y/../../etc/passwd.wav"), item))
            continue
        if item.key.startswith("name-"):
            # "/" and NUL cannot be in a Linux file name (nor NUL in a shell word).
            name = item.filename.replace("/", "_").replace("\x00", "")
            if len(name.encode()) > 255:
                paths.append((str(folder / name), None))  # cannot exist
                name = name[-250:]
            target = folder / f"{index:02d}" / name
        else:
            target = folder / f"{index:02d}-{Path(item.filename).name}"
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(item.data)
        paths.append((str(target), item))
    return paths


def test_the_predict_command_reports_every_hostile_file_and_fails(
    production_model, guard
):
    paths = cli_paths(guard.corpus_dir)
    out = io.StringIO()
    started = time.monotonic()
    with pytest.raises(CommandError, match=r"file\(s\) could not be used"):
        call_command("predict", *[p for p, _ in paths], json=True, stdout=out)
    elapsed = time.monotonic() - started
    assert elapsed < REQUEST_BOUND_S * len(paths)
    results = json.loads(out.getvalue())["results"]
    assert [r["file"] for r in results] == [p for p, _ in paths]
    mismatches, table, created = [], [], 0
    for (path, item), result in zip(paths, results):
        if item is None:
            assert result["error"] == "unavailable", result
            assert "too long" in result["detail"].lower()
            table.append(("(1,000-character path)", result["error"]))
            continue
        expected, message = oracle(item.data, filename=path)
        outcome = result.get("error", CREATED)
        table.append((item.key, outcome))
        if outcome != expected or expected not in item.outcomes:
            mismatches.append((item.key, expected, result))
        elif expected == CREATED:
            created += 1
            recording = Recording.objects.get(public_id=result["recording"])
            assert recording.source == "cli"
            assert recording.original_name == clean_name(path)
            assert not UNSAFE_CHARS.search(recording.original_name)
        else:
            assert set(result) == {"file", "error", "detail"}
            assert same_message(result["detail"], message, expected)
    print(report(table, ("item", "outcome")))
    assert mismatches == []
    assert Recording.objects.count() == created
    assert guard.problems() == []


# --------------------------------------------------------------------------- datasets


def hostile_manifest(folder: Path) -> tuple[Path, list, list[Path]]:
    """A manifest listing every corpus item (hostile names included) and 4 real
    clips; returns it with the items and the real clips' paths."""
    rows, items = [], []
    for index, item in enumerate(corpus()):
        name = item.filename.replace("/", "_").replace("\x00", "_")[-200:]
        path = folder / f"{index:02d}" / name
        path.parent.mkdir(parents=True)
        path.write_bytes(item.data)
        rows.append([os.path.relpath(path, folder), f"hostile{index}", "female"])
        items.append(item)
    real = [real_clip(g, i) for g in ("female", "male") for i in (0, 1)]
    for path in real:
        gender = path.parent.name
        rows.append([os.path.relpath(path, folder), f"real-{gender}", gender])
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "speaker", "gender"])
        writer.writerows(rows)
    return manifest, items, real


def dataset_outcome(item) -> str:
    try:
        audio.decode_audio(item.data, limits=DATASET_LIMITS)
    except AudioError as exc:
        return exc.code
    return "scored"


def test_evaluation_skips_every_undecodable_item_and_scores_the_real_clips(
    production_model, guard, capsys
):
    manifest, items, real = hostile_manifest(guard.corpus_dir)
    expected = {item.key: dataset_outcome(item) for item in items}
    skipped = [k for k, v in expected.items() if v != "scored"]
    started = time.monotonic()

    call_command("evaluate", manifest=str(manifest), json=True)

    elapsed = time.monotonic() - started
    report_ = json.loads(capsys.readouterr().out)
    print(report([(k, v) for k, v in expected.items()], ("item", "evaluation")))
    assert elapsed < REQUEST_BOUND_S * len(items)
    assert report_["clips_listed"] == len(items) + len(real)
    assert report_["clips_skipped"] == len(skipped)
    scored = len(items) - len(skipped) + len(real)
    assert report_["models"]["gru"]["clips"] == scored
    listed = {Path(s["path"]).parent.name: s["error"] for s in report_["skipped"]}
    for folder, error in listed.items():
        assert error == expected[items[int(folder)].key]
    assert not Recording.objects.exists()
    assert guard.problems() == []


def test_training_data_skips_every_undecodable_item_and_keeps_the_real_clips(
    guard,
):
    manifest, items, real = hostile_manifest(guard.corpus_dir)
    clips = load_manifest(manifest)
    expected = [dataset_outcome(item) for item in items] + ["scored"] * len(real)

    result = compute_features(clips, FeatureConfig())

    kept = {str(c.path) for c in result.clips}
    assert {str(p.resolve()) for p in real} <= kept
    assert len(result.skipped) == sum(1 for e in expected if e != "scored")
    assert len(result.features) == len(result.clips) == len(clips) - len(result.skipped)
    assert guard.problems() == []


# --------------------------------------------------------------------------- requests


def post_raw(client, url, body: bytes, content_type: str):
    response, elapsed = timed_post(client, url, body, content_type)
    assert elapsed < REQUEST_BOUND_S
    return response


def speech_bytes() -> bytes:
    return real_clip("female").read_bytes()


def truncated_multipart():
    """A body cut off in the middle of its file part: no closing boundary."""
    body, content_type = multipart(("audio", "clip.flac", speech_bytes()))
    return body[:5000], content_type


MALFORMED = {
    "wrong-field-name": lambda: multipart(("file", "clip.flac", speech_bytes())),
    "no-file-part": lambda: multipart(("model", None, b"gru")),
    "empty-file-name": lambda: multipart(("audio", "", speech_bytes())),
    "dot-dot-file-name": lambda: multipart(("audio", "..", speech_bytes())),
    "file-sent-as-a-plain-field": lambda: multipart(("audio", None, speech_bytes())),
    "unknown-model": lambda: multipart(
        ("audio", "clip.flac", speech_bytes()), ("model", None, b"../../etc")
    ),
    "json-body": lambda: (
        json.dumps({"audio": "clip.flac"}).encode(),
        "application/json",
    ),
    "urlencoded-body": lambda: (
        b"audio=clip.flac",
        "application/x-www-form-urlencoded",
    ),
    "multipart-without-boundary": lambda: (b"--x\r\n\r\n", "multipart/form-data"),
    "truncated-multipart": lambda: truncated_multipart(),
    "crlf-injected-file-name": lambda: multipart(
        ("audio", 'a.wav"\r\nContent-Type: text/html\r\n\r\n<b>', speech_bytes()),
        raw_names=True,
    ),
    "nul-in-file-name": lambda: multipart(
        ("audio", "clip\x00.wav", speech_bytes()), raw_names=True
    ),
    "binary-garbage-body": lambda: (
        bytes(range(256)) * 64,
        "multipart/form-data; boundary=----x",
    ),
}


def _malformed(key: str):
    return MALFORMED[key]()


@pytest.mark.parametrize("url", [API, BATCH])
@pytest.mark.parametrize("key", list(MALFORMED))
def test_a_malformed_request_gets_a_json_error_and_stores_nothing(
    client, production_model, guard, url, key
):
    body, content_type = _malformed(key)

    response = post_raw(client, url, body, content_type)

    print(f"{key} {url}: {response.status_code} {response.content[:200]!r}")
    if response.status_code in (200, 201):
        # Only a well-formed upload under an odd name may be accepted.
        assert key in {"crlf-injected-file-name", "nul-in-file-name"}, key
        payload = response.json()
        results = payload.get("results", [payload])
        assert all(r.get("status", 201) != 500 for r in results)
    else:
        assert_json_error(response)
        assert not Recording.objects.exists()
    assert guard.problems() == []
    still_serving(client)


# Form-level mistakes get the upload page with a message; bodies no browser sends
# (broken multipart) get Django's plain 400 page.
FORM_LEVEL = {
    "wrong-field-name",
    "no-file-part",
    "empty-file-name",
    "dot-dot-file-name",
    "file-sent-as-a-plain-field",
    "unknown-model",
    "json-body",
    "urlencoded-body",
}


@pytest.mark.parametrize("key", list(MALFORMED))
def test_the_upload_page_answers_a_malformed_request_with_a_4xx_page(
    client, production_model, guard, key
):
    body, content_type = _malformed(key)

    response = post_raw(client, PAGE, body, content_type)

    print(f"{key} page: {response.status_code} {page_error(response)!r}")
    assert response.status_code < 500, response.content[:500]
    if response.status_code != 302:
        assert 400 <= response.status_code < 500
        assert not Recording.objects.exists()
        if key in FORM_LEVEL:
            assert page_error(response), response.content.decode()[-3000:]
    assert guard.problems() == []


@pytest.mark.parametrize("url", [API, BATCH, PAGE])
def test_a_file_over_the_size_limit_is_refused_as_too_large(
    client, production_model, guard, settings, url
):
    settings.AUDIO_MAX_BYTES = 64 * 1024
    data = by_key()["eight-channels-192khz"].data  # 9 MB: on disk while parsed
    body, content_type = multipart(("audio", "big.wav", data))

    response = post_raw(client, url, body, content_type)

    if url == API:
        assert_json_error(response, status=413, code=audio.TOO_LARGE)
    elif url == BATCH:
        (result,) = response.json()["results"]
        assert (result["status"], result["error"]) == (413, audio.TOO_LARGE)
    else:
        assert response.status_code == 413
        assert "limit" in page_error(response)
    assert not Recording.objects.exists()
    assert guard.problems() == []


def over_djangos_limits(kind: str):
    """Requests past Django's own upload limits (DATA_UPLOAD_MAX_*)."""
    clip = ("audio", "clip.flac", speech_bytes())
    if kind == "form-field-over-memory-limit":
        size = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
        return multipart(clip, ("model", None, b"g" * size))
    if kind == "101-files":
        return multipart(*[("audio", f"{i}.wav", b"RIFF") for i in range(101)])
    assert kind == "1001-fields"
    return multipart(clip, *[(f"f{i}", None, b"x") for i in range(1001)])


def _limit_params():
    for url in (API, BATCH):
        for kind in ("form-field-over-memory-limit", "101-files", "1001-fields"):
            yield pytest.param(
                url,
                kind,
                id=f"{kind}-{url}",
            )


@pytest.mark.parametrize("url, kind", list(_limit_params()))
def test_a_request_over_djangos_upload_limits_gets_a_json_error(
    client, production_model, guard, url, kind
):
    body, content_type = over_djangos_limits(kind)

    response = post_raw(client, url, body, content_type)

    assert not Recording.objects.exists()
    assert guard.problems() == []
    assert_json_error(response)


@pytest.mark.parametrize("kind", ["form-field-over-memory-limit", "101-files"])
def test_the_upload_page_answers_a_request_over_djangos_limits_with_a_400(
    client, production_model, guard, kind
):
    body, content_type = over_djangos_limits(kind)

    response = post_raw(client, PAGE, body, content_type)

    assert response.status_code == 400
    assert not Recording.objects.exists()
    assert guard.problems() == []


def test_a_batch_of_more_files_than_allowed_gets_a_json_413(
    client, production_model, guard, settings
):
    count = settings.BATCH_MAX_FILES + 1
    body, content_type = multipart(
        *[("audio", f"{i}.wav", speech_bytes()) for i in range(count)]
    )

    response = post_raw(client, BATCH, body, content_type)

    assert_json_error(response, status=413, code="too_many_files")
    assert not Recording.objects.exists()
    assert guard.problems() == []


# --------------------------------------------------------------------------- gunicorn

WORST = HEAVY


@pytest.mark.slow
def test_a_real_gunicorn_keeps_serving_after_the_worst_inputs(tmp_path):
    from tests.stack import Stack

    stack = Stack(tmp_path, WEB_WORKERS="1")
    try:
        stack.start(worker=False)
        health_before = stack.get("/api/health/")[0]
        sent = [(key, by_key()[key].filename, by_key()[key].data) for key in WORST]
        sent.append(("oversized-body", "big.wav", os.urandom(27 * 1024 * 1024)))
        item = by_key()["gigabyte-header-alone"]
        sent.append((item.key, item.filename, item.data))
        answers = []
        for key, filename, data in sent:
            started = time.monotonic()
            status, body = stack.post_audio(API, data, filename=filename)
            answers.append((key, status, body, time.monotonic() - started))
        started = time.monotonic()
        status, body = stack.post_audio(API, speech_bytes(), filename="after.flac")
        after = time.monotonic() - started
        health = stack.get("/api/health/")[0]
        log = (tmp_path / "web.log").read_text(errors="replace")
    finally:
        stack.stop()
    for key, code, payload, elapsed in answers:
        print(f"gunicorn: {key}: {code} {payload} in {elapsed:.2f} s")
        assert 400 <= code < 500, (key, code, payload)
        assert set(payload) == {"error", "detail"}, (key, payload)
        assert elapsed < REQUEST_BOUND_S, (key, elapsed)
    assert [a[1] for a in answers] == [413, 413, 413, 413, 400]
    assert status == 201 and after < REQUEST_BOUND_S, body
    assert health == health_before
    for sign in ("WORKER TIMEOUT", "Traceback", "Worker exited", "SIGKILL"):
        assert sign not in log, log[-3000:]
