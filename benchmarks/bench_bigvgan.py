"""BigVGAN-v2 benchmark on the real 44 kHz / 128-band / 512x configuration (random weights).

1. Speed on this CPU: real-time factor of our generator and of NVIDIA's (the `bigvgan`
   package, torch path, same weights and input), interleaved in one run, and their ratio,
   on one thread and on all of them.
2. Precision: fp32 and the opt-in bf16 path against NVIDIA's fp32 (time per round of 5
   interleaved rounds), and the spectral distance bf16 puts between itself and fp32.
3. Load time: the official checkpoint read and folded (as every load did before the cache,
   and as the first load still does, plus writing the cache) vs a load from the cache.
4. Peak memory of chunked vocoding at two lengths (each in a fresh process).
5. Mel adapter error per dataset (the measure in docs/benchmarks.md), and the naive log1p -> log swap for contrast.
"""

from __future__ import annotations

import copy
import glob
import json
import math
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from distill.audio.io import read_audio
from distill.vocoders import SpectrogramConfig, multires_stft_distance, resample, waveform_to_mel
from distill_vocoder_bigvgan import BigVGANConfig, BigVGANGenerator, adapt_mel, load_generator
from distill_vocoder_bigvgan.adapter import reference_mel
from distill_vocoder_bigvgan.generator import WEIGHTS_FILE, fold_weight_norm, read_config
from distill_vocoder_bigvgan.vocoder import vocode_in_chunks
from distill_vocoder_bigvgan.weights_cache import CACHE_FILE

REAL_CONFIG = BigVGANConfig().to_json()  # the published 44 kHz / 128-band / 512x values
DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
console = Console()


def official(config: dict):
    from bigvgan.bigvgan import BigVGAN
    from bigvgan.env import AttrDict

    torch.manual_seed(0)
    model = BigVGAN(AttrDict(dict(config)), use_cuda_kernel=False)
    return model


def _interleaved_times(
    models: list[tuple[str, torch.nn.Module]], mel: torch.Tensor, repeats: int
) -> dict[str, list[float]]:
    """Wall times per model and round, the models interleaved so drifting machine load hits all alike.

    Each model gets the mel in its own precision.
    """
    times: dict[str, list[float]] = {name: [] for name, _ in models}
    for _ in range(repeats):
        for name, model in models:
            start = time.perf_counter()
            model(mel.to(next(model.parameters()).dtype))
            times[name].append(time.perf_counter() - start)
    return times


def _best_times(models: list[tuple[str, torch.nn.Module]], mel: torch.Tensor, repeats: int) -> dict[str, float]:
    """Best wall time per model of `_interleaved_times`."""
    return {name: min(values) for name, values in _interleaved_times(models, mel, repeats).items()}


def _same_weights(folder: Path) -> tuple[BigVGANGenerator, torch.nn.Module]:
    """Ours loaded from a checkpoint of NVIDIA's model (random weights) written into `folder`, and that model."""
    reference = official(REAL_CONFIG)
    torch.save({"generator": reference.state_dict()}, folder / "bigvgan_generator.pt")
    (folder / "config.json").write_text(json.dumps(REAL_CONFIG))
    ours = load_generator(folder)
    reference.remove_weight_norm()
    return ours, reference.eval()


def speed(ours: BigVGANGenerator, reference: torch.nn.Module, seconds: float = 2.0, repeats: int = 3) -> Table:
    """Eager ours vs official on one thread and on all; torch.compile on all threads only."""
    frames = math.ceil(seconds * 44100 / 512)
    mel = torch.randn(1, 128, frames, generator=torch.Generator().manual_seed(0)) - 5
    all_threads = torch.get_num_threads()
    best: dict[str, float] = {}
    ratios = []
    with torch.inference_mode():
        diff = (ours(mel) - reference(mel)).abs().max().item()
        started = time.perf_counter()
        compiled = torch.compile(ours, dynamic=False)
        compiled(mel)
        compile_seconds = time.perf_counter() - started
        for threads in sorted({1, all_threads}):
            torch.set_num_threads(threads)
            models = [("ours", ours), ("official", reference)]
            if threads == all_threads:
                models.insert(1, ("ours, torch.compile", compiled))
            times = _best_times(models, mel, repeats)
            label = f"{threads} thread{'s' * (threads > 1)}"
            best.update({f"{name} ({label})": value for name, value in times.items()})
            ratio = f"{times['ours'] / times['official']:.3f} eager"
            if "ours, torch.compile" in times:
                ratio += f", {times['ours, torch.compile'] / times['official']:.3f} compiled"
            ratios.append(f"{label}: {ratio}")
        torch.set_num_threads(all_threads)
    audio = frames * 512 / 44100
    params = sum(p.numel() for p in ours.parameters())
    table = Table(
        "implementation",
        f"best of {repeats} (s)",
        "RTF (x real time)",
        title=(
            f"BigVGAN-v2 44k/128/512x ({params / 1e6:.1f} M params), {audio:.2f} s of audio, "
            f"{platform.machine()} CPU, torch {torch.__version__}"
        ),
    )
    for name, value in best.items():
        table.add_row(name, f"{value:.2f}", f"{audio / value:.3f}")
    table.caption = (
        f"ours / official time: {'; '.join(ratios)} (one-off compile {compile_seconds:.0f} s); "
        f"max |difference| = {diff:.2e}"
    )
    return table


def precision(
    ours: BigVGANGenerator, reference: torch.nn.Module, runs: int = 5, seconds: float = 1.0
) -> tuple[Table, Table]:
    """fp32 and bf16 (`DISTILL_BIGVGAN_PRECISION=bf16`) against NVIDIA's fp32: time, and what bf16 changes.

    Speed: `runs` interleaved rounds on a real mel of `seconds`, each implementation once per
    round; the ratios are per round, so their spread is the machine's, not a best-of pick.
    Quality: multi-resolution STFT log-magnitude distance (windows 128-2048) between the
    bf16 and the fp32 render of one real recording per shared set (4 s each), and for scale
    the same distance between two fp32 renders of mels 0.05 nats apart.
    """
    half = copy.deepcopy(ours).to(torch.bfloat16)
    config = SpectrogramConfig()
    clips = [_recordings(name, 1, 4.0)[0] for name in ("drums-rumpf", "drums-millo", "music", "sfx")]
    mels = {file: adapt_mel(waveform_to_mel(wav, config), config) for file, wav in clips}
    timed = max(mels.values(), key=lambda m: m.shape[-1])[..., : math.ceil(seconds * 44100 / 512)]
    with torch.inference_mode():
        times = _interleaved_times(
            [("ours fp32", ours), ("ours bf16", half), ("official fp32", reference)], timed, runs
        )
    speed_table = Table(
        "implementation",
        "min / median / max (s)",
        "time / official fp32, per round (min-max)",
        title=f"BigVGAN precision, {timed.shape[-1] * 512 / 44100:.2f} s of real audio, {runs} interleaved rounds, "
        f"{torch.get_num_threads()} threads",
    )
    for name, values in times.items():
        ratios = [t / o for t, o in zip(values, times["official fp32"], strict=True)]
        ordered = sorted(values)
        speed_table.add_row(
            name,
            f"{ordered[0]:.2f} / {ordered[len(ordered) // 2]:.2f} / {ordered[-1]:.2f}",
            f"{min(ratios):.3f}-{max(ratios):.3f}",
        )
    quality = Table(
        "recording",
        "bf16 vs fp32",
        "fp32, mel +0.05 nats vs fp32",
        "peak |bf16 - fp32|",
        title="What bf16 changes (random weights; multi-res STFT log-mag L1, 128-2048)",
    )
    with torch.inference_mode():
        for file, mel in mels.items():
            exact = vocode_in_chunks(ours, mel)
            reduced = vocode_in_chunks(half, mel)
            nudged = vocode_in_chunks(ours, mel + 0.05)
            quality.add_row(
                file,
                f"{multires_stft_distance(exact, reduced):.4f}",
                f"{multires_stft_distance(exact, nudged):.4f}",
                f"{(exact - reduced).abs().max().item():.2e}",
            )
    return speed_table, quality


def _uncached_load(folder: Path) -> torch.nn.Module:
    """What every load did before the cache: build (random init), unpickle, fold, copy in."""
    generator = BigVGANGenerator(read_config(folder))
    payload = torch.load(folder / WEIGHTS_FILE, map_location="cpu", weights_only=True)
    generator.load_state_dict(fold_weight_norm(payload["generator"]), strict=True)
    return generator.eval()


def _touch(generator: torch.nn.Module) -> None:
    """Read every weight once: a memory-mapped cache pays its page-ins here, not at load."""
    with torch.no_grad():
        sum(float(p.sum()) for p in generator.parameters())


def load_time(folder: Path, repeats: int = 3) -> Table:
    """Best of `repeats` per way of loading, interleaved; needs the real checkpoint already in `folder`."""
    cache = folder / CACHE_FILE

    def first_load() -> torch.nn.Module:
        cache.unlink(missing_ok=True)
        return load_generator(folder)

    ways = {
        "checkpoint read + folded (before the cache)": lambda: _uncached_load(folder),
        "first load: read + folded + cache written": first_load,
        "later load: from the cache": lambda: load_generator(folder),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for _ in range(repeats):
        for name, load in ways.items():
            start = time.perf_counter()
            generator = load()
            loaded = time.perf_counter() - start
            _touch(generator)
            times[name].append((loaded, time.perf_counter() - start))
            del generator
    table = Table(
        "load",
        f"best of {repeats} (s)",
        "+ every weight read once (s)",
        title=f"BigVGAN load time, real config ({(folder / WEIGHTS_FILE).stat().st_size / 2**20:.0f} MiB checkpoint)",
    )
    for name, values in times.items():
        table.add_row(name, f"{min(v[0] for v in values):.2f}", f"{min(v[1] for v in values):.2f}")
    return table


MEMORY_PROBE = """
import resource, sys, torch
from distill_vocoder_bigvgan import load_generator
from distill_vocoder_bigvgan.vocoder import vocode_in_chunks
generator = load_generator(sys.argv[1])
frames = int(float(sys.argv[2]) * 44100 / 512)
with torch.inference_mode():
    vocode_in_chunks(generator, torch.randn(1, 128, frames) - 5)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def memory(folder: Path, lengths: tuple[float, ...] = (16.0, 64.0)) -> Table:
    table = Table("audio (s)", "peak RSS (MiB)", title="Chunked BigVGAN vocoding, peak memory per process")
    for seconds in lengths:
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, str(folder), str(seconds)], capture_output=True, text=True, check=True
        )
        table.add_row(f"{seconds:g}", f"{float(out.stdout.strip()):.0f}")
    return table


TONES_HZ = (55.0, 110.0, 220.0, 440.0, 1000.0, 2500.0, 6000.0, 12000.0)


def _recordings(name: str, files_per_set: int, max_seconds: float) -> list[tuple[str, torch.Tensor]]:
    """(file name, mono 48 kHz `[1, samples]`) for the first files of a shared dataset."""
    paths = sorted(p for p in glob.glob(str(DATASETS / name / "*")) if p.endswith((".wav", ".flac", ".ogg", ".oga")))
    clips = []
    for path in paths[:files_per_set]:
        wav, rate = read_audio(Path(path))
        clips.append((Path(path).name, resample(wav.mean(0)[: int(max_seconds * rate)], rate, 48000)[None]))
    return clips


def _tones(seconds: float = 3.0) -> list[tuple[str, torch.Tensor]]:
    """Stationary sines at half scale: the adapter's hardest case (one partial inside a wide band)."""
    t = torch.arange(int(seconds * 48000), dtype=torch.float64) / 48000
    return [(f"sine {hz:g} Hz", (0.5 * torch.sin(2 * math.pi * hz * t)).float()[None]) for hz in TONES_HZ]


def _mel_distance(estimate: torch.Tensor, reference: torch.Tensor) -> float:
    """The adapter measure (docs/benchmarks.md): mean |estimate - reference| in nats where the reference > log(1e-4)."""
    n = min(estimate.shape[-1], reference.shape[-1])
    mask = reference[..., :n] > math.log(1e-4)
    return (estimate[..., :n] - reference[..., :n]).abs()[mask].mean().item()


def adapter_error(files_per_set: int = 8, max_seconds: float = 30.0) -> tuple[Table, Table]:
    """Per-set means and per-file figures, with the adapter's own time per second of audio."""
    config = SpectrogramConfig()
    sets = {
        name: _recordings(name, files_per_set, max_seconds) for name in ("music", "drums-rumpf", "drums-millo", "sfx")
    }
    sets["pure tones"] = _tones()
    summary = Table(
        "dataset",
        "files",
        "adapter (nats)",
        "naive log1p->log (nats)",
        title="Mel adapter: mean |adapted - BigVGAN's own mel| over bins above log(1e-4)",
    )
    per_file = Table("dataset", "file", "adapter (nats)", title="Mel adapter error per file")
    adapter_seconds = audio_seconds = 0.0
    for name, clips in sets.items():
        ours, naive = [], []
        for file, wav48 in clips:
            reference = reference_mel(resample(wav48, 48000, 44100))
            mel = waveform_to_mel(wav48, config)
            started = time.perf_counter()
            adapted = adapt_mel(mel, config)
            adapter_seconds += time.perf_counter() - started
            audio_seconds += wav48.shape[-1] / 48000
            ours.append(_mel_distance(adapted, reference))
            naive.append(_mel_distance(torch.log(torch.expm1(mel).clamp_min(1e-5)), reference))
            per_file.add_row(name, file, f"{ours[-1]:.3f}")
        summary.add_row(name, str(len(ours)), f"{sum(ours) / len(ours):.3f}", f"{sum(naive) / len(naive):.3f}")
    adapter_10s, render_10s = _render_share(sets["music"][0][1])
    summary.caption = (
        f"adapter time: {adapter_seconds / audio_seconds * 1000:.1f} ms per second of audio; for 10 s of mel "
        f"{adapter_10s * 1000:.0f} ms vs the generator's {render_10s:.1f} s = {adapter_10s / render_10s:.2%} "
        f"of the render ({torch.get_num_threads()} threads)"
    )
    return summary, per_file


def _render_share(wav48: torch.Tensor, seconds: float = 10.0) -> tuple[float, float]:
    """Adapter time (best of 3) and generator time (real config, random weights, chunked as the
    vocoder does) for the first `seconds` of a recording: what the adapter adds to a render."""
    config = SpectrogramConfig()
    mel = waveform_to_mel(wav48[:, : int(seconds * 48000)], config)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        adapted = adapt_mel(mel, config)
        times.append(time.perf_counter() - started)
    torch.manual_seed(0)
    generator = BigVGANGenerator(BigVGANConfig()).eval()
    with torch.inference_mode():
        started = time.perf_counter()
        vocode_in_chunks(generator, adapted)
        render = time.perf_counter() - started
    return min(times), render


SECTIONS = ("adapter", "speed", "precision", "load", "memory")


def main() -> None:
    """`python benchmarks/bench_bigvgan.py [SECTION ...]`: all of `SECTIONS` by default."""
    chosen = sys.argv[1:] or SECTIONS
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        sys.exit(f"Unknown section {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}.")
    if "adapter" in chosen:
        console.print(*adapter_error())
    if set(chosen) == {"adapter"}:
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours, reference = _same_weights(folder)  # and the checkpoint in `folder` that load and memory read
        if "speed" in chosen:
            console.print(speed(ours, reference))
        if "precision" in chosen:
            console.print(*precision(ours, reference))
        if "load" in chosen:
            console.print(load_time(folder))
        if "memory" in chosen:
            console.print(memory(folder))


if __name__ == "__main__":
    main()
