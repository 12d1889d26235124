"""BigVGAN's download in the app (issue 28): painted progress, downloading ahead, cancelling.

A real `distill ui` process and headless Chromium against a stand-in hub on 127.0.0.1 that
serves a randomly initialised checkpoint in the official layout slowly (1 MB/s), so the
transfer lasts long enough to be watched the way a musician on a real connection would.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.ui_harness import App, make_home, new_page, open_tab, painted, running_app

from .conftest import TINY_CONFIG, FakeHub, checkpoint_files, serving, write_checkpoint

pytestmark = pytest.mark.browser

RATE = 1_000_000  # bytes per second
FOLDER = "vocoders/bigvgan_v2_44khz_128band_512x"
DOWNLOADING = re.compile(
    r"Downloading the BigVGAN-v2 universal vocoder \(([\d.]+) MB\), a one-time download: ([\d.]+) / "
)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeHub]:
    """A 4 MB checkpoint (128 channels) served at 1 MB/s: four seconds of transfer."""
    folder = write_checkpoint(tmp_path_factory.mktemp("hub-files"), {**TINY_CONFIG, "upsample_initial_channel": 128})
    with serving(FakeHub(checkpoint_files(folder), rate=RATE)) as running:
        yield running


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, hub: FakeHub) -> Iterator[App]:
    home = make_home(tmp_path_factory.mktemp("ui-download"))
    with running_app(home, HF_HUB_OFFLINE="", **hub.environment()) as running:
        yield running


@pytest.fixture
def page(browser, app):
    page = new_page(browser, app.url)
    open_tab(page, "Generate")
    page.locator("#model-about").get_by_text("tiny — makes").wait_for()
    yield page
    page.close()


def weights(app: App) -> Path:
    return app.home / FOLDER


def no_loadable_partial(app: App) -> None:
    """No weights file, whole or partial, anywhere in the folder (huggingface_hub's small bookkeeping aside)."""
    folder = weights(app)
    assert not (folder / "bigvgan_generator.pt").exists()
    leftovers = [p for p in folder.rglob("*") if p.is_file() and (p.stat().st_size > 10_000 or ".incomplete" in p.name)]
    assert leftovers == [], leftovers


def test_a_download_cancelled_from_the_page_leaves_no_loadable_partial_file(page, app, hub):
    page.locator("#download-state").get_by_text("not downloaded").wait_for()
    page.locator("#download-now").click()
    page.wait_for_function(
        "() => { const line = document.querySelector('#download-progress .stage-now');"
        " return line && /: [1-9][0-9.]* \\/ /.test(line.innerText); }"
    )  # some bytes in, not all
    page.locator("#download-cancel").click()
    page.locator("#download-progress").get_by_text("Download cancelled; nothing partial was kept.").wait_for()
    no_loadable_partial(app)
    assert "not downloaded" in page.locator("#download-state").inner_text()


def test_the_first_render_paints_the_download_its_bytes_rising_then_preparing_then_the_sound(page, app, screenshots):
    page.get_by_label("Seconds per sound", exact=True).fill("0.5")
    page.get_by_label("Seed (blank: a new one each time)", exact=True).fill("1")
    page.locator("#generate-button").click()
    seen: list[float] = []
    sentence = False
    used = page.locator("#vocoder-used")
    while not used.inner_text().startswith("Vocoder used"):
        stage = page.locator("#generate-progress .stage-now").first
        text = stage.inner_text() if stage.count() else ""
        found = DOWNLOADING.search(text)
        if found:
            sentence = True
            assert painted(page, stage), "the progress line is not what the page shows at its place"
            received = float(found.group(2))
            if not seen or received > seen[-1]:
                seen.append(received)
                if len(seen) == 2:
                    page.screenshot(path=screenshots / "generate-downloading-bigvgan.png", full_page=True)
        time.sleep(0.25)
    assert sentence and len(seen) >= 3, seen  # the byte count rose at least twice before the result
    assert "Vocoder used: bigvgan (chosen by Auto)" in used.inner_text()
    assert "✓ Downloading the BigVGAN-v2 universal vocoder" in page.locator("#generate-progress").inner_text()
    assert (weights(app) / "bigvgan_generator.pt").is_file()


def test_download_now_ahead_then_generate_transfers_nothing(page, app, hub, screenshots):
    shutil.rmtree(weights(app))
    page.reload(wait_until="domcontentloaded")
    open_tab(page, "Generate")
    state = page.locator("#download-state")
    state.get_by_text("not downloaded").wait_for()
    page.locator("#download-now").click()
    page.locator("#download-progress .stage-now").first.wait_for()
    page.screenshot(path=screenshots / "generate-download-now.png", full_page=True)
    page.locator("#download-progress").get_by_text("The BigVGAN-v2 universal vocoder is ready.").wait_for()
    assert "ready" in state.inner_text() and "copy prepared for this machine" in state.inner_text()
    hub.requests.clear()
    page.get_by_label("Seconds per sound", exact=True).fill("0.5")
    page.get_by_label("Seed (blank: a new one each time)", exact=True).fill("2")
    page.locator("#generate-button").click()
    page.locator("#vocoder-used").get_by_text("Vocoder used: bigvgan (chosen by Auto)").wait_for()
    assert [r for r in hub.requests if r.startswith("GET")] == []  # no transfer: downloaded ahead
    assert "Downloading" not in page.locator("#generate-progress").inner_text()
