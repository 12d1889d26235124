"""Choosing a vocoder: an explicit name, or `auto` down the priority ranking with fallback.

What `select_vocoder` / `choose_vocoder` hand out is always a `CheckedVocoder`: callers
never talk to a plugin's object directly, so a plugin that raises or returns garbage while
rendering is caught there (and, under `auto`, replaced by the next one in the ranking).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import torch

from distill.errors import DistillError
from distill.host.assets import assets_of
from distill.host.checked import CheckedVocoder, NoVocoderLoaded
from distill.host.loading import AUTO, load_named, warn_about_broken
from distill.host.registry import VocoderRegistry, get_registry
from distill.progress import ProgressCallback
from distill.vocoders.types import Vocoder, VocoderAssets, model_spectrogram_config
from distill.vocoders.verdict import BASELINE, GENERATION, has_own_vocoder, own_vocoder_proven, verdict_summary

log = logging.getLogger(__name__)


def rank_vocoders(model: object, registry: VocoderRegistry | None = None, purpose: str = GENERATION) -> list[str]:
    """Plugin names that can serve `model` for `purpose`, best first (ties broken by name): the order `auto` tries."""
    return auto_order((registry or get_registry()).priorities(model, purpose))


def auto_order(priorities: dict[str, int]) -> list[str]:
    """Names by priority, highest first, ties broken by name."""
    return sorted(priorities, key=lambda name: (-priorities[name], name))


def _own_vocoder_unusable(model: object, ranking: list[str], registry: VocoderRegistry) -> str | None:
    """Why a model's own vocoder is not in the ranking (its plugin missing or broken), or None."""
    own = getattr(model, "vocoder_type", None)
    if not has_own_vocoder(model) or own in ranking:
        return None
    record = registry.record(own)
    why = (
        "is not installed"
        if record is None
        else f"is broken ({record.error})"
        if record.status != "ok"
        else "declined it"
    )
    return f"Model '{getattr(model, 'name', '?')}' carries its own '{own}' vocoder, but that plugin {why}."


def passed_over_note(model: object, chosen: str, purpose: str = GENERATION) -> str | None:
    """The auto warning when a model's own vocoder was ranked below the one `auto` chose, saying why
    (the verdict on the path of `purpose`)."""
    own = getattr(model, "vocoder_type", None)
    if not has_own_vocoder(model) or own == chosen or own_vocoder_proven(model, purpose):
        return None
    reason = verdict_summary(model, purpose)
    return f"Model '{model.name}' is rendered with '{chosen}', not its own '{own}': {reason[:1].lower()}{reason[1:]}"


@dataclass
class Selection:
    """The vocoder chosen, and every plugin auto-selection passed over on the way, with why.

    `skipped` is the vocoder's own list: a fallback while rendering is added to it too, so
    read it after rendering.
    """

    vocoder: CheckedVocoder
    skipped: list[dict[str, str]] = field(default_factory=list)  # [{"vocoder": name, "reason": sentence}]


def choose_vocoder(
    requested: str,
    model: object,
    device: torch.device,
    registry: VocoderRegistry | None = None,
    progress: ProgressCallback | None = None,
    purpose: str = GENERATION,
) -> Selection:
    """The vocoder to use: `requested` itself, or for `auto` the best one that loads for `purpose`.

    `purpose` is which mels will be rendered: `GENERATION` (the model's decoded mels,
    `generate`) or `RESYNTHESIS` (a recording's own mel, `vocode`); a model's own vocoder
    ranks by its verdict on that path.

    Auto-selection warns, naming the plugin and the reason, each time it moves down the
    ranking (at load time or, if a vocoder fails while rendering, then) and when it passes
    over the model's own vocoder (its held-out verdict says why; one never judged is
    unproven, and choosing never judges it), and returns those reasons as data so a front
    end can show them beside the result; an explicit name never falls back.
    """
    registry = registry or get_registry()
    config = model_spectrogram_config(model)

    def load(name: str) -> Vocoder:
        return load_named(name, model, device, registry, progress)

    if requested != AUTO:
        vocoder = CheckedVocoder([requested], load, config, device, progress, fallback=False)
        return Selection(vocoder, vocoder.skipped)
    warn_about_broken(registry)
    ranking = rank_vocoders(model, registry, purpose)
    own_skipped: list[dict[str, str]] = []
    own_problem = _own_vocoder_unusable(model, ranking, registry)
    if own_problem is not None:  # said, not silently swapped for another vocoder
        log.warning("%s; using another vocoder", own_problem.rstrip("."))
        own_skipped.append({"vocoder": getattr(model, "vocoder_type", ""), "reason": own_problem})
    try:
        vocoder = CheckedVocoder(ranking, load, config, device, progress)
    except NoVocoderLoaded as exc:
        installed = ", ".join(registry.names()) or "none"
        reasons = "; ".join(f"{s['vocoder']}: {s['reason']}" for s in own_skipped + exc.skipped)
        detail = f" ({reasons})" if reasons else ""
        raise DistillError(
            f"No vocoder could be loaded (installed: {installed}){detail}; `distill vocoders list` shows why, and "
            f"`distill vocoders install distill-vocoder-{BASELINE}` brings back the one that serves every model."
        ) from None
    note = passed_over_note(model, vocoder.name, purpose)
    if note:
        log.warning("%s", note)
        own_skipped.append({"vocoder": getattr(model, "vocoder_type", ""), "reason": note})
    vocoder.skipped[:0] = own_skipped  # the same list, so a fallback while rendering lands in it too
    return Selection(vocoder, vocoder.skipped)


def select_vocoder(
    requested: str,
    model: object,
    device: torch.device,
    registry: VocoderRegistry | None = None,
    progress: ProgressCallback | None = None,
    purpose: str = GENERATION,
) -> CheckedVocoder:
    """`choose_vocoder` for callers that only need the vocoder (the warnings are still logged)."""
    return choose_vocoder(requested, model, device, registry, progress, purpose).vocoder


@dataclass
class VocoderOption:
    """One installed plugin as a choice for a model: can it serve it, and if not, why not."""

    name: str
    description: str
    priority: int | None
    usable: bool
    reason: str | None = None
    assets: VocoderAssets | None = None  # what it downloads before its first use, and whether that is here


def vocoder_options(
    model: object, registry: VocoderRegistry | None = None, purpose: str = GENERATION
) -> list[VocoderOption]:
    """Every installed plugin for `model`, in auto's order for `purpose`, the ones that cannot serve it last.

    A plugin whose `vocoder_priority` answers None is asked to load once, on the CPU, for the
    sentence that says why it cannot serve (the hook contract makes that fail fast); a broken
    plugin is listed with its error; one whose downloads are missing and cannot be fetched now
    (`vocoder_assets`: offline) cannot serve either, with its sentence. Nothing is downloaded.
    """
    registry = registry or get_registry()
    answers = registry.priorities(model, purpose)
    options = []
    for record in registry.records():
        description = record.summary or record.distribution or ""
        if record.status != "ok":
            options.append(VocoderOption(record.name, description, None, False, f"broken ({record.error})"))
            continue
        priority = answers.get(record.name)
        assets = assets_of(record.name, registry)
        reason = assets.unavailable if assets is not None and not assets.ready else None
        if priority is None:
            try:
                load_named(record.name, model, torch.device("cpu"), registry)
            except DistillError as exc:
                reason = str(exc)
        options.append(VocoderOption(record.name, description, priority, reason is None, reason, assets))
    return sorted(options, key=lambda o: (not o.usable, -(o.priority or 0), o.name))
