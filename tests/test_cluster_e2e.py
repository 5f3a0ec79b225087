"""End to end with real processes: gunicorn, the django-q2 cluster, training runs.

People post feedback through the API past the threshold: exactly one run is queued
even though the posts arrive at once, the cluster picks it up, and it goes queued ->
running -> succeeded with a new model version. A run killed mid-training is marked
failed and production keeps serving.
"""

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import real_clip
from tests.stack import Stack, training_pids

pytestmark = pytest.mark.slow

THRESHOLD = 20


@pytest.fixture(scope="module")
def stack(tmp_path_factory, tiny_manifest):
    stack = Stack(
        tmp_path_factory.mktemp("stack"),
        DEFAULT_DATASET=str(tiny_manifest),
        FEEDBACK_RETRAIN_THRESHOLD=str(THRESHOLD),
        AUTO_RETRAIN_MODEL_TYPE="gru",
        AUTO_RETRAIN_PARAMS=json.dumps(
            {"epochs": 1, "units": 4, "augment_copies": 0, "batch_size": 16}
        ),
    )
    try:
        yield stack.start()
    finally:
        stack.stop()


def runs(stack, **match):
    status, body = stack.get("/api/training-runs/", auth=True)
    assert status == 200, body
    return [r for r in body if all(r[k] == v for k, v in match.items())]


@pytest.fixture(scope="module")
def feedback_burst(stack):
    """Twenty people correct the same prediction at the same moment."""
    status, prediction = stack.post_audio(
        "/api/predictions/", real_clip("female").read_bytes()
    )
    assert status == 201, prediction
    body = {
        "prediction": prediction["id"],
        "true_gender": "female",
        "consent_to_train": True,
    }
    with ThreadPoolExecutor(max_workers=THRESHOLD) as pool:
        statuses = list(
            pool.map(
                lambda _: stack.post_json("/api/feedback/", body)[0], range(THRESHOLD)
            )
        )
    return statuses


def test_twenty_concurrent_feedback_posts_queue_exactly_one_run(stack, feedback_burst):
    assert feedback_burst == [201] * THRESHOLD
    time.sleep(2)
    assert len(runs(stack, trigger="feedback")) == 1


def test_the_feedback_run_goes_from_queued_to_running_to_succeeded(
    stack, feedback_burst
):
    run_id = runs(stack, trigger="feedback")[0]["id"]
    seen = []

    def finished():
        status, run = stack.get(f"/api/training-runs/{run_id}/", auth=True)
        if not seen or seen[-1] != run["status"]:
            seen.append(run["status"])
        return run if run["status"] in ("succeeded", "failed") else None

    run = Stack.wait_for(finished, 240, "the feedback run to finish", every=0.1)
    assert run["status"] == "succeeded", run["error"]
    assert "running" in seen and seen[-1] == "succeeded"
    assert run["params"]["use_feedback"] is True
    assert run["data_summary"]["feedback"]["clips"] == 1
    assert [v["model_type"] for v in run["versions"]] == ["gru"]


def test_a_run_killed_mid_training_fails_and_production_keeps_serving(stack):
    before = stack.get("/api/models/")[1]
    status, run = stack.post_json(
        "/api/training-runs/",
        {"model_type": "lstm", "epochs": 200, "batch_size": 8, "learning_rate": 0.0001},
        auth=True,
    )
    assert status == 202, run

    def training_started():
        _, current = stack.get(f"/api/training-runs/{run['id']}/", auth=True)
        return current["status"] == "running" and training_pids(run["id"])

    pids = Stack.wait_for(training_started, 120, "the training subprocess")
    for pid in pids:
        os.kill(pid, signal.SIGKILL)

    def failed():
        _, current = stack.get(f"/api/training-runs/{run['id']}/", auth=True)
        return current if current["status"] == "failed" else None

    current = Stack.wait_for(failed, 60, "the run to be marked failed")
    assert "killed by signal SIGKILL" in current["error"]
    assert stack.get("/api/models/")[1] == before
    assert stack.get("/api/health/")[0] == 200
    status, answer = stack.post_audio(
        "/api/predictions/", real_clip("male").read_bytes()
    )
    assert status == 201 and answer["label"] in {"female", "male", "uncertain"}


def test_the_next_run_after_a_killed_one_succeeds(stack):
    status, run = stack.post_json(
        "/api/training-runs/",
        {"model_type": "rnn", "epochs": 10, "batch_size": 16},
        auth=True,
    )
    assert status == 202

    def finished():
        _, current = stack.get(f"/api/training-runs/{run['id']}/", auth=True)
        return current if current["status"] in ("succeeded", "failed") else None

    current = Stack.wait_for(finished, 300, "the next run to finish")
    assert current["status"] == "succeeded", current["error"]
