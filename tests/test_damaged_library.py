"""A damaged file in the library is reported, never fatal: the rest of the library stays usable."""

from __future__ import annotations

import json

import pytest
import torch


def _one_sentence(result, fragment: str) -> None:
    assert result.code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and fragment in result.stderr, result.stderr
    assert len(result.error_lines()) == 1, result.stderr


DAMAGE = {
    "name-number": {"name": 7},
    "empty-name": {"name": ""},
    "markup-name": {"name": "[red]x[/]"},
    "hop-zero": {"spectrogram_config": {"hop_length": 0}},
    "rate-zero": {"spectrogram_config": {"sample_rate": 0}},
    "sliders": {"latent_analysis": {"sliders": [{"index": 0}]}},
    "metadata": {"metadata": "created yesterday"},
    "no-weights": {"vae_state_dict": None},
    "version-text": {"version": "2"},
}


def _damaged_copies(kit):
    payload = torch.load(kit, weights_only=True)
    for stem, change in DAMAGE.items():
        broken = {**payload, "id": f"id{stem.replace('-', '')}"}
        for key, value in change.items():
            broken[key] = {**broken[key], **value} if isinstance(value, dict) and key != "latent_analysis" else value
        torch.save(broken, kit.parent / f"{stem}.distill")
    (kit.parent / "truncated.distill").write_bytes(kit.read_bytes()[:5000])


def test_model_list_names_every_unusable_file_and_lists_the_rest(run_cli, kit):
    _damaged_copies(kit)
    for json_mode in (False, True):
        result = run_cli("model", "list", *(["--json"] if json_mode else []))
        assert result.code == 0 and "Traceback" not in result.stderr, result.stderr
        warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
        assert len(warnings) == len(DAMAGE) + 1, result.stderr
        assert all(any(f"{stem}.distill" in w for w in warnings) for stem in [*DAMAGE, "truncated"])
        if json_mode:
            assert [m["name"] for m in result.json()] == ["kit"]
        else:
            assert "kit" in result.stdout


def test_every_command_on_a_damaged_model_is_one_sentence(run_cli, kit, tmp_path):
    _damaged_copies(kit)
    for stem in DAMAGE:
        path = str(kit.parent / f"{stem}.distill")
        for command in (
            ("model", "info", path),
            ("generate", path, "--vocoder", "griffinlim", "--output-dir", str(tmp_path)),
            ("preset", "save", path, "warm"),
            ("model", "info", stem),  # by the file's name in the library: why, not "unknown model"
        ):
            _one_sentence(run_cli(*command), "cannot be used")
    assert run_cli("generate", "kit", "-d", "0.2", "--vocoder", "griffinlim", "--output-dir", str(tmp_path)).code == 0


@pytest.mark.parametrize(
    "damage", ["{not json", '{"presets": []}', '{"presets": {"warm": {"sliders": {"0": "loud"}}}}', "[]"]
)
def test_a_damaged_presets_file_is_one_sentence(run_cli, kit, distill_home, tmp_path, damage):
    from distill.models.format import load_model

    presets = distill_home / "presets" / f"{load_model(kit).id}.json"
    presets.parent.mkdir(parents=True, exist_ok=True)
    presets.write_text(damage)
    for command in (
        ("preset", "list", "kit"),
        ("preset", "save", "kit", "warm", "--slider", "0:0.5"),
        ("preset", "delete", "kit", "warm"),
        ("generate", "kit", "--preset", "warm", "--vocoder", "griffinlim", "--output-dir", str(tmp_path)),
    ):
        _one_sentence(run_cli(*command), "presets file of model 'kit'")
    assert presets.read_text() == damage  # nothing the user had is thrown away


def test_history_files_without_an_id_or_not_json_never_break_the_list(run_cli, distill_home):
    from distill.library import history

    kept = history.record({"model": "kit", "seed": 5}, [0.0] * 8)
    folder = distill_home / "history"
    (folder / "20200101T000000000000-noid.json").write_text(json.dumps({"model": "old", "seed": 1}))
    (folder / "20200101T000000000001-list.json").write_text("[1, 2]")
    (folder / "20200101T000000000002-half.json").write_text('{"model": "kit", "se')
    for arguments in (("history", "list"), ("history", "list", "--json")):
        result = run_cli(*arguments)
        assert result.code == 0 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.count("Warning: History entry") == 2
    entries = run_cli("history", "list", "--json").json()
    assert [e["id"] for e in entries] == ["20200101T000000000000-noid", kept]
    assert run_cli("history", "show", "20200101T000000000000-noid", "--json").json()["model"] == "old"
    assert run_cli("history", "delete", "20200101T000000000002-half").code == 0
    assert run_cli("history", "compare", "20200101T000000000000-noid", kept).code == 0
