"""Choosing a vocoder: an explicit name, or `auto` down the priority ranking with fallback."""

from __future__ import annotations

import logging

import torch

from distill.errors import DistillError
from distill.vocoders.evaluation import ensure_verdict, passed_over_note
from distill.vocoders.registry import VocoderRegistry, describe_error, get_registry
from distill.vocoders.types import ProgressCallback, Vocoder, VocoderUnavailable

AUTO = "auto"

log = logging.getLogger(__name__)


def rank_vocoders(model: object, registry: VocoderRegistry | None = None) -> list[str]:
    """Plugin names that can serve `model`, best first (ties broken by name)."""
    registry = registry or get_registry()
    answers = registry.priorities(model)
    return sorted(answers, key=lambda name: (-answers[name], name))


def load_named(
    name: str,
    model: object,
    device: torch.device,
    registry: VocoderRegistry | None = None,
    progress: ProgressCallback | None = None,
) -> Vocoder:
    """Load plugin `name`'s vocoder; every failure becomes one sentence for the user."""
    registry = registry or get_registry()
    record = registry.record(name)
    if record is None:
        usable = ", ".join([AUTO, *registry.names()])
        raise DistillError(f"Unknown vocoder '{name}'; usable vocoders: {usable}.")
    if record.status != "ok":
        raise DistillError(f"Vocoder '{name}' is installed but broken ({record.error}).")
    try:
        vocoder = registry.call(name, "load_vocoder", name=name, model=model, device=device, progress=progress)
    except DistillError:
        raise
    except Exception as exc:
        raise VocoderUnavailable(f"Vocoder '{name}' failed to load ({describe_error(exc)}).") from exc
    if vocoder is None:
        raise VocoderUnavailable(f"Vocoder plugin '{name}' did not provide a vocoder.")
    return vocoder.to(device)


def select_vocoder(
    requested: str,
    model: object,
    device: torch.device,
    registry: VocoderRegistry | None = None,
    progress: ProgressCallback | None = None,
) -> Vocoder:
    """The vocoder to use: `requested` itself, or for `auto` the best one that loads.

    Auto-selection warns, naming the plugin and the reason, each time it moves down the
    ranking, and when it passes over the model's own vocoder (its held-out verdict says
    why); an explicit name never falls back.
    """
    registry = registry or get_registry()
    if requested != AUTO:
        return load_named(requested, model, device, registry, progress)
    ensure_verdict(model, device, registry)
    ranking = rank_vocoders(model, registry)
    reasons = []
    for position, name in enumerate(ranking):
        try:
            vocoder = load_named(name, model, device, registry, progress)
        except DistillError as exc:
            following = ranking[position + 1 :]
            then = f"; trying '{following[0]}' instead" if following else ""
            log.warning("Vocoder '%s' could not be used: %s%s", name, str(exc).rstrip("."), then)
            reasons.append(f"{name}: {exc}")
            continue
        note = passed_over_note(model, name)
        if note:
            log.warning("%s", note)
        return vocoder
    installed = ", ".join(registry.names()) or "none"
    detail = f" ({'; '.join(reasons)})" if reasons else ""
    raise DistillError(f"No vocoder could be loaded (installed: {installed}){detail}.")
