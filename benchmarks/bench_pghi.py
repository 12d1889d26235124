"""The example PGHI plugin against Griffin-Lim on real recordings (measures: docs/benchmarks.md).

Analysis-resynthesis at 48 kHz of recordings from every shared data set (every 10th
drum one-shot, every 5th sound-theme file, the first 10 s of each music track): the
multi-resolution STFT log-magnitude distance with windows 128-2048, waveform SNR, ViSQOL
v3 on each vocoder's renders in a row, and speed: the real-time factor (audio seconds per
wall second; both vocoders timed on the same file one after the other, so machine load
hits both alike) and audio seconds per CPU second of this process (all threads), which
another job on the machine barely moves. Also PGHI without
its Griffin-Lim steps, to show what each half does. Rendered examples and spectrograms
land in bench-output/pghi/.
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib
import torch
from distill_vocoder_pghi import PGHIVocoder
from rich.console import Console
from rich.table import Table

from distill.audio.io import load_audio, write_audio
from distill.audio.metrics import multires_stft_distance, snr_db, visqol_moslqo
from distill.audio.quality import quality_report
from distill.data.discovery import find_audio_files
from distill.host.selector import select_vocoder
from distill.vocoders import SpectrogramConfig, waveform_to_mel

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets"
OUT = ROOT / "bench-output" / "pghi"
SETS = {"drums-rumpf": 10, "drums-millo": 10, "music": 1, "sfx": 5}  # every n-th file
MAX_SECONDS = 10.0
LABELS = {
    "griffinlim": "griffinlim (64 it.)",
    "pghi": "pghi (+16 fast Griffin-Lim it.)",
    "pghi-alone": "pghi alone (no Griffin-Lim)",
}
console = Console()


def held_out() -> dict[str, list[Path]]:
    return {name: find_audio_files(DATA / name)[::step] for name, step in SETS.items()}


def spectrograms(renders: dict[str, torch.Tensor], rate: int, path: Path) -> None:
    """Short-window (256-point) spectrograms stacked, so smeared or doubled attacks show."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(renders), 1, figsize=(12, 2.6 * len(renders)), sharex=True)
    for ax, (name, wav) in zip(axes, renders.items(), strict=True):
        spec = torch.stft(wav, 256, 64, window=torch.hann_window(256), return_complex=True).abs()
        ax.imshow(
            20 * torch.log10(spec.clamp_min(1e-5)).numpy(),
            origin="lower",
            aspect="auto",
            vmin=-100,
            vmax=0,
            cmap="magma",
            extent=(0, wav.numel() / rate, 0, rate / 2000),
        )
        ax.set_title(name)
        ax.set_ylabel("kHz")
    axes[-1].set_xlabel("s")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=70)
    plt.close(fig)


def main() -> None:
    config = SpectrogramConfig()
    cpu = torch.device("cpu")
    vocoders = {  # file label -> vocoder
        "griffinlim": select_vocoder("griffinlim", None, cpu),
        "pghi": select_vocoder("pghi", None, cpu),
        "pghi-alone": PGHIVocoder(config, iterations=0),
    }
    sets = held_out()
    scores = {
        (s, v): {"mrstft": [], "snr": [], "seconds": 0.0, "cpu": 0.0, "audio": 0.0} for s in sets for v in vocoders
    }
    gap = torch.zeros(config.sample_rate // 5)
    rows_in_a_row = {name: [] for name in ("original", *vocoders)}
    for set_name, files in sets.items():
        for index, path in enumerate(files):
            wav = load_audio(path, config.sample_rate)[: round(MAX_SECONDS * config.sample_rate)]
            mel = waveform_to_mel(wav[None], config)
            renders = {"original": wav}
            for name, vocoder in vocoders.items():
                start, cpu_start = time.perf_counter(), time.process_time()
                out = vocoder.mel_to_waveform(mel, num_samples=wav.numel())[0]
                row = scores[set_name, name]
                row["seconds"] += time.perf_counter() - start
                row["cpu"] += time.process_time() - cpu_start
                row["audio"] += wav.numel() / config.sample_rate
                row["mrstft"].append(multires_stft_distance(wav, out))
                row["snr"].append(snr_db(wav, out))
                renders[name] = out
            for name, audio in renders.items():
                rows_in_a_row[name] += [audio, gap]
            if index == 0:
                for name, audio in renders.items():
                    write_audio(OUT / "examples" / f"{set_name}-{path.stem}-{name}.wav", audio, config.sample_rate)
                    console.print(f"{set_name}/{path.name} {name}: {quality_report(audio[None], config.sample_rate)}")
                excerpt = {k: v[: round(min(2.0, MAX_SECONDS) * config.sample_rate)] for k, v in renders.items()}
                spectrograms(excerpt, config.sample_rate, OUT / "spectrograms" / f"{set_name}-{path.stem}.png")
    together = {
        name: write_audio(OUT / "visqol" / f"{name}.wav", torch.cat(p), config.sample_rate)
        for name, p in rows_in_a_row.items()
    }
    visqol = {name: visqol_moslqo(together["original"], together[name]) for name in vocoders}
    table = Table(
        "set (files)",
        "vocoder",
        "multi-res STFT log-mag L1 (128-2048; lower is better)",
        "SNR (dB)",
        "RTF (wall)",
        "audio s per CPU s",
        title=f"Analysis-resynthesis at 48 kHz, torch {torch.__version__}, {torch.get_num_threads()} threads",
    )
    for set_name, files in sets.items():
        for name in vocoders:
            row = scores[set_name, name]
            table.add_row(
                f"{set_name} ({len(files)})",
                LABELS[name],
                f"{sum(row['mrstft']) / len(files):.3f}",
                f"{sum(row['snr']) / len(files):.2f}",
                f"{row['audio'] / row['seconds']:.2f}",
                f"{row['audio'] / row['cpu']:.2f}",
            )
    for name in vocoders:
        rows = [scores[s, name] for s in sets]
        count = sum(len(r["mrstft"]) for r in rows)
        table.add_row(
            f"all ({count})",
            LABELS[name],
            f"{sum(sum(r['mrstft']) for r in rows) / count:.3f}",
            f"{sum(sum(r['snr']) for r in rows) / count:.2f}",
            f"{sum(r['audio'] for r in rows) / sum(r['seconds'] for r in rows):.2f}",
            f"{sum(r['audio'] for r in rows) / sum(r['cpu'] for r in rows):.2f}",
        )
    console.print(table)
    scores = ", ".join(f"{LABELS[k]} {v}" for k, v in visqol.items())
    console.print(f"ViSQOL v3 audio (MOS-LQO), every render in a row: {scores}")


if __name__ == "__main__":
    main()
