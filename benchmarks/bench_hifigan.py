"""Per-model HiFi-GAN on drums-rumpf against Griffin-Lim (DESIGN §9).

`python benchmarks/bench_hifigan.py train STEPS` trains (resumable) on all but every 10th
recording; `python benchmarks/bench_hifigan.py evaluate` analysis-resynthesises the held-out
recordings with both vocoders and prints the table; with no argument, both in turn with a
short budget. Rendered examples land in bench-output/hifigan/.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from distill.audio.compare import multires_stft_distance, snr_db, visqol_moslqo
from distill.audio.io import load_audio, write_audio
from distill.audio.quality import quality_report
from distill.data.discovery import find_audio_files
from distill.models.format import DistillModel, load_model, save_model
from distill.vocoders import SpectrogramConfig, select_vocoder, waveform_to_mel
from distill.vocoders.training import model_training_audio, train_model_vocoder
from distill_vocoder_hifigan import Generator, HiFiGANConfig

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "drums-rumpf"
OUT = ROOT / "bench-output" / "hifigan"
MODEL_PATH = OUT / "rumpf-vocoder.distill"
console = Console()


def split() -> tuple[list[Path], list[Path]]:
    files = find_audio_files(DATA)
    held = files[::10]
    return [f for f in files if f not in held], held


def train(steps: int) -> None:
    train_files, _ = split()
    OUT.mkdir(parents=True, exist_ok=True)
    if MODEL_PATH.exists():
        model = load_model(MODEL_PATH)
    else:
        model = DistillModel(
            name="rumpf-vocoder",
            vae_config={},
            vae_state_dict={},
            metadata={"dataset": {"root": str(DATA), "files": [str(f.relative_to(DATA)) for f in train_files]}},
        )
        save_model(model, MODEL_PATH)
    run_dir = OUT / "run"
    config = {
        "run_dir": str(run_dir),
        "max_steps": steps,
        "batch_size": 4,
        "resume": (run_dir / "checkpoint.pt").exists(),
        "model_overrides": {"discriminator_width": 4},
        "checkpoint_every": 100,
        "preview_every": 500,
    }
    started = time.perf_counter()
    last = {}

    def log(event) -> None:
        last.update(event.metrics, step=event.completed)
        if event.completed % 25 == 0:
            console.print(
                f"step {event.completed}/{event.total} " + " ".join(f"{k} {v:.3f}" for k, v in event.metrics.items())
            )

    train_model_vocoder(model, "hifigan", model_training_audio(model), config, log)
    console.print(f"trained to step {last.get('step')} in {time.perf_counter() - started:.0f} s this session")


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
    _, held = split()
    model = load_model(MODEL_PATH)
    config: SpectrogramConfig = model.spectrogram
    vocoders = {name: select_vocoder(name, model, torch.device("cpu")) for name in ("hifigan", "griffinlim")}
    rows = {name: {"mrstft": [], "snr": [], "seconds": 0.0, "audio": 0.0} for name in vocoders}
    for path in held:
        wav = load_audio(path, config.sample_rate)
        mel = waveform_to_mel(wav[None], config)
        for name, vocoder in vocoders.items():
            start = time.perf_counter()
            out = vocoder.mel_to_waveform(mel, num_samples=wav.numel())[0]
            rows[name]["seconds"] += time.perf_counter() - start
            rows[name]["audio"] += wav.numel() / config.sample_rate
            rows[name]["mrstft"].append(multires_stft_distance(wav, out))
            rows[name]["snr"].append(snr_db(wav, out))
            if path in held[:3]:
                write_audio(OUT / "examples" / f"{path.stem}-{name}.wav", out, config.sample_rate)
                report = quality_report(out[None], config.sample_rate)
                console.print(f"{path.stem} {name}: {report}")
        if path in held[:3]:
            write_audio(OUT / "examples" / f"{path.stem}-original.wav", wav, config.sample_rate)
    visqol = concatenated_visqol(held, vocoders, config)
    generator = Generator(HiFiGANConfig.from_dict(model.vocoder_config), weight_norm=False)
    table = Table(
        "vocoder",
        "multi-res STFT log-mag L1 (lower is better)",
        "SNR (dB)",
        "ViSQOL v3 audio (MOS-LQO)",
        "RTF on this CPU",
        title=f"drums-rumpf, {len(held)} held-out recordings, analysis-resynthesis at 48 kHz "
        f"(HiFi-GAN V2: {sum(p.numel() for p in generator.parameters()):,} parameters)",
    )
    for name, row in rows.items():
        table.add_row(
            name,
            f"{sum(row['mrstft']) / len(held):.3f}",
            f"{sum(row['snr']) / len(held):.2f}",
            visqol[name],
            f"{row['audio'] / row['seconds']:.1f}",
        )
    console.print(table)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "both"
    if command in ("train", "both"):
        train(int(sys.argv[2]) if len(sys.argv) > 2 else 200)
    if command in ("evaluate", "both"):
        evaluate()
