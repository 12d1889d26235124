"""Every test runs with its own data dir and no route to the real model hub."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]  # runs the vocoder conformance suite on deliberately sloppy plugins


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
