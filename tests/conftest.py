"""Fixtures for cross-package tests: run the real CLI in-process, with a tiny trained model."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from distill.data.synthetic import write_demo_collection

PROGRESS_BAR = re.compile(r"\d+/\d+ +(-:--:--|\d+:\d\d:\d\d)")


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)

    def error_lines(self) -> list[str]:
        """stderr without warnings (e.g. the tiny test models' health warning) and progress bars
        (drawn with `━`, or at 0 % a count and a time left, `0/1 -:--:--`)."""
        return [
            line
            for line in self.stderr.splitlines()
            if line.strip() and not line.startswith("Warning:") and "━" not in line and not PROGRESS_BAR.search(line)
        ]


@pytest.fixture
def run_cli(capsys):
    """`run_cli("generate", ...)` -> exit code, stdout and stderr of `distill ...`."""
    from distill.cli.main import main

    def run(*argv: str) -> CliResult:
        capsys.readouterr()
        code = main(list(argv))
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return run


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sounds")
    write_demo_collection(folder, count=6)
    return folder


@pytest.fixture
def trained(run_cli, audio_dir) -> str:
    """A model called 'kit' in this test's library, trained for two epochs of the demo preset."""
    result = run_cli("train", str(audio_dir), "--model-name", "kit", "--preset", "demo", "--epochs", "2")
    assert result.code == 0, result.stderr
    return "kit"


@pytest.fixture(scope="session")
def tiny_kit_file(tmp_path_factory: pytest.TempPathFactory, audio_dir: Path) -> Path:
    """A tiny model called 'kit', trained once per session outside every test's library."""
    from distill.models.vae import VAEConfig
    from distill.training.runner import train_model

    home = tmp_path_factory.mktemp("kit-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DISTILL_HOME", str(home))
        model = train_model(
            audio_dir, "kit", epochs=1, vae_config=VAEConfig(latent_dim=8, channels=(8, 16), segment_frames=32)
        )
    return model.path


@pytest.fixture
def kit(tiny_kit_file: Path, distill_home: Path) -> Path:
    """That model in this test's library, as `models/kit.distill` (seconds faster than `trained`)."""
    target = distill_home / "models" / "kit.distill"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tiny_kit_file, target)
    return target


@dataclass
class PluginSite:
    """Distributions installed the way pip leaves them: a module and a `.dist-info` with entry points.

    Each distribution gets its own folder on `sys.path` (and on `PYTHONPATH`, for a real
    `distill` subprocess), in the order they are added: the first added is found first.
    """

    root: Path
    monkeypatch: pytest.MonkeyPatch
    folders: list[Path]
    modules: list[str]
    inherited: list[str]  # PYTHONPATH entries from before

    def add(self, distribution: str, vocoders: dict[str, str], modules: dict[str, str], version: str = "1.0") -> None:
        """`vocoders`: entry-point name -> module; `modules`: module name -> source."""
        import importlib
        import sys
        import textwrap

        folder = self.root / f"site-{len(self.folders)}"
        info = folder / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
        lines = "".join(f"{name} = {module}\n" for name, module in vocoders.items())
        (info / "entry_points.txt").write_text(f"[distill.vocoders]\n{lines}")
        (info / "RECORD").write_text("")
        for module, source in modules.items():
            (folder / f"{module}.py").write_text(textwrap.dedent(source))
            self.modules.append(module)
        self.folders.append(folder)
        paths = [str(f) for f in self.folders]
        self.monkeypatch.setattr(sys, "path", [*paths, *(p for p in sys.path if p not in paths)])
        self.monkeypatch.setenv("PYTHONPATH", os.pathsep.join([*paths, *self.inherited]))
        importlib.invalidate_caches()
        from distill.host.registry import get_registry

        get_registry.cache_clear()


@pytest.fixture
def plugin_site(tmp_path, monkeypatch) -> Iterator[PluginSite]:
    import sys

    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    site = PluginSite(tmp_path / "plugins", monkeypatch, [], [], inherited)
    yield site
    for module in site.modules:
        sys.modules.pop(module, None)


@pytest.fixture
def distill_process():
    """`distill_process("vocoders", "list")`: the real installed `distill` command in a new process."""
    import subprocess
    import sys

    command = Path(sys.executable).with_name("distill")

    def run(*argv: str) -> CliResult:
        done = subprocess.run(
            [str(command), *argv],
            capture_output=True,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
            timeout=300,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run
