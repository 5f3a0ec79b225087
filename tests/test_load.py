"""Load on the real server: 100 concurrent uploads, each answered and stored once."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.audio_factory import long_speech, wav_bytes
from tests.stack import Stack

pytestmark = pytest.mark.slow

CONCURRENT = 100


@pytest.fixture(scope="module")
def stack(tmp_path_factory, tiny_manifest):
    stack = Stack(tmp_path_factory.mktemp("load"), DEFAULT_DATASET=str(tiny_manifest))
    try:
        yield stack.start()
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def clip():
    return wav_bytes(long_speech(5.0))


def stored_predictions(stack) -> list[str]:
    code = (
        "import json; from predictions.models import Prediction; "
        "print(json.dumps([str(p) for p in "
        "Prediction.objects.values_list('public_id', flat=True)]))"
    )
    return json.loads(stack.manage("shell", "-c", code).strip().splitlines()[-1])


def burst(stack, clip) -> list[tuple[int, dict]]:
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        return list(
            pool.map(
                lambda i: stack.post_audio("/api/predictions/", clip, f"{i}.wav"),
                range(CONCURRENT),
            )
        )


def test_a_hundred_concurrent_uploads_are_answered_and_stored_once(stack, clip):
    before = set(stored_predictions(stack))
    results = burst(stack, clip)
    assert [status for status, _ in results] == [201] * CONCURRENT
    ids = [body["id"] for _, body in results]
    assert len(set(ids)) == CONCURRENT
    new = set(stored_predictions(stack)) - before
    assert new == set(ids)


def test_uploads_are_answered_while_a_training_run_is_going_on(stack, clip):
    status, run = stack.post_json(
        "/api/training-runs/",
        {"model_type": "lstm", "epochs": 100, "batch_size": 8, "learning_rate": 0.0001},
        auth=True,
    )
    assert status == 202

    def running():
        _, current = stack.get(f"/api/training-runs/{run['id']}/", auth=True)
        return current["status"] == "running" and current["current_epoch"] >= 1

    Stack.wait_for(running, 180, "the training run to be under way")
    before = set(stored_predictions(stack))
    results = burst(stack, clip)
    assert [status for status, _ in results] == [201] * CONCURRENT
    assert set(stored_predictions(stack)) - before == {b["id"] for _, b in results}
    _, current = stack.get(f"/api/training-runs/{run['id']}/", auth=True)
    assert current["status"] == "running"  # training went on meanwhile
