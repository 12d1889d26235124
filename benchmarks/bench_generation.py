"""Do generated sounds resemble their collection? (docs/benchmarks.md, generation quality)

For each shared collection: train with the defaults (timed), generate 40 sounds rendered
with Griffin-Lim, and score them against the collection's own files with
`generation_metrics`. Two reference rows per drum kit calibrate the scale: Griffin-Lim
analysis-resynthesis of 40 of the kit's own files (the ceiling with that vocoder) and 40
files of the other kit (what "a different kit" scores). Long recordings (music) are
compared as 4-second excerpts. Renders and spectrograms land in bench-output/generation/.

`python benchmarks/bench_generation.py [drums-rumpf drums-millo music demo]` (`demo`: the
embedded collection `distill demo` trains on, with its preset).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import matplotlib
import torch
from generation_metrics import GenerationScores, features, score
from rich.console import Console
from rich.table import Table

from distill.audio.export import ExportSettings
from distill.audio.io import load_audio
from distill.controls.analysis import LatentAnalysis
from distill.controls.features import mel_features
from distill.data.discovery import find_audio_files
from distill.data.synthetic import write_demo_collection
from distill.host.selector import select_vocoder
from distill.inference.outputs import generate_files
from distill.training.runner import train_model
from distill.vocoders import SpectrogramConfig, waveform_to_mel

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
OUT = ROOT / "bench-output" / "generation"
RATE = 48000
COUNT = 40
EXCERPT_SECONDS = 4.0
OTHER_KIT = {"drums-rumpf": "drums-millo", "drums-millo": "drums-rumpf"}
console = Console(width=200)


def collection_folder(name: str) -> Path:
    """A shared dataset, or `demo`: the embedded demo collection, synthesised once into bench-output."""
    if name != "demo":
        return DATASETS / name
    folder = OUT / "demo-collection"
    if not folder.is_dir():
        write_demo_collection(folder)
    return folder


def real_sounds(name: str) -> list[torch.Tensor]:
    """A collection's files; long recordings cut into 4-second excerpts."""
    sounds = []
    for path in find_audio_files(collection_folder(name)):
        wav = load_audio(path, RATE)
        step = round(EXCERPT_SECONDS * RATE)
        if wav.numel() <= 2 * step:
            sounds.append(wav)
        else:
            sounds.extend(wav[start : start + step] for start in range(0, wav.numel() - step + 1, step))
    return sounds


def pick(sounds: list[torch.Tensor], count: int, seed: int = 0) -> list[torch.Tensor]:
    order = torch.randperm(len(sounds), generator=torch.Generator().manual_seed(seed))
    return [sounds[i] for i in order[:count].tolist()]


def resynthesised(sounds: list[torch.Tensor]) -> list[torch.Tensor]:
    vocoder = select_vocoder("griffinlim", None, torch.device("cpu"))
    config = SpectrogramConfig()
    return [vocoder.mel_to_waveform(waveform_to_mel(w[None], config), num_samples=w.numel())[0] for w in sounds]


def feature_matrix(sounds: list[torch.Tensor]) -> torch.Tensor:
    return torch.stack([features(w) for w in sounds])


def spectrograms(path: Path, rows: dict[str, list[torch.Tensor]]) -> None:
    """A grid of mel spectrograms in dB, one row per set, each relative to its own peak."""
    config = SpectrogramConfig()
    columns = max(len(v) for v in rows.values())
    fig, axes = plt.subplots(len(rows), columns, figsize=(2.4 * columns, 2.2 * len(rows)), squeeze=False)
    for r, (label, sounds) in enumerate(rows.items()):
        for c, ax in enumerate(axes[r]):
            ax.set_axis_off()
            if c >= len(sounds):
                continue
            power = torch.expm1(waveform_to_mel(sounds[c][None], config)[0]).clamp_min(1e-10)
            db = 10 * torch.log10(power / power.max())
            ax.imshow(db, origin="lower", aspect="auto", vmin=-70, vmax=0, cmap="magma")
            ax.set_title(f"{label} {sounds[c].numel() / RATE:.2f} s", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def bench_collection(name: str, table: Table) -> None:
    out = OUT / name
    out.mkdir(parents=True, exist_ok=True)
    real = real_sounds(name)
    real_features = feature_matrix(real)
    started = time.perf_counter()
    preset = "demo" if name == "demo" else "auto"
    model = train_model(collection_folder(name), f"bench-{name}", preset=preset, overwrite=True)
    train_seconds = time.perf_counter() - started
    records = generate_files(
        model, COUNT, EXCERPT_SECONDS, "griffinlim", 0, {}, ExportSettings(), out / "renders", torch.device("cpu")
    )
    generated = [load_audio(Path(r["path"]), RATE) for r in records]
    scores = score(real_features, feature_matrix(generated))
    diagnostics = model.metadata.get("diagnostics", {})
    ceiling = score(real_features, feature_matrix(resynthesised(pick(real, COUNT))))
    add_row(table, name, "generated (defaults)", scores, diagnostics, train_seconds, records)
    add_row(table, name, "ceiling: Griffin-Lim resynthesis of 40 of its files", ceiling)
    if name in OTHER_KIT:
        other = score(real_features, feature_matrix(pick(real_sounds(OTHER_KIT[name]), COUNT)))
        add_row(table, name, f"reference: 40 files of {OTHER_KIT[name]}", other)
    copies = sum(1 for d in nearest_distances(real_features, generated) if d < ceiling.nearest_real)
    console.print(
        f"{name}: {copies} of {COUNT} generated sounds are closer to a real file than a Griffin-Lim "
        f"resynthesis typically is (median {ceiling.nearest_real:.3f}); closest {scores.closest_copy:.3f}."
    )
    spectrograms(out / "spectrograms.png", {"real": pick(real, 8, seed=1), "generated": generated[:8]})
    slider_effects(model, out / "sliders")


def slider_effects(model, folder: Path, seeds: int = 8) -> None:
    """Does each named slider move its feature in the rendered audio? Low vs high end, same seeds.

    Measured on the Griffin-Lim renders (loudness before peak normalisation, from the gain the
    quality report records), so it is what a listener gets, not what the VAE decoded.
    """
    table = Table("slider", "low end", "high end", "change", title=f"{model.name}: sliders, rendered, {seeds} seeds")
    config = SpectrogramConfig()
    for slider in LatentAnalysis.from_dict(model.latent_analysis).sliders:
        ends = []
        for value in (slider.minimum, slider.maximum):
            records = generate_files(
                model,
                seeds,
                EXCERPT_SECONDS,
                "griffinlim",
                100,
                {slider.index: value},
                ExportSettings(),
                folder / f"{slider.index}-{value:+g}",
                torch.device("cpu"),
            )
            values = []
            for r in records:
                mel = waveform_to_mel(load_audio(Path(r["path"]), RATE)[None], config)
                feature = slider.name if slider.name in mel_features(mel, config) else "loudness"
                measured = float(mel_features(mel, config)[feature][0])
                values.append(measured - r["quality"]["gain_db"] if feature == "loudness" else measured)
            ends.append(sum(values) / len(values))
        table.add_row(f"{slider.index} {slider.name}", f"{ends[0]:.3f}", f"{ends[1]:.3f}", f"{ends[1] - ends[0]:+.3f}")
    console.print(table)


def nearest_distances(real_features: torch.Tensor, generated: list[torch.Tensor]) -> list[float]:
    from generation_metrics import standardise

    real, fake = standardise(real_features.double(), feature_matrix(generated).double())
    return torch.cdist(fake, real).min(1).values.tolist()


def add_row(
    table: Table,
    name: str,
    what: str,
    scores: GenerationScores,
    diagnostics: dict | None = None,
    train_seconds: float | None = None,
    records: list[dict] | None = None,
) -> None:
    diagnostics = diagnostics or {}
    units = f"{diagnostics['active_units']}/{diagnostics['latent_dim']}" if "active_units" in diagnostics else ""
    recon = (
        f"{diagnostics['recon']:.3f} / {diagnostics['mean_baseline']:.3f} / {diagnostics['silence_baseline']:.3f}"
        if "recon" in diagnostics
        else ""
    )
    quiet = sum(1 for r in records or [] if (r["quality"].get("near_silent") or r["quality"].get("silent")))
    table.add_row(
        name,
        what,
        f"{scores.coverage:.2f}",
        f"{scores.density:.2f}",
        f"{scores.mmd_ratio:.2f}",
        f"{scores.spread:.2f}",
        units,
        recon,
        f"{train_seconds:.0f}" if train_seconds is not None else "",
        str(quiet) if records is not None else "",
    )


def main() -> None:
    names = sys.argv[1:] or ["drums-rumpf", "drums-millo", "music", "demo"]
    torch.manual_seed(0)
    table = Table(
        "collection",
        "sounds",
        "coverage",
        "density",
        "MMD² ratio",
        "spread",
        "active units",
        "held-out recon / mean seg. / silence",
        "train (s)",
        "near-silent",
        title=f"Generation vs collection ({COUNT} sounds, Griffin-Lim, torch threads {torch.get_num_threads()})",
    )
    with tempfile.TemporaryDirectory() as home:
        os.environ["DISTILL_HOME"] = home
        for name in names:
            bench_collection(name, table)
    console.print(table)


if __name__ == "__main__":
    main()
