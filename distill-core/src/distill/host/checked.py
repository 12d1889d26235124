"""The vocoder the host hands out: every render held to the output contract, and under `auto`
a fallback down the ranking.

What a plugin's `mel_to_waveform` returns must meet the output contract
(`distill.vocoders.output`; docs/writing-a-vocoder-plugin.md states it for authors); a
result that does not, or an exception, is that vocoder's failure. Under `auto` the host
then warns once, naming the plugin and the reason, and renders the same mel with the next
vocoder in the ranking, which it keeps using; an explicitly named vocoder fails with one
sentence. Either way nothing half-made reaches the caller, so nothing is written.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator
from typing import TypeVar

import torch

from distill.audio.resampling import Resampler
from distill.audio.spectrogram import SpectrogramConfig
from distill.errors import DistillError
from distill.host.registry import PluginFailure, call_plugin
from distill.progress import ProgressCallback
from distill.vocoders.output import VocoderFault, check_length, check_mel, checked_samples, conform, declared_rate
from distill.vocoders.types import Vocoder, fit_pieces

T = TypeVar("T")

log = logging.getLogger(__name__)


class RenderRestarted(Exception):
    """A streamed render failed after some of its pieces were delivered.

    The vocoder has already moved on to the next candidate (auto) when this is raised:
    the caller discards what it received and asks for the stream again.
    """


def until_rendered(attempt: Callable[[], T]) -> T:
    """`attempt()`, made again after each `RenderRestarted` (the next vocoder is in place by then)."""
    while True:
        try:
            return attempt()
        except RenderRestarted:
            continue


class NoVocoderLoaded(DistillError):
    """Every candidate failed to load; `skipped` says why, one entry per candidate."""

    def __init__(self, skipped: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{s['vocoder']}: {s['reason']}" for s in skipped))
        self.skipped = skipped


def streams(vocoder: object) -> bool:
    """Whether `vocoder` renders piece by piece (overrides `Vocoder.stream_waveform`)."""
    method = getattr(type(vocoder), "stream_waveform", None)
    return callable(method) and method is not Vocoder.stream_waveform


def accepted_keywords(method: Callable) -> set[str] | None:
    """Keyword names `method` accepts; None when it takes `**kwargs` or cannot be inspected."""
    try:
        parameters = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return {"num_samples"}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


class CheckedVocoder(Vocoder):
    """Plugins' vocoders behind the output rule, tried in order: the first that loads, then fallbacks.

    `candidates` are plugin names, best first; `load(name)` builds one (raising
    `DistillError` with one sentence when it cannot). With `fallback` False only the
    first candidate is ever used, and its failures are raised as they are.
    """

    def __init__(
        self,
        candidates: list[str],
        load: Callable[[str], Vocoder],
        config: SpectrogramConfig,
        device: torch.device,
        progress: ProgressCallback | None = None,
        fallback: bool = True,
    ) -> None:
        self.config = config
        self.sample_rate = config.sample_rate
        self.device = torch.device(device)
        self._pending = list(candidates)
        self._load = load
        self._progress = progress
        self._fallback = fallback
        self.skipped: list[dict[str, str]] = []  # [{"vocoder": name, "reason": sentence}], in order
        self._inner: Vocoder | None = None
        self._advance()

    @property
    def inner(self) -> Vocoder:
        """The plugin's own vocoder in use now (for benchmarks and tests that need its internals)."""
        return self._inner

    def _fail(self, name: str, reason: str, sentence: str) -> None:
        """Record that vocoder `name` failed (`reason` completes "Vocoder 'NAME' ...", `sentence`
        stands alone); explicit: raise that, auto: warn if another vocoder is left to try."""
        self.skipped.append({"vocoder": name, "reason": sentence})
        if not self._fallback:
            raise DistillError(f"Vocoder '{name}' {reason}.")
        if self._pending:
            log.warning("Vocoder '%s' %s; trying '%s' instead", name, reason, self._pending[0])

    def _advance(self) -> None:
        """Use the next candidate that loads; one sentence with every reason when none is left."""
        while self._pending:
            name = self._pending.pop(0)
            try:
                inner = self._load(name)
            except DistillError as exc:
                if not self._fallback:
                    raise
                self._fail(name, f"could not be used: {str(exc).rstrip('.')}", str(exc))
                continue
            self.name, self._inner, self._keywords = name, inner, accepted_keywords(inner.mel_to_waveform)
            return
        if self._inner is None:
            raise NoVocoderLoaded(self.skipped)
        reasons = "; ".join(f"{s['vocoder']}: {s['reason'].rstrip('.')}" for s in self.skipped)
        raise DistillError(f"No vocoder could render this mel ({reasons}).")

    def to(self, device: torch.device | str) -> CheckedVocoder:
        """Move the vocoder in use (a later fallback loads on the device it was selected for)."""
        self.device = torch.device(device)
        try:
            moved = call_plugin(self._inner.to, self.device)
        except PluginFailure as failure:
            raise DistillError(f"Vocoder '{self.name}' could not move to {self.device} ({failure}).") from failure
        if callable(getattr(moved, "mel_to_waveform", None)):
            self._inner = moved
        return self

    def mel_to_waveform(self, mel: torch.Tensor, num_samples: int | None = None) -> torch.Tensor:
        """`[B, n_mels, frames] -> [B, samples]` float32 on the CPU, from the first vocoder that renders it."""
        check_mel(mel, self.config)
        wanted = num_samples if num_samples is not None else mel.shape[-1] * self.config.hop_length
        while True:
            try:
                return self._render(mel, num_samples, wanted)
            except VocoderFault as fault:
                reason = str(fault)
                self._fail(self.name, reason, f"{reason[0].upper()}{reason[1:]}.")
                self._advance()

    def stream_waveform(
        self, mel: torch.Tensor, num_samples: int | None = None, progress: ProgressCallback | None = None
    ) -> Iterator[torch.Tensor]:
        """`mel_to_waveform`'s result as checked float32 CPU pieces `[B, n]`, as the vocoder renders them.

        A vocoder that fails before its first piece is replaced as in `mel_to_waveform`; one
        that fails later raises `RenderRestarted` once the next candidate is in place.
        """
        check_mel(mel, self.config)
        wanted = num_samples if num_samples is not None else mel.shape[-1] * self.config.hop_length
        while True:
            delivered = False
            try:
                if not streams(self._inner):
                    yield self._render(mel, num_samples, wanted)
                    return
                for piece in fit_pieces(self._stream(mel, num_samples, wanted, progress or self._progress), wanted):
                    delivered = True
                    yield piece
                return
            except VocoderFault as fault:
                reason = str(fault)
                self._fail(self.name, reason, f"{reason[0].upper()}{reason[1:]}.")
                self._advance()
                if delivered:
                    raise RenderRestarted(reason) from fault

    def _stream(
        self, mel: torch.Tensor, num_samples: int | None, wanted: int, progress: ProgressCallback | None
    ) -> Iterator[torch.Tensor]:
        """The plugin's own stream, each piece checked, resampled to the model's rate and fitted to `wanted`."""
        offered = {"num_samples": num_samples, "progress": progress}
        allowed = accepted_keywords(self._inner.stream_waveform)
        keywords = {k: v for k, v in offered.items() if allowed is None or k in allowed}
        try:
            pieces = iter(call_plugin(self._inner.stream_waveform, mel, **keywords))
            rate = declared_rate(self._inner)
            resampler = Resampler(rate, self.config.sample_rate)
            done = 0
            for raw in iter(lambda: call_plugin(next, pieces, None), None):
                for piece in resampler.process(checked_samples(raw, mel.shape[0])):
                    check_length(done + piece.shape[-1], rate, self.config, wanted, final=False)
                    done += piece.shape[-1]
                    yield piece
            for piece in resampler.finish():
                check_length(done + piece.shape[-1], rate, self.config, wanted, final=False)
                done += piece.shape[-1]
                yield piece
            check_length(done, rate, self.config, wanted, final=True)
        except PluginFailure as failure:
            raise VocoderFault(f"failed while rendering ({failure})") from failure

    def _render(self, mel: torch.Tensor, num_samples: int | None, wanted: int) -> torch.Tensor:
        offered = {"num_samples": num_samples, "progress": self._progress}
        keywords = {k: v for k, v in offered.items() if self._keywords is None or k in self._keywords}
        try:
            raw = call_plugin(self._inner.mel_to_waveform, mel, **keywords)
            rate = declared_rate(self._inner)
        except PluginFailure as failure:
            raise VocoderFault(f"failed while rendering ({failure})") from failure
        return conform(raw, mel.shape[0], rate, self.config, wanted)
