"""A broken vocoder plugin never takes the others down."""

from __future__ import annotations

import textwrap
from importlib.metadata import EntryPoint, entry_points

import pytest

from distill.host.registry import get_registry
from distill.vocoders import plugins

GROUP = "distill.vocoders"

FAULTY_PLUGINS = {
    "raises_priority": """
        from distill.vocoders import hookimpl

        @hookimpl
        def vocoder_priority(model):
            raise RuntimeError("priority exploded")
    """,
    "raises_load": """
        from distill.vocoders import hookimpl

        @hookimpl
        def vocoder_priority(model):
            return 10_000

        @hookimpl
        def load_vocoder(name, model, device):
            if name == "flaky":
                raise OSError("weights missing on disk")
    """,
}


@pytest.fixture
def faulty_plugins_installed(tmp_path, monkeypatch):
    """The real entry points plus three broken plugins: one fails to import, two raise."""
    for module, source in FAULTY_PLUGINS.items():
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    extra = [
        EntryPoint("missing", "distill_plugin_that_does_not_exist", GROUP),
        EntryPoint("exploding", "raises_priority", GROUP),
        EntryPoint("flaky", "raises_load", GROUP),
    ]
    real = list(entry_points(group=GROUP))
    monkeypatch.setattr(plugins, "entry_points", lambda group: [*real, *extra])
    get_registry.cache_clear()


def test_vocoders_list_reports_the_import_failure_and_keeps_the_rest(run_cli, faulty_plugins_installed):
    records = {r["name"]: r for r in run_cli("vocoders", "list", "--json").json()}
    assert records["missing"]["status"] == "broken"
    assert "ModuleNotFoundError" in records["missing"]["error"]
    assert records["griffinlim"]["status"] == "ok" and "error" not in records["griffinlim"]


def test_generation_survives_broken_plugins_and_warns_about_each(run_cli, faulty_plugins_installed, trained, tmp_path):
    result = run_cli("generate", trained, "-d", "0.5", "--output-dir", str(tmp_path), "--json")
    assert result.code == 0, result.stderr
    assert result.json()["files"][0]["vocoder"] == "griffinlim"
    assert "'exploding'" in result.stderr and "priority exploded" in result.stderr
    assert "'flaky'" in result.stderr and "weights missing on disk" in result.stderr
    records = {r["name"]: r for r in run_cli("vocoders", "list", "--json").json()}
    assert records["exploding"]["status"] == "broken"


def test_explicitly_asking_for_a_broken_plugin_is_one_sentence(run_cli, faulty_plugins_installed, trained):
    result = run_cli("generate", trained, "--vocoder", "missing")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "Vocoder 'missing' is installed but broken (ModuleNotFoundError" in result.stderr
