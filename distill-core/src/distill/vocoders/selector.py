"""Choosing a vocoder: an explicit name, or `auto` down the priority ranking with fallback."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

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


@dataclass
class Selection:
    """The vocoder chosen, and every plugin auto-selection passed over on the way, with why."""

    vocoder: Vocoder
    skipped: list[dict[str, str]] = field(default_factory=list)  # [{"vocoder": name, "reason": sentence}]


def choose_vocoder(
    requested: str,
    model: object,
    device: torch.device,
    registry: VocoderRegistry | None = None,
    progress: ProgressCallback | None = None,
) -> Selection:
    """The vocoder to use: `requested` itself, or for `auto` the best one that loads.

    Auto-selection warns, naming the plugin and the reason, each time it moves down the
    ranking and when it passes over the model's own vocoder (its held-out verdict says why),
    and returns those reasons as data so a front end can show them beside the result; an
    explicit name never falls back.
    """
    registry = registry or get_registry()
    if requested != AUTO:
        return Selection(load_named(requested, model, device, registry, progress))
    ensure_verdict(model, device, registry)
    ranking = rank_vocoders(model, registry)
    skipped: list[dict[str, str]] = []
    for position, name in enumerate(ranking):
        try:
            vocoder = load_named(name, model, device, registry, progress)
        except DistillError as exc:
            following = ranking[position + 1 :]
            then = f"; trying '{following[0]}' instead" if following else ""
            log.warning("Vocoder '%s' could not be used: %s%s", name, str(exc).rstrip("."), then)
            skipped.append({"vocoder": name, "reason": str(exc)})
            continue
        note = passed_over_note(model, name)
        if note:
            log.warning("%s", note)
            skipped.append({"vocoder": getattr(model, "vocoder_type", ""), "reason": note})
        return Selection(vocoder, skipped)
    installed = ", ".join(registry.names()) or "none"
    reasons = "; ".join(f"{s['vocoder']}: {s['reason']}" for s in skipped)
    detail = f" ({reasons})" if reasons else ""
    raise DistillError(f"No vocoder could be loaded (installed: {installed}){detail}.")


def select_vocoder(
    requested: str,
    model: object,
    device: torch.device,
    registry: VocoderRegistry | None = None,
    progress: ProgressCallback | None = None,
) -> Vocoder:
    """`choose_vocoder` for callers that only need the vocoder (the warnings are still logged)."""
    return choose_vocoder(requested, model, device, registry, progress).vocoder


@dataclass
class VocoderOption:
    """One installed plugin as a choice for a model: can it serve it, and if not, why not."""

    name: str
    description: str
    priority: int | None
    usable: bool
    reason: str | None = None


def vocoder_options(model: object, registry: VocoderRegistry | None = None) -> list[VocoderOption]:
    """Every installed plugin for `model`, in auto's order, the ones that cannot serve it last.

    A plugin whose `vocoder_priority` answers None is asked to load once, on the CPU, for the
    sentence that says why it cannot serve (the hook contract makes that fail fast); a broken
    plugin is listed with its error. Nothing is downloaded for a plugin that can serve.
    """
    registry = registry or get_registry()
    answers = registry.priorities(model)
    options = []
    for record in registry.records():
        description = record.summary or record.distribution or ""
        if record.status != "ok":
            options.append(VocoderOption(record.name, description, None, False, f"broken ({record.error})"))
            continue
        priority = answers.get(record.name)
        reason = None
        if priority is None:
            try:
                load_named(record.name, model, torch.device("cpu"), registry)
            except DistillError as exc:
                reason = str(exc)
        options.append(VocoderOption(record.name, description, priority, reason is None, reason))
    return sorted(options, key=lambda o: (not o.usable, -(o.priority or 0), o.name))
