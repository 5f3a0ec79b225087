"""The admin in a real browser: Debian's Chromium driven by Playwright."""

import pytest

from tests.browser import chromium, requires_chromium
from tests.test_admin_helpers import PASSWORD, make_user
from training.models import TrainingRun

pytestmark = requires_chromium


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def operator_page(browser, live_server, transactional_db, monkeypatch):
    """A browser logged in to the admin as a member of "Model operators"."""
    from django_q.conf import Conf

    # The run must only be queued: no django-q cluster runs here, and a synchronous
    # queue would train inside the request.
    monkeypatch.setattr(Conf, "SYNC", False)
    make_user("olga", operator=True)
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.locator("#gv-dashboard").wait_for()
    yield page
    context.close()


def test_an_operator_starts_a_retrain_and_watches_its_progress(
    operator_page, live_server
):
    """Queue a retrain from the form, then see the run and its progress in the list.

    No worker trains here. To show progress honestly the test writes the run's
    progress fields exactly as the pipeline does while it trains
    (``training/pipeline.py``, ``on_epoch``: status, current model, current epoch,
    total epochs), then waits for the list's own 5-second refresh to show them.
    """
    page = operator_page
    page.goto(live_server.url + "/admin/training/trainingrun/")
    page.click("#retrain-link")
    page.select_option("#id_model_type", "gru")
    page.fill("#id_epochs", "10")
    page.fill("#id_batch_size", "16")
    page.fill("#id_learning_rate", "0.002")
    page.check("#id_use_feedback_1")
    page.click("input[name=_queue]")

    page.locator("ul.messagelist li.success").wait_for()
    run = TrainingRun.objects.get()
    assert f"{run} is queued" in page.inner_text("ul.messagelist")
    assert (run.trigger, run.status, run.model_types) == ("admin", "queued", ["gru"])
    assert (run.params["epochs"], run.params["batch_size"]) == (10, 16)
    assert run.params["use_feedback"] is True

    page.goto(live_server.url + "/admin/training/trainingrun/")
    row = page.locator("#result_list tbody tr").first
    assert f"Run #{run.pk}" in row.inner_text()
    assert "waiting for a worker" in row.inner_text()
    assert page.locator("#auto-refresh-note").is_visible()

    TrainingRun.objects.filter(pk=run.pk).update(
        status=TrainingRun.Status.RUNNING,
        current_model="gru",
        current_epoch=3,
        total_epochs=10,
    )
    page.get_by_text("epoch 3 of 10 (gru)").wait_for(timeout=15_000)
    assert "running" in page.locator("#result_list tbody tr").first.inner_text()
