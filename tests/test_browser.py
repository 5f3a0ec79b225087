"""The public page in a real browser: Debian's Chromium driven by Playwright."""

import pytest
import soundfile as sf

from feedback.models import Feedback
from predictions.models import Prediction
from tests.audio_factory import long_speech
from tests.browser import chromium, requires_chromium
from tests.conftest import install_version, real_clip

pytestmark = requires_chromium


@pytest.fixture(scope="module")
def microphone_wav(tmp_path_factory):
    """What the fake microphone hears: four seconds of a real female voice."""
    path = tmp_path_factory.mktemp("mic") / "voice.wav"
    sf.write(path, long_speech(4.0, genders=("female",)), 16_000, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def browser(microphone_wav):
    with chromium(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone_wav}",
    ) as browser:
        yield browser


@pytest.fixture
def page(browser, live_server, transactional_db, trained_model_dir):
    for model_type in ("lstm", "rnn", "gru"):
        install_version(trained_model_dir, model_type)
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/")
    yield page
    context.close()


def test_a_person_uploads_a_clip_and_sees_the_answer(page):
    page.set_input_files("input[type=file]", str(real_clip("female")))
    page.click("#submit-button")
    label = page.locator(".answer .label").first
    label.wait_for()
    assert label.get_attribute("data-label") in {"female", "male", "uncertain"}
    assert Prediction.objects.get().recording.source == "page"


def test_a_person_sends_feedback_on_the_result(page):
    page.set_input_files("input[type=file]", str(real_clip("male")))
    page.click("#submit-button")
    page.check("input[name=true_gender][value=male]")
    page.check("input[name=consent_to_train]")
    page.click("#feedback-form button[type=submit]")
    page.locator(".notice").first.wait_for()
    assert "Thank you" in page.content()
    assert Feedback.objects.get().consent_to_train is True


def test_a_non_audio_file_gets_an_error_in_words(page, tmp_path):
    notes = tmp_path / "notes.wav"
    notes.write_text("these are my notes, not a recording")
    page.set_input_files("input[type=file]", str(notes))
    page.click("#submit-button")
    error = page.locator("#upload-error")
    error.wait_for()
    assert "not an audio file" in error.inner_text()
    assert not Prediction.objects.exists()


def test_a_person_records_from_the_microphone(page):
    page.click("#record-button")
    page.wait_for_timeout(3000)
    page.click("#record-button")
    page.locator(".answer .label").first.wait_for()
    recording = Prediction.objects.get().recording
    assert recording.format in {"webm", "matroska", "ogg"}
    assert recording.duration_s > 2


def test_comparing_all_three_models_shows_each_answer(page):
    page.set_input_files("input[type=file]", str(real_clip("female", 5)))
    page.select_option("select[name=model]", "all")
    page.click("#submit-button")
    page.locator(".compare").wait_for()
    titles = page.locator(".compare-item h3").all_inner_texts()
    assert sorted(t.split()[0] for t in titles) == ["GRU", "LSTM", "RNN"]


def test_the_page_fits_a_phone_screen(browser, live_server, transactional_db):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert overflow <= 0
