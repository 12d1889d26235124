"""Full, read-only and immutable disks, a data home that is a file, odd file names and paths:
one sentence and a non-zero exit, and nothing half-done left behind."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


def _one_sentence(result, fragment: str) -> None:
    assert result.code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and fragment in result.stderr, result.stderr
    assert len(result.error_lines()) == 1, result.stderr


def _only_filler(folder: Path) -> bool:
    return [p.name for p in folder.iterdir()] in ([], ["filler"])


def test_generate_into_a_full_folder(run_cli, kit, limited_folder):
    folder = limited_folder("full")
    result = run_cli("generate", "kit", "-d", "0.5", "--vocoder", "griffinlim", "--output-dir", str(folder))
    _one_sentence(result, "No space left on device")
    assert _only_filler(folder)
    assert run_cli("history", "list", "--json").json() == []


def test_generate_with_the_data_home_on_a_full_disk_keeps_no_unrecorded_file(
    run_cli, kit, limited_folder, monkeypatch, tmp_path
):
    model = shutil.copyfile(kit, tmp_path / "kit.distill")
    home = limited_folder("full", name="home")
    monkeypatch.setenv("DISTILL_HOME", str(home))
    out = tmp_path / "out"
    result = run_cli("generate", str(model), "-d", "0.5", "--vocoder", "griffinlim", "--output-dir", str(out))
    _one_sentence(result, "No space left on device")
    assert list(out.iterdir()) == []


def test_room_for_the_audio_but_not_its_sidecar_keeps_nothing(run_cli, kit, limited_folder, tmp_path):
    probe = tmp_path / "probe"
    assert (
        run_cli(
            "generate", "kit", "-d", "0.5", "--seed", "3", "--vocoder", "griffinlim", "--output-dir", str(probe)
        ).code
        == 0
    )
    audio_bytes = next(probe.glob("*.wav")).stat().st_size
    pages = math.ceil(audio_bytes / 4096)
    folder = limited_folder("full", size=pages * 4096, fill=False)
    result = run_cli(
        "generate", "kit", "-d", "0.5", "--seed", "3", "--vocoder", "griffinlim", "--output-dir", str(folder)
    )
    _one_sentence(result, "No space left on device")
    assert list(folder.iterdir()) == []
    assert len(run_cli("history", "list", "--json").json()) == 1  # the probe's only


@pytest.mark.parametrize(("kind", "problem"), [("readonly", "Read-only file system"), ("immutable", "not permitted")])
def test_a_read_only_or_immutable_data_home(run_cli, kit, limited_folder, monkeypatch, tmp_path, kind, problem):
    model = shutil.copyfile(kit, tmp_path / "kit.distill")
    home = limited_folder(kind, name="home")
    monkeypatch.setenv("DISTILL_HOME", str(home))
    _one_sentence(run_cli("preset", "save", str(model), "warm", "--slider", "0:0.5"), problem)
    _one_sentence(
        run_cli("generate", str(model), "-d", "0.2", "--vocoder", "griffinlim", "--output-dir", str(tmp_path / "out")),
        problem,
    )
    assert list((tmp_path / "out").iterdir()) == []


def test_a_data_home_that_is_a_file(run_cli, tmp_path, monkeypatch):
    blocker = tmp_path / "home"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DISTILL_HOME", str(blocker))
    for command in (("model", "list"), ("history", "list"), ("generate", "kit")):
        _one_sentence(run_cli(*command), "it is a file, not a folder")


@pytest.mark.parametrize("folder_name", ["odd [/]", "kicks [red] and [/]", "[bold]x"])
def test_output_folders_with_brackets_are_printed_as_they_are(run_cli, kit, tmp_path, folder_name):
    folder = tmp_path / folder_name
    result = run_cli("generate", "kit", "-d", "0.2", "--output-dir", str(folder))
    assert result.code == 0, result.stderr
    (wav,) = folder.glob("*.wav")
    assert str(wav) in result.stderr  # whole, never wrapped: a printed path pastes as it is
    listed = run_cli("history", "list")
    assert listed.code == 0 and folder_name in listed.stdout, listed.stderr
    assert run_cli("model", "list").code == 0


def _in_a_process(*argv: str | bytes) -> subprocess.CompletedProcess:
    """The CLI as a real process, with byte output, so names that are not UTF-8 reach a real terminal stream."""
    code = "import sys; from distill.cli.main import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )


def test_a_non_utf8_output_path(kit, tmp_path):
    folder = os.fsdecode(bytes(tmp_path) + b"/caf\xe9")
    result = _in_a_process("generate", "kit", "-d", "0.2", "--output-dir", folder)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    (wav,) = Path(folder).glob("*.wav")
    assert bytes(tmp_path) + b"/caf\xe9" in result.stdout
    assert json.loads(wav.with_suffix(".json").read_text())["path"] == str(wav)
    listed = _in_a_process("history", "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["path"] == str(wav)


def test_a_training_file_with_a_non_utf8_name_is_used(tmp_path, audio_dir):
    data = tmp_path / "data"
    data.mkdir()
    for source in sorted(audio_dir.glob("*.wav"))[:2]:
        shutil.copyfile(source, data / source.name)
    odd = os.fsdecode(bytes(data) + b"/kick-\xe9.wav")
    shutil.copyfile(sorted(audio_dir.glob("*.wav"))[2], odd)
    result = _in_a_process("train", str(data), "--model-name", "odd", "--preset", "demo", "--epochs", "1")
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"Skipped" not in result.stderr
    assert b"Used 3 files" in result.stderr


@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink", "hardlink"])
def test_vocode_refuses_to_overwrite_its_own_input(run_cli, tmp_path, monkeypatch, spelling):
    source = tmp_path / "x.flac"
    sf.write(source, 0.3 * np.sin(np.arange(24000) * 0.05), 48000)
    original = source.read_bytes()
    monkeypatch.chdir(tmp_path)
    output = {
        "same": "x.flac",
        "dotted": "./sub/../x.flac",
        "symlink": "link.flac",
        "hardlink": "hard.flac",
    }[spelling]
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.flac").symlink_to(source)
    os.link(source, tmp_path / "hard.flac")
    result = run_cli("vocode", "x.flac", "--vocoder", "griffinlim", "-o", output)
    _one_sentence(result, "is the input recording itself")
    assert source.read_bytes() == original
