"""The BigVGAN-v2 generator, and loading NVIDIA's official checkpoint into it.

Parameter and buffer names follow the official checkpoint layout so its state dict loads
with strict key matching; weight norm is folded into plain weights on the first load and
the result cached beside the checkpoint (`weights_cache`).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from distill.vocoders import Progress, ProgressCallback
from distill_vocoder_bigvgan import time_major
from distill_vocoder_bigvgan.activations import AntiAliasedActivation, Snake, SnakeBeta
from distill_vocoder_bigvgan.weights_cache import read_cached_state, write_cached_state

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "bigvgan_generator.pt"
PREPARE_TASK = "prepare bigvgan"
PREPARE_MESSAGE = "Preparing the vocoder for this machine…"
PREPARED_MESSAGE = "Prepared the vocoder for this machine"


@dataclass
class BigVGANConfig:
    """The generator's hyperparameters, read from the checkpoint's config.json."""

    num_mels: int = 128
    upsample_rates: tuple[int, ...] = (8, 4, 2, 2, 2, 2)
    upsample_kernel_sizes: tuple[int, ...] = (16, 8, 4, 4, 4, 4)
    upsample_initial_channel: int = 1536
    resblock: str = "1"
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    resblock_dilation_sizes: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    activation: str = "snakebeta"
    snake_logscale: bool = True
    use_tanh_at_final: bool = False
    use_bias_at_final: bool = False
    sampling_rate: int = 44100
    n_fft: int = 2048
    hop_size: int = 512
    win_size: int = 2048
    fmin: float = 0.0
    fmax: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The config.json form (the defaults are the published 44 kHz / 128-band / 512x values)."""
        data = asdict(self)
        return {
            k: [list(x) if isinstance(x, tuple) else x for x in v] if isinstance(v, tuple) else v
            for k, v in data.items()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BigVGANConfig:
        known = {f.name for f in fields(cls)}
        config = cls(**{k: v for k, v in data.items() if k in known})
        if config.resblock != "1" or config.activation not in ("snake", "snakebeta") or not config.snake_logscale:
            raise ValueError("only AMPBlock1 with log-scale snake/snakebeta activations is supported")
        return config

    @property
    def hop(self) -> int:
        product = 1
        for rate in self.upsample_rates:
            product *= rate
        return product


def _activation(config: BigVGANConfig, channels: int) -> AntiAliasedActivation:
    return AntiAliasedActivation(SnakeBeta(channels) if config.activation == "snakebeta" else Snake(channels))


def _padding(kernel: int, dilation: int) -> int:
    return (kernel * dilation - dilation) // 2


class AMPBlock(nn.Module):
    """Anti-aliased multi-periodicity block: per dilation, act -> dilated conv -> act -> conv, residual."""

    def __init__(self, config: BigVGANConfig, channels: int, kernel: int, dilations: tuple[int, ...]) -> None:
        super().__init__()
        self.convs1 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel, dilation=d, padding=_padding(kernel, d)) for d in dilations
        )
        self.convs2 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel, padding=_padding(kernel, 1)) for _ in dilations
        )
        self.activations = nn.ModuleList(_activation(config, channels) for _ in range(2 * len(dilations)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Time-major `[B, T, C] -> [B, T, C]`."""
        for i, (first, second) in enumerate(zip(self.convs1, self.convs2, strict=True)):
            inner = time_major.apply(first, self.activations[2 * i](x))
            x = x + time_major.apply(second, self.activations[2 * i + 1](inner))
        return x


class BigVGANGenerator(nn.Module):
    """BigVGAN log-mel `[B, num_mels, frames]` -> waveform `[B, 1, frames * hop]` in [-1, 1].

    Inside, signals are time-major `[B, T, C]` (`time_major` says why); the modules keep
    the official checkpoint's names and weight shapes.
    """

    def __init__(self, config: BigVGANConfig) -> None:
        super().__init__()
        self.config = config
        self.conv_pre = nn.Conv1d(config.num_mels, config.upsample_initial_channel, 7, padding=3)
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        channels = config.upsample_initial_channel
        for rate, kernel in zip(config.upsample_rates, config.upsample_kernel_sizes, strict=True):
            up = nn.ConvTranspose1d(channels, channels // 2, kernel, rate, padding=(kernel - rate) // 2)
            self.ups.append(nn.ModuleList([up]))
            channels //= 2
            for k, dilations in zip(config.resblock_kernel_sizes, config.resblock_dilation_sizes, strict=True):
                self.resblocks.append(AMPBlock(config, channels, k, tuple(dilations)))
        self.activation_post = _activation(config, channels)
        self.conv_post = nn.Conv1d(channels, 1, 7, padding=3, bias=config.use_bias_at_final)
        time_major.lay_out_weights(self)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        kernels = len(self.config.resblock_kernel_sizes)
        x = time_major.apply(self.conv_pre, mel.transpose(1, 2).contiguous())
        for stage, (up,) in enumerate(self.ups):
            x = time_major.apply(up, x)
            blocks = self.resblocks[stage * kernels : (stage + 1) * kernels]
            x = sum(block(x) for block in blocks) / kernels
        x = time_major.apply(self.conv_post, self.activation_post(x)).transpose(1, 2)
        return torch.tanh(x) if self.config.use_tanh_at_final else x.clamp(-1.0, 1.0)

    def receptive_field_frames(self) -> int:
        """Input frames on each side that can reach an output sample (a safe upper bound).

        Per stage: the transposed convolution, then the widest AMP block (two convolutions
        and two anti-aliased activations of 6 taps a side per dilation), in frames of input.
        """
        config = self.config
        frames = 3.0 + 3.0 / config.hop  # conv_pre and conv_post, 7 taps each
        rate = 1
        for up_rate, kernel in zip(config.upsample_rates, config.upsample_kernel_sizes, strict=True):
            rate *= up_rate
            block = max(
                sum((k - 1) // 2 * (d + 1) + 12 for d in dilations)
                for k, dilations in zip(config.resblock_kernel_sizes, config.resblock_dilation_sizes, strict=True)
            )
            frames += (kernel + block) / rate
        return math.ceil(frames)


def fold_weight_norm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Replace each weight-norm pair (`weight_g`/`weight_v`, or the parametrization form) by `weight`.

    weight = g * v / ||v||, the norm taken over every dimension but the first, as
    `torch.nn.utils.weight_norm(dim=0)` defines it.
    """
    folded: dict[str, torch.Tensor] = {}
    pairs = {".weight_g": ".weight_v", ".parametrizations.weight.original0": ".parametrizations.weight.original1"}
    for key, value in state.items():
        for g_suffix, v_suffix in pairs.items():
            if key.endswith(g_suffix):
                base = key[: -len(g_suffix)]
                v = state[base + v_suffix]
                norm = v.norm(dim=tuple(range(1, v.dim())), keepdim=True)
                folded[base + ".weight"] = value * v / norm
                break
            if key.endswith(v_suffix):
                break
        else:
            folded[key] = value
    return folded


def read_config(directory: Path) -> BigVGANConfig:
    return BigVGANConfig.from_json(json.loads((Path(directory) / CONFIG_FILE).read_text()))


def load_generator(
    directory: str | Path, device: str | torch.device = "cpu", progress: ProgressCallback | None = None
) -> BigVGANGenerator:
    """The official checkpoint in `directory` (config.json + bigvgan_generator.pt), eval mode.

    Keys must match exactly (after folding weight norm): a checkpoint for another
    architecture is an error, not a silently half-loaded model. The folded weights are
    cached beside the checkpoint (`weights_cache`); the module is built without random
    initialisation and takes the loaded tensors as they are. Building that cache takes
    seconds, once: it is reported through `progress` as its own step.
    """
    directory = Path(directory)
    config = read_config(directory)
    sources = (CONFIG_FILE, WEIGHTS_FILE)
    state = read_cached_state(directory, sources)
    cached = state is not None
    if state is None:
        if progress is not None:
            progress(Progress(PREPARE_TASK, 0, None, PREPARE_MESSAGE))
        payload = torch.load(directory / WEIGHTS_FILE, map_location="cpu", weights_only=True)
        if isinstance(payload, dict) and "generator" in payload:
            payload = payload["generator"]
        state = fold_weight_norm(payload)
    with torch.device("meta"):
        generator = BigVGANGenerator(config)
    generator.load_state_dict(state, strict=True, assign=True)
    time_major.lay_out_weights(generator)  # the loaded tensors replaced the laid-out ones
    if not cached:  # the laid-out weights, so that later loads map them and copy nothing
        write_cached_state(directory, sources, generator.state_dict())
        if progress is not None:
            progress(Progress(PREPARE_TASK, 1, 1, PREPARED_MESSAGE))
    return generator.to(device).eval()
