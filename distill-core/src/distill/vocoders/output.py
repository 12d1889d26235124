"""The output contract: what a vocoder's render must be, checked the same way by the host and the suite.

A plugin's `mel_to_waveform` (and each piece of its `stream_waveform`) is trusted with
nothing. The host (`distill.host.checked`) passes every render through `conform` before
anything is written, and the conformance suite (`distill.vocoders.testing`) holds a plugin
to the same rule, so a plugin that passes the suite never needs repair. The rule:

* a `torch.Tensor`, or anything `torch.as_tensor` takes (numpy arrays, nested lists);
* floating point (converted to float32); integer or complex samples are refused;
* shape `[B, samples]` with B as in the mel (`[B, 1, samples]` is accepted and squeezed);
* every sample finite;
* at the vocoder's declared `sample_rate`; the host resamples to the model's rate;
* within one hop (the model's `hop_length`, at the model's rate) of the requested length:
  trimmed or zero-padded to it; anything further off is refused.

The result is float32 on the CPU. A render that breaks the rule raises `VocoderFault`.
"""

from __future__ import annotations

import numbers

import torch

from distill.audio.resampling import resample
from distill.audio.spectrogram import SpectrogramConfig
from distill.errors import DistillError
from distill.vocoders.types import fit_length

LENGTH_TOLERANCE_HOPS = 1


class VocoderFault(Exception):
    """A vocoder's render broke the contract or failed; the message completes "Vocoder 'NAME' ..."."""


def check_mel(mel: torch.Tensor, config: SpectrogramConfig) -> None:
    """One sentence unless `mel` is a finite float `[B, n_mels, frames]` in the model's mel space."""
    if not isinstance(mel, torch.Tensor) or mel.dim() != 3 or mel.shape[1] != config.n_mels or 0 in mel.shape:
        shape = list(mel.shape) if isinstance(mel, torch.Tensor) else type(mel).__name__
        raise DistillError(f"The mel to vocode has shape {shape}; expected [batch, {config.n_mels}, frames].")
    if not mel.is_floating_point() or not torch.isfinite(mel).all():
        raise DistillError("The mel to vocode contains NaN or infinite values, so there is nothing to render.")


def declared_rate(vocoder: object) -> int:
    """The vocoder's `sample_rate`, which must be a positive integer."""
    rate = getattr(vocoder, "sample_rate", None)
    if isinstance(rate, bool) or not isinstance(rate, numbers.Integral) or rate <= 0:
        raise VocoderFault(f"declares sample_rate {rate!r}, not a positive integer")
    return int(rate)


def checked_samples(raw: object, batch: int) -> torch.Tensor:
    """A plugin's samples -> float32 `[batch, n]` on the CPU, or the fault that breaks the output rule."""
    if isinstance(raw, torch.Tensor):
        wav = raw.detach()
    else:
        try:
            wav = torch.as_tensor(raw)
        except Exception:
            raise VocoderFault(f"returned a {type(raw).__name__}, not audio samples") from None
    if not wav.is_floating_point():
        raise VocoderFault(f"returned {str(wav.dtype).removeprefix('torch.')} samples, not floating-point ones")
    if wav.dim() == 3 and wav.shape[1] == 1:
        wav = wav[:, 0]
    if wav.dim() != 2 or wav.shape[0] != batch:
        raise VocoderFault(f"returned a tensor of shape {list(wav.shape)}; expected [{batch}, samples]")
    wav = wav.to("cpu", torch.float32)
    if not torch.isfinite(wav).all():
        raise VocoderFault("returned NaN or infinite samples")
    return wav


def check_length(length: int, rate: int, config: SpectrogramConfig, wanted: int, final: bool) -> None:
    """A fault once `length` (model-rate samples) runs a hop past `wanted`, or at the end falls a hop short."""
    tolerance = LENGTH_TOLERANCE_HOPS * config.hop_length
    if length > wanted + tolerance or (final and length < wanted - tolerance):
        at = f" (at its declared {rate} Hz)" if rate != config.sample_rate else ""
        more = "" if final else " or more"
        raise VocoderFault(f"returned {length}{more} samples{at} where {wanted} were asked for")


def conform(raw: object, batch: int, rate: int, config: SpectrogramConfig, wanted: int) -> torch.Tensor:
    """A plugin's result -> float32 `[batch, wanted]` at the model's rate on the CPU, by the output rule."""
    wav = resample(checked_samples(raw, batch), rate, config.sample_rate)
    check_length(wav.shape[-1], rate, config, wanted, final=True)
    return fit_length(wav, wanted).contiguous()
