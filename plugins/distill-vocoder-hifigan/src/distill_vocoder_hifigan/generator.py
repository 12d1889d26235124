"""HiFi-GAN V2 generator: transposed-conv upsampling with multi-receptive-field fusion."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrizations, parametrize

from distill.vocoders import mel_to_power
from distill_vocoder_hifigan.config import HiFiGANConfig

SLOPE = 0.1
MAGNITUDE_FLOOR = 1e-5


def log_magnitude_mel(mel: torch.Tensor) -> torch.Tensor:
    """Core log1p power mel -> natural-log magnitude mel, floored at 1e-5 (HiFi-GAN's own scale).

    log1p is linear near zero, so tails and quiet high bands 40 dB down all sit at ~0 in
    it: the generator could not tell them apart and an L1 loss there would not see them.
    `[B, n_mels, frames] -> [B, n_mels, frames]`.
    """
    return 0.5 * torch.log(mel_to_power(mel).clamp_min(MAGNITUDE_FLOOR**2))


def _same(kernel: int, dilation: int = 1) -> int:
    return dilation * (kernel - 1) // 2


def planar(x: torch.Tensor) -> torch.Tensor:
    """`[B, C, T] -> [B, C, 1, T]`, channels-last on the CPU, where every convolution here runs.

    oneDNN's 1-D path is slow for the few channels of HiFi-GAN's late stages (8 and 16 at
    the full and half sample rate); its channels-last 2-D kernels do the same arithmetic
    2-8 times faster (bench_hifigan.py speed). Other devices keep the usual layout.
    """
    x = x.unsqueeze(2)
    return x.contiguous(memory_format=torch.channels_last) if x.device.type == "cpu" else x


def _conv(conv: nn.Conv1d | nn.ConvTranspose1d, x: torch.Tensor) -> torch.Tensor:
    """A 1-D (transposed) convolution module applied to a `planar` input `[B, C, 1, T]`."""
    weight = conv.weight.unsqueeze(2)  # weight norm, while training, is applied here
    if x.is_contiguous(memory_format=torch.channels_last):
        weight = weight.contiguous(memory_format=torch.channels_last)
    if isinstance(conv, nn.ConvTranspose1d):
        return F.conv_transpose2d(x, weight, conv.bias, (1, conv.stride[0]), (0, conv.padding[0]))
    return F.conv2d(x, weight, conv.bias, (1, conv.stride[0]), (0, conv.padding[0]), (1, conv.dilation[0]))


class ResBlock(nn.Module):
    """Per dilation: lrelu -> dilated conv -> lrelu -> conv, added back. `[B, C, 1, T] -> [B, C, 1, T]`."""

    def __init__(self, channels: int, kernel: int, dilations: tuple[int, ...]) -> None:
        super().__init__()
        self.dilated = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel, dilation=d, padding=_same(kernel, d)) for d in dilations
        )
        self.plain = nn.ModuleList(nn.Conv1d(channels, channels, kernel, padding=_same(kernel)) for _ in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for dilated, plain in zip(self.dilated, self.plain, strict=True):
            inner = F.leaky_relu(_conv(dilated, F.leaky_relu(x, SLOPE)), SLOPE, inplace=True)
            x = x + _conv(plain, inner)
        return x


class Generator(nn.Module):
    """Core log1p mel `[B, n_mels, frames]` -> waveform `[B, frames * hop]` in (-1, 1)."""

    def __init__(self, config: HiFiGANConfig, weight_norm: bool = True) -> None:
        super().__init__()
        self.config = config
        channels = config.upsample_initial_channel
        self.pre = nn.Conv1d(config.n_mels, channels, 7, padding=3)
        self.ups = nn.ModuleList()
        self.mrf = nn.ModuleList()
        for rate, kernel in zip(config.upsample_rates, config.upsample_kernel_sizes, strict=True):
            self.ups.append(nn.ConvTranspose1d(channels, channels // 2, kernel, rate, padding=(kernel - rate) // 2))
            channels //= 2
            self.mrf.append(
                nn.ModuleList(
                    ResBlock(channels, k, d)
                    for k, d in zip(config.resblock_kernel_sizes, config.resblock_dilations, strict=True)
                )
            )
        self.post = nn.Conv1d(channels, 1, 7, padding=3)
        for module in self.modules():
            if isinstance(module, nn.Conv1d | nn.ConvTranspose1d):
                nn.init.normal_(module.weight, 0.0, 0.01)
        if weight_norm:
            self.apply_weight_norm()

    def apply_weight_norm(self) -> Generator:
        """Reparametrise every convolution for training, starting from its current weights."""
        for module in self.modules():
            if isinstance(module, nn.Conv1d | nn.ConvTranspose1d) and not parametrize.is_parametrized(module):
                parametrizations.weight_norm(module)
        return self

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = _conv(self.pre, planar(log_magnitude_mel(mel)))
        for up, blocks in zip(self.ups, self.mrf, strict=True):
            x = _conv(up, F.leaky_relu(x, SLOPE))
            fused = blocks[0](x)
            for block in blocks[1:]:
                fused += block(x)
            x = fused / len(blocks)
        return torch.tanh(_conv(self.post, F.leaky_relu(x)))[:, 0, 0]

    @torch.no_grad()
    def start_audible(self, mel: torch.Tensor, wav: torch.Tensor) -> Generator:
        """Re-initialise a fresh, unnormalised generator so that it starts as a working upsampler.

        The paper's N(0, 0.01) weights shrink the signal at every upsampling layer: the output
        starts 30 dB too quiet and independent of the mel, and the first thousand steps of a
        CPU budget go into growing gains. Here the input and upsampling convolutions keep the
        signal's variance (He initialisation), the residual branches keep their small weights
        (each block starts near the identity), and the last convolution is scaled so the
        output of `mel` has the level of `wav` (`[B, n_mels, frames]`, `[B, samples]`).
        """
        if any(parametrize.is_parametrized(m) for m in self.modules()):
            raise ValueError("start_audible needs the generator before weight norm is applied")
        for conv in (self.pre, *self.ups):
            nn.init.kaiming_normal_(conv.weight, a=SLOPE, nonlinearity="leaky_relu")
            nn.init.zeros_(conv.bias)
        nn.init.zeros_(self.post.bias)
        x = _conv(self.pre, planar(log_magnitude_mel(mel)))
        for up, blocks in zip(self.ups, self.mrf, strict=True):
            x = _conv(up, F.leaky_relu(x, SLOPE))
            x = sum(block(x) for block in blocks) / len(blocks)
        raw = _conv(self.post, F.leaky_relu(x))
        self.post.weight.mul_(wav.pow(2).mean().sqrt() / raw.pow(2).mean().sqrt().clamp_min(1e-12))
        return self

    def remove_weight_norm(self) -> Generator:
        """Fold weight norm into plain weights for inference."""
        for module in self.modules():
            if parametrize.is_parametrized(module, "weight"):
                parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
        return self
