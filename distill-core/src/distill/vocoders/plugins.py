"""Finding vocoder plugins and calling their hooks: the mechanics the host and the conformance suite share.

Plugins are found through the `distill.vocoders` entry-point group; the entry point's name
is the vocoder's name. When two distributions claim one name, a first-party distribution
wins, otherwise the distribution whose normalised name sorts first. The host
(`distill.host.registry`) adds containment on top (a plugin that raises is recorded as
broken, never takes the others down); the conformance suite uses these as they are, so a
plugin is tested exactly as the host finds and calls it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy
import torch

from distill.progress import ProgressCallback
from distill.vocoders import hookspecs
from distill.vocoders.types import Vocoder, VocoderUnavailable

ENTRY_POINT_GROUP = "distill.vocoders"
FIRST_PARTY_VOCODERS = tuple(
    line.strip()
    for line in (resources.files(__package__) / "first_party.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
FIRST_PARTY = frozenset({"distill-core", *(f"distill-vocoder-{name}" for name in FIRST_PARTY_VOCODERS)})


def normalised(distribution: str | None) -> str:
    """PEP 503 form of a distribution name (`Distill_Vocoder.X` -> `distill-vocoder-x`)."""
    return re.sub(r"[-_.]+", "-", distribution or "").lower()


def claim_order(distribution: str | None) -> tuple[bool, str]:
    """Sort key for rival claims on one name: first-party first, then by distribution name."""
    name = normalised(distribution)
    return (name not in FIRST_PARTY, name)


def origin(ep: EntryPoint) -> tuple[str | None, str | None, str | None]:
    """Distribution name, version and one-line summary of whoever installed `ep`."""
    dist = getattr(ep, "dist", None)
    return (dist.metadata["Name"], dist.version, dist.metadata["Summary"]) if dist is not None else (None, None, None)


def claims(eps: Iterable[EntryPoint] | None = None) -> dict[str, list[EntryPoint]]:
    """The group's entry points (or `eps`) by vocoder name, each name's rightful claim first."""
    found: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP) if eps is None else eps:
        found.setdefault(ep.name, []).append(ep)
    return {name: sorted(rivals, key=lambda ep: claim_order(origin(ep)[0])) for name, rivals in found.items()}


def is_vocoder(candidate: object) -> bool:
    """Whether `candidate` can render (has a callable `mel_to_waveform`)."""
    return callable(getattr(candidate, "mel_to_waveform", None))


class PluginHooks:
    """Plugin objects registered against the hookspecs under their vocoder names; hooks called one plugin at a time."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)

    def register(self, plugin: object, name: str) -> None:
        """Raises pluggy's validation error for a hook taking an argument its spec does not have."""
        self.manager.register(plugin, name=name)

    def unregister(self, name: str) -> None:
        plugin = self.manager.get_plugin(name)
        if plugin is not None:
            self.manager.unregister(plugin)

    def implementation(self, name: str, hook: str) -> pluggy.HookImpl | None:
        """Plugin `name`'s implementation of `hook`, if it has one."""
        plugin = self.manager.get_plugin(name)
        impls = [i for i in getattr(self.manager.hook, hook).get_hookimpls() if i.plugin is plugin]
        return impls[0] if plugin is not None and impls else None

    def arguments(self, name: str, hook: str) -> list[str] | None:
        """The argument names plugin `name`'s implementation of `hook` takes; None if it has none."""
        impl = self.implementation(name, hook)
        return list(impl.argnames) if impl is not None else None

    def call(self, name: str, hook: str, /, **kwargs: Any) -> Any:
        """Plugin `name`'s `hook` alone, passed only the arguments it takes; None if it does not implement it."""
        impl = self.implementation(name, hook)
        return None if impl is None else impl.function(*[kwargs.get(arg) for arg in impl.argnames])


def build_vocoder(
    hooks: PluginHooks,
    name: str,
    model: object,
    device: torch.device,
    progress: ProgressCallback | None = None,
) -> Vocoder:
    """Plugin `name`'s vocoder for `model`, built by its `load_vocoder` hook and moved to `device`.

    Raises `VocoderUnavailable` when the hook gives no vocoder, or something that cannot render.
    """
    vocoder = hooks.call(name, "load_vocoder", name=name, model=model, device=device, progress=progress)
    if vocoder is None:
        raise VocoderUnavailable(f"Vocoder plugin '{name}' did not provide a vocoder.")
    if not is_vocoder(vocoder):
        raise VocoderUnavailable(f"Vocoder plugin '{name}' returned a {type(vocoder).__name__}, not a vocoder.")
    moved = vocoder.to(device)
    return moved if is_vocoder(moved) else vocoder
