"""The vocoder types: what a plugin returns (`Vocoder`, `VocoderState`, `VocoderAssets`) and what it is
handed (`TrainingAudio`, a `Judge`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from distill.audio.io import load_audio
from distill.audio.spectrogram import SpectrogramConfig
from distill.errors import DistillError
from distill.progress import ProgressCallback


class VocoderUnavailable(DistillError):
    """This vocoder cannot serve this model now; the message says why and what to do."""


class Vocoder(ABC):
    """Turns the model's own log1p mel into a mono waveform at the model's sample rate."""

    name: str
    sample_rate: int

    @abstractmethod
    def mel_to_waveform(self, mel: torch.Tensor, num_samples: int | None = None) -> torch.Tensor:
        """`[B, n_mels, frames] -> [B, samples]`, float32.

        `samples` is `num_samples` when given, else `frames * hop_length`. An implementation
        may also take `progress: ProgressCallback | None = None` to report long renders: the
        host passes it only to vocoders whose signature has it.
        """

    def stream_waveform(
        self, mel: torch.Tensor, num_samples: int | None = None, progress: ProgressCallback | None = None
    ) -> Iterator[torch.Tensor]:
        """The samples `mel_to_waveform` returns, as consecutive `[B, n]` pieces, in order.

        The host writes a long render as its pieces arrive, so memory holds a piece, not the
        whole sound. This default yields the whole result as one piece; a vocoder that
        renders in chunks anyway overrides it (see `stream_with_context`).
        """
        yield self.mel_to_waveform(mel, num_samples)

    def to(self, device: torch.device | str) -> Vocoder:
        """Move to `device`; stateless vocoders only record it."""
        self.device = torch.device(device)
        return self


class GeneratorVocoder(Vocoder):
    """A vocoder around one `nn.Module` generator: moving the vocoder moves the generator."""

    def __init__(self, generator: torch.nn.Module, config: SpectrogramConfig) -> None:
        self.generator = generator
        self.config = config
        self.sample_rate = config.sample_rate
        self.device = next(generator.parameters(), torch.empty(0)).device

    def to(self, device: torch.device | str) -> GeneratorVocoder:
        self.device = torch.device(device)
        self.generator.to(self.device)
        return self


def model_spectrogram_config(model: object | None) -> SpectrogramConfig:
    """The mel config a vocoder must honour: the model's own, or the default without one."""
    return getattr(model, "spectrogram", None) or SpectrogramConfig()


def fit_length(wav: torch.Tensor, num_samples: int) -> torch.Tensor:
    """Trim or zero-pad the last dimension to exactly `num_samples`."""
    length = wav.shape[-1]
    if length >= num_samples:
        return wav[..., :num_samples]
    return torch.nn.functional.pad(wav, (0, num_samples - length))


def fit_pieces(pieces: Iterable[torch.Tensor], num_samples: int) -> Iterator[torch.Tensor]:
    """`fit_length` for a signal in (at least one) pieces: cut at `num_samples`, zero-padded if short."""
    done, last = 0, None
    for last in pieces:
        piece = last[..., : num_samples - done]
        if piece.shape[-1]:
            done += piece.shape[-1]
            yield piece
    if done < num_samples and last is not None:
        yield last.new_zeros((*last.shape[:-1], num_samples - done))


def pad_short_mel(mel: torch.Tensor, config: SpectrogramConfig) -> torch.Tensor:
    """`[B, n_mels, f]` -> `[B, n_mels, max(f, n_fft // hop + 1)]`, the last frame repeated.

    A centred inverse STFT cannot run on fewer frames than that, and a one-shot that falls
    silent at once is that short. The repeated frames only add audio past the end, which
    the caller's `fit_length` cuts away.
    """
    missing = config.n_fft // config.hop_length + 1 - mel.shape[-1]
    return torch.cat([mel, mel[..., -1:].expand(*mel.shape[:-1], missing)], dim=-1) if missing > 0 else mel


@dataclass
class VocoderState:
    """A trained per-model vocoder, as `train_vocoder` returns it and the model file stores it."""

    vocoder_type: str
    config: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    steps: int | None = None  # optimizer steps it was trained for, when the plugin counts them


# A recording `[samples]` -> the model's own rendering of its mel `[n_mels, frames]`: encoded and
# decoded as generation decodes, so what a per-model vocoder is fed when a user generates.
MelRendering = Callable[[torch.Tensor], torch.Tensor]

# The host's held-out check during per-model training: called with the vocoder as it is now,
# it renders a few held-out recordings along the generation path and returns figures by name.
Judge = Callable[[Vocoder], dict[str, float]]


@dataclass
class VocoderAssets:
    """What a vocoder downloads once before it can serve (weights from a model hub), and where that stands.

    A plugin describes them through the optional `vocoder_assets` hook so that a front end can
    show their state and fetch them ahead of time (`fetch_vocoder_assets`), instead of a first
    render that seems to hang for the length of a transfer. Sizes are bytes.
    """

    title: str  # what they are, as a sentence's object: "the BigVGAN-v2 universal vocoder"
    folder: Path  # where they live, and where a user without a network may place them by hand
    ready: bool  # everything is here: the vocoder loads without a network
    download_bytes: int | None  # what a download transfers (the plugin's estimate until the hub says)
    bytes_on_disk: int = 0  # what the folder holds now
    contents: str = ""  # what is on disk, in words, when it is more than the download itself
    unavailable: str | None = None  # why they cannot be fetched now (e.g. offline): one sentence naming `folder`


@dataclass
class TrainingAudio:
    """The recordings a model was trained on, loaded on demand as mono at `sample_rate`.

    When the host knows the model, `rendering` is how the model renders a recording's mel
    (encode, decode): generated sounds reach the vocoder as such decoded mels, blurred and
    hissing where the recording is sharp and silent, so a vocoder that learns from pairs of
    (decoded mel, recording) learns to render this model's mels as the collection sounds.
    """

    files: Sequence[Path]
    sample_rate: int
    root: Path | None = None  # the collection's folder: recordings are named relative to it
    rendering: MelRendering | None = None  # the model's encode -> decode of a recording's mel, if known

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> torch.Tensor:
        """Mono float32 `[samples]` of file `index`, resampled to `sample_rate`."""
        return load_audio(self.files[index], self.sample_rate)

    def model_mel(self, index: int) -> torch.Tensor | None:
        """The model's own mel of recording `index` (`[n_mels, frames]`, log1p), or None without one.

        Frame k stands for the recording's samples around `k * hop_length`, as in
        `waveform_to_mel`. A one-shot model renders only the opening it generates, so
        `frames` may be fewer than the recording's own mel has: pair the frames with the
        samples they cover, and drop the rest.
        """
        return None if self.rendering is None else self.rendering(self[index])

    def name(self, index: int) -> str:
        """File `index` relative to the collection's folder (its full path without one)."""
        path = Path(self.files[index])
        return (
            str(path.relative_to(self.root)) if self.root is not None and path.is_relative_to(self.root) else str(path)
        )
