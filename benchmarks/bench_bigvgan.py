"""BigVGAN-v2 benchmark on the real 44 kHz / 128-band / 512x configuration (random weights).

1. Speed on this CPU: real-time factor of our generator and of NVIDIA's (the `bigvgan`
   package, torch path, same weights and input), interleaved in one run, and their ratio,
   on one thread and on all of them.
2. Peak memory of chunked vocoding at two lengths (each in a fresh process).
3. Mel adapter error per dataset (DESIGN §3), and the naive log1p -> log swap for contrast.
"""

from __future__ import annotations

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
from distill.vocoders import SpectrogramConfig, resample, waveform_to_mel
from distill_vocoder_bigvgan import BigVGANConfig, adapt_mel, load_generator
from distill_vocoder_bigvgan.adapter import reference_mel

REAL_CONFIG = BigVGANConfig().to_json()  # the published 44 kHz / 128-band / 512x values
DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
console = Console()


def official(config: dict):
    from bigvgan.bigvgan import BigVGAN
    from bigvgan.env import AttrDict

    torch.manual_seed(0)
    model = BigVGAN(AttrDict(dict(config)), use_cuda_kernel=False)
    return model


def _best_times(models: list[tuple[str, torch.nn.Module]], mel: torch.Tensor, repeats: int) -> dict[str, float]:
    """Best wall time per model, the models interleaved so drifting machine load hits all alike."""
    times: dict[str, list[float]] = {name: [] for name, _ in models}
    for _ in range(repeats):
        for name, model in models:
            start = time.perf_counter()
            model(mel)
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}


def speed(folder: Path, seconds: float = 2.0, repeats: int = 3) -> Table:
    """Eager ours vs official on one thread and on all; torch.compile on all threads only."""
    reference = official(REAL_CONFIG)
    torch.save({"generator": reference.state_dict()}, folder / "bigvgan_generator.pt")
    (folder / "config.json").write_text(json.dumps(REAL_CONFIG))
    ours = load_generator(folder)
    reference.remove_weight_norm()
    reference.eval()
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


def adapter_error(files_per_set: int = 8, max_seconds: float = 30.0) -> Table:
    config = SpectrogramConfig()
    table = Table(
        "dataset",
        "files",
        "adapter (nats)",
        "naive log1p->log (nats)",
        title="Mel adapter: mean |adapted - BigVGAN's own mel| over bins above log(1e-4)",
    )
    for name in ("music", "drums-rumpf", "drums-millo", "sfx"):
        paths = sorted(
            p for p in glob.glob(str(DATASETS / name / "*")) if p.endswith((".wav", ".flac", ".ogg", ".oga"))
        )
        ours, naive = [], []
        for path in paths[:files_per_set]:
            wav, rate = read_audio(Path(path))
            wav48 = resample(wav.mean(0)[: int(max_seconds * rate)], rate, 48000)[None]
            reference = reference_mel(resample(wav48, 48000, 44100))
            mel = waveform_to_mel(wav48, config)
            for store, estimate in (
                (ours, adapt_mel(mel, config)),
                (naive, torch.log(torch.expm1(mel).clamp_min(1e-5))),
            ):
                n = min(estimate.shape[-1], reference.shape[-1])
                mask = reference[..., :n] > math.log(1e-4)
                store.append((estimate[..., :n] - reference[..., :n]).abs()[mask].mean().item())
        table.add_row(name, str(len(ours)), f"{sum(ours) / len(ours):.3f}", f"{sum(naive) / len(naive):.3f}")
    return table


def main() -> None:
    console.print(adapter_error())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        console.print(speed(folder))
        console.print(memory(folder))


if __name__ == "__main__":
    main()
