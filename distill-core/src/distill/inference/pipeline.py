"""Generation: latents near the collection's sounds -> decoded mel -> vocoder -> audio.

One-shot models render one decoded segment per sound, trimmed where it falls silent;
texture models join decoded segments along a latent path into a sound of any length.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from distill.audio.io import load_audio
from distill.audio.resampling import resample
from distill.audio.spectrogram import SpectrogramConfig, mel_to_power, waveform_to_mel
from distill.controls.analysis import LatentAnalysis
from distill.data.segmenting import MODES, ONE_SHOT, generation_mode
from distill.errors import DistillError
from distill.inference.blending import compatible
from distill.inference.chunking import chunk_count, overlap_add
from distill.inference.latents import one_shot_latents, texture_latents
from distill.models.format import DistillModel
from distill.models.vae import build_vae
from distill.vocoders.types import Vocoder, fit_length

MAX_SECONDS = 3600.0
TRIM_BELOW_DB = -60.0  # a one-shot ends after its last frame within this of its loudest
FADE_SECONDS = 0.01  # ... with a fade this long, so the cut never clicks


def _analysis(model: DistillModel) -> LatentAnalysis:
    if model.latent_analysis is None:
        raise DistillError(f"Model '{model.name}' has no latent analysis; retrain it with `distill train`.")
    return LatentAnalysis.from_dict(model.latent_analysis)


@torch.inference_mode()
def decode_texture(
    model: DistillModel, total_frames: int, seed: int, sliders: Mapping[int, float], device: torch.device | str
) -> torch.Tensor:
    """The model's mel `[n_mels, total_frames]`: a seeded latent path, decoded, crossfaded."""
    vae = build_vae(model, device)
    length = vae.config.segment_frames
    hop = length // 2
    count = chunk_count(total_frames, length, hop)
    latents = texture_latents(_analysis(model), sliders, count, seed).to(device)
    segments = torch.cat([vae.decode(latents[i : i + 16]) for i in range(0, latents.shape[0], 16)])
    return overlap_add(segments, hop, total_frames)


@torch.inference_mode()
def decode_one_shot(
    model: DistillModel, seed: int, sliders: Mapping[int, float], device: torch.device | str
) -> torch.Tensor:
    """One decoded segment `[n_mels, segment_frames]`, onset first, near one of the collection's sounds."""
    analysis = _analysis(model)
    if analysis.anchors is None:
        raise DistillError(f"Model '{model.name}' predates one-shot generation; retrain it with `distill train`.")
    vae = build_vae(model, device)
    return vae.decode(one_shot_latents(analysis, sliders, 1, seed).to(device))[0]


def sounding_frames(mel: torch.Tensor) -> int:
    """Frames of `[n_mels, frames]` up to the last one within `TRIM_BELOW_DB` of the loudest."""
    energy = mel_to_power(mel).sum(dim=0)
    loud = (energy >= energy.max() * 10 ** (TRIM_BELOW_DB / 10)).nonzero()
    return int(loud.max()) + 1 if loud.numel() else mel.shape[-1]


def fade_out(audio: torch.Tensor, samples: int) -> torch.Tensor:
    """A raised-cosine fade over the last `samples` of `[..., samples]`."""
    samples = min(samples, audio.shape[-1])
    ramp = 0.5 * (1 + torch.cos(torch.linspace(0, torch.pi, samples, device=audio.device)))
    return torch.cat([audio[..., : audio.shape[-1] - samples], audio[..., audio.shape[-1] - samples :] * ramp], -1)


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
    mode: str | None = None,
) -> torch.Tensor:
    """Mono float32 `[samples]` at the model's rate.

    Texture mode: exactly `round(duration * rate)` long. One-shot mode: one sound, as
    long as it rings (trailing silence trimmed, then faded), at most `duration`.
    `mode` None means the model's own (see `generation_mode`). `blend` = (other model,
    its share 0-1, a vocoder for it when the two are not compatible): see
    `distill.inference.blending` for the rule. Deterministic: the same model, seed,
    sliders, blend, mode and vocoder give bit-identical audio.
    """
    if not 0 < duration <= MAX_SECONDS:
        raise DistillError(f"Duration must be between 0 and {MAX_SECONDS:g} seconds, not {duration:g}.")
    mode = mode or generation_mode(model)
    if mode not in MODES:
        raise DistillError(f"Unknown generation mode '{mode}'; choose one of {', '.join(MODES)}.")
    config = model.spectrogram
    longest = round(duration * config.sample_rate)

    def decode(source: DistillModel, frames: int, values: Mapping[int, float]) -> torch.Tensor:
        if mode == ONE_SHOT:
            return decode_one_shot(source, seed, values, device)
        return decode_texture(source, frames, seed, values, device)

    mel = decode(model, config.num_frames(longest), sliders)
    if blend is not None and compatible(model, blend[0]):
        other, share, _ = blend
        other_mel = decode(other, mel.shape[-1], {})
        frames = max(mel.shape[-1], other_mel.shape[-1])
        mel = (1 - share) * fit_length(mel, frames) + share * fit_length(other_mel, frames)
    num_samples = longest
    if mode == ONE_SHOT:
        mel = mel[:, : sounding_frames(mel)]
        num_samples = min(longest, mel.shape[-1] * config.hop_length)
    audio = vocoder.mel_to_waveform(mel[None], num_samples=num_samples)[0].float().cpu()
    if blend is not None and not compatible(model, blend[0]):
        other, share, other_vocoder = blend
        if other_vocoder is None:
            raise DistillError(f"Blending with '{other.name}' needs a vocoder for it (the models are not compatible).")
        rate = other.spectrogram.sample_rate
        other_audio = generate(
            other, duration=duration, seed=seed, sliders={}, vocoder=other_vocoder, device=device, mode=mode
        )
        audio = (1 - share) * audio + share * fit_length(resample(other_audio, rate, config.sample_rate), num_samples)
    if mode == ONE_SHOT:
        audio = fade_out(audio, round(FADE_SECONDS * config.sample_rate))
    return audio


def load_for_resynthesis(audio_path: Path, config: SpectrogramConfig) -> torch.Tensor:
    """A real recording as mono `[samples]` at the model's rate; one sentence if unusable."""
    wav = load_audio(Path(audio_path), config.sample_rate)
    if wav.numel() == 0:
        raise DistillError(f"{audio_path} contains no audio.")
    return wav


@torch.inference_mode()
def resynthesise(wav: torch.Tensor, config: SpectrogramConfig, vocoder: Vocoder) -> torch.Tensor:
    """Analysis-resynthesis: `[samples]` through the model's mel and back through `vocoder`."""
    mel = waveform_to_mel(wav[None], config)
    return vocoder.mel_to_waveform(mel, num_samples=wav.numel())[0].float().cpu()
