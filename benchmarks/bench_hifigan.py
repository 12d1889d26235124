"""Per-model HiFi-GAN against Griffin-Lim on both paths (docs/benchmarks.md): the default recipe's curve,
spectrograms of generated sounds, rendering speed.

Run from the project root; everything lands in bench-output/hifigan/.

  curve DATASET [STEPS] [EVERY] [RECIPE_JSON]
        What `distill train-vocoder --model DATASET` does with its defaults (the recipe, the model's
        decoded mels, the held-out tenth, the host's held-out check), on a model of the shared
        DATASET trained with today's defaults (trained here the first time). Every EVERY steps both
        paths are judged on the held-out recordings (multi-resolution STFT distance and ViSQOL, own
        vs Griffin-Lim), logged with the training CPU-minutes so far (judging excluded) and the load
        average; at the end the vocoder and its verdict are stored in the model, as train-vocoder
        stores them. One torch thread, so CPU-minutes do not depend on the machine's load.
        RECIPE_JSON overrides recipe fields (calibration runs; the docs' table uses the defaults).
  report
        The stored curves as one table per dataset (the table docs/benchmarks.md carries).
  spectrograms DATASET [COUNT]
        COUNT sounds generated from the model with `--vocoder auto` and their seeds rendered again
        by Griffin-Lim and by the own vocoder: the sound files and a picture of their spectrograms.
  speed
        Training steps per CPU-second of each phase, on one thread and on all cores.
  inference
        HiFi-GAN V2 real-time factor, this code against the code before channels-last
        convolutions, same weights, interleaved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from distill.audio.export import ExportSettings
from distill.host.evaluation import evaluate_vocoders
from distill.host.generation_path import with_rendering
from distill.host.recordings import hold_out_recordings, model_training_audio
from distill.host.vocoder_curve import HeldOutCurve
from distill.host.vocoder_runs import training_config
from distill.host.vocoder_training import bundle_vocoder
from distill.inference.assessment import assess
from distill.inference.outputs import generate_files
from distill.models.format import DistillModel, load_model
from distill.training.runner import train_model
from distill.vocoders import SpectrogramConfig
from distill.vocoders.verdict import BASELINE, GENERATION, METRIC, PERCEPTUAL, RESYNTHESIS, path_verdict
from distill_vocoder_hifigan import Generator, HiFiGANConfig
from distill_vocoder_hifigan import recipe as recipes
from distill_vocoder_hifigan.training import Trainer, TrainingOptions
from distill_vocoder_hifigan.vocoder import HiFiGANVocoder

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
OUT = ROOT / "bench-output" / "hifigan"
OWN = "hifigan"
console = Console()


def bench_model(dataset: str) -> DistillModel:
    """DATASET's model, trained with today's defaults into bench-output the first time (a few minutes)."""
    home = OUT / dataset / "home"
    os.environ["DISTILL_HOME"] = str(home)
    path = home / "models" / f"{dataset}.distill"
    if not path.exists():
        console.print(f"training a model of {dataset} with the defaults (once)")
        train_model(DATASETS / dataset, dataset, assess=assess)
    return load_model(path)


def _figures(verdict: dict) -> dict:
    """Own and baseline distance and ViSQOL on each path, flat."""
    row = {}
    for path in (GENERATION, RESYNTHESIS):
        results = (path_verdict(verdict, path) or {}).get("results", {})
        for name, label in ((OWN, "own"), (BASELINE, "gl")):
            figures = results.get(name, {})
            row[f"{path}_{label}"] = figures.get(METRIC)
            row[f"{path}_{label}_visqol"] = figures.get(PERCEPTUAL)
    return row


def curve(dataset: str, steps: int | None, every: int, overrides: dict) -> None:
    """Train the default recipe (with `overrides`) to `steps`, judging both paths every `every` steps."""
    torch.set_num_threads(1)
    model = bench_model(dataset)
    train_set, held = hold_out_recordings(model_training_audio(model))
    config = training_config(model, max_steps=steps)
    label = "default" if not overrides else "-".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    options = TrainingOptions.from_config(config)
    options.run_dir = OUT / dataset / f"run-{label}"
    options.checkpoint_every = 10**9
    options.preview_every = 10**9
    if overrides:
        recipes.RECIPES[label] = replace(recipes.RECIPES[recipes.DEFAULT], name=label, **overrides)
        options.recipe = label
    log = OUT / dataset / f"curve-{label}.jsonl"
    log.unlink(missing_ok=True)
    judged_cpu = 0.0
    cpu_started, started = time.process_time(), time.perf_counter()
    trainer = Trainer(model.spectrogram, with_rendering(train_set, model), options, HeldOutCurve(model, held))

    def record(event) -> None:
        nonlocal judged_cpu
        if event.completed % every and event.completed != trainer.total:
            return
        before = time.process_time()
        state = trainer.vocoder_state()
        judged = replace(model, vocoder_type=OWN, vocoder_config=state.config, vocoder_state_dict=state.state_dict)
        row = {
            "step": event.completed,
            "cpu_min": round((before - cpu_started - judged_cpu) / 60, 2),
            "wall_min": round((time.perf_counter() - started) / 60, 2),
            "load": round(os.getloadavg()[0], 2),
            **_figures(evaluate_vocoders(judged, held, training_steps=event.completed)),
        }
        judged_cpu += time.process_time() - before
        with log.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        console.print(row)

    state = trainer.run(record)
    trained = replace(model, vocoder_type=OWN, vocoder_config=state.config, vocoder_state_dict=state.state_dict)
    bundle_vocoder(model, state, evaluate_vocoders(trained, held, training_steps=state.steps))
    console.print(f"{dataset}: {state.steps} steps; stored in {model.path}: {model.vocoder_evaluation['summary']}")


def _cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _change(row: dict) -> str:
    """The own vocoder's generation-path distance relative to Griffin-Lim's: `-12 %` is 12 % nearer."""
    own, baseline = row[f"{GENERATION}_own"], row[f"{GENERATION}_gl"]
    return "-" if own is None or not baseline else f"{(own - baseline) / baseline * 100:+.0f} %"


def report() -> None:
    """Every stored default curve as a table: steps, CPU-minutes, both paths, both measures, own vs Griffin-Lim."""
    for log in sorted(OUT.glob("*/curve-default.jsonl")):
        rows = [json.loads(line) for line in log.read_text().splitlines()]
        table = Table(
            "step",
            "CPU-min",
            "gen. distance own / GL",
            "gen. distance vs GL",
            "gen. ViSQOL own / GL",
            "resyn. distance own / GL",
            "resyn. ViSQOL own / GL",
            "load",
            title=f"{log.parent.name}: default train-vocoder, held-out recordings "
            "(distance lower, ViSQOL higher is better)",
        )
        for row in rows:
            cells = [
                f"{_cell(row[f'{path}_own{kind}'], digits)} / {_cell(row[f'{path}_gl{kind}'], digits)}"
                for path in (GENERATION, RESYNTHESIS)
                for kind, digits in (("", 3), ("_visqol", 2))
            ]
            table.add_row(
                str(row["step"]), f"{row['cpu_min']:.1f}", cells[0], _change(row), *cells[1:], f"{row['load']:.1f}"
            )
        Console(width=160).print(table)


def spectrograms(dataset: str, count: int = 6) -> None:
    """Sounds generated with auto, and the same seeds by Griffin-Lim and by the own vocoder; a picture of each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from distill.audio.io import load_audio
    from distill.audio.metrics import log_magnitude_stft

    model = bench_model(dataset)
    folder = OUT / dataset / "generated"
    cpu = torch.device("cpu")
    batches = {
        name: generate_files(model, count, 2.0, name, 0, {}, ExportSettings(), folder / name, cpu)
        for name in ("auto", BASELINE, OWN)
    }
    console.print(f"auto used: {sorted({r['vocoder'] for r in batches['auto']})}")
    figure, axes = plt.subplots(count, 2, figsize=(10, 2.2 * count), squeeze=False)
    for row in range(count):
        for col, name in enumerate((BASELINE, OWN)):
            wav = load_audio(Path(batches[name][row]["path"]), model.spectrogram.sample_rate)
            axes[row, col].imshow(log_magnitude_stft(wav, 512).numpy(), origin="lower", aspect="auto", vmin=-11.5)
            axes[row, col].set_title(f"seed {batches[name][row]['seed']}: {name}", fontsize=8)
            axes[row, col].set_axis_off()
    figure.tight_layout()
    figure.savefig(OUT / dataset / "spectrograms.png", dpi=90)
    console.print(f"spectrograms: {OUT / dataset / 'spectrograms.png'}")


def steps_per_cpu_second(dataset: str, overrides: dict, steps: int = 8) -> float:
    """Training steps per CPU-second of the default recipe with `overrides`, after two untimed steps."""
    model = bench_model(dataset)
    train_set, _ = hold_out_recordings(model_training_audio(model))
    recipes.RECIPES["speed"] = replace(recipes.RECIPES[recipes.DEFAULT], name="speed", **overrides)
    options = TrainingOptions(OUT / "speed", recipe="speed", max_steps=steps + 2, checkpoint_every=10**9)
    trainer = Trainer(model.spectrogram, with_rendering(train_set, model), options)
    for _ in range(2):
        trainer.train_step()
    started = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    return steps / (time.perf_counter() - started)


def speed(dataset: str = "drums-rumpf") -> None:
    """Steps per second of each phase on one thread and on all cores, with the load average."""
    phases = {"warm-up": {"warmup_steps": 10**9}, "adversarial": {"warmup_steps": 0, "discriminator_warmup": 0}}
    table = Table("phase", "threads", "steps/s", title=f"load average {os.getloadavg()[0]:.1f} at start")
    for threads in sorted({1, os.cpu_count() or 1}):
        torch.set_num_threads(threads)
        for name, overrides in phases.items():
            table.add_row(name, str(threads), f"{steps_per_cpu_second(dataset, overrides):.2f}")
    table.caption = f"load average {os.getloadavg()[0]:.1f} at the end"
    console.print(table)


BEFORE = "56e07ad"  # the commit before channels-last convolutions: 1-D convolutions, 2048-frame chunks


def _from_history(path: str) -> dict:
    """A module of this project as it was at BEFORE (our own file, from our own git history)."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{BEFORE}:{path}"], capture_output=True, text=True, check=True
    ).stdout
    namespace: dict = {"__name__": Path(path).stem}
    exec(compile(source, path, "exec"), namespace)
    return namespace


def render_rate(version: str, threads: int, seconds: float) -> tuple[float, float]:
    """(real-time factor, max |output - reference|) of one renderer, best of 3, in this fresh process."""
    torch.set_num_threads(threads)
    config = HiFiGANConfig.for_spectrogram(SpectrogramConfig())
    torch.manual_seed(0)
    reference = Generator(config, weight_norm=False).eval()
    mel = torch.rand(1, 128, int(seconds * 48000 / 512), generator=torch.Generator().manual_seed(0)) * 3
    if version == "before":
        plugin = "plugins/distill-vocoder-hifigan/src/distill_vocoder_hifigan/"
        generator = _from_history(plugin + "generator.py")["Generator"](config, weight_norm=False).eval()
        generator.load_state_dict(reference.state_dict())
        chunked = _from_history("distill-core/src/distill/vocoders/chunked.py")["vocode_with_context"]
        old = _from_history(plugin + "vocoder.py")  # its CHUNK_FRAMES and CONTEXT_FRAMES
        render = lambda: chunked(generator, mel, 512, old["CHUNK_FRAMES"], old["CONTEXT_FRAMES"])  # noqa: E731
    else:
        vocoder = HiFiGANVocoder(reference, SpectrogramConfig())
        render = lambda: vocoder.mel_to_waveform(mel)  # noqa: E731
    times = []
    with torch.inference_mode():
        for _ in range(3):
            started = time.perf_counter()
            out = render()
            times.append(time.perf_counter() - started)
        difference = (out.reshape(-1) - reference(mel).reshape(-1)[: out.numel()]).abs().max().item()
    return seconds / min(times), difference


def inference(seconds: float = 10.0, rounds: int = 3) -> None:
    """Real-time factor before and now, each in its own process (glibc settings are per process),
    alternating `rounds` times so load changes hit both; best of all runs."""
    table = Table(
        "threads",
        "before (RTF)",
        "now (RTF)",
        "speed-up",
        "max |output - one pass|",
        title=f"HiFi-GAN V2 rendering {seconds:g} s, load average {os.getloadavg()[0]:.1f} at start",
    )
    for threads in sorted({1, os.cpu_count() or 1}):
        best = {"before": 0.0, "now": 0.0}
        difference = 0.0
        for _ in range(rounds):
            for version in best:
                out = subprocess.run(
                    [sys.executable, __file__, "_rate", version, str(threads), str(seconds)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                best[version] = max(best[version], float(out[0]))
                difference = max(difference, float(out[1]))
        table.add_row(
            str(threads),
            f"{best['before']:.1f}x",
            f"{best['now']:.1f}x",
            f"{best['now'] / best['before']:.2f}",
            f"{difference:.1e}",
        )
    console.print(table)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("short", [])
    if command == "curve":
        curve(
            args[0],
            int(args[1]) if len(args) > 1 else None,
            int(args[2]) if len(args) > 2 else 1000,
            json.loads(args[3]) if len(args) > 3 else {},
        )
    elif command == "report":
        report()
    elif command == "spectrograms":
        spectrograms(args[0], int(args[1]) if len(args) > 1 else 6)
    elif command == "speed":
        speed()
    elif command == "inference":
        inference()
    elif command == "_rate":
        print(*render_rate(args[0], int(args[1]), float(args[2])))
    elif command == "short":  # nox -s bench: a few steps of everything, never mixed into the real curves
        OUT = OUT.with_name("hifigan-short")
        OUT.mkdir(parents=True, exist_ok=True)
        curve("drums-millo", 20, 10, {})
        report()
        inference(2.0)
    else:
        sys.exit(f"unknown command {command!r}; see the docstring")
