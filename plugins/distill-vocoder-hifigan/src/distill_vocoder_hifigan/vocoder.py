"""A model's own HiFi-GAN as a Distill vocoder."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from distill.vocoders import GeneratorVocoder, ProgressCallback, fit_pieces, stream_with_context
from distill_vocoder_hifigan.config import HiFiGANConfig
from distill_vocoder_hifigan.generator import Generator

CHUNK_FRAMES = 512  # ~5.5 s per call: activations small enough to stay in reused memory (bench_hifigan.py)
CONTEXT_FRAMES = 16  # the V2 generator's receptive field is under 12 frames: chunks join bit-exactly
MAX_STAGES = 16  # entries in each list of stored settings (upsampling stages, kernels, dilations); V1 and V2 use 3-4


def build_generator(config: HiFiGANConfig, state_dict: dict[str, torch.Tensor]) -> Generator:
    """An inference generator (weight norm folded) from what the model file stores.

    The settings' shapes are compared with the stored weights on PyTorch's meta device
    first, so settings that declare a huge network (a damaged or crafted file) cost no
    memory before they are refused.
    """
    stages = (config.upsample_rates, config.resblock_kernel_sizes, *config.resblock_dilations)
    if len(config.resblock_dilations) > MAX_STAGES or any(len(stage) > MAX_STAGES for stage in stages):
        raise ValueError("the stored settings declare more layers than HiFi-GAN has")
    with torch.device("meta"):
        expected = {key: tensor.shape for key, tensor in Generator(config, weight_norm=False).state_dict().items()}
    stored = {key: tensor.shape for key, tensor in state_dict.items()}
    if expected != stored:
        raise ValueError("the stored weights do not fit the stored settings")
    generator = Generator(config, weight_norm=False)
    generator.load_state_dict(state_dict)
    return generator.eval()


class HiFiGANVocoder(GeneratorVocoder):
    name = "hifigan"

    def mel_to_waveform(self, mel: torch.Tensor, num_samples: int | None = None) -> torch.Tensor:
        """`[B, n_mels, frames] -> [B, samples]`; long inputs in chunks with context cut away."""
        return torch.cat(list(self.stream_waveform(mel, num_samples)), dim=-1)

    @torch.inference_mode()
    def stream_waveform(
        self, mel: torch.Tensor, num_samples: int | None = None, progress: ProgressCallback | None = None
    ) -> Iterator[torch.Tensor]:
        """The same samples, one chunk at a time (each reported to `progress`)."""
        mel = mel.to(self.device).float()
        hop = self.config.hop_length
        pieces = stream_with_context(self.generator, mel, hop, CHUNK_FRAMES, CONTEXT_FRAMES, progress)
        length = num_samples if num_samples is not None else mel.shape[-1] * hop
        yield from fit_pieces((piece.float() for piece in pieces), length)
