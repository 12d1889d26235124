"""Choosing a vocoder: an explicit name, or `auto` down the priority ranking with fallback.

What `select_vocoder` returns is always a `CheckedVocoder`: callers never talk to a
plugin's object directly, so a plugin that raises or returns garbage while rendering is
caught there (and, under `auto`, replaced by the next one in the ranking).
"""

from __future__ import annotations

import logging

import torch

from distill.errors import DistillError
from distill.vocoders.checked import CheckedVocoder, NoVocoderLoaded
from distill.vocoders.registry import PluginFailure, VocoderRegistry, call_plugin, get_registry
from distill.vocoders.types import ProgressCallback, Vocoder, VocoderUnavailable, model_spectrogram_config

AUTO = "auto"

log = logging.getLogger(__name__)


def rank_vocoders(model: object, registry: VocoderRegistry | None = None) -> list[str]:
    """Plugin names that can serve `model`, best first (ties broken by name): the order `auto` tries."""
    return auto_order((registry or get_registry()).priorities(model))


def auto_order(priorities: dict[str, int]) -> list[str]:
    """Names by priority, highest first, ties broken by name."""
    return sorted(priorities, key=lambda name: (-priorities[name], name))


def load_named(
    name: str,
    model: object,
    device: torch.device,
    registry: VocoderRegistry | None = None,
    progress: ProgressCallback | None = None,
) -> Vocoder:
    """Plugin `name`'s own vocoder, on `device`; every failure becomes one sentence for the user."""
    registry = registry or get_registry()
    record = registry.record(name)
    if record is None:
        usable = ", ".join([AUTO, *registry.names()])
        raise DistillError(f"Unknown vocoder '{name}'; usable vocoders: {usable}.")
    if record.status != "ok":
        raise DistillError(f"Vocoder '{name}' is installed but broken ({record.error}).")
    try:
        vocoder = registry.call(name, "load_vocoder", name=name, model=model, device=device, progress=progress)
        if vocoder is None:
            raise VocoderUnavailable(f"Vocoder plugin '{name}' did not provide a vocoder.")
        if not callable(getattr(vocoder, "mel_to_waveform", None)):
            raise VocoderUnavailable(f"Vocoder plugin '{name}' returned a {type(vocoder).__name__}, not a vocoder.")
        moved = call_plugin(vocoder.to, device)
    except PluginFailure as failure:
        if isinstance(failure.original, DistillError):
            raise failure.original from None
        raise VocoderUnavailable(f"Vocoder '{name}' failed to load ({failure}).") from failure
    return moved if callable(getattr(moved, "mel_to_waveform", None)) else vocoder


def warn_about_broken(registry: VocoderRegistry) -> None:
    """One warning line per plugin that is installed but could not even be imported or registered."""
    for record in registry.broken():
        where = f" ({record.distribution})" if record.distribution else ""
        log.warning("Vocoder plugin '%s'%s is broken and was skipped: %s", record.name, where, record.error)


def select_vocoder(
    requested: str,
    model: object,
    device: torch.device,
    registry: VocoderRegistry | None = None,
    progress: ProgressCallback | None = None,
) -> CheckedVocoder:
    """The vocoder to use: `requested` itself, or for `auto` the best one that loads.

    Auto-selection warns, naming the plugin and the reason, each time it moves down the
    ranking (at load time or, if a vocoder fails while rendering, then); an explicit name
    never falls back.
    """
    registry = registry or get_registry()
    config = model_spectrogram_config(model)

    def load(name: str) -> Vocoder:
        return load_named(name, model, device, registry, progress)

    if requested != AUTO:
        return CheckedVocoder([requested], load, config, device, progress, fallback=False)
    warn_about_broken(registry)
    ranking = rank_vocoders(model, registry)
    try:
        return CheckedVocoder(ranking, load, config, device, progress)
    except NoVocoderLoaded as exc:
        installed = ", ".join(registry.names()) or "none"
        detail = f" ({'; '.join(exc.reasons)})" if exc.reasons else ""
        raise DistillError(f"No vocoder could be loaded (installed: {installed}){detail}.") from None
