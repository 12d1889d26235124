"""A random BigVGAN checkpoint in the official layout, and a local stand-in for the model hub."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch

from distill_vocoder_bigvgan import BigVGANConfig

# Hop 8*8*8 = 512 like the real model, but 16 channels: the same code paths, at toy size.
TINY_CONFIG = {
    **BigVGANConfig().to_json(),
    "upsample_rates": [8, 8, 8],
    "upsample_kernel_sizes": [16, 16, 16],
    "upsample_initial_channel": 16,
}


def official_model(config: dict):
    """NVIDIA's implementation (the `bigvgan` package), randomly initialised, weight norm kept."""
    from bigvgan.bigvgan import BigVGAN
    from bigvgan.env import AttrDict

    torch.manual_seed(0)
    model = BigVGAN(AttrDict(dict(config)), use_cuda_kernel=False)
    with torch.no_grad():  # log-scale snake parameters start at 0; spread them so they matter
        for name, parameter in model.named_parameters():
            if name.endswith((".alpha", ".beta")):
                parameter.normal_(0.0, 0.3)
    return model.eval()


def write_checkpoint(folder: Path, config: dict = TINY_CONFIG) -> Path:
    """`config.json` + `bigvgan_generator.pt` ({"generator": state_dict}, weight-norm params)."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"generator": official_model(config).state_dict()}, folder / "bigvgan_generator.pt")
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def write_own_checkpoint(folder: Path, config: dict = TINY_CONFIG) -> Path:
    """The same layout from our own generator (weights already plain): no reference package needed."""
    from distill_vocoder_bigvgan import BigVGANGenerator

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    generator = BigVGANGenerator(BigVGANConfig.from_json(config))
    torch.save({"generator": generator.state_dict()}, folder / "bigvgan_generator.pt")
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture
def own_checkpoint():
    """`write_own_checkpoint`, for test classes that must choose when (e.g. after DISTILL_HOME is set)."""
    return write_own_checkpoint


@pytest.fixture(scope="session")
def checkpoint_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_checkpoint(tmp_path_factory.mktemp("bigvgan-checkpoint"))


@dataclass
class FakeHub:
    """Serves `/{repo}/resolve/{revision}/{file}` the way huggingface_hub expects."""

    files: dict[str, bytes]
    url: str = ""
    mode: str = "ok"  # ok | missing | truncated | silent (takes the request, never answers)
    rate: float | None = None  # bytes per second a body is sent at (None: as fast as it goes)
    requests: list[str] = field(default_factory=list)
    hang_up: threading.Event = field(default_factory=threading.Event)

    def environment(self) -> dict[str, str]:
        """What points huggingface_hub in another process at this hub."""
        return {"HF_ENDPOINT": self.url}


def _send(hub: FakeHub, out, body: bytes) -> None:
    """The body, at `hub.rate` when set: a slow connection, in blocks of a twentieth of a second."""
    if hub.rate is None:
        out.write(body)
        return
    block = max(1, int(hub.rate / 20))
    for start in range(0, len(body), block):
        if hub.hang_up.is_set():
            return
        out.write(body[start : start + block])
        out.flush()
        time.sleep(0.05)


@contextmanager
def serving(hub: FakeHub) -> Iterator[FakeHub]:
    """Serve `hub` on a free 127.0.0.1 port (`hub.url`) until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _headers(self) -> bytes | None:
            hub.requests.append(f"{self.command} {self.path}")
            if hub.mode == "silent":
                hub.hang_up.wait(30)
                self.close_connection = True
                return None
            name = self.path.split("?")[0].rsplit("/", 1)[-1]
            body = hub.files.get(name)
            if hub.mode == "missing" or body is None or "/resolve/" not in self.path:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", f'"{hashlib.sha256(body).hexdigest()}"')
            self.send_header("X-Repo-Commit", "0" * 40)
            self.end_headers()
            return body

        def do_HEAD(self) -> None:
            self._headers()

        def do_GET(self) -> None:
            body = self._headers()
            if body is None:
                return
            if hub.mode == "truncated" and len(body) > 1000:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            try:
                _send(hub, self.wfile, body)
            except (BrokenPipeError, ConnectionResetError):  # the client cancelled
                self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield hub
    finally:
        hub.hang_up.set()
        server.shutdown()
        server.server_close()


def checkpoint_files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in ("config.json", "bigvgan_generator.pt")}


@pytest.fixture
def fake_hub(checkpoint_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    with serving(FakeHub(checkpoint_files(checkpoint_dir))) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub.url)
        monkeypatch.setattr(
            "huggingface_hub.constants.HUGGINGFACE_CO_URL_TEMPLATE",
            hub.url + "/{repo_id}/resolve/{revision}/{filename}",
        )
        yield hub
