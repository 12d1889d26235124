"""What every browser test of the app shares: a real `distill ui` process, headless Chromium, screenshots.

A pytest plugin (the root conftest.py loads it), so the app's tests in `tests/` and a
plugin's (e.g. BigVGAN's download progress) start the app the same way. Nothing here
imports Gradio or Playwright until a browser test asks for them, so a venv without the UI
extra (the example plugin's) still collects.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",  # the preview plays on release, as it does after a real drag
]
SLOW = 120_000  # ms: generous, because two test workers and the server share two cores


def tiny_vae():
    from distill.models.vae import VAEConfig

    return VAEConfig(latent_dim=8, channels=(8, 16), segment_frames=32)


def make_home(folder: Path, model: str | None = "tiny") -> Path:
    """A data dir with a collection (one file in it broken) and, unless `model` is None, a tiny model trained on it."""
    from distill.data.synthetic import write_demo_collection
    from distill.training.runner import train_model

    recordings = folder / "recordings"
    write_demo_collection(recordings, count=6)
    (recordings / "broken.wav").write_bytes(b"RIFF but not really a wave file")
    if model is not None:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DISTILL_HOME", str(folder))
            train_model(recordings, model, epochs=2, vae_config=tiny_vae())
    return folder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class App:
    url: str
    home: Path
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        """What the server printed so far (its terminal)."""
        return self.log.read_text(errors="replace")


@contextmanager
def running_app(home: Path, **environment: str) -> Iterator[App]:
    """`distill ui` on a free loopback port, as a user would start it; stopped (SIGTERM) at the end."""
    port = _free_port()
    env = {
        **os.environ,
        "DISTILL_HOME": str(home),
        "HF_HOME": str(home / "hf"),
        "HF_HUB_OFFLINE": "1",
        "GRADIO_TEMP_DIR": str(home / "gradio-cache"),
        **environment,
    }
    log_path = home / f"server-{port}.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "distill.cli.main", "ui", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        app = App(f"http://127.0.0.1:{port}/", home, server, log_path)
        deadline = time.monotonic() + 240
        while True:
            try:
                urllib.request.urlopen(app.url, timeout=5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"distill ui did not start:\n{app.output()}")
                time.sleep(0.5)
        try:
            yield app
        finally:
            if server.poll() is None:
                server.terminate()  # `distill ui` stops on SIGTERM as on Ctrl-C
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()


SERVER_LOG_LINES = 80


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed browser test shows the end of what its `distill ui` printed (a page's error is the
    server's) and, from a server still running, every thread's stack (`kill -USR1`): a page that
    waits in vain shows where the app is stuck."""
    report = yield
    app = getattr(item, "funcargs", {}).get("app")
    if report.failed and isinstance(app, App):
        printed = app.output()
        tail = printed.splitlines()[-SERVER_LOG_LINES:]
        report.sections.append((f"distill ui printed (last {SERVER_LOG_LINES} lines)", "\n".join(tail)))
        if app.process.poll() is None and hasattr(signal, "SIGUSR1"):
            app.process.send_signal(signal.SIGUSR1)
            time.sleep(2)
            report.sections.append(("distill ui's threads at the failure", app.output()[len(printed) :]))
    return report


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Debian's chromium, headless, with a fresh profile (noxfile.py installs it in CI)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; `nox -s tests` installs it with apt-get.")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(SLOW)
        yield context
        context.close()


@pytest.fixture(scope="module")
def screenshots(request: pytest.FixtureRequest) -> Path:
    folder = request.config.rootpath / "test-output" / "ui-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_page(browser, url: str):
    """A page of the app, loaded far enough to click its tabs."""
    page = browser.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("tab", name="Generate").wait_for()
    return page


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def choose(page, dropdown, option: str) -> None:
    """Pick `option` (a prefix of its label) from a Gradio dropdown."""
    dropdown.click()
    page.get_by_role("option", name=option).first.click()


def start_training(page, folder: Path, name: str, epochs: int):
    """Fill the Train tab's form and start; returns the form's section."""
    open_tab(page, "Train")
    train = page.locator("#train-model")
    train.get_by_label("Folder of recordings", exact=True).fill(str(folder))
    train.get_by_label("Model name", exact=True).fill(name)
    train.get_by_label("Epochs (blank: the preset's)", exact=True).fill(str(epochs))
    train.get_by_role("button", name="Start training").click()
    return train


def settled(page) -> None:
    """Wait until no event of the page is still running (the lists a tab refreshes on opening, say)."""
    page.wait_for_function("() => !document.body.innerText.includes('processing |')")


def playable_seconds(page, href: str) -> float:
    """The browser's own reading of a sound file: fetched whole, decoded, its length."""
    return page.evaluate(
        """async (href) => {
            const response = await fetch(href);
            if (!response.ok) return -1;
            const bytes = await response.arrayBuffer();
            const context = new OfflineAudioContext(1, 1, 48000);
            const audio = await context.decodeAudioData(bytes);
            return audio.duration;
        }""",
        href,
    )


def player_seconds(page, player) -> float:
    """`playable_seconds` of the file behind a Gradio audio player."""
    return playable_seconds(page, player.locator("a[download]").first.get_attribute("href"))


def painted(page, element) -> bool:
    """Whether `element` is what the page shows at its own position: not hidden, not covered, not zero-sized."""
    return page.evaluate(
        """(element) => {
            const box = element.getBoundingClientRect();
            if (box.width < 1 || box.height < 1) return false;
            element.scrollIntoView({block: 'center'});
            const again = element.getBoundingClientRect();
            const x = again.left + Math.min(20, again.width / 2), y = again.top + again.height / 2;
            const hit = document.elementFromPoint(x, y);
            return hit !== null && (hit === element || element.contains(hit));
        }""",
        element.element_handle(),
    )
