"""What `distill vocoders list` reports: every installed claim, its priority for a model,
where `auto` would try it, and (on request) whether it actually loads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from distill.errors import DistillError
from distill.host.loading import load_named
from distill.host.registry import PluginRecord, VocoderRegistry, get_registry
from distill.host.selector import auto_order
from distill.vocoders.verdict import GENERATION, RESYNTHESIS


@dataclass
class VocoderStatus:
    """One row: the registry's record plus what the hooks answered for the model asked about."""

    record: PluginRecord
    priority: int | None = None
    auto_rank: int | None = None  # 1 = auto tries it first; None = auto never tries it
    load: str = "not tried"  # "ok", "failed" or "not tried"
    load_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            **self.record.to_dict(),
            "priority": self.priority,
            "auto_rank": self.auto_rank,
            "load": self.load,
        }
        if self.load_error is not None:
            data["load_error"] = self.load_error
        return data


def survey_vocoders(
    model: object | None,
    registry: VocoderRegistry | None = None,
    load: bool = False,
    device: torch.device | None = None,
) -> list[VocoderStatus]:
    """Every claim on a vocoder name, asked about `model` (None = model-less resynthesis).

    Priorities are always asked (the hook must be cheap), for generating with `model`, or
    for resynthesis without one; with `load`, every working plugin's `load_vocoder` is
    called too, which may download weights.
    """
    registry = registry or get_registry()
    purpose = GENERATION if model is not None else RESYNTHESIS
    priorities = registry.priorities(model, purpose)  # marks plugins whose priority hook fails as broken
    ranking = auto_order(priorities)
    rows = []
    for record in registry.all_records():
        row = VocoderStatus(record)
        if record.active and record.status == "ok":
            row.priority = priorities.get(record.name)
            row.auto_rank = ranking.index(record.name) + 1 if record.name in ranking else None
            if load:
                try:
                    load_named(record.name, model, device or torch.device("cpu"), registry)
                    row.load = "ok"
                except DistillError as exc:
                    row.load, row.load_error = "failed", str(exc)
        rows.append(row)
    return rows
