"""`distill ui` open to a network: a real server, a real HTTP client, nothing served but what the page needs.

One server for the module, started as a user would on a shared machine: `--host 0.0.0.0`,
a password file, one folder of recordings allowed, a 1 MB upload limit, under an
address-space cap. Its data home holds a model, history, a crafted model file and a damaged
history entry (the app must start anyway).
"""

from __future__ import annotations

import html
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf
import torch

from distill.data.synthetic import write_demo_collection

USER, PASSWORD = "sam", "correct horse"
SERVER_CAP = 8 << 30  # bytes of address space: a runaway allocation fails instead of taking the machine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _with_rate_in_header(path: Path, rate: int) -> None:
    data = bytearray(path.read_bytes())
    data[24:28] = rate.to_bytes(4, "little")
    data[28:32] = (rate * 2 % 2**32).to_bytes(4, "little")
    path.write_bytes(bytes(data))


def _tone(rate: int, seconds: float = 1.0) -> np.ndarray:
    return (0.3 * np.sin(np.arange(int(rate * seconds)) * 2 * np.pi * 330 / rate)).astype(np.float32)


@dataclass
class Server:
    url: str
    home: Path
    recordings: Path
    process: subprocess.Popen
    log: Path

    def peak_mib(self) -> float:
        """The server's peak resident memory so far (VmHWM)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def signed_in(self) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=120)
        assert client.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200
        return client

    def app(self):
        from gradio_client import Client

        return Client(self.url, auth=(USER, PASSWORD), download_files=False, verbose=False)


def _home(root: Path, kit: Path) -> tuple[Path, Path]:
    """A data home with a model, history, and damage the app must survive; a folder of odd recordings."""
    home, recordings = root / "home", root / "recordings"
    (home / "models").mkdir(parents=True)
    shutil.copyfile(kit, home / "models" / "kit.distill")
    payload = torch.load(kit, weights_only=True)
    crafted = {**payload, "name": "crafted", "id": "crafted1", "vocoder_type": "hifigan", "vocoder_config": {}}
    crafted["vocoder_state_dict"] = {"w": torch.zeros(1).expand(10**12)}
    torch.save(crafted, home / "models" / "crafted.distill")
    (home / "history").mkdir()
    (home / "history" / "20200101T000000000000-bad.json").write_text('{"thumbnail": [1e308, -1e308, 1e999]}')
    (home / "history" / "20200101T000000000001-deep.json").write_text("[" * 100_000 + "]" * 100_000)
    write_demo_collection(recordings, count=2)
    for name, rate in (("odd.wav", 44_101), ("prime.wav", 47_999), ("absurd.wav", 48_000)):
        sf.write(recordings / name, _tone(rate), rate, subtype="PCM_16")
    _with_rate_in_header(recordings / "absurd.wav", 2_147_483_647)
    return home, recordings


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, tiny_kit_file: Path):
    root = tmp_path_factory.mktemp("ui-security")
    home, recordings = _home(root, tiny_kit_file)
    passwords = root / "passwords"
    passwords.write_text(f"# who may sign in\n{USER}:{PASSWORD}\n")
    port = _free_port()
    env = {**os.environ, "DISTILL_HOME": str(home), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    env.pop("DISTILL_UI_AUTH", None)
    log = root / "server.log"
    argv = [
        sys.executable, "-m", "distill.cli.main", "ui", "--host", "0.0.0.0", "--port", str(port),
        "--auth-file", str(passwords), "--folder", str(recordings), "--max-upload-mb", "1",
    ]  # fmt: skip
    with log.open("w") as output:
        process = subprocess.Popen(
            argv,
            env=env,
            stdout=output,
            stderr=output,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (SERVER_CAP, SERVER_CAP)),
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while True:
        try:
            httpx.get(f"{url}/gradio_api/info", timeout=5)
            break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"distill ui did not start:\n{log.read_text()}")
            time.sleep(0.5)
    yield Server(url, home, recordings, process, log)
    if process.poll() is None:
        process.kill()
        process.wait()


def test_nothing_is_served_before_signing_in(server):
    for path in ("/config", f"/gradio_api/file={server.home}/models/kit.distill", "/gradio_api/info"):
        assert httpx.get(server.url + path).status_code == 401, path
    assert httpx.post(server.url + "/gradio_api/upload", files={"files": ("a.wav", b"x")}).status_code == 401
    assert "WARNING" not in server.log.read_text()  # a password was given: no alarm


def test_the_page_never_names_the_data_home(server):
    """Before, the absolute home path was in /config (the Data tab's note on uploads)."""
    client = server.signed_in()
    for path in ("/config", "/"):
        page = client.get(path)
        assert page.status_code == 200
        assert str(server.home) not in page.text and str(server.home.resolve()) not in page.text, path


def test_model_files_history_and_folders_the_page_did_not_make_are_not_served(server):
    """Before, `/gradio_api/file=<home>/models/base.distill` gave the model to anyone."""
    client = server.signed_in()
    generated = server.home / "generated" / "old.wav"
    generated.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(next(server.recordings.glob("odd.wav")), generated)
    for path in (
        server.home / "models" / "kit.distill",
        next((server.home / "history").glob("*.json")),
        generated,
        server.recordings / "odd.wav",
        Path("/etc/passwd"),
    ):
        assert client.get(f"/gradio_api/file={path}").status_code == 403, path


def test_a_generated_sound_reaches_the_page_from_the_apps_own_folder(server):
    from distill.models.format import read_model_header

    model = read_model_header(server.home / "models" / "kit.distill")
    sliders = [0] * 8
    _, report, _, saved, player, *_ = server.app().predict(
        model.id,
        "auto",
        0.3,
        1,
        "5",
        "wav",
        "24",
        "48000",
        -1,
        "mono",
        1,
        30,
        "",
        0,
        *sliders,
        api_name="/render_files",
    )
    assert "Saved 1 file to `$DISTILL_HOME/generated/kit`" in saved and str(server.home) not in report + saved
    url = player["value"]["url"]
    assert str(server.home) not in url
    fetched = server.signed_in().get(url)
    assert fetched.status_code == 200 and fetched.content[:4] == b"RIFF"
    served = Path(player["value"]["path"]).resolve()
    assert served.is_relative_to((server.home / "ui-sessions").resolve())


def test_uploads_are_capped_and_kept_under_the_data_home(server):
    client = server.signed_in()
    too_big = client.post("/gradio_api/upload", files={"files": ("big.wav", b"0" * 1_500_000)})
    assert too_big.status_code == 413
    small = client.post("/gradio_api/upload", files={"files": ("small.wav", b"0" * 1000)})
    assert small.status_code == 200
    [kept] = small.json()
    assert str(server.home) not in kept
    assert Path(kept).resolve().is_relative_to((server.home / "ui-sessions").resolve())


def test_the_data_tab_checks_coprime_rates_in_bounded_memory_and_skips_an_absurd_one(server):
    """Before, one second at 44,101 Hz took the server past 6 GB, and 2,147,483,647 Hz aborted the folder."""
    before = server.peak_mib()
    summary, skipped, *_ = server.app().predict(str(server.recordings), api_name="/check_folder")
    assert "<h3>4 recordings ready to train on</h3>" in summary, summary
    assert "44.101 kHz × 1" in summary and "47.999 kHz × 1" in summary
    rows = {row[0]: row[1] for row in skipped["data"]}
    assert "sample rate of 2,147,483,647 Hz is outside the 1,000 to 768,000 Hz" in rows["absurd.wav"]
    assert server.peak_mib() - before < 600


@pytest.mark.parametrize("folder", ["/etc", "/proc", "$DISTILL_HOME/models", "~"])
def test_the_data_tab_reads_only_the_folders_the_server_was_given(server, folder):
    message, *_ = server.app().predict(folder, api_name="/check_folder")
    assert "notice-error" in message
    assert "This app reads recordings only from" in message and str(server.home) not in message
    assert "$DISTILL_HOME/collections" in message and "ask whoever runs this app to allow the folder" in message


def test_the_apps_own_folder_is_removed_when_it_stops(server):
    sessions = list((server.home / "ui-sessions").iterdir())
    assert len(sessions) == 1
    links = [p for p in Path("/tmp").glob("distill-ui-*") if p.resolve() == sessions[0].resolve()]
    server.process.send_signal(signal.SIGTERM)  # `distill ui` stops on SIGTERM as on Ctrl-C
    assert server.process.wait(timeout=60) in (0, 130)
    assert not sessions[0].exists() and not any(link.exists() or link.is_symlink() for link in links)
    assert "Traceback" not in server.log.read_text()


@pytest.mark.parametrize(
    "options", [("--host", "0.0.0.0"), ("--host", "192.168.1.20"), ("--share",)], ids=["all", "lan", "share"]
)
def test_open_to_a_network_without_a_password_it_refuses_to_start(run_cli, monkeypatch, options):
    monkeypatch.delenv("DISTILL_UI_AUTH", raising=False)
    result = run_cli("ui", *options)
    assert result.code == 1 and "Traceback" not in result.stderr
    [line] = result.error_lines()
    assert "needs a password" in line and "--auth USER:PASSWORD" in line and "--insecure-no-auth" in line


def test_without_a_password_on_purpose_it_says_so_loudly(distill_home, tmp_path):
    argv = [sys.executable, "-m", "distill.cli.main", "ui", "--host", "0.0.0.0", "--port", str(_free_port())]
    process = subprocess.Popen(
        [*argv, "--insecure-no-auth"],
        env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        first = process.stderr.readline()
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert first.startswith("WARNING: distill ui is open to the network (0.0.0.0:") and "WITHOUT A PASSWORD" in first


def test_passwords_come_from_the_option_a_file_or_the_environment(tmp_path, monkeypatch):
    from distill.errors import DistillError
    from distill.ui.access import is_loopback, resolve_access

    monkeypatch.setenv("DISTILL_UI_AUTH", "ann:from-env")
    assert resolve_access("0.0.0.0", False, None, None, False, [], 10).accounts == (("ann", "from-env"),)
    assert resolve_access("0.0.0.0", False, "bo:typed", None, False, [], 10).accounts == (("bo", "typed"),)
    monkeypatch.delenv("DISTILL_UI_AUTH")
    (tmp_path / "pw").write_text("# comment\n\ncy:one\ndee:two:with:colons\n")
    access = resolve_access("0.0.0.0", False, None, tmp_path / "pw", False, [], 10)
    assert access.accounts == (("cy", "one"), ("dee", "two:with:colons")) and access.folders == ()
    (tmp_path / "bad").write_text("no-colon\n")
    with pytest.raises(DistillError, match="must be USER:PASSWORD"):
        resolve_access("0.0.0.0", False, None, tmp_path / "bad", False, [], 10)
    local = resolve_access("127.0.0.1", False, None, None, False, [], 10)
    assert local.folders is None and not local.networked and local.max_upload_bytes == 10_000_000
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.2", "example.org"))


@pytest.mark.parametrize("folder", ["/proc", "/"])
def test_the_data_tab_on_a_system_folder_is_one_sentence_and_no_traceback(folder, caplog):
    """Before: "Something went wrong (PermissionError ... /proc/1/cwd)" and two tracebacks in the terminal."""
    from distill.ui.data_tab import check_folder

    shown, *_ = check_folder(folder)
    message = html.unescape(re.sub(r"<[^>]+>", "", shown)).strip()
    assert "Something went wrong" not in message and "\n" not in message
    assert re.fullmatch(
        rf"\S+ {re.escape(folder)} holds more than 200,000 files and folders, far more than a .*\.", message
    )
    assert not [r for r in caplog.records if r.exc_info], caplog.text
