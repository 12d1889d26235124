"""Real processes killed between write and rename, and real processes writing at once:
temporaries are never read as data, and racing writes both survive or one fails with a sentence."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from distill.models.vae import VAEConfig
from distill.training.runner import train_model


def _env() -> dict[str, str]:
    """This test's environment (its own DISTILL_HOME), one torch thread per child."""
    return {**os.environ, "OMP_NUM_THREADS": "1"}


# Trains a tiny model called argv[2] on the folder argv[1], dying by SIGKILL at the model file's rename.
TRAINING_KILLED_AT_RENAME = """
import os, signal, sys
replace = os.replace
def die_at_the_model(src, dst):
    if str(dst).endswith(".distill"):
        os.kill(os.getpid(), signal.SIGKILL)
    replace(src, dst)
os.replace = die_at_the_model
from distill.models.vae import VAEConfig
from distill.training.runner import train_model
train_model(sys.argv[1], sys.argv[2], epochs=1, vae_config=VAEConfig(latent_dim=8, channels=(8, 16), segment_frames=32))
"""
TINY = {"epochs": 1, "vae_config": VAEConfig(latent_dim=8, channels=(8, 16), segment_frames=32)}

# One history entry, the process killed at argv[1]: "rename", or "write" (half the text written).
HISTORY_KILLED = """
import os, signal, sys
from pathlib import Path
import torch
from distill.library import history
if sys.argv[1] == "rename":
    os.replace = lambda src, dst: os.kill(os.getpid(), signal.SIGKILL)
else:
    def half_then_die(self, text, **kwargs):
        with open(self, "w") as f:
            f.write(text[: len(text) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    Path.write_text = half_then_die
history.record({"model": "kit", "seed": 7}, [0.0] * 8)
"""

# Waits for the file argv[1], then records argv[2] history entries as fast as it can.
HISTORY_WRITER = """
import sys, time
from pathlib import Path
import torch
from distill.library import history
print("ready", flush=True)
while not Path(sys.argv[1]).exists():
    time.sleep(0.01)
for seed in range(int(sys.argv[2])):
    history.record({"model": "kit", "seed": seed}, [0.0] * 8)
"""

# Waits for the file argv[1], then runs the CLI with argv[2:].
CLI_AFTER_GO = """
import sys, time
from pathlib import Path
from distill.cli.main import main
print("ready", flush=True)
while not Path(sys.argv[1]).exists():
    time.sleep(0.01)
sys.exit(main(sys.argv[2:]))
"""

# Waits for the file argv[1], then saves argv[3] presets named argv[2]-i for the model at argv[4].
PRESET_WRITER = """
import sys, time
from pathlib import Path
from distill.library.presets import save_preset
from distill.models.format import load_model
model = load_model(Path(sys.argv[4]))
print("ready", flush=True)
while not Path(sys.argv[1]).exists():
    time.sleep(0.005)
for i in range(int(sys.argv[3])):
    save_preset(model, f"{sys.argv[2]}-{i}", {0: 0.5})
"""

# train-vocoder in a child process, through a vocoder plugin that signals argv[1] when it is
# training and finishes when the file argv[2] appears; argv[3] names the model.
SLOW_VOCODER_TRAINING = """
import sys, time
from pathlib import Path
import torch
from distill.host.registry import get_registry
from distill.vocoders import VocoderState, hookimpl

class Waiter:
    @hookimpl
    def train_vocoder(self, name, model, dataset, config, progress):
        if name != "waiter":
            return None
        Path(sys.argv[1]).touch()
        while not Path(sys.argv[2]).exists():
            time.sleep(0.01)
        return VocoderState("waiter", {}, {"w": torch.zeros(1)})

get_registry().register(Waiter(), "waiter")
from distill.cli.main import main
sys.exit(main(["train-vocoder", "--model", sys.argv[3], "--vocoder", "waiter", "--max-steps", "1"]))
"""


def _python(script: str, *args: object, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _age(path: Path) -> None:
    """As if left an hour ago: stale by any measure."""
    old = time.time() - 3600
    os.utime(path, (old, old))


def _ready(*processes: subprocess.Popen) -> None:
    for process in processes:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()


def test_a_model_killed_before_its_rename_is_not_listed_or_picked(run_cli, audio_dir, distill_home):
    killed = subprocess.run(
        [sys.executable, "-c", TRAINING_KILLED_AT_RENAME, str(audio_dir), "kit"], env=_env(), capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    models = distill_home / "models"
    (leftover,) = [p for p in models.iterdir() if not p.name.endswith(".lock")]
    assert run_cli("model", "list", "--json").json() == []
    assert "Unknown model 'kit'" in run_cli("model", "info", "kit").stderr

    train_model(audio_dir, "kit", **TINY)  # without overwrite: there is no model 'kit' yet
    listed = run_cli("model", "list", "--json").json()
    assert [(m["name"], m["path"]) for m in listed] == [("kit", str(models / "kit.distill"))]
    assert run_cli("model", "info", "kit", "--json").json()["path"] == str(models / "kit.distill")
    assert run_cli("model", "delete", "kit", "--yes").code == 0
    assert run_cli("model", "list", "--json").json() == []

    _age(leftover)
    run_cli("model", "list")
    assert not leftover.exists()


@pytest.mark.parametrize("moment", ["write", "rename"])
def test_a_history_entry_killed_mid_write_breaks_nothing(run_cli, distill_home, moment):

    from distill.library import history

    history.record({"model": "kit", "seed": 1}, [0.0] * 8)
    killed = subprocess.run([sys.executable, "-c", HISTORY_KILLED, moment], env=_env(), capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert len(list((distill_home / "history").iterdir())) == 2  # the entry and the killed one's temporary

    table, listed = run_cli("history", "list"), run_cli("history", "list", "--json")
    assert table.code == 0 and listed.code == 0, table.stderr + listed.stderr
    entries = listed.json()
    assert [e["seed"] for e in entries] == [1]
    for entry in entries:  # everything listed can be shown and deleted
        assert run_cli("history", "show", entry["id"], "--json").json()["seed"] == entry["seed"]
    leftover = next(p for p in (distill_home / "history").iterdir() if p.name.startswith("."))
    _age(leftover)
    run_cli("history", "list", "--json")
    assert not leftover.exists()


def test_history_list_while_another_process_writes_history(run_cli, tmp_path):
    go = tmp_path / "go"
    writer = _python(HISTORY_WRITER, go, 400)
    _ready(writer)
    go.touch()
    runs = 0
    while writer.poll() is None or runs < 3:
        result = run_cli("history", "list", "--json")
        assert result.code == 0 and "Traceback" not in result.stderr, result.stderr
        assert all(isinstance(e["seed"], int) for e in result.json())
        runs += 1
    assert writer.returncode == 0, writer.stderr.read()
    assert sorted(e["seed"] for e in run_cli("history", "list", "--json").json()) == list(range(400))


def test_two_trainings_of_the_same_name_never_lose_one_silently(run_cli, audio_dir, tmp_path):
    go = tmp_path / "go"
    command = ["train", str(audio_dir), "--model-name", "same", "--preset", "demo", "--epochs", "1"]
    trainers = [_python(CLI_AFTER_GO, go, *command) for _ in range(2)]
    _ready(*trainers)
    go.touch()
    outcomes = sorted((t.wait(timeout=300), t.stdout.read(), t.stderr.read()) for t in trainers)
    (ok, saved, _), (failed, _, refusal) = outcomes
    assert (ok, failed) == (0, 1), outcomes
    assert "Saved model 'same'" in saved
    # Held by the other run (or, had that one finished first, already saved): one sentence either way.
    assert "in use by another Distill process" in refusal or "already exists" in refusal, refusal
    assert "Traceback" not in refusal
    assert [m["name"] for m in run_cli("model", "list", "--json").json()] == ["same"]


@pytest.mark.parametrize("meanwhile", ["retrain", "delete"])
def test_train_vocoder_never_reverts_a_retrained_or_deleted_model(run_cli, kit, audio_dir, tmp_path, meanwhile):
    training, go = tmp_path / "training", tmp_path / "go"
    child = _python(SLOW_VOCODER_TRAINING, training, go, "kit")
    deadline = time.monotonic() + 120
    while not training.exists():
        assert child.poll() is None and time.monotonic() < deadline, child.stderr.read()
        time.sleep(0.05)
    if meanwhile == "retrain":
        train_model(audio_dir, "kit", overwrite=True, **TINY)
    else:
        assert run_cli("model", "delete", "kit", "--yes").code == 0
    after = run_cli("model", "list", "--json").json()
    go.touch()
    assert child.wait(timeout=120) == 1
    message = child.stderr.read()
    assert "was retrained, replaced or deleted while its vocoder trained" in message and "Traceback" not in message
    assert run_cli("model", "list", "--json").json() == after
    if meanwhile == "retrain":
        assert (
            after[0]["vocoder"] is None
            and after[0]["id"] == json.loads(run_cli("model", "info", "kit", "--json").stdout)["id"]
        )


def test_a_second_train_vocoder_of_the_same_model_fails_at_once_while_the_first_runs(kit, tmp_path):
    """Before, both ran and wrote one checkpoint: the model ended with B's vocoder and A's checkpoint."""
    first, second, go = tmp_path / "first", tmp_path / "second", tmp_path / "go"
    running = _python(SLOW_VOCODER_TRAINING, first, go, "kit")
    deadline = time.monotonic() + 120
    while not first.exists():
        assert running.poll() is None and time.monotonic() < deadline, running.stderr.read()
        time.sleep(0.05)
    refused = _python(SLOW_VOCODER_TRAINING, second, go, "kit")
    try:
        assert refused.wait(timeout=120) == 1
    finally:
        go.touch()
    message = refused.stderr.read()
    assert "The vocoder of model 'kit' is already training in another process" in message, message
    assert "Traceback" not in message and not second.exists()
    assert running.wait(timeout=120) == 0, running.stderr.read()


def test_two_processes_saving_presets_lose_none(kit, tmp_path):
    from distill.library.presets import list_presets
    from distill.models.format import load_model

    go = tmp_path / "go"
    writers = [_python(PRESET_WRITER, go, name, 150, kit) for name in ("a", "b")]
    _ready(*writers)
    go.touch()
    for writer in writers:
        assert writer.wait(timeout=300) == 0, writer.stderr.read()
    saved = list_presets(load_model(kit))
    assert sorted(saved) == sorted(f"{name}-{i}" for name in ("a", "b") for i in range(150))
