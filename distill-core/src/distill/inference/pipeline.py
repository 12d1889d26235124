"""Generation: slider point -> a slow latent walk -> decoded, crossfaded mel -> vocoder -> audio."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from distill.audio.io import load_audio
from distill.audio.resampling import resample
from distill.audio.spectrogram import SpectrogramConfig, waveform_to_mel
from distill.controls.analysis import LatentAnalysis
from distill.data.validation import sample_problem
from distill.errors import DistillError
from distill.inference.blending import compatible
from distill.inference.chunking import chunk_count, overlap_add
from distill.models.format import DistillModel
from distill.models.vae import build_vae
from distill.vocoders.types import Vocoder, fit_length

WALK_CORRELATION = 0.85  # how much each chunk's latent keeps of the previous one's offset
WALK_SPREAD = 0.35  # stationary size of the walk, in units of the collection's latent spread
MAX_SECONDS = 3600.0


def latent_walk(analysis: LatentAnalysis, sliders: Mapping[int, float], count: int, seed: int) -> torch.Tensor:
    """`count` latents `[count, latent_dim]` wandering around the slider point, seeded."""
    g = torch.Generator().manual_seed(seed)
    centre = analysis.to_latent(sliders)
    spread = torch.tensor(analysis.spread or [1.0] * centre.numel())
    innovation = (1 - WALK_CORRELATION**2) ** 0.5
    offset = torch.randn(centre.shape, generator=g)
    walk = []
    for _ in range(count):
        walk.append(centre + WALK_SPREAD * spread * offset)
        offset = WALK_CORRELATION * offset + innovation * torch.randn(centre.shape, generator=g)
    return torch.stack(walk)


def vocode(vocoder: Vocoder, mel: torch.Tensor, num_samples: int, config: SpectrogramConfig) -> torch.Tensor:
    """`[B, n_mels, frames] -> [B, num_samples]` through `vocoder`.

    A mel of a few milliseconds is shorter than a vocoder's own STFT window, so it is
    padded with silence (log1p 0) to a workable length and the result trimmed.
    """
    minimum = config.n_fft // config.hop_length + 2
    if mel.shape[-1] >= minimum:
        return vocoder.mel_to_waveform(mel, num_samples=num_samples)
    padded = torch.nn.functional.pad(mel, (0, minimum - mel.shape[-1]))
    return vocoder.mel_to_waveform(padded, num_samples=minimum * config.hop_length)[..., :num_samples]


@torch.inference_mode()
def decode_walk(
    model: DistillModel, total_frames: int, seed: int, sliders: Mapping[int, float], device: torch.device | str
) -> torch.Tensor:
    """The model's mel `[n_mels, total_frames]`: a seeded latent walk, decoded, crossfaded."""
    if model.latent_analysis is None:
        raise DistillError(f"Model '{model.name}' has no latent analysis; retrain it with `distill train`.")
    analysis = LatentAnalysis.from_dict(model.latent_analysis)
    vae = build_vae(model, device)
    length = vae.config.segment_frames
    hop = length // 2
    latents = latent_walk(analysis, sliders, chunk_count(total_frames, length, hop), seed).to(device)
    segments = torch.cat([vae.decode(latents[i : i + 16]) for i in range(0, latents.shape[0], 16)])
    return overlap_add(segments, hop, total_frames)


@torch.inference_mode()
def generate(
    model: DistillModel,
    *,
    duration: float,
    seed: int,
    sliders: Mapping[int, float],
    vocoder: Vocoder,
    device: torch.device | str = "cpu",
    blend: tuple[DistillModel, float, Vocoder | None] | None = None,
) -> torch.Tensor:
    """Mono float32 `[samples]` at the model's rate, exactly `round(duration * rate)` long.

    `blend` = (other model, its share 0-1, a vocoder for it when the two are not
    compatible): see `distill.inference.blending` for the rule. Deterministic: the same
    model, seed, sliders, blend and vocoder give bit-identical audio.
    """
    if not 0 < duration <= MAX_SECONDS:
        raise DistillError(f"Duration must be between 0 and {MAX_SECONDS:g} seconds, not {duration:g}.")
    config = model.spectrogram
    num_samples = round(duration * config.sample_rate)
    mel = decode_walk(model, config.num_frames(num_samples), seed, sliders, device)
    if blend is not None and compatible(model, blend[0]):
        other, share, _ = blend
        mel = (1 - share) * mel + share * decode_walk(other, mel.shape[-1], seed, {}, device)
    audio = vocode(vocoder, mel[None], num_samples, config)[0].float().cpu()
    if blend is not None and not compatible(model, blend[0]):
        other, share, other_vocoder = blend
        if other_vocoder is None:
            raise DistillError(f"Blending with '{other.name}' needs a vocoder for it (the models are not compatible).")
        rate = other.spectrogram.sample_rate
        other_audio = generate(other, duration=duration, seed=seed, sliders={}, vocoder=other_vocoder, device=device)
        audio = (1 - share) * audio + share * fit_length(resample(other_audio, rate, config.sample_rate), num_samples)
    return audio


def load_for_resynthesis(audio_path: Path, config: SpectrogramConfig) -> torch.Tensor:
    """A real recording as mono `[samples]` at the model's rate; one sentence if unusable."""
    wav = load_audio(Path(audio_path), config.sample_rate)
    if wav.numel() == 0:
        raise DistillError(f"{audio_path} contains no audio.")
    problem = sample_problem(wav)
    if problem is not None:
        raise DistillError(f"{audio_path} cannot be resynthesised: it {problem}.")
    return wav


@torch.inference_mode()
def resynthesise(wav: torch.Tensor, config: SpectrogramConfig, vocoder: Vocoder) -> torch.Tensor:
    """Analysis-resynthesis: `[samples]` through the model's mel and back through `vocoder`."""
    mel = waveform_to_mel(wav[None], config)
    return vocode(vocoder, mel, wav.numel(), config)[0].float().cpu()
