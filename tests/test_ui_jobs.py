"""Jobs belong to the app, not to the page: a reload or a second page finds a running training with its
progress, charts and Stop, and its result once done; `kill` stops the app cleanly, keeping checkpoints."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
from tests.ui_harness import App, make_home, new_page, open_tab, running_app, start_training

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with running_app(make_home(tmp_path_factory.mktemp("ui-jobs"))) as running:
        yield running


def epoch_shown(page) -> float:
    """The epoch the page's training status shows, once it shows one."""
    page.wait_for_function("() => /epoch [0-9.]+ of/.test(document.querySelector('#train-status').innerText)")
    text = page.locator("#train-status").inner_text()
    return float(text.split("epoch ", 1)[1].split(" of", 1)[0])


def test_a_reload_and_a_second_page_find_the_running_training_with_progress_charts_and_stop(browser, app):
    first = new_page(browser, app.url)
    start_training(first, app.home / "recordings", "long", 300)
    epoch_shown(first)
    first.reload(wait_until="domcontentloaded")
    open_tab(first, "Train")
    before = epoch_shown(first)  # the reloaded page follows the same job
    train = first.locator("#train-model")
    assert train.get_by_label("Model name", exact=True).input_value() == "long"  # its form is back too
    second = new_page(browser, app.url)
    open_tab(second, "Train")
    second.wait_for_function(
        "(before) => { const m = /epoch ([0-9.]+) of/.exec(document.querySelector('#train-status').innerText);"
        " return m && parseFloat(m[1]) > before; }",
        arg=before,
    )  # the second page sees it live, past where the first saw it
    second.locator("#train-model .vega-embed canvas, #train-model .vega-embed svg").first.wait_for()
    second.get_by_role("button", name="Stop (keeps the last finished epoch)").click()
    for page in (first, second):  # both pages hear the stop, and say how to go on in the page's own words
        page.locator("#train-status").get_by_text("Stopped.").wait_for()
        assert "tick “Resume a stopped run” and start again" in page.locator("#train-status").inner_text()
    assert (app.home / "runs" / "long" / "checkpoint.pt").is_file()
    first.close()
    second.close()


def first_tick(page) -> float:
    """Where the loss chart's epoch axis begins (its first tick label)."""
    ticks = page.evaluate(
        "() => [...document.querySelector('#train-model .vega-embed').querySelectorAll('text')].map(t => t.textContent)"
    )
    return float(next(t for t in ticks if t.replace(".", "", 1).replace(",", "").isdigit()).replace(",", ""))


def test_a_resumed_training_continues_its_chart_instead_of_starting_again(browser, app):
    """Runs after the test above stopped 'long'."""
    page = new_page(browser, app.url)
    open_tab(page, "Train")
    stopped = page.locator("#train-status").get_by_text("Stopped.")
    stopped.wait_for()  # the page opens on the app's last training: the stopped one
    resumed_from = int(page.locator("#train-status").inner_text().split("after epoch ", 1)[1].split(";")[0])
    train = page.locator("#train-model")
    train.get_by_label("Resume a stopped run", exact=True).check()
    train.get_by_role("button", name="Start training").click()
    page.wait_for_function(
        "(from) => { const m = /epoch ([0-9.]+) of/.exec(document.querySelector('#train-status').innerText);"
        " return m && parseFloat(m[1]) > from + 1; }",
        arg=resumed_from,
    )
    page.wait_for_timeout(1500)  # a chart redraw
    assert first_tick(page) < resumed_from  # one chart from the first epoch on, not a new one from the resume epoch
    page.get_by_role("button", name="Stop (keeps the last finished epoch)").click()
    page.locator("#train-status").get_by_text("Stopped.").wait_for()
    page.close()


def test_a_page_opened_after_a_training_ended_shows_its_result(browser, app):
    page = new_page(browser, app.url)
    open_tab(page, "Train")
    # The page opens on the stopped 'long', its form restored for Resume: typed over only once it is shown.
    page.locator("#train-status").get_by_text("Stopped.").wait_for()
    start_training(page, app.home / "recordings", "quick", 4)
    page.locator("#train-status p").first.wait_for()  # under way
    page.close()  # nobody watches while it ends
    later = new_page(browser, app.url)
    open_tab(later, "Train")
    later.locator("#train-report").get_by_text("Saved model 'quick'").wait_for()
    later.close()
    after = new_page(browser, app.url)  # opened once it is over: its result, but the form is for the next run
    open_tab(after, "Train")
    after.locator("#train-report").get_by_text("Saved model 'quick'").wait_for()
    assert after.locator("#train-model").get_by_label("Model name", exact=True).input_value() == ""
    after.close()


def test_a_vocoder_training_stopped_after_a_reload_says_so(browser, app):
    page = new_page(browser, app.url)
    open_tab(page, "Train")
    section = page.locator("#train-vocoder")
    section.get_by_label("Steps", exact=True).fill("5000")
    section.get_by_label("Batch size", exact=True).fill("1")
    section.get_by_label("Discriminator width ÷ (4 is faster on a CPU)", exact=True).fill("16")
    section.get_by_role("button", name="Start vocoder training").click()
    page.wait_for_function("() => /step [0-9]+ of/.test(document.querySelector('#vocoder-status').innerText)")
    page.reload(wait_until="domcontentloaded")
    open_tab(page, "Train")
    page.wait_for_function("() => /step [0-9]+ of/.test(document.querySelector('#vocoder-status').innerText)")
    page.locator("#train-vocoder").get_by_role("button", name="Stop (keeps a checkpoint)").click()
    page.get_by_text("Stopping after the current step").first.wait_for()  # heard at once
    page.locator("#vocoder-status").get_by_text("Stopped.").wait_for()
    page.close()


def test_kill_stops_the_app_within_seconds_keeping_a_running_trainings_checkpoint(browser, tmp_path):
    with running_app(make_home(tmp_path, model=None)) as killed:
        page = new_page(browser, killed.url)
        start_training(page, killed.home / "recordings", "interrupted", 300)
        epoch_shown(page)
        started = time.monotonic()
        killed.process.send_signal(signal.SIGTERM)
        try:
            code = killed.process.wait(timeout=8)
        except subprocess.TimeoutExpired:
            pytest.fail(f"distill ui did not stop within 8 s of SIGTERM:\n{killed.output()}")
        page.close()
    assert code == 0 and time.monotonic() - started < 8
    assert (killed.home / "runs" / "interrupted" / "checkpoint.pt").is_file()
    assert "Stopped 1 running job(s) of the app; trainings kept their checkpoints." in killed.output()
    assert "Traceback" not in killed.output() and "terminate called" not in killed.output()
