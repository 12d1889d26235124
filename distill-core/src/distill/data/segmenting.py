"""Cutting recordings into fixed-length mel segments, the VAE's training examples.

A collection is learned in one of two modes, chosen from its recordings' lengths:

* one-shot (drum hits, stabs, short effects): one segment per recording, starting at
  its first frame, so the model learns each sound's onset, decay and length and a
  generated sound is one decoded segment, trimmed where it falls silent;
* texture (long recordings): overlapping windows, and generation joins decoded
  segments into a continuous sound of any length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch

from distill.audio.spectrogram import SpectrogramConfig, waveform_to_mel

ONE_SHOT, TEXTURE = "one-shot", "texture"
MODES = (ONE_SHOT, TEXTURE)
ONE_SHOT_MEDIAN_SECONDS = 3.0  # collections whose typical recording is shorter are one-shots
# One-shot segments hold the longest recording whole, so crashes, rides and 808 tails are learned at
# their length and a generated hit ends on its own decay (with 90 % of recordings, rumpf's window
# was 1.37 s and its long sounds ended in a fade at the cap).
SEGMENT_CHOICES = tuple(range(64, 257, 32))  # frames, divisible by the VAE's 16; 256 = 2.7 s at 48 kHz
# Texture segments share this many frames with the next (~85 ms at 48 kHz) when generation joins
# them, and are cut from recordings on the same grid, so the segment after a training segment is
# the one a generated texture may put after it (controls/latents.py).
TEXTURE_JOINT_FRAMES = 8


@dataclass
class Layout:
    """How a collection is cut for training, and why; stored with the model."""

    mode: str
    segment_frames: int
    median_seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


def choose_layout(lengths: Sequence[int], config: SpectrogramConfig, texture_frames: int) -> Layout:
    """Mode and segment length for recordings of `lengths` samples.

    One-shot segments are the shortest of `SEGMENT_CHOICES` that hold every recording
    whole (longer ones are cut at the longest choice); texture segments keep the preset's
    length.
    """
    seconds = torch.tensor([float(n) for n in lengths]) / config.sample_rate
    median = float(seconds.median())
    if median > ONE_SHOT_MEDIAN_SECONDS:
        return Layout(TEXTURE, texture_frames, round(median, 3))
    needed = max(config.num_frames(n) for n in lengths)
    segment = next((f for f in SEGMENT_CHOICES if f >= needed), SEGMENT_CHOICES[-1])
    return Layout(ONE_SHOT, segment, round(median, 3))


def generation_mode(model: Any) -> str:
    """A `DistillModel`'s mode, chosen from its collection when trained; texture for older models."""
    return (model.metadata.get("layout") or {}).get("mode", TEXTURE)


def texture_hop(segment_frames: int) -> int:
    """Frames between the starts of consecutive texture segments."""
    return max(1, segment_frames - min(TEXTURE_JOINT_FRAMES, segment_frames // 2))


def segment_mel(mel: torch.Tensor, segment_frames: int, mode: str = TEXTURE) -> torch.Tensor:
    """`[n_mels, frames] -> [N, n_mels, segment_frames]`.

    One-shot: the first segment only. Texture: windows `texture_hop` apart. Recordings
    shorter than a segment are padded with silence (log1p(0) = 0).
    """
    frames = mel.shape[-1]
    if frames <= segment_frames:
        return torch.nn.functional.pad(mel, (0, segment_frames - frames))[None]
    if mode == ONE_SHOT:
        return mel[None, :, :segment_frames]
    hop = texture_hop(segment_frames)
    starts = list(range(0, frames - segment_frames + 1, hop))
    if starts[-1] + segment_frames < frames:
        starts.append(frames - segment_frames)
    return torch.stack([mel[:, s : s + segment_frames] for s in starts])


def collection_segments(
    waveforms: Sequence[torch.Tensor], config: SpectrogramConfig, segment_frames: int, mode: str = TEXTURE
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """All segments of all recordings; for each, the recording it came from and its slack.

    Slack is the silent padding after a short recording in texture mode: training may
    shift the sound later by up to that many frames, so the model does not learn that
    every segment starts with an onset (which would put an onset at every joint of a
    generated texture). One-shots keep their onset at the start: slack 0.
    """
    segments, owners, slack = [], [], []
    for index, wav in enumerate(waveforms):
        mel = waveform_to_mel(wav[None], config)[0]
        pieces = segment_mel(mel, segment_frames, mode)
        segments.append(pieces)
        owners.append(torch.full((pieces.shape[0],), index))
        spare = max(0, segment_frames - mel.shape[-1]) if mode == TEXTURE else 0
        slack.append(torch.full((pieces.shape[0],), spare))
    return torch.cat(segments), torch.cat(owners), torch.cat(slack)
