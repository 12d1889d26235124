"""What vocoders download before their first use: their state, and fetching it ahead of time.

Plugins describe their downloads through the optional `vocoder_assets` hook and fetch them
through `fetch_vocoder_assets`; a plugin without them downloads nothing (or does it inside
`load_vocoder`, as before). Plugin code runs contained here as everywhere in the host: a
plugin whose description raises is left out with a warning, never takes the list down.
"""

from __future__ import annotations

import logging

from distill.errors import DistillError
from distill.host.registry import PluginFailure, VocoderRegistry, get_registry
from distill.progress import ProgressCallback, ShouldStop
from distill.vocoders.types import VocoderAssets

log = logging.getLogger(__name__)


def assets_of(name: str, registry: VocoderRegistry | None = None) -> VocoderAssets | None:
    """Plugin `name`'s downloads and their state; None when it has none (or describes them wrongly)."""
    registry = registry or get_registry()
    if name not in registry.names() or not registry.implements(name, "vocoder_assets"):
        return None
    try:
        assets = registry.call(name, "vocoder_assets", name=name)
    except PluginFailure as failure:
        log.warning("Vocoder plugin '%s' could not describe its downloads: %s", name, failure)
        return None
    if assets is not None and not isinstance(assets, VocoderAssets):
        log.warning("Vocoder plugin '%s' described its downloads as a %s, not VocoderAssets.", name, type(assets))
        return None
    return assets


def all_assets(registry: VocoderRegistry | None = None) -> dict[str, VocoderAssets]:
    """Every installed vocoder that downloads something, by name."""
    registry = registry or get_registry()
    found = {name: assets_of(name, registry) for name in registry.names()}
    return {name: assets for name, assets in found.items() if assets is not None}


def fetch_assets(
    name: str,
    progress: ProgressCallback | None = None,
    should_stop: ShouldStop | None = None,
    registry: VocoderRegistry | None = None,
) -> VocoderAssets:
    """Download what vocoder `name` needs now; one sentence when it needs nothing or cannot.

    A stop request (`should_stop`, Ctrl-C) ends it with `Cancelled`, leaving nothing partial
    that a later load could take for whole (the plugin's promise, `fetch_vocoder_assets`).
    """
    registry = registry or get_registry()
    if registry.record(name) is None:
        raise DistillError(f"Unknown vocoder '{name}'; installed: {', '.join(registry.names()) or 'none'}.")
    if not registry.implements(name, "fetch_vocoder_assets"):
        raise DistillError(f"Vocoder '{name}' downloads nothing ahead of time; it is ready when installed.")
    try:
        assets = registry.call(name, "fetch_vocoder_assets", name=name, progress=progress, should_stop=should_stop)
    except PluginFailure as failure:
        if isinstance(failure.original, DistillError):
            raise failure.original from None
        raise DistillError(f"Vocoder '{name}' could not download what it needs ({failure}).") from failure
    if not isinstance(assets, VocoderAssets):
        raise DistillError(f"Vocoder '{name}' did not say what it downloaded.")
    return assets
