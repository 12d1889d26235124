"""Edge values a user can type or hand over: a millisecond of audio, NaN samples, absurd
levels, huge seeds, damaged checkpoints, NaN directions, giant batches. One sentence each,
or it simply works; never a traceback, never a NaN file."""

from __future__ import annotations

import json
import os
import pickle
import resource
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

GRIFFINLIM = ("--vocoder", "griffinlim")


def _one_sentence(result, fragment: str) -> None:
    assert result.code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and fragment in result.stderr, result.stderr
    assert len(result.error_lines()) == 1, result.stderr


def _tone(seconds: float, rate: int = 48000, level: float = 0.4) -> np.ndarray:
    n = max(1, round(seconds * rate))
    return (level * np.sin(np.arange(n) * 2 * np.pi * 330 / rate)).astype(np.float32)


@pytest.mark.parametrize("seconds", ["0.001", "0.01", "0.03"])
def test_generate_a_few_milliseconds(run_cli, kit, tmp_path, seconds):
    result = run_cli("generate", "kit", "-d", seconds, *GRIFFINLIM, "--output-dir", str(tmp_path), "--json")
    assert result.code == 0, result.stderr
    (record,) = result.json()["files"]
    assert sf.info(record["path"]).frames == round(float(seconds) * 48000)


@pytest.mark.parametrize("samples", [1, 100, 1440])
def test_vocode_a_file_of_one_sample_to_30_ms(run_cli, tmp_path, samples):
    source = tmp_path / "tiny.wav"
    sf.write(source, _tone(1)[:samples], 48000)
    result = run_cli("vocode", str(source), *GRIFFINLIM, "-o", str(tmp_path / "out.wav"))
    assert result.code == 0, result.stderr
    out, _ = sf.read(tmp_path / "out.wav")
    assert out.shape == (samples,) and np.isfinite(out).all()


def test_training_on_a_single_20_ms_one_shot(run_cli, tmp_path):
    data = tmp_path / "click"
    data.mkdir()
    sf.write(data / "click.wav", _tone(0.02), 48000)
    result = run_cli("train", str(data), "--model-name", "click", "--preset", "demo", "--epochs", "1")
    assert result.code == 0, result.stderr
    generated = run_cli("generate", "click", "-d", "0.3", *GRIFFINLIM, "--output-dir", str(tmp_path / "out"))
    assert generated.code == 0, generated.stderr


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 1e20])
def test_vocode_refuses_non_finite_or_absurd_samples(run_cli, tmp_path, bad):
    wav = _tone(0.5)
    wav[1000] = bad
    source = tmp_path / "bad.wav"
    sf.write(source, wav, 48000, subtype="FLOAT")
    result = run_cli("vocode", str(source), *GRIFFINLIM, "-o", str(tmp_path / "out.wav"))
    _one_sentence(result, "cannot be resynthesised")
    assert not (tmp_path / "out.wav").exists()


def test_a_model_with_nan_weights_is_refused(run_cli, kit, tmp_path):
    payload = torch.load(kit, weights_only=True)
    for tensor in payload["vae_state_dict"].values():
        tensor.fill_(float("nan"))
    torch.save(payload, kit)
    result = run_cli("generate", "kit", "-d", "0.3", *GRIFFINLIM, "--output-dir", str(tmp_path))
    _one_sentence(result, "contains NaN or infinite values")
    assert list(tmp_path.iterdir()) == [] or not any(tmp_path.rglob("*.wav"))


def test_a_file_scaled_by_1e20_is_skipped_and_training_stays_finite(run_cli, audio_dir, tmp_path, distill_home):
    data = tmp_path / "data"
    data.mkdir()
    for source in sorted(audio_dir.glob("*.wav"))[:3]:
        (data / source.name).write_bytes(source.read_bytes())
    sf.write(data / "scaled.wav", _tone(1.0) * np.float32(1e20 / 0.4), 48000, subtype="FLOAT")
    result = run_cli("train", str(data), "--model-name", "scaled", "--preset", "demo", "--epochs", "2")
    assert result.code == 0, result.stderr
    assert "Skipped scaled.wav" in result.stderr and "far beyond full scale" in result.stderr
    payload = torch.load(distill_home / "models" / "scaled.distill", weights_only=True)
    assert all(torch.isfinite(t).all() for t in payload["vae_state_dict"].values())
    assert not (distill_home / "runs").exists()  # no checkpoint, and no empty run folder either


@pytest.mark.parametrize(("seed", "count"), [(2**64, 1), (2**64 - 1, 2), (2**70, 1), (-1, 1)])
def test_seeds_out_of_range_are_refused_before_any_file(run_cli, kit, tmp_path, seed, count):
    result = run_cli("generate", "kit", "-n", str(count), "-d", "0.2", "--seed", str(seed), *GRIFFINLIM)
    _one_sentence(result, "The seed must lie between 0 and")
    assert run_cli("history", "list", "--json").json() == []


def test_the_largest_seed_works(run_cli, kit, tmp_path):
    result = run_cli(
        "generate", "kit", "-d", "0.2", "--seed", str(2**64 - 1), *GRIFFINLIM, "--output-dir", str(tmp_path)
    )
    assert result.code == 0, result.stderr


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--azimuth", "nan", "azimuth must lie between -180 and 180"),
        ("--azimuth", "1e9", "azimuth must lie between -180 and 180"),
        ("--azimuth", "inf", "azimuth must lie between -180 and 180"),
        ("--width", "nan", "width must lie between 0"),
    ],
)
def test_non_finite_or_far_spatial_settings_are_refused(run_cli, kit, tmp_path, option, value, fragment):
    result = run_cli("generate", "kit", "-d", "0.2", "--spatial-mode", "binaural", option, value, *GRIFFINLIM)
    _one_sentence(result, fragment)
    listed = run_cli("history", "list", "--json")
    assert listed.code == 0 and json.loads(listed.stdout) == []


def test_a_source_behind_the_head_is_mirrored_not_clamped():
    from distill.audio.spatial import spherical_head_hrir

    assert torch.allclose(spherical_head_hrir(150.0, 48000), spherical_head_hrir(30.0, 48000))
    assert not torch.allclose(spherical_head_hrir(150.0, 48000), spherical_head_hrir(90.0, 48000))


@pytest.fixture
def checkpoint(audio_dir, distill_home) -> Path:
    """A real checkpoint of 'kit' after one epoch of the demo preset, as Ctrl-C leaves it."""
    from distill.training.runner import TrainingCancelled, run_dir, train_model

    def stop_after_first_epoch(event):
        if event.message == "epoch 1/5" and event.metrics:
            raise KeyboardInterrupt

    with pytest.raises(TrainingCancelled):
        train_model(audio_dir, "kit", preset="demo", epochs=5, progress=stop_after_first_epoch)
    path = run_dir("kit") / "checkpoint.pt"
    assert path.is_file()
    return path


def test_resume_from_a_corrupt_checkpoint(run_cli, audio_dir, checkpoint):
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    result = run_cli("train", str(audio_dir), "--model-name", "kit", "--preset", "demo", "--epochs", "5", "--resume")
    _one_sentence(result, "is damaged; start again without --resume")


def test_resume_with_a_different_preset(run_cli, audio_dir, checkpoint):
    result = run_cli("train", str(audio_dir), "--model-name", "kit", "--preset", "small", "--epochs", "5", "--resume")
    _one_sentence(result, "was made with the 'demo' preset")


def test_resume_on_a_different_data_folder(run_cli, audio_dir, checkpoint, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    for source in sorted(audio_dir.glob("*.wav"))[:3]:
        (other / source.name).write_bytes(source.read_bytes())
    result = run_cli("train", str(other), "--model-name", "kit", "--preset", "demo", "--epochs", "5", "--resume")
    _one_sentence(result, "was made on other recordings")


def test_a_giant_vocoder_batch_is_refused_before_memory_runs_out(kit):
    """In a child process capped at 6 GiB, so code that tries the batch fails fast instead of
    taking the machine down."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))

    code = "import sys; from distill.cli.main import main; sys.exit(main())"
    argv = ["train-vocoder", "--model", "kit", "--max-steps", "1", "--batch-size", "1000"]
    result = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, preexec_fn=cap_memory, timeout=300
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "A batch of 1000 needs about" in result.stderr and "--batch-size" in result.stderr


def test_a_model_whose_vocoder_plugin_is_missing_says_so(run_cli, kit, tmp_path):
    payload = torch.load(kit, weights_only=True)
    payload.update(vocoder_type="wavenet", vocoder_config={}, vocoder_state_dict={"w": torch.zeros(2)})
    torch.save(payload, kit)
    result = run_cli("generate", "kit", "-d", "0.2", "--output-dir", str(tmp_path), "--json")
    assert result.code == 0, result.stderr
    assert "carries its own 'wavenet' vocoder, but that plugin is not installed" in result.stderr


def test_garbage_hifigan_weights_are_called_damaged(run_cli, kit, tmp_path):
    payload = torch.load(kit, weights_only=True)
    payload.update(vocoder_type="hifigan", vocoder_config={"noise": 1}, vocoder_state_dict={"w": torch.zeros(2)})
    torch.save(payload, kit)
    result = run_cli("generate", "kit", "-d", "0.2", "--vocoder", "hifigan", "--output-dir", str(tmp_path))
    _one_sentence(result, "carries damaged HiFi-GAN settings")
    assert "log1p" not in result.stderr


def test_init_from_a_pickle_does_not_advise_unsafe_loading(run_cli, kit, tmp_path):
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"generator": Path("x")}))
    result = run_cli("train-vocoder", "--model", "kit", "--init-from", str(evil), "--max-steps", "1")
    _one_sentence(result, "holds more than plain weights")
    assert "weights_only" not in result.stderr


def test_init_from_random_bytes_is_called_what_it_is(run_cli, kit, tmp_path):
    """Before, random bytes were said to hold "Python objects"."""
    noise = tmp_path / "noise.pt"
    noise.write_bytes(np.random.default_rng(0).bytes(5000))
    result = run_cli("train-vocoder", "--model", "kit", "--init-from", str(noise), "--max-steps", "1")
    _one_sentence(result, "is not a readable vocoder checkpoint (not a PyTorch archive, or a damaged or truncated one)")
    assert "Python objects" not in result.stderr


def test_ctrl_c_during_a_long_generate_says_cancelled(kit, tmp_path):
    code = "import sys; from distill.cli.main import main; sys.exit(main())"
    argv = ["generate", "kit", "-n", "1000", "-d", "0.2", *GRIFFINLIM, "--output-dir", str(tmp_path)]
    process = subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        # as from a terminal: pytest-xdist workers ignore SIGINT, and a child would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    seen = b""
    while b"[2/1000]" not in seen:
        chunk = os.read(process.stderr.fileno(), 4096)
        assert chunk, seen
        seen += chunk
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=60)  # keep draining stderr: a full pipe would block its last words
    assert process.returncode == 130
    assert (seen + rest).decode().rstrip().endswith("Cancelled.")


INTERRUPTED = """
import os, signal, sys
from distill.cli.main import main
from distill.inference import outputs
from distill.library import history

module, name, at = {"export": (outputs, "export_audio"), "sidecar": (outputs, "write_sidecar"),
                    "history": (history, "write_text_atomic")}[sys.argv[1]] + (3,)
original, calls = getattr(module, name), []

def then_ctrl_c(*args, **kwargs):
    result = original(*args, **kwargs)  # the step is done: its file is in place
    calls.append(name)
    if len(calls) == at:
        os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, arriving right after this step
    return result

setattr(module, name, then_ctrl_c)
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("moment", ["export", "sidecar", "history"])
def test_ctrl_c_between_a_file_its_sidecar_and_its_history_entry_rolls_that_file_back(
    kit, tmp_path, distill_home, moment
):
    """Before, a Ctrl-C right after a file was written left it without sidecar or history entry."""
    argv = ["generate", "kit", "-n", "20", "-d", "0.2", *GRIFFINLIM, "--output-dir", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED, moment, *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal (see above)
        timeout=300,
    )
    assert done.returncode == 130 and done.stderr.rstrip().endswith("Cancelled."), done.stderr
    audio = {p.stem for p in tmp_path.glob("*.wav")}
    sidecars = {p.stem for p in tmp_path.glob("*.json")}
    recorded = {Path(json.loads(p.read_text())["path"]).stem for p in (distill_home / "history").glob("*.json")}
    assert audio == sidecars == recorded and len(audio) == 2, (audio, sidecars, recorded)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left either


def test_new_files_follow_the_umask(run_cli, kit, tmp_path):
    previous = os.umask(0o022)
    try:
        result = run_cli("generate", "kit", "-d", "0.2", *GRIFFINLIM, "--output-dir", str(tmp_path), "--json")
    finally:
        os.umask(previous)
    record = result.json()["files"][0]
    for path in (Path(record["path"]), Path(record["path"]).with_suffix(".json")):
        assert path.stat().st_mode & 0o777 == 0o644


def _distill(*argv: str) -> list[str]:
    return [str(Path(sys.executable).with_name("distill")), *argv]


@pytest.mark.parametrize("rate", [44_101, 47_999])
def test_vocode_at_a_coprime_rate_costs_memory_of_the_audio_not_of_the_rates(bounded_run, tmp_path, rate):
    """Before, one second at 44,101 Hz passed 6 GB: resampling built a filter sized by the rates."""
    sf.write(tmp_path / "odd.wav", _tone(1.0, rate), rate)
    run = bounded_run(_distill("vocode", str(tmp_path / "odd.wav"), *GRIFFINLIM, "-o", str(tmp_path / "out.wav")))
    assert run.code == 0, run.stderr[-3000:]
    assert sf.info(tmp_path / "out.wav").frames == 48000
    assert run.peak_mib < 1500


def test_vocode_of_a_three_hour_recording_is_refused_in_one_sentence_without_reading_it(bounded_run, tmp_path):
    """Before, it ran past 300 s at 3.8 GB; `generate` caps at an hour, `vocode` holds everything at once."""
    long = tmp_path / "long.wav"
    sf.write(long, _tone(1.0, 8000), 8000, subtype="PCM_16")
    data_bytes = 3 * 3600 * 8000 * 2
    header = bytearray(long.read_bytes()[:44])
    header[4:8] = (36 + data_bytes).to_bytes(4, "little")
    header[40:44] = data_bytes.to_bytes(4, "little")
    with long.open("wb") as file:
        file.write(header)
        file.truncate(44 + data_bytes)  # sparse: three hours of silence that take no disk
    run = bounded_run(_distill("vocode", str(long), *GRIFFINLIM, "-o", str(tmp_path / "out.wav")), timeout=120)
    assert run.code == 1 and "Traceback" not in run.stderr, run.stderr[-3000:]
    assert "is 180 minutes long; vocode takes recordings of up to 10 minutes" in run.stderr
    assert not (tmp_path / "out.wav").exists() and run.peak_mib < 1500


def _sofa(path: Path, rate: float = 48000.0, irs: np.ndarray | None = None) -> Path:
    import h5py

    if irs is None:
        irs = np.zeros((2, 2, 64), dtype="float32")
        irs[:, :, 0] = 1.0
    with h5py.File(path, "w") as sofa:
        sofa["Data.IR"] = irs
        sofa["Data.SamplingRate"] = np.array([rate])
        sofa["SourcePosition"] = np.array([[30.0, 0.0, 1.0], [330.0, 0.0, 1.0]])
    return path


@pytest.mark.parametrize(
    ("damage", "sentence"),
    [
        ({"rate": 0.0}, "cannot be used as an HRTF: its sample rate of 0 Hz is outside"),
        ({"rate": float("nan")}, "cannot be used as an HRTF: its sample rate nan is not a whole number of Hz"),
        ({"irs": np.full((2, 2, 64), np.nan, dtype="float32")}, "its impulse responses hold NaN or infinite values"),
        ({"irs": np.zeros((2, 3, 64), dtype="float32")}, "its impulse responses are not measurements of two ears"),
    ],
    ids=["rate-0", "rate-nan", "nan-responses", "three-ears"],
)
def test_a_damaged_hrtf_is_refused_in_one_sentence_before_rendering(run_cli, kit, tmp_path, damage, sentence):
    """Before: a ZeroDivisionError, or exit 0 and a file of full-scale DC."""
    hrtf = _sofa(tmp_path / "head.sofa", **damage)
    out = tmp_path / "out"
    result = run_cli(
        "generate", "kit", "-d", "0.2", *GRIFFINLIM, "--spatial-mode", "binaural", "--hrtf", str(hrtf),
        "--output-dir", str(out),
    )  # fmt: skip
    _one_sentence(result, sentence)
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    "argv",
    [
        ("train", "{data}", "--model-name", "{long}"),
        ("generate", "{long}"),
        ("generate", "kit", "--slider", "{long}"),
        ("generate", "kit", "--blend", "{long}"),
        ("vocoders", "uninstall", "{long}"),
        ("preset", "save", "kit", "{long}"),
        ("history", "show", "{long}"),
    ],
    ids=lambda argv: "-".join(a for a in argv if not a.startswith("{")),
)
def test_ten_kilobytes_of_typed_input_are_echoed_shortened(run_cli, kit, audio_dir, argv):
    """Before, a 10 kB name came back in a 10,125-character error."""
    long = "k" * 10_000
    result = run_cli(*(a.format(data=audio_dir, long=long) for a in argv))
    assert result.code != 0 and "Traceback" not in result.stderr, result.stderr[-500:]
    [line] = result.error_lines()
    assert len(line) < 400 and "(10,000 characters)" in line, line
