"""Per-model HiFi-GAN on drums-rumpf against Griffin-Lim (docs/benchmarks.md): convergence, verdict, speed.

Run from the project root; everything lands in bench-output/hifigan/.

  curve RECIPE STEPS [EVERY]  train RECIPE (fast | paper) from scratch on drums-rumpf minus its
                              held-out tenth (the product's own split), measuring the held-out
                              multi-resolution STFT distance every EVERY steps; run again with
                              more STEPS to extend a curve (it resumes). One torch thread, so the
                              CPU seconds it logs do not depend on the machine's load.
  speed [STEPS]               training steps/s of each recipe phase in short interleaved runs on
                              all cores, with the load average; re-run it on a quiet machine.
  report                      speed, then the stored curves as held-out distance against training
                              time (steps / steps-per-second): a table and curve.png.
  evaluate                    the product's verdict on each trained recipe (HiFi-GAN vs
                              Griffin-Lim, BigVGAN when its weights are here), ViSQOL, examples.
  inference                   HiFi-GAN V2 real-time factor, this code against the code before
                              channels-last convolutions, same weights, interleaved.
  (nothing)                   a short version of everything (nox -s bench).

The final table and curve from stored curves: `python benchmarks/bench_hifigan.py report`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from distill.audio.io import load_audio, write_audio
from distill.audio.metrics import level_difference_db, multires_stft_distance, visqol_moslqo
from distill.audio.quality import quality_report
from distill.data.discovery import find_audio_files
from distill.host.evaluation import evaluate_vocoders
from distill.host.recordings import hold_out_recordings, model_training_audio
from distill.host.selector import select_vocoder
from distill.host.vocoder_training import bundle_vocoder
from distill.models.format import DistillModel, load_model, save_model
from distill.models.vae import VAE, VAEConfig
from distill.vocoders import SpectrogramConfig, waveform_to_mel
from distill.vocoders.verdict import BASELINE, read_verdict
from distill_vocoder_hifigan import Generator, HiFiGANConfig
from distill_vocoder_hifigan.training import Trainer, TrainingOptions
from distill_vocoder_hifigan.vocoder import HiFiGANVocoder, build_generator

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "drums-rumpf"
OUT = ROOT / "bench-output" / "hifigan"
RECIPES = ("fast", "paper")
PAPER_DISCRIMINATOR_WIDTH = 4  # the issue-4 run: the paper's recipe with quarter-width discriminators
console = Console()


def bench_model(recipe: str) -> DistillModel:
    """A model file per recipe whose dataset is all of drums-rumpf (training holds a tenth out); no VAE of use."""
    path = OUT / recipe / "rumpf.distill"
    if path.exists():
        return load_model(path)
    files = find_audio_files(DATA)
    placeholder = VAE(VAEConfig(latent_dim=4, channels=(8,), segment_frames=32))  # a model file needs one; unused
    model = DistillModel(
        name=f"rumpf-{recipe}",
        vae_config=placeholder.config.to_dict(),
        vae_state_dict=placeholder.state_dict(),
        metadata={"dataset": {"root": str(DATA), "files": [str(f.relative_to(DATA)) for f in files]}},
    )
    save_model(model, path)
    return model


def held_out_clips(model: DistillModel) -> list[torch.Tensor]:
    _, held = hold_out_recordings(model_training_audio(model))
    return [held[i] for i in range(len(held))]


@torch.inference_mode()
def held_out_figures(generator: Generator, clips: list[torch.Tensor], config: SpectrogramConfig) -> dict:
    """Mean multi-resolution STFT distance and level difference of `generator` on the held-out clips."""
    distance = level = 0.0
    for wav in clips:
        out = generator(waveform_to_mel(wav[None], config))[0, : wav.numel()]
        distance += multires_stft_distance(wav, out) / len(clips)
        level += level_difference_db(wav, out) / len(clips)
    return {"held_out": round(distance, 4), "level_db": round(level, 2)}


def trainer_for(recipe: str, steps: int, every: int) -> tuple[Trainer, DistillModel]:
    model = bench_model(recipe)
    train_set, _ = hold_out_recordings(model_training_audio(model))
    run_dir = OUT / recipe / "run"
    options = TrainingOptions(
        run_dir=run_dir,
        recipe=recipe,
        max_steps=steps,
        resume=(run_dir / "checkpoint.pt").exists(),
        checkpoint_every=every,
        preview_every=10**9,
        discriminator_width=PAPER_DISCRIMINATOR_WIDTH if recipe == "paper" else None,
    )
    return Trainer(model.spectrogram, train_set, options), model


def curve(recipe: str, steps: int, every: int) -> None:
    """Train to `steps`, logging held-out distance, CPU seconds and load every `every` steps."""
    torch.set_num_threads(1)
    trainer, model = trainer_for(recipe, steps, every)
    clips = held_out_clips(model)
    log = OUT / f"curve-{recipe}.jsonl"
    previous = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    cpu_before = previous[-1]["cpu_s"] if previous else 0.0
    started, cpu_started = time.perf_counter(), time.process_time()

    def record(event) -> None:
        if event.completed % every and event.completed != 1:
            return
        state = trainer.vocoder_state()
        figures = held_out_figures(build_generator(trainer.config, state.state_dict), clips, model.spectrogram)
        row = {
            "step": event.completed,
            **figures,
            "cpu_s": round(cpu_before + time.process_time() - cpu_started, 1),
            "wall_s": round(time.perf_counter() - started, 1),
            "load": round(os.getloadavg()[0], 2),
            "phase": "adversarial" if trainer.adversarial else "warm-up",
        }
        with log.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        console.print(row)

    state = trainer.run(record)
    bundle_vocoder(model, state)
    console.print(f"{recipe}: trained to step {state.steps}; `evaluate` judges it")


def steps_per_second(recipe: str, warmup: bool, steps: int) -> float:
    """Steps/s of one recipe phase on all cores, after two untimed steps."""
    run_dir = OUT / "speed" / recipe
    model = bench_model(recipe)
    train_set, _ = hold_out_recordings(model_training_audio(model))
    options = TrainingOptions(
        run_dir=run_dir,
        recipe=recipe,
        max_steps=steps + 2,
        checkpoint_every=10**9,
        preview_every=10**9,
        warmup_steps=10**9 if warmup else 0,
        discriminator_width=PAPER_DISCRIMINATOR_WIDTH if recipe == "paper" else None,
    )
    trainer = Trainer(model.spectrogram, train_set, options)
    for _ in range(2):
        trainer.train_step()
    started = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    return steps / (time.perf_counter() - started)


def speed(steps: int = 10) -> dict:
    """Each phase twice, interleaved, best of two; the load average before and after."""
    torch.set_num_threads(os.cpu_count() or 1)
    phases = {"fast warm-up": ("fast", True), "fast adversarial": ("fast", False), "paper": ("paper", False)}
    load_before = os.getloadavg()
    rates: dict[str, float] = {}
    for _ in range(2):
        for name, (recipe, warmup) in phases.items():
            rates[name] = max(rates.get(name, 0.0), steps_per_second(recipe, warmup, steps))
    result = {
        "steps_per_second": {k: round(v, 3) for k, v in rates.items()},
        "threads": torch.get_num_threads(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "cpu": _cpu_name(),
    }
    (OUT / "speed.json").write_text(json.dumps(result, indent=2))
    table = Table(
        "phase",
        "steps/s",
        title=f"training speed, {result['threads']} threads, {result['cpu']}, "
        f"load average {result['load_before'][0]} before, {result['load_after'][0]} after",
    )
    for name, rate in rates.items():
        table.add_row(name, f"{rate:.3f}")
    console.print(table)
    return result


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def training_seconds(recipe: str, step: int, rates: dict[str, float], warmup: int) -> float:
    """Wall time to reach `step` at the measured rates of each phase."""
    if recipe == "paper":
        return step / rates["paper"]
    return min(step, warmup) / rates["fast warm-up"] + max(0, step - warmup) / rates["fast adversarial"]


def report() -> None:
    """Held-out distance against training time for each recipe (and Griffin-Lim's), table and curve.png."""
    from distill_vocoder_hifigan.recipe import RECIPES as RECIPE_TABLE

    rates = speed()["steps_per_second"]
    griffinlim = baseline_distance()
    curves = {
        recipe: [json.loads(line) for line in (OUT / f"curve-{recipe}.jsonl").read_text().splitlines()]
        for recipe in RECIPES
        if (OUT / f"curve-{recipe}.jsonl").exists()
    }
    table = Table(
        "recipe",
        "step",
        "training time (h:mm)",
        "held-out distance",
        "level (dB)",
        title=(f"drums-rumpf held-out distance against training time; Griffin-Lim {griffinlim:.3f} (lower is better)"),
    )
    for recipe, rows in curves.items():
        warmup = RECIPE_TABLE[recipe].warmup_steps
        for row in rows:
            seconds = training_seconds(recipe, row["step"], rates, warmup)
            row["hours"] = seconds / 3600
            table.add_row(
                recipe,
                str(row["step"]),
                f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}",
                f"{row['held_out']:.3f}",
                f"{row['level_db']:+.1f}",
            )
    console.print(table)
    _plot(curves, griffinlim)


def _plot(curves: dict, griffinlim: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4))
    for recipe, rows in curves.items():
        axis.plot([r["hours"] for r in rows], [r["held_out"] for r in rows], marker=".", label=f"HiFi-GAN, {recipe}")
    axis.axhline(griffinlim, color="k", linestyle="--", label="Griffin-Lim")
    axis.axvline(2.0, color="grey", linestyle=":", label="2 hours")
    axis.set_xlabel("training time on this machine (hours; steps / measured steps per second)")
    axis.set_ylabel("held-out multi-res STFT distance")
    axis.set_xscale("symlog", linthresh=0.1)
    axis.legend()
    figure.tight_layout()
    figure.savefig(OUT / "curve.png", dpi=120)
    console.print(f"curve: {OUT / 'curve.png'}")


def baseline_distance() -> float:
    """Griffin-Lim's held-out distance (cached: it is deterministic)."""
    cache = OUT / "griffinlim.json"
    if cache.exists():
        return json.loads(cache.read_text())["held_out"]
    model = bench_model("fast")
    vocoder = select_vocoder(BASELINE, model, torch.device("cpu"))
    clips = held_out_clips(model)
    distance = sum(
        multires_stft_distance(w, vocoder.mel_to_waveform(waveform_to_mel(w[None], model.spectrogram), w.numel())[0])
        for w in clips
    ) / len(clips)
    cache.write_text(json.dumps({"held_out": round(distance, 4)}))
    return distance


def concatenated_visqol(held: list[Path], vocoders: dict, config: SpectrogramConfig) -> dict[str, str]:
    """ViSQOL v3 audio mode on all held-out one-shots in a row (each alone is too short for it)."""
    gap = torch.zeros(config.sample_rate // 5)
    pieces = {name: [] for name in ("original", *vocoders)}
    for path in held:
        wav = load_audio(path, config.sample_rate)
        mel = waveform_to_mel(wav[None], config)
        pieces["original"] += [wav, gap]
        for name, vocoder in vocoders.items():
            pieces[name] += [vocoder.mel_to_waveform(mel, num_samples=wav.numel())[0], gap]
    files = {
        name: write_audio(OUT / "visqol" / f"{name}.wav", torch.cat(p), config.sample_rate)
        for name, p in pieces.items()
    }
    return {name: visqol_moslqo(files["original"], files[name]) for name in vocoders}


def evaluate() -> None:
    """The product's verdict on each trained recipe, plus ViSQOL and a few rendered examples."""
    for recipe in RECIPES:
        model = bench_model(recipe)
        if model.vocoder_state_dict is None:
            console.print(f"{recipe}: not trained yet (`curve {recipe} STEPS`)")
            continue
        _, held = hold_out_recordings(model_training_audio(model))
        verdict = evaluate_vocoders(model, held, training_steps=(read_verdict(model) or {}).get("training_steps"))
        model.vocoder_evaluation = verdict
        save_model(model, model.path)
        vocoders = {name: select_vocoder(name, model, torch.device("cpu")) for name in ("hifigan", BASELINE)}
        visqol = concatenated_visqol(list(held.files), vocoders, model.spectrogram)
        table = Table(
            "vocoder",
            "multi-res STFT distance",
            "SNR (dB)",
            "level (dB)",
            "ViSQOL v3",
            "RTF",
            title=f"{recipe} recipe: {len(held)} held-out drums-rumpf recordings",
        )
        for name, row in verdict["results"].items():
            table.add_row(
                name,
                f"{row['multires_stft_distance']:.3f}",
                f"{row['snr_db']:.2f}",
                f"{row['level_difference_db']:+.1f}",
                visqol.get(name, "-"),
                f"{row['real_time_factor']:.1f}",
            )
        console.print(table)
        console.print(verdict["summary"])
        for path in list(held.files)[:3]:
            wav = load_audio(path, model.spectrogram.sample_rate)
            mel = waveform_to_mel(wav[None], model.spectrogram)
            write_audio(OUT / "examples" / f"{path.stem}-original.wav", wav, model.spectrogram.sample_rate)
            for name, vocoder in vocoders.items():
                out = vocoder.mel_to_waveform(mel, num_samples=wav.numel())[0]
                label = f"{name}-{recipe}" if name == "hifigan" else name
                write_audio(OUT / "examples" / f"{path.stem}-{label}.wav", out, model.spectrogram.sample_rate)
                console.print(f"{path.stem} {label}: {quality_report(out[None], model.spectrogram.sample_rate)}")


BEFORE = "56e07ad"  # the commit before this work: 1-D convolutions, 2048-frame chunks, glibc defaults


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
        title=(f"HiFi-GAN V2 rendering {seconds:g} s, {_cpu_name()}, load average {os.getloadavg()[0]:.1f} at start"),
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
        curve(args[0], int(args[1]), int(args[2]) if len(args) > 2 else 100)
    elif command == "speed":
        speed(int(args[0]) if args else 10)
    elif command == "report":
        report()
    elif command == "evaluate":
        evaluate()
    elif command == "inference":
        inference()
    elif command == "_rate":
        print(*render_rate(args[0], int(args[1]), float(args[2])))
    elif command == "short":
        OUT = OUT.with_name("hifigan-short")  # never mixed into the real curves
        OUT.mkdir(parents=True, exist_ok=True)
        for recipe in RECIPES:
            curve(recipe, 20, 10)
        report()
        evaluate()
        inference(2.0)
    else:
        sys.exit(f"unknown command {command!r}; see the docstring")
