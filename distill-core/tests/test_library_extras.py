"""What the library keeps beside the models: favourites in the history, the checkpoints a model leaves
behind, and a collection listed as a person browses it."""

from __future__ import annotations

import shutil

from distill.data.listing import list_recordings
from distill.host.run_files import remove_run_files, run_files
from distill.host.vocoder_runs import vocoder_run_dir
from distill.library import history
from distill.models.format import load_model


def test_a_history_entry_is_starred_in_its_own_file_and_unstarred_again():
    entry_id = history.record({"model": "kit", "seed": 1, "path": "/nowhere.wav"}, [0.1, 0.5])
    assert history.set_starred(entry_id, True)["starred"] is True
    assert history.get_entry(entry_id)["starred"] is True and history.get_entry(entry_id)["thumbnail"] == [0.1, 0.5]
    history.set_starred(entry_id, False)
    assert history.get_entry(entry_id)["starred"] is False


def test_the_checkpoints_a_model_leaves_behind_are_found_with_their_size_and_removed(tiny_model_path, distill_home):
    model = load_model(tiny_model_path)
    assert run_files(model) == []
    folder = vocoder_run_dir(model)
    folder.mkdir(parents=True)
    (folder / "checkpoint.pt").write_bytes(b"\0" * 1234)
    found = run_files(model)
    assert [(f.what, f.size) for f in found] == [("its vocoder training's checkpoint", 1234)]
    remove_run_files(found)
    assert not folder.exists()


def test_a_collection_is_listed_with_lengths_and_waveforms_and_a_missing_file_says_so(collection_dir, tmp_path):
    root = tmp_path / "kit"
    shutil.copytree(collection_dir, root)
    names = [*sorted(p.name for p in root.glob("*.wav"))[:2], "gone.wav"]
    found = list_recordings(root, names)
    assert [r.name for r in found] == names
    assert all(r.seconds > 0.1 and max(r.peaks) == 1.0 for r in found[:2])
    assert found[2].problem == "no longer there"
