"""Every test runs with its own data dir and no route to the real model hub."""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# pytester runs the conformance suite on deliberately sloppy plugins; ui_harness starts the app for browser tests.
pytest_plugins = ["pytester", "tests.ui_harness"]


@pytest.fixture(autouse=True)
def distill_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """A private `DISTILL_HOME`, and huggingface_hub pointed nowhere real."""
    home = tmp_path_factory.mktemp("distill-home")
    monkeypatch.setenv("DISTILL_HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("DISTILL_VISQOL", "0")  # ViSQOL, where installed, costs seconds per verdict: a test asks for it
    from distill.host.registry import get_registry

    get_registry.cache_clear()
    yield home
    get_registry.cache_clear()


@pytest.fixture
def limited_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Path]]:
    """Factory for a folder on a filesystem that fails writes the way real ones do.

    `limited_folder("full")`: no space left (`size` bytes, filled up unless `fill=False`);
    `"readonly"`: mounted read-only; `"immutable"`: `chattr +i`. Where mounting a small
    tmpfs is allowed (root, as on the project's machines) these are real kernel
    failures; elsewhere the same errno is injected at Distill's one atomic-write seam.
    """
    mounted: list[Path] = []

    def make(kind: str, size: int = 64 * 1024, fill: bool = True, name: str = "fs") -> Path:
        folder = tmp_path / name
        folder.mkdir()
        if os.environ.get("DISTILL_TEST_INJECT_IO_ERRORS") or not _mounted(folder, size):
            return _injected(folder, kind, monkeypatch)
        mounted.append(folder)
        if kind == "full" and fill:
            fd = os.open(folder / "filler", os.O_CREAT | os.O_WRONLY)
            try:
                while os.write(fd, b"\0" * 4096):
                    pass
            except OSError:
                pass
            finally:
                os.close(fd)
        elif kind == "readonly":
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        elif kind == "immutable":
            subprocess.run(["chattr", "+i", str(folder)], check=True)
        return folder

    yield make
    for folder in reversed(mounted):
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _mounted(folder: Path, size: int) -> bool:
    """Mount a tmpfs of `size` bytes on `folder`, if this machine lets us."""
    try:
        return (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
            ).returncode
            == 0
        )
    except OSError:  # no mount command at all
        return False


def _injected(folder: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    import errno

    from distill import fileio

    code = {"full": errno.ENOSPC, "readonly": errno.EROFS, "immutable": errno.EPERM}[kind]
    create = fileio._new_temp

    def failing(target: Path) -> Path:
        if folder in Path(target).parents:
            raise OSError(code, os.strerror(code), str(target))
        return create(target)

    monkeypatch.setattr(fileio, "_new_temp", failing)
    return folder


def _device_params() -> list:
    """cpu, cuda and mps, each skipped where this machine lacks it."""
    import torch

    present = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
    }
    return [
        pytest.param(name, marks=pytest.mark.skipif(not ok, reason=f"no {name} device here"), id=name)
        for name, ok in present.items()
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking a `device` argument runs once per device kind, skipped for those absent."""
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", _device_params())


@dataclass
class BoundedRun:
    code: int
    stdout: str
    stderr: str
    peak_mib: float  # the child's own peak resident memory


@pytest.fixture
def bounded_run() -> Callable[..., BoundedRun]:
    """`bounded_run([python, ...])`: a child process whose address space is capped, and its peak memory.

    The cap (`limit_gib` of address space) makes a runaway allocation fail at once instead
    of taking the machine down; `peak_mib` (from `wait4`) is what a test bounds.
    """

    def run(argv: list[str], limit_gib: float = 4.0, timeout: float = 300, env: dict | None = None) -> BoundedRun:
        limit = int(limit_gib * (1 << 30))

        def cap() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        environment = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            child = subprocess.Popen(argv, env=environment, preexec_fn=cap, stdout=out, stderr=err, text=True)
            deadline = time.monotonic() + timeout
            while not (ended := os.wait4(child.pid, os.WNOHANG))[0]:  # wait4: this child's own peak memory
                if time.monotonic() > deadline:
                    child.kill()
                    ended = os.wait4(child.pid, 0)
                    break
                time.sleep(0.05)
            child.returncode = os.waitstatus_to_exitcode(ended[1])
            out.seek(0)
            err.seek(0)
            return BoundedRun(child.returncode, out.read(), err.read(), ended[2].ru_maxrss / 1024)

    return run
