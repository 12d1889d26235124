"""The two paths a held-out recording takes to a vocoder, as clips the judges render and compare.

*Analysis-resynthesis*: the recording's own mel, what `distill vocode` renders. The
*generation path*: that mel encoded and decoded by the model's VAE
(`models/reconstruction.py`), what every generated sound renders from. A model's own
vocoder learns from the second (`with_rendering` gives the plugin the model's mels of
its training recordings) and is judged on both (`host/evaluation.py` at the end,
`host/vocoder_curve.py` as it trains).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from distill.audio.spectrogram import waveform_to_mel
from distill.models.format import DistillModel
from distill.models.reconstruction import reconstruct_mel
from distill.vocoders.output import conform, declared_rate
from distill.vocoders.types import TrainingAudio, Vocoder
from distill.vocoders.verdict import GENERATION


@dataclass
class PathClip:
    """A recording as a vocoder is to render it: `mel` `[1, n_mels, frames]`, `reference` the samples it covers."""

    name: str
    reference: torch.Tensor  # [samples], at most frames * hop
    mel: torch.Tensor


@dataclass
class ModelRendering:
    """The model's mel of a recording `[samples]` -> `[n_mels, frames]` (a `MelRendering` for `TrainingAudio`)."""

    model: DistillModel
    device: torch.device

    def __call__(self, wav: torch.Tensor) -> torch.Tensor:
        mel = waveform_to_mel(wav[None].float().to(self.device), self.model.spectrogram)[0]
        return reconstruct_mel(self.model, mel, self.device).cpu()


def with_rendering(dataset: TrainingAudio, model: DistillModel, device: torch.device | str = "cpu") -> TrainingAudio:
    """`dataset` whose `model_mel(i)` is `model`'s own mel of recording `i`."""
    return replace(dataset, rendering=ModelRendering(model, torch.device(device)))


def path_clip(model: DistillModel, name: str, wav: torch.Tensor, path: str, device: torch.device) -> PathClip:
    """`wav` `[samples]` on `path`: its own mel, or (`GENERATION`) the model's rendering of it.

    A one-shot model renders only its segment's frames, so the reference is cut to what
    the rendered mel covers.
    """
    mel = waveform_to_mel(wav[None].float().to(device), model.spectrogram)
    if path == GENERATION:
        mel = reconstruct_mel(model, mel[0], device)[None]
    frames = mel.shape[-1]
    return PathClip(name, wav[: frames * model.spectrogram.hop_length], mel)


def render_clip(vocoder: Vocoder, clip: PathClip, model: DistillModel) -> torch.Tensor:
    """`vocoder`'s render of `clip` as `[samples]` float32 on the CPU, held to the output contract."""
    wanted = clip.reference.numel()
    raw = vocoder.mel_to_waveform(clip.mel, num_samples=wanted)
    return conform(raw, 1, declared_rate(vocoder), model.spectrogram, wanted)[0]
