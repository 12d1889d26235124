"""Every test runs with its own data dir and no route to the real model hub."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def distill_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """A private `DISTILL_HOME`, and huggingface_hub pointed nowhere real."""
    home = tmp_path_factory.mktemp("distill-home")
    monkeypatch.setenv("DISTILL_HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    from distill.vocoders.registry import get_registry

    get_registry.cache_clear()
    yield home
    get_registry.cache_clear()


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
