"""Hook implementations: above Griffin-Lim whenever the weights are here or can be fetched."""

from __future__ import annotations

import os

import torch

from distill.vocoders import VocoderUnavailable, hookimpl, model_spectrogram_config
from distill_vocoder_bigvgan.download import describe, ensure_weights

NAME = "bigvgan"
COMPILE_SWITCH = "DISTILL_BIGVGAN_COMPILE"
PRECISION_SWITCH = "DISTILL_BIGVGAN_PRECISION"  # fp32 (default), bf16 (CPUs with native bf16, CUDA), fp16 (CUDA)
PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
PRIORITY = 200


@hookimpl
def vocoder_priority(model):
    """Always a candidate, even offline without weights: loading then fails with the hand-placement
    hint, so `auto` warns once, naming the folder, before falling back to Griffin-Lim."""
    return PRIORITY


@hookimpl
def load_vocoder(name, model, device, progress):
    if name != NAME:
        return None
    from distill_vocoder_bigvgan.vocoder import BigVGANVocoder

    folder = ensure_weights(progress)
    generator = _load(folder, device, progress)
    generator = generator.to(precision(device))
    if os.environ.get(COMPILE_SWITCH, "").strip() in ("1", "true", "yes"):
        # About 5 % faster on a 2-core CPU once compiled (bench_bigvgan.py), but compiling takes 40-110 s:
        # worth it for long renders only.
        generator = torch.compile(generator, dynamic=False)
    return BigVGANVocoder(generator, model_spectrogram_config(model))


@hookimpl
def vocoder_assets(name):
    """The weights' state: a 489 MB download on first use, or ready (with what the folder holds)."""
    return describe() if name == NAME else None


@hookimpl
def fetch_vocoder_assets(name, progress, should_stop):
    """Download the weights now and prepare them for this machine, so the first render waits for neither."""
    if name != NAME:
        return None
    _load(ensure_weights(progress, should_stop), "cpu", progress)
    return describe()


def _load(folder, device, progress):
    """The generator from `folder`, one sentence if the files there are not a whole checkpoint."""
    from distill_vocoder_bigvgan.generator import load_generator

    try:
        return load_generator(folder, device, progress)
    except Exception as exc:
        raise VocoderUnavailable(
            f"The BigVGAN weights in {folder} are damaged or incomplete ({type(exc).__name__}); "
            "delete the folder to download them again, or replace the two files by hand."
        ) from exc


def precision(device: torch.device | str) -> torch.dtype:
    """The generator's dtype: fp32 unless `DISTILL_BIGVGAN_PRECISION` asks for less and `device` has it.

    Opt-in only: bench_bigvgan.py measures the speed and the spectral distance to fp32,
    and with random weights that cost cannot be judged audible or not (see the README).
    """
    asked = os.environ.get(PRECISION_SWITCH, "fp32").strip().lower() or "fp32"
    if asked not in PRECISIONS:
        raise VocoderUnavailable(f"{PRECISION_SWITCH}={asked} is not a precision; use one of {', '.join(PRECISIONS)}.")
    on_cuda = torch.device(device).type == "cuda"
    if asked == "fp16" and not on_cuda:
        raise VocoderUnavailable(f"{PRECISION_SWITCH}=fp16 needs a CUDA device; on a CPU use bf16.")
    if asked == "bf16" and not on_cuda and not _cpu_has_bf16():
        raise VocoderUnavailable(f"{PRECISION_SWITCH}=bf16 needs a CPU with native bf16 (avx512_bf16 or AMX).")
    return PRECISIONS[asked]


def _cpu_has_bf16() -> bool:
    check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    return bool(check is not None and check())
