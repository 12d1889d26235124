"""A damaged file in the library is reported, never fatal: the rest of the library stays usable."""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from pathlib import Path

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
    "damage",
    [
        "{not json",
        '{"presets": []}',
        '{"presets": {"warm": {"sliders": {"0": "loud"}}}}',
        "[]",
        '{"presets": {"warm": {"sliders": {"²": 0.5}}}}',  # a digit to `str.isdigit`, not to `int`
        '{"presets": ' + "[" * 100_000 + "]" * 100_000 + "}",  # once a RecursionError
    ],
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


def _with_vocoder(payload: dict, weights: torch.Tensor, name: str) -> dict:
    vocoder = {"vocoder_type": "hifigan", "vocoder_config": {}, "vocoder_state_dict": {"w": weights}}
    return {**payload, "name": name, "id": f"id{name.replace('-', '')}", **vocoder}


def _deflated(source, target) -> None:
    """`source` rewritten as a zip whose records are deflated: a big tensor of zeros becomes a small file."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for record in archive.infolist():
            out.writestr(record.filename, archive.read(record))
    source.unlink()


def test_crafted_weights_are_refused_by_their_declared_sizes_and_listing_never_reads_weights(
    bounded_run, kit, tmp_path
):
    """Before, `model list` crashed on an expanded tensor, passed 6 GB on a 4.6 MB file and inflated 1 GB."""
    distill = str(Path(sys.executable).with_name("distill"))
    baseline = bounded_run([distill, "model", "list", "--json"])
    assert baseline.code == 0, baseline.stderr
    payload = torch.load(kit, weights_only=True)
    folder = kit.parent
    torch.save(_with_vocoder(payload, torch.zeros(1).expand(10**12), "expanded"), folder / "expanded.distill")
    torch.save(
        _with_vocoder(payload, torch.zeros(1).expand(3 * 10**9), "expanded-3e9"), folder / "expanded-3e9.distill"
    )
    torch.save(_with_vocoder(payload, torch.zeros(25_000_000), "deflated"), tmp_path / "plain.distill")
    _deflated(tmp_path / "plain.distill", folder / "deflated.distill")
    torch.save(_with_vocoder(payload, torch.ones(25_000_000), "heavy"), folder / "heavy.distill")  # 100 MB, sound
    listed = bounded_run([distill, "model", "list", "--json"])
    assert listed.code == 0 and "Traceback" not in listed.stderr, listed.stderr
    names = sorted((m["name"], Path(m["path"]).name) for m in json.loads(listed.stdout))
    assert names == [("heavy", "heavy.distill"), ("kit", "kit.distill")]
    for stem, why in (("expanded", "1,000,000,000,000 numbers"), ("expanded-3e9", "3,000,000,000 numbers")):
        assert (
            f"{stem}.distill cannot be used: a tensor in it declares {why} that the file does not hold" in listed.stderr
        )
    assert "deflated.distill cannot be used: its record" in listed.stderr and "is compressed" in listed.stderr
    assert listed.peak_mib - baseline.peak_mib < 60  # the 100 MB of weights in heavy.distill were never read
    info = bounded_run([distill, "model", "info", str(folder / "expanded.distill")])
    assert info.code == 1 and "Traceback" not in info.stderr and info.peak_mib - baseline.peak_mib < 60, info.stderr
    generated = bounded_run(
        [distill, "generate", "kit", "-d", "0.2", "--vocoder", "griffinlim", "--output-dir", str(tmp_path)]
    )
    assert generated.code == 0, generated.stderr


def test_a_copied_model_file_gets_an_id_and_name_of_its_own_and_delete_takes_exactly_that_file(run_cli, kit):
    """Before, two files with one id: `model delete kit` deleted the copy and said it deleted 'kit'."""
    original_id = run_cli("model", "info", "kit", "--json").json()["id"]
    backup = kit.with_name("kit-backup.distill")
    shutil.copyfile(kit, backup)
    listed = run_cli("model", "list", "--json")
    assert "had the id of" in listed.stderr
    models = {Path(m["path"]).name: m for m in listed.json()}
    assert models["kit.distill"]["id"] == original_id and models["kit.distill"]["name"] == "kit"
    assert models["kit-backup.distill"]["name"] == "kit-backup" and models["kit-backup.distill"]["id"] != original_id
    assert "had the id of" not in run_cli("model", "list").stderr  # written once, into the copy
    deleted = run_cli("model", "delete", "kit-backup", "--yes", "--json")
    assert deleted.json()["deleted"]["path"] == str(backup)
    assert kit.is_file() and not backup.exists()


def test_a_name_two_files_carry_is_refused_naming_both_and_the_id_picks_one(run_cli, kit):
    copy = kit.with_name("kit (copy).distill")  # no name of its own to take: it keeps 'kit'
    shutil.copyfile(kit, copy)
    models = run_cli("model", "list", "--json").json()
    assert [m["name"] for m in models] == ["kit", "kit"] and len({m["id"] for m in models}) == 2
    refused = run_cli("model", "delete", "kit", "--yes")
    _one_sentence(refused, "Several model files are called 'kit'")
    assert str(kit) in refused.stderr and str(copy) in refused.stderr and kit.is_file() and copy.is_file()
    chosen = next(m for m in models if m["path"] == str(copy))
    assert run_cli("model", "delete", chosen["id"], "--yes").code == 0
    assert kit.is_file() and not copy.exists()


def test_the_apps_library_deletes_exactly_the_copy_it_was_shown(kit):
    pytest.importorskip("gradio")
    from distill.library.catalog import list_models
    from distill.ui import library_tab

    shutil.copyfile(kit, kit.with_name("kit-backup.distill"))
    choices = dict((label, value) for label, value in library_tab.model_choices())
    assert len(set(choices.values())) == 2
    library_tab.delete(choices["kit-backup"], False, False)
    assert kit.is_file() and not kit.with_name("kit-backup.distill").exists()
    assert [m.name for m in list_models()] == ["kit"]


def test_a_verdict_missing_keys_and_metadata_nested_deep_are_each_one_sentence(run_cli, kit):
    payload = torch.load(kit, weights_only=True)
    verdict = {"vocoder": "hifigan", "results": {"hifigan": {}}}  # hand-edited: most keys gone
    vocoder = {"vocoder_type": "hifigan", "vocoder_config": {}, "vocoder_state_dict": {"w": torch.zeros(2)}}
    torch.save({**payload, **vocoder, "vocoder_evaluation": verdict}, kit)
    for arguments in (
        ("model", "info", "kit"),
        ("model", "info", "kit", "--json"),
        ("vocoders", "list", "--model", "kit"),
    ):
        result = run_cli(*arguments)
        assert result.code == 0 and "Traceback" not in result.stderr, result.stderr
    assert "stored verdict is damaged" in run_cli("model", "info", "kit").stdout
    deep: list = []
    for _ in range(200):
        deep = [deep]
    torch.save({**payload, "metadata": {**payload["metadata"], "notes": deep}}, kit)
    _one_sentence(run_cli("model", "info", "kit", "--json"), "nested more than 32 deep")
    assert "nested more than 32 deep" in run_cli("model", "list", "--json").stderr


HAND_EDITED_HISTORY = {
    "overflow": '{"model": "kit", "thumbnail": [1e308, -1e308, 1e999]}',
    "text": '{"model": "kit", "thumbnail": "abc"}',
    "nested": "[" * 100_000 + "]" * 100_000,
    "infinite": '{"model": "kit", "duration": Infinity}',
    "quality": '{"model": "kit", "quality": [1, 2]}',
}


def _strict_json(text: str):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_hand_edited_history_entries_are_each_one_sentence_and_never_take_the_list_down(run_cli, distill_home):
    """Before: OverflowError, ValueError, RecursionError for the whole list, and `Infinity` in --json."""
    from distill.library import history

    kept = history.record({"model": "kit", "seed": 5, "duration": 1.0}, [0.0, 0.5, 1.0])
    loud = history.record({"model": "kit", "seed": 6}, [1e308, 0.5])  # huge but finite: drawn, not overflowed
    for stem, text in HAND_EDITED_HISTORY.items():
        (distill_home / "history" / f"20200101T000000000000-{stem}.json").write_text(text)
    for arguments in (("history", "list"), ("history", "list", "--json")):
        result = run_cli(*arguments)
        assert result.code == 0 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.count("Warning: History entry") == len(HAND_EDITED_HISTORY), result.stderr
    assert [e["id"] for e in _strict_json(run_cli("history", "list", "--json").stdout)] == [kept, loud]
    for stem in HAND_EDITED_HISTORY:
        _one_sentence(run_cli("history", "show", f"20200101T000000000000-{stem}"), "is damaged")
    assert run_cli("history", "show", loud).code == 0
    assert _strict_json(run_cli("history", "show", kept, "--json").stdout)["thumbnail"] == [0.0, 0.5, 1.0]


def test_the_apps_history_lists_survive_hand_edited_entries(distill_home):
    pytest.importorskip("gradio")
    from distill.library import history
    from distill.ui import library_tab

    kept = history.record({"model": "kit", "seed": 5}, [0.0, 1e308, 1.0])
    for stem, text in HAND_EDITED_HISTORY.items():
        (distill_home / "history" / f"20200101T000000000000-{stem}.json").write_text(text)
    assert [row.key for row in library_tab.history_rows(False)] == [kept]
    assert "Nothing generated yet" not in library_tab.history_list(False)
    assert [value for _, value in library_tab.history_choices()] == [kept]
