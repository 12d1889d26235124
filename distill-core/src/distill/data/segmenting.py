"""Cutting recordings into fixed-length mel segments, the VAE's training examples."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from distill.audio.spectrogram import SpectrogramConfig, waveform_to_mel


def segment_mel(mel: torch.Tensor, segment_frames: int) -> torch.Tensor:
    """`[n_mels, frames] -> [N, n_mels, segment_frames]`, half-overlapping windows.

    Short recordings (one-shots) are padded with silence (log1p(0) = 0) rather than
    dropped: a collection of drum hits is mostly shorter than one segment.
    """
    frames = mel.shape[-1]
    if frames <= segment_frames:
        return torch.nn.functional.pad(mel, (0, segment_frames - frames))[None]
    hop = segment_frames // 2
    starts = list(range(0, frames - segment_frames + 1, hop))
    if starts[-1] + segment_frames < frames:
        starts.append(frames - segment_frames)
    return torch.stack([mel[:, s : s + segment_frames] for s in starts])


def collection_segments(
    waveforms: Sequence[torch.Tensor], config: SpectrogramConfig, segment_frames: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """All segments of all recordings; for each, the recording it came from and its slack.

    Slack is the silent padding after a short recording: training may shift the sound
    later by up to that many frames, so the model does not learn that every segment
    starts with an onset (which would put an onset at every joint of a generated sound).
    """
    segments, owners, slack = [], [], []
    for index, wav in enumerate(waveforms):
        mel = waveform_to_mel(wav[None], config)[0]
        pieces = segment_mel(mel, segment_frames)
        segments.append(pieces)
        owners.append(torch.full((pieces.shape[0],), index))
        slack.append(torch.full((pieces.shape[0],), max(0, segment_frames - mel.shape[-1])))
    return torch.cat(segments), torch.cat(owners), torch.cat(slack)
