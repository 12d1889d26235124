"""Generation: latents near the collection's sounds -> decoded mel -> vocoder -> audio.

One-shot models render one decoded segment per sound, trimmed where it falls silent;
texture models join decoded segments along a latent path into a sound of any length,
streamed piece by piece (`generate_stream`) so that an hour is written in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import torch

from distill.audio.io import load_audio
from distill.audio.resampling import resampled
from distill.audio.spectrogram import SpectrogramConfig, mel_to_power, waveform_to_mel
from distill.controls.analysis import LatentAnalysis
from distill.controls.latents import one_shot_latents, texture_latents
from distill.data.joining import chunk_count, overlap_add
from distill.data.segmenting import MODES, ONE_SHOT, generation_mode, texture_hop
from distill.data.validation import sample_problem
from distill.errors import DistillError
from distill.host.checked import until_rendered
from distill.inference.blending import compatible
from distill.models.format import DistillModel
from distill.models.reconstruction import DECODE_BATCH
from distill.models.vae import build_vae
from distill.vocoders.types import Vocoder, fit_length, fit_pieces

MAX_SECONDS = 3600.0
TRIM_BELOW_DB = -60.0  # a one-shot ends after its last frame within this of its loudest
FADE_SECONDS = 0.01  # ... with a fade this long, so the cut never clicks


def _analysis(model: DistillModel) -> LatentAnalysis:
    if model.latent_analysis is None:
        raise DistillError(f"Model '{model.name}' has no latent analysis; retrain it with `distill train`.")
    return LatentAnalysis.from_dict(model.latent_analysis)


def min_vocoded_frames(config: SpectrogramConfig) -> int:
    """Frames below which a mel is shorter than a vocoder's own STFT window can take."""
    return config.n_fft // config.hop_length + 2


def vocode(vocoder: Vocoder, mel: torch.Tensor, num_samples: int, config: SpectrogramConfig) -> torch.Tensor:
    """`[B, n_mels, frames] -> [B, num_samples]` through `vocoder`.

    A mel of a few milliseconds is shorter than a vocoder's own STFT window, so it is
    padded with silence (log1p 0) to a workable length and the result trimmed.
    """
    minimum = min_vocoded_frames(config)
    if mel.shape[-1] >= minimum:
        return vocoder.mel_to_waveform(mel, num_samples=num_samples)
    padded = torch.nn.functional.pad(mel, (0, minimum - mel.shape[-1]))
    return vocoder.mel_to_waveform(padded, num_samples=minimum * config.hop_length)[..., :num_samples]


@torch.inference_mode()
def decode_texture(
    model: DistillModel, total_frames: int, seed: int, sliders: Mapping[int, float], device: torch.device | str
) -> torch.Tensor:
    """The model's mel `[n_mels, total_frames]`: a seeded latent path, decoded, joined by short crossfades."""
    vae = build_vae(model, device)
    length = vae.config.segment_frames
    hop = texture_hop(length)
    count = chunk_count(total_frames, length, hop)
    latents = texture_latents(_analysis(model), sliders, count, seed).to(device)
    segments = (segment for i in range(0, count, DECODE_BATCH) for segment in vae.decode(latents[i : i + DECODE_BATCH]))
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


def vocode_pieces(
    vocoder: Vocoder, mel: torch.Tensor, num_samples: int, config: SpectrogramConfig
) -> Iterator[torch.Tensor]:
    """`vocode`'s samples as the vocoder's pieces `[B, n]` (one piece for a mel too short to stream)."""
    if mel.shape[-1] < min_vocoded_frames(config):
        yield vocode(vocoder, mel, num_samples, config)
        return
    yield from vocoder.stream_waveform(mel, num_samples)


def _mixed(own: Iterable[torch.Tensor], other: Iterator[torch.Tensor], share: float) -> Iterator[torch.Tensor]:
    """`(1 - share) * own + share * other` for two streams of one length cut into different pieces."""
    held = torch.zeros(0)
    for piece in own:
        while held.numel() < piece.numel():
            held = torch.cat([held, next(other)])
        yield (1 - share) * piece + share * held[: piece.numel()]
        held = held[piece.numel() :]


@torch.inference_mode()
def generate_stream(
    model: DistillModel,
    *,
    duration: float,
    seed: int,
    sliders: Mapping[int, float],
    vocoder: Vocoder,
    device: torch.device | str = "cpu",
    blend: tuple[DistillModel, float, Vocoder | None] | None = None,
    mode: str | None = None,
) -> Iterator[torch.Tensor]:
    """`generate`'s samples as mono float32 pieces `[n]`, in order, as the vocoder renders them.

    The mel is decoded whole (a quarter of the mono audio's size); the audio after it is
    never held whole, so a render of any length can be written in bounded memory. A
    vocoder that fails mid-stream under auto raises `RenderRestarted`: ask again.
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
    pieces = (piece[0].float().cpu() for piece in vocode_pieces(vocoder, mel[None], num_samples, config))
    if blend is not None and not compatible(model, blend[0]):
        other, share, other_vocoder = blend
        if other_vocoder is None:
            raise DistillError(f"Blending with '{other.name}' needs a vocoder for it (the models are not compatible).")
        other_pieces = generate_stream(
            other, duration=duration, seed=seed, sliders={}, vocoder=other_vocoder, device=device, mode=mode
        )
        resampled_other = fit_pieces(
            resampled(other_pieces, other.spectrogram.sample_rate, config.sample_rate), num_samples
        )
        pieces = _mixed(pieces, resampled_other, share)
    if mode == ONE_SHOT:
        yield fade_out(torch.cat(list(pieces)), round(FADE_SECONDS * config.sample_rate))
        return
    yield from pieces


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
    """Mono float32 `[samples]` at the model's rate: the whole of `generate_stream`.

    Texture mode: exactly `round(duration * rate)` long. One-shot mode: one sound, as
    long as it rings (trailing silence trimmed, then faded), at most `duration`.
    `mode` None means the model's own (see `generation_mode`). `blend` = (other model,
    its share 0-1, a vocoder for it when the two are not compatible): see
    `distill.inference.blending` for the rule. Deterministic: the same model, seed,
    sliders, blend, mode and vocoder give bit-identical audio.
    """
    return until_rendered(
        lambda: torch.cat(
            list(
                generate_stream(
                    model,
                    duration=duration,
                    seed=seed,
                    sliders=sliders,
                    vocoder=vocoder,
                    device=device,
                    blend=blend,
                    mode=mode,
                )
            )
        )
    )


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
