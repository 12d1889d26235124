"""Nothing is written outside `$DISTILL_HOME` unless the user names the place: names and ids
that become paths are checked when made and again when read back from files and the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch


def _one_sentence(result, fragment: str) -> None:
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr and fragment in result.stderr, result.stderr
    assert len(result.error_lines()) == 1, result.stderr


def _crafted(source: Path, folder: Path, **changes) -> Path:
    payload = torch.load(source, weights_only=True)
    payload.update(changes)
    path = folder / "gift.distill"
    torch.save(payload, path)
    return path


def _files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "changes",
    [{"name": "ABSOLUTE"}, {"name": "../../escaped"}, {"id": "../../escaped"}],
    ids=["absolute name", "climbing name", "climbing id"],
)
@pytest.mark.parametrize(
    "command",
    [
        ("generate", "MODEL", "-d", "0.2"),
        ("preset", "save", "MODEL", "mine", "--slider", "0:0.5"),
        ("train-vocoder", "--model", "MODEL", "--max-steps", "1", "--batch-size", "1", "--discriminator-width", "16"),
    ],
    ids=["generate", "preset save", "train-vocoder"],
)
def test_a_model_file_whose_stored_name_or_id_escapes_writes_nothing(
    run_cli, tiny_kit_file, tmp_path, distill_home, changes, command
):
    outside = tmp_path / "outside"
    changes = {k: (str(outside / "x") if v == "ABSOLUTE" else v) for k, v in changes.items()}
    gift = _crafted(tiny_kit_file, tmp_path, **changes)
    home_parent = distill_home.parent
    before = _files_under(home_parent) | _files_under(tmp_path)
    result = run_cli(*(str(gift) if part == "MODEL" else part for part in command))
    _one_sentence(result, "is not a safe file name")
    written = (_files_under(home_parent) | _files_under(tmp_path)) - before
    assert written == set(), written
    assert not outside.exists() and not (home_parent / "escaped").exists()


@pytest.mark.parametrize("entry_id", ["OUTSIDE", "../secret", "*", "?"])
def test_history_ids_are_never_paths_or_patterns(run_cli, distill_home, tmp_path, entry_id):
    from distill.library import history
    from distill.paths import history_dir

    history.record({"model": "kit", "seed": 1}, [0.0] * 8)
    secrets = [distill_home / "secret.json", tmp_path / "elsewhere" / "secret.json"]
    for secret in secrets:
        secret.parent.mkdir(exist_ok=True)
        secret.write_text(json.dumps({"id": "secret", "password": "hunter2"}))
    if entry_id == "OUTSIDE":  # like ../../../elsewhere/secret
        entry_id = os.path.relpath(secrets[1].with_suffix(""), history_dir())
    for action in ("show", "delete"):
        result = run_cli("history", action, entry_id, "--json")
        _one_sentence(result, "is not in the history")
        assert "hunter2" not in result.stdout
    assert all(secret.exists() for secret in secrets)
    assert len(run_cli("history", "list", "--json").json()) == 1


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../x", "is not allowed"),
        ("/tmp/x", "is not allowed"),
        ("kick\nsnare", "is not allowed"),
        ("kick.distill", "would be read as a file path"),
        ("[red]kick[/]", "is not allowed"),
    ],
)
def test_model_names_that_could_not_be_used_later_are_refused_at_training(run_cli, audio_dir, name, problem):
    result = run_cli("train", str(audio_dir), "--model-name", name, "--epochs", "1")
    assert result.code == 1 and problem in result.stderr and "Traceback" not in result.stderr
    assert len(result.error_lines()) == 1, result.stderr
    assert run_cli("model", "list", "--json").json() == []


def test_preset_names_follow_the_same_rule(run_cli, kit):
    result = run_cli("preset", "save", "kit", "../../x")
    _one_sentence(result, "Preset name '../../x' is not allowed")
