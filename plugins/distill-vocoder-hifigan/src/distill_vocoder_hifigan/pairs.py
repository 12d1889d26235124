"""Training examples: random crops of a recording with the mel the generator is to render it from.

Two kinds of mel stand for a recording: its own (what `distill vocode` feeds a vocoder) and
the model's rendering of it, encoded and decoded (`TrainingAudio.model_mel`: what every
generated sound feeds it, blurred and hissing where the recording is sharp and silent).
A vocoder trained on the second learns to render this model's mels the way the
collection sounds; a share of the first keeps it good at analysis-resynthesis.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from distill.vocoders import DistillError, SpectrogramConfig, TrainingAudio, waveform_to_mel


@dataclass
class Decoded:
    """The model's mel of one recording `[n_mels, frames]` and the samples those frames cover `[frames * hop]`."""

    mel: torch.Tensor
    wav: torch.Tensor


def load_clips(dataset: TrainingAudio, minimum: int) -> list[torch.Tensor]:
    """Every recording once, in memory, each at least one training example long."""
    clips = []
    for index in range(len(dataset)):
        wav = dataset[index].float()
        if wav.numel() < minimum:
            wav = torch.nn.functional.pad(wav, (0, minimum - wav.numel()))
        clips.append(wav)
    if not clips:
        raise DistillError("The model's training audio is empty; there is nothing to learn a vocoder from.")
    return clips


def load_decoded(dataset: TrainingAudio, clips: list[torch.Tensor], frames: int, hop: int) -> list[Decoded]:
    """The model's mel of every recording the host can render, each padded to at least `frames + 1` frames.

    Empty when the host gave no rendering (a model-less run, an older host). The
    recording is cut (or zero-padded) to the samples its decoded frames cover.
    """
    if dataset.rendering is None:
        return []
    decoded = []
    for index, wav in enumerate(clips):
        mel = dataset.model_mel(index)
        if mel is None or mel.dim() != 2:
            continue
        mel = mel.detach().float().cpu()
        if mel.shape[-1] < frames + 1:
            mel = torch.nn.functional.pad(mel, (0, frames + 1 - mel.shape[-1]))
        length = (mel.shape[-1] - 1) * hop
        audio = wav[:length] if wav.numel() >= length else torch.nn.functional.pad(wav, (0, length - wav.numel()))
        decoded.append(Decoded(mel, audio))
    return decoded


@dataclass
class TrainingPairs:
    """Draws global batches of (mel `[B, n_mels, frames + 1]`, recording `[B, frames * hop]`).

    Each example is, with probability `decoded_share`, a crop of the model's decoded mel
    and the samples it covers, otherwise a crop of a recording with its own mel. Every
    process draws the whole batch from the same generator and keeps its rows, so the
    global batch is the same whatever the number of processes.
    """

    clips: list[torch.Tensor]
    decoded: list[Decoded]
    spectrogram: SpectrogramConfig
    frames: int
    decoded_share: float

    def __post_init__(self) -> None:
        self.samples = self.frames * self.spectrogram.hop_length
        self.clip_lengths = torch.tensor([float(c.numel()) for c in self.clips])
        self.decoded_lengths = torch.tensor([float(d.wav.numel()) for d in self.decoded])
        self.share = self.decoded_share if self.decoded else 0.0

    @property
    def total_samples(self) -> float:
        """Audio in the training set (for steps per epoch)."""
        return float(self.clip_lengths.sum())

    def batch(self, size: int, g: torch.Generator, rows: slice) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows `rows` of a global batch of `size` examples: (mel, recording), recordings drawn by length."""
        kinds = torch.rand(size, generator=g) < self.share
        clip_picks = torch.multinomial(self.clip_lengths, size, replacement=True, generator=g)
        decoded_picks = (
            torch.multinomial(self.decoded_lengths, size, replacement=True, generator=g) if self.share else clip_picks
        )
        mels, wavs = [], []
        picks = zip(kinds.tolist(), clip_picks.tolist(), decoded_picks.tolist(), strict=True)
        for decoded, clip_pick, decoded_pick in picks:
            if decoded:
                mel, wav = self._decoded_crop(self.decoded[decoded_pick], g)
            else:
                mel, wav = None, self._clip_crop(self.clips[clip_pick], g)
            mels.append(mel)
            wavs.append(wav)
        real = torch.stack(wavs[rows])
        own = waveform_to_mel(real, self.spectrogram)  # the recordings' own mels; decoded rows replace theirs
        return torch.stack([own[i] if m is None else m for i, m in enumerate(mels[rows])]), real

    def _clip_crop(self, clip: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        start = int(torch.randint(0, clip.numel() - self.samples + 1, (1,), generator=g))
        return clip[start : start + self.samples]

    def _decoded_crop(self, pair: Decoded, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Frames `[a, a + frames]` of the decoded mel and samples `[a * hop, (a + frames) * hop)`,
        the frame layout `waveform_to_mel` gives a crop of `frames * hop` samples."""
        hop = self.spectrogram.hop_length
        start = int(torch.randint(0, pair.mel.shape[-1] - self.frames, (1,), generator=g))
        return pair.mel[:, start : start + self.frames + 1], pair.wav[start * hop : start * hop + self.samples]
