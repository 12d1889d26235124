"""HiFi-GAN V2 hyperparameters, derived from the model's own spectrogram config."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from distill.vocoders import SpectrogramConfig

# What the generator's first layer expects (`generator.log_magnitude_mel`). Stored with the
# weights so a bundle trained for another scale is refused rather than decoded wrongly.
INPUT_SCALE = "log-magnitude"
LEGACY_INPUT_SCALE = "log1p"  # bundles written before the field existed


def factor_hop(hop: int) -> tuple[int, ...]:
    """Upsampling rates whose product is `hop`, largest first (512 -> 8, 8, 4, 2)."""
    rates, rest = [], hop
    for factor in (8, 8, 4, 4, 2, 2, 2, 2, 2, 2):
        if rest % factor == 0 and rest > 1:
            rates.append(factor)
            rest //= factor
    if rest != 1:
        raise ValueError(f"hop length {hop} is not a product of 2, 4 and 8")
    return tuple(rates)


@dataclass
class HiFiGANConfig:
    """Generator and discriminator sizes; `discriminator_width` divides the paper's channel counts."""

    n_mels: int = 128
    sample_rate: int = 48000
    hop_length: int = 512
    upsample_rates: tuple[int, ...] = (8, 8, 4, 2)
    upsample_initial_channel: int = 128
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    resblock_dilations: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    periods: tuple[int, ...] = (2, 3, 5, 7, 11)
    scales: int = 3
    discriminator_width: int = 1
    input_scale: str = INPUT_SCALE

    def __post_init__(self) -> None:
        self.upsample_rates = tuple(self.upsample_rates)
        self.resblock_kernel_sizes = tuple(self.resblock_kernel_sizes)
        self.resblock_dilations = tuple(tuple(d) for d in self.resblock_dilations)
        self.periods = tuple(self.periods)

    @property
    def upsample_kernel_sizes(self) -> tuple[int, ...]:
        return tuple(2 * rate for rate in self.upsample_rates)

    @classmethod
    def for_spectrogram(cls, config: SpectrogramConfig, **overrides: Any) -> HiFiGANConfig:
        return cls(
            n_mels=config.n_mels,
            sample_rate=config.sample_rate,
            hop_length=config.hop_length,
            upsample_rates=factor_hop(config.hop_length),
            **overrides,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HiFiGANConfig:
        """A stored config; one without `input_scale` is a bundle from before the field existed."""
        known = {f.name for f in fields(cls)}
        return cls(**{"input_scale": LEGACY_INPUT_SCALE, **{k: v for k, v in data.items() if k in known}})


def is_complete(data: dict[str, Any]) -> bool:
    """Whether stored settings name every field (an older bundle may lack only `input_scale`)."""
    return {f.name for f in fields(HiFiGANConfig)} - {"input_scale"} <= set(data)
