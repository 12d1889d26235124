"""Presets, blending, spatial output, quality report and history through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import soundfile as sf


def test_preset_save_recall_and_errors(run_cli, trained, tmp_path):
    assert run_cli("preset", "save", trained, "bright", "--slider", "0:1.5", "--slider", "1:-1").code == 0
    assert run_cli("preset", "list", trained, "--json").json()["bright"]["sliders"] == {"0": 1.5, "1": -1.0}
    result = run_cli("generate", trained, "--preset", "bright", "-d", "0.5", "--output-dir", str(tmp_path), "--json")
    sliders = list(result.json()["files"][0]["sliders"].values())
    assert sliders[:2] == [1.5, -1.0]
    missing = run_cli("generate", trained, "--preset", "dark")
    assert missing.code == 1 and "Unknown preset 'dark'" in missing.stderr and "bright" in missing.stderr
    assert run_cli("preset", "delete", trained, "bright").code == 0
    assert run_cli("preset", "list", trained, "--json").json() == {}


def test_stereo_flac_at_96k_with_quality_report(run_cli, trained, tmp_path):
    result = run_cli(
        "generate",
        trained,
        "-d",
        "1",
        "--format",
        "flac",
        "--sample-rate",
        "96000",
        "--spatial-mode",
        "stereo",
        "--output-dir",
        str(tmp_path),
        "--json",
    )
    assert result.code == 0, result.stderr
    record = result.json()["files"][0]
    info = sf.info(record["path"])
    assert (info.channels, info.samplerate, info.format) == (2, 96000, "FLAC")
    quality = record["quality"]
    assert quality["clipped_samples"] == 0 and quality["finite"] and not quality["silent"]
    assert quality["peak_dbfs"] <= -0.99 and isinstance(quality["loudness_lufs"], float)
    assert json.loads(Path(record["path"]).with_suffix(".json").read_text())["quality"] == quality


def test_binaural_output_has_two_channels(run_cli, trained, tmp_path):
    result = run_cli(
        "generate", trained, "-d", "0.5", "--spatial-mode", "binaural", "--output-dir", str(tmp_path), "--json"
    )
    assert sf.info(result.json()["files"][0]["path"]).channels == 2


def test_blend_in_latent_space_with_a_compatible_model(run_cli, trained, audio_dir, tmp_path):
    run_cli("train", str(audio_dir), "--model-name", "other", "--preset", "demo", "--epochs", "1")
    result = run_cli(
        "generate", trained, "--blend", "other:40", "-d", "0.5", "--seed", "1", "--output-dir", str(tmp_path), "--json"
    )
    assert result.code == 0, result.stderr
    assert result.json()["files"][0]["blend"] == {"model": "other", "weight": 0.4, "method": "latent"}


def test_bad_blend_and_spatial_inputs(run_cli, trained, tmp_path):
    assert "Unknown model 'ghost'" in run_cli("generate", trained, "--blend", "ghost:40").stderr
    assert "MODEL:PERCENT" in run_cli("generate", trained, "--blend", "other:140").stderr
    assert "Unknown spatial mode" in run_cli("generate", trained, "--spatial-mode", "7.1").stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # even root cannot create a folder inside a file
    result = run_cli("generate", trained, "--output-dir", str(blocker / "sub"))
    assert result.code == 1 and "Cannot write to output folder" in result.stderr


def test_history_records_each_generation_and_compares_two(run_cli, trained, tmp_path):
    for seed in ("1", "2"):
        run_cli("generate", trained, "-d", "0.5", "--seed", seed, "--output-dir", str(tmp_path))
    entries = run_cli("history", "list", "--json").json()
    assert [e["seed"] for e in entries] == [1, 2]
    shown = run_cli("history", "show", entries[0]["id"], "--json").json()
    assert len(shown["thumbnail"]) == 64 and shown["path"].endswith(".wav")
    comparison = run_cli("history", "compare", entries[0]["id"], entries[1]["id"], "--json").json()
    assert comparison["differences"]["seed"] == [1, 2] and comparison["files_exist"] == [True, True]
    assert run_cli("history", "delete", entries[0]["id"]).code == 0
    assert len(run_cli("history", "list", "--json").json()) == 1
    assert "not in the history" in run_cli("history", "show", "nope").stderr


def test_two_generate_processes_at_once_keep_every_history_entry(run_cli, trained, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "distill.cli.main",
        "generate",
        trained,
        "-n",
        "3",
        "-d",
        "0.3",
        "--output-dir",
        str(tmp_path),
    ]
    processes = [
        subprocess.Popen([*command, "--seed", str(s)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for s in (100, 200)
    ]
    for process in processes:
        assert process.wait(timeout=120) == 0, process.stderr.read().decode()
    seeds = sorted(e["seed"] for e in run_cli("history", "list", "--json").json())
    assert seeds == [100, 101, 102, 200, 201, 202]
