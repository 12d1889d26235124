"""Building a named plugin's vocoder for a model, with every way that can fail told in one sentence."""

from __future__ import annotations

import logging

import torch

from distill.errors import DistillError
from distill.host.registry import PluginFailure, VocoderRegistry, call_plugin, get_registry
from distill.progress import ProgressCallback
from distill.vocoders.plugins import build_vocoder
from distill.vocoders.types import Vocoder, VocoderUnavailable

AUTO = "auto"  # the vocoder "name" that asks for the best one that can serve the model

log = logging.getLogger(__name__)


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
        return call_plugin(build_vocoder, registry.hooks, name, model, device, progress)
    except PluginFailure as failure:
        if isinstance(failure.original, DistillError):
            raise failure.original from None
        raise VocoderUnavailable(f"Vocoder '{name}' failed to load ({failure}).") from failure


def warn_about_broken(registry: VocoderRegistry) -> None:
    """One warning line per plugin that is installed but could not even be imported or registered."""
    for record in registry.broken():
        where = f" ({record.distribution})" if record.distribution else ""
        log.warning("Vocoder plugin '%s'%s is broken and was skipped: %s", record.name, where, record.error)
