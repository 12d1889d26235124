"""Fixtures for cross-package tests: run the real CLI in-process, with a tiny trained model."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from distill.data.synthetic import write_demo_collection


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def run_cli(capsys):
    """`run_cli("generate", ...)` -> exit code, stdout and stderr of `distill ...`."""
    from distill.cli.app import main

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
