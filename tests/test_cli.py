"""The command line end to end: real files in and out, JSON contracts, one-sentence errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from distill.library.catalog import resolve_model
from distill.models.format import save_model


def test_generate_writes_24_bit_48k_files_with_sidecars_and_json(run_cli, trained, tmp_path):
    result = run_cli(
        "generate",
        trained,
        "-n",
        "2",
        "-d",
        "1.5",
        "--seed",
        "5",
        "--slider",
        "0:1",
        "--mode",
        "texture",
        "--output-dir",
        str(tmp_path),
        "--json",
    )
    assert result.code == 0, result.stderr
    files = result.json()["files"]
    assert [f["seed"] for f in files] == [5, 6] and {f["mode"] for f in files} == {"texture"}
    for record in files:
        assert record["vocoder"] == "griffinlim" and record["sample_rate"] == 48000
        assert record["duration"] == 1.5
        info = sf.info(record["path"])
        assert (info.samplerate, info.subtype, info.frames) == (48000, "PCM_24", 72000)
        sidecar = json.loads(Path(record["path"]).with_suffix(".json").read_text())
        assert sidecar["seed"] == record["seed"] and sidecar["model"] == "kit"
        assert sidecar["quality"]["clipped_samples"] == 0 and not sidecar["quality"]["silent"]
        assert next(iter(sidecar["sliders"].values())) == 1.0


def test_one_shot_mode_is_shown_by_model_info_json_and_sidecar(run_cli, trained, tmp_path):
    info = run_cli("model", "info", trained, "--json").json()
    assert info["mode"] == "one-shot" and info["layout"]["segment_frames"] > 0
    assert {"active_units", "latent_dim", "collapsed"} <= info["health"].keys()
    assert "generates: one-shots" in run_cli("model", "info", trained).stdout
    result = run_cli("generate", trained, "-n", "2", "-d", "3", "--output-dir", str(tmp_path), "--json")
    assert result.code == 0, result.stderr
    for record in result.json()["files"]:
        assert record["mode"] == "one-shot" and 0 < record["duration"] < 3
        assert json.loads(Path(record["path"]).with_suffix(".json").read_text())["mode"] == "one-shot"
        assert {"near_silent", "gain_db", "peak_before_normalisation_dbfs"} <= record["quality"].keys()


def test_a_collapsed_model_from_before_health_checks_is_flagged(run_cli, trained, tmp_path):
    model = resolve_model(trained)
    model.metadata.pop("diagnostics")
    dims = len(model.latent_analysis["spread"])
    model.latent_analysis["spread"] = [1e-3] * dims  # no posterior mean moves: nothing is encoded
    save_model(model, model.path)
    info = run_cli("model", "info", trained, "--json").json()
    assert info["health"] == {"active_units": 0, "latent_dim": dims, "collapsed": True}
    assert f"health: collapsed (0 of {dims} latent units active)" in run_cli("model", "info", trained).stdout
    generated = run_cli("generate", trained, "-d", "0.5", "--output-dir", str(tmp_path))
    assert f"Model '{trained}' is collapsed" in generated.stderr


def test_generate_same_seed_twice_gives_identical_audio(run_cli, trained, tmp_path):
    paths = []
    for _ in range(2):
        result = run_cli("generate", trained, "-d", "1", "--seed", "11", "--output-dir", str(tmp_path), "--json")
        paths.append(result.json()["files"][0]["path"])
    assert paths[0] != paths[1]
    assert np.array_equal(sf.read(paths[0])[0], sf.read(paths[1])[0])


def test_json_mode_keeps_stdout_pure(run_cli, trained, tmp_path):
    result = run_cli("generate", trained, "-d", "0.5", "--output-dir", str(tmp_path), "--json")
    assert result.code == 0
    assert isinstance(result.json(), dict)


def test_vocode_resynthesises_a_real_file(run_cli, audio_dir, tmp_path):
    source = sorted(audio_dir.glob("*.wav"))[0]
    out = tmp_path / "again.flac"
    result = run_cli("vocode", str(source), "--vocoder", "griffinlim", "-o", str(out), "--json")
    assert result.code == 0, result.stderr
    record = result.json()["files"][0]
    assert record["vocoder"] == "griffinlim" and record["path"] == str(out)
    assert sf.info(out).frames == sf.info(source).frames


def test_model_list_info_and_delete(run_cli, trained):
    listed = run_cli("model", "list", "--json").json()
    assert [m["name"] for m in listed] == ["kit"] and listed[0]["vocoder"] is None
    model_id = listed[0]["id"]
    info = run_cli("model", "info", model_id[:6], "--json").json()
    assert {"name", "id", "path", "vocoder"} <= info.keys() and info["name"] == "kit"
    assert len(info["sliders"]) >= 4
    assert run_cli("model", "delete", "kit", "--json").code == 1  # needs --yes
    assert run_cli("model", "delete", "kit", "--yes", "--json").json()["deleted"]["id"] == model_id
    assert run_cli("model", "list", "--json").json() == []


def test_vocoders_list_json_shows_griffinlim_ok(run_cli):
    records = {r["name"]: r for r in run_cli("vocoders", "list", "--json").json()}
    assert records["griffinlim"]["status"] == "ok"
    assert records["griffinlim"]["distribution"] == "distill-vocoder-griffinlim"
    assert "version" in records["griffinlim"]


def _one_sentence_error(result, fragment: str) -> None:
    assert result.code != 0
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr
    errors = result.error_lines()
    assert len(errors) == 1 and fragment in errors[0], result.stderr


def test_unknown_model(run_cli):
    _one_sentence_error(run_cli("generate", "nope"), "Unknown model 'nope'")


def test_unknown_vocoder_lists_usable_names(run_cli, trained, tmp_path):
    result = run_cli("generate", trained, "--vocoder", "wavenet", "--output-dir", str(tmp_path))
    _one_sentence_error(result, "Unknown vocoder 'wavenet'; usable vocoders: auto, ")


def test_missing_audio_file(run_cli, tmp_path):
    _one_sentence_error(run_cli("vocode", str(tmp_path / "none.wav"), "-o", str(tmp_path / "o.wav")), "not found")


def test_unreadable_audio_file(run_cli, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"definitely not audio")
    _one_sentence_error(run_cli("vocode", str(bad), "-o", str(tmp_path / "o.wav")), "Cannot read audio file")


def test_missing_data_folder(run_cli, tmp_path):
    _one_sentence_error(run_cli("train", str(tmp_path / "none"), "--model-name", "x"), "Data folder not found")


def test_malformed_slider(run_cli, trained):
    _one_sentence_error(run_cli("generate", trained, "--slider", "loud"), "not of the form INDEX:VALUE")


def test_slider_out_of_range(run_cli, trained, tmp_path):
    result = run_cli("generate", trained, "--slider", "0:99", "--output-dir", str(tmp_path))
    _one_sentence_error(result, "takes values from")


def test_unknown_format(run_cli, trained):
    _one_sentence_error(run_cli("generate", trained, "--format", "aac"), "Unknown format 'aac'")


def test_missing_device(run_cli):
    import torch

    if torch.cuda.is_available():
        return
    _one_sentence_error(run_cli("--device", "cuda", "model", "list"), "not available")


def test_hifigan_requested_for_a_model_without_one(run_cli, trained):
    _one_sentence_error(
        run_cli("generate", trained, "--vocoder", "hifigan"),
        "Model 'kit' has no HiFi-GAN vocoder of its own; train one with `distill train-vocoder --model kit`.",
    )


def test_train_vocoder_stores_a_verdict_that_model_info_shows_and_auto_obeys(run_cli, trained, audio_dir, tmp_path):
    result = run_cli(
        "train-vocoder", "--model", trained, "--max-steps", "2", "--batch-size", "1", "--discriminator-width", "16"
    )
    assert result.code == 0, result.stderr
    said = " ".join(result.stdout.split())
    assert "On resynthesised recordings its own HiFi-GAN loses to Griffin-Lim" in said
    info = run_cli("model", "info", trained, "--json").json()
    verdict = info["vocoder_evaluation"]
    assert info["vocoder"] == "hifigan" and verdict["beats_baseline"] is False
    assert verdict["training_steps"] == 2 and info["vocoder_verdict"].startswith("Judged on 1 held-out recording.")
    assert "On generated sounds its own HiFi-GAN" in " ".join(run_cli("model", "info", trained).stdout.split())
    assert run_cli("model", "list", "--json").json()[0]["vocoder"] == "hifigan"
    generated = run_cli("generate", trained, "-d", "0.5", "--output-dir", str(tmp_path), "--json")
    expected = "hifigan" if verdict["generation"]["beats_baseline"] else "griffinlim"
    assert generated.json()["files"][0]["vocoder"] == expected  # auto obeys the generation-path verdict
    vocoded = run_cli("vocode", str(next(audio_dir.glob("*.wav"))), "--model", trained, "-o", str(tmp_path / "v.wav"))
    assert "not its own 'hifigan': on resynthesised recordings its own HiFi-GAN loses" in " ".join(
        vocoded.stderr.split()
    )
    forced = run_cli("generate", trained, "-d", "0.5", "--vocoder", "hifigan", "--output-dir", str(tmp_path), "--json")
    assert forced.json()["files"][0]["vocoder"] == "hifigan"
    again = run_cli("vocoders", "evaluate", "--model", trained, "--json")
    assert again.code == 0, again.stderr
    assert again.json()["recordings"] == info["vocoder_evaluation"]["recordings"] and again.json()["held_out"]
    assert run_cli("model", "info", trained, "--json").json()["vocoder_evaluation"] == again.json()
    moved = shutil.copytree(audio_dir, tmp_path / "moved")
    elsewhere = run_cli("vocoders", "evaluate", "--model", trained, "--data", str(moved), "--json")
    assert elsewhere.code == 0, elsewhere.stderr
    assert elsewhere.json()["recordings"] == again.json()["recordings"]
    (tmp_path / "empty").mkdir()
    _one_sentence_error(
        run_cli("vocoders", "evaluate", "--model", trained, "--data", str(tmp_path / "empty")), "no longer in"
    )


def test_train_vocoder_on_two_processes_under_torchrun(run_cli, trained):
    """`--nproc-per-node 2` starts torchrun (gloo on the CPU); rank 0 stores the vocoder and its verdict."""
    command = [sys.executable, "-m", "distill.cli.main", "train-vocoder", "--model", trained, "--nproc-per-node", "2"]
    small = ["--max-steps", "2", "--batch-size", "2", "--segment-frames", "8", "--warmup-steps", "1"]
    done = subprocess.run(
        [*command, *small, "--discriminator-width", "16"],
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "loses to Griffin-Lim" in " ".join(done.stdout.split())
    assert run_cli("model", "info", trained, "--json").json()["vocoder_evaluation"]["training_steps"] == 2


def test_train_vocoder_bad_input(run_cli, trained, tmp_path):
    _one_sentence_error(
        run_cli("train-vocoder", "--model", trained, "--epochs", "1", "--max-steps", "1"),
        "either --epochs or --max-steps",
    )
    _one_sentence_error(
        run_cli("train-vocoder", "--model", trained, "--data", str(tmp_path / "gone")), "Data folder not found"
    )
    _one_sentence_error(
        run_cli("train-vocoder", "--model", trained, "--vocoder", "griffinlim", "--max-steps", "1"),
        "cannot be trained per model",
    )
    _one_sentence_error(
        run_cli("train-vocoder", "--model", trained, "--batch-size", "3", "--nproc-per-node", "2"),
        "does not split evenly over 2 processes",
    )
    _one_sentence_error(run_cli("train-vocoder", "--model", trained, "--recipe", "slow"), "Unknown training recipe")
    _one_sentence_error(run_cli("vocoders", "evaluate", "--model", trained), "has no vocoder of its own")


def test_kill_stops_training_like_ctrl_c_and_keeps_the_checkpoint(audio_dir):
    from distill.training.runner import run_dir

    command = [sys.executable, "-m", "distill.cli.main", "train", str(audio_dir), "--model-name", "long"]
    process = subprocess.Popen(
        [*command, "--preset", "demo", "--epochs", "4000"],  # a checkpoint every 100 epochs, seconds apart
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    checkpoint = run_dir("long") / "checkpoint.pt"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=60)
    message = process.stderr.read().decode()
    assert code == 1, message
    assert "--resume" in message and "Traceback" not in message
    assert checkpoint.exists()


def test_progress_shows_sizes_for_downloads_and_counts_for_everything_else(monkeypatch):
    import io
    import re

    from rich.console import Console

    from distill.cli import output
    from distill.vocoders import Progress

    screen = io.StringIO()
    monkeypatch.setattr(output, "stderr", Console(file=screen, force_terminal=True, width=160))
    with output.rich_progress() as report:
        report(Progress("download bigvgan_generator.pt", 3.0 * 2**20, 12.0 * 2**20, unit="bytes"))
        report(Progress("train", 7, 40, "epoch 7/40"))
    final_frame = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue()).split("\r")[-1]
    download, train = (line for line in final_frame.splitlines() if line.strip())
    assert download.startswith("download") and "3.1/12.6 MB" in download
    assert train.startswith("train") and "7/40" in train and "MB" not in train and "bytes" not in train


def test_model_rename_keeps_id_and_refuses_a_taken_name(run_cli, trained, audio_dir):
    before = run_cli("model", "info", trained, "--json").json()
    renamed = run_cli("model", "rename", trained, "kit two", "--json")
    assert renamed.code == 0, renamed.stderr
    assert renamed.json()["id"] == before["id"] and renamed.json()["name"] == "kit two"
    assert [m["name"] for m in run_cli("model", "list", "--json").json()] == ["kit two"]
    assert run_cli("model", "info", "kit", "--json").code == 1
    run_cli("train", str(audio_dir), "--model-name", "other", "--preset", "demo", "--epochs", "1")
    _one_sentence_error(run_cli("model", "rename", "other", "kit two"), "A model called 'kit two' already exists")
    _one_sentence_error(run_cli("model", "rename", "other", "bad/name"), "is not allowed")


def test_vocode_compare_measures_against_the_original(run_cli, audio_dir, tmp_path):
    source = sorted(audio_dir.glob("*.wav"))[0]
    result = run_cli("vocode", str(source), "-o", str(tmp_path / "out.wav"), "--vocoder", "griffinlim", "--compare")
    assert result.code == 0, result.stderr
    assert "multi-resolution STFT distance" in result.stdout
    document = run_cli(
        "vocode", str(source), "-o", str(tmp_path / "out2.wav"), "--vocoder", "griffinlim", "--compare", "--json"
    ).json()["files"][0]
    assert document["comparison"]["multires_stft_distance"] > 0 and document["render_seconds"] > 0


def test_ui_without_gradio_says_how_to_install_it(run_cli, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "gradio", None)  # what an install without the [ui] extra looks like
    _one_sentence_error(run_cli("ui"), "pip install 'distill-core[ui]'")
