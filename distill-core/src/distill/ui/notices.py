"""What is wrong with a model or a sound, said in the page as prominently as a success.

The CLI warns in the terminal when a model is not learned, when a render comes out
near-silent, and when a model's own vocoder loses to the baseline; a page that only said
"Done." would hide exactly what a musician needs to know. These are the same facts, from
the same engine functions, as banners the page puts beside (or instead of) its success.
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from distill.models.diagnostics import (
    health_sentence,
    model_health,
    resemblance_far,
    resemblance_sentence,
    unhealthy_consequence,
)
from distill.models.format import DistillModel
from distill.ui.common import refusal
from distill.ui.wording import page_words
from distill.vocoders.verdict import has_own_vocoder, own_vocoder_proven, verdict_summary

STYLES = {
    "warning": "border-left:6px solid #d97706;background:#fffbeb;color:#78350f",
    "success": "border-left:6px solid #16a34a;background:#f0fdf4;color:#14532d",
    "error": "border-left:6px solid #dc2626;background:#fef2f2;color:#7f1d1d",
}
ICONS = {"warning": "⚠️", "success": "✓", "error": "⚠️"}


def banner(text: str, kind: str = "warning", bold: str = "") -> str:
    """One notice as HTML: a coloured box as wide as the page's text, the icon and `bold` first."""
    lead = f"<b>{html.escape(bold)}</b> " if bold else ""
    role = "status" if kind == "success" else "alert"
    return (
        f"<div class='notice notice-{kind}' role='{role}' style='{STYLES[kind]};padding:10px 14px;"
        f"border-radius:6px;margin:6px 0;font-size:1.05em'>{ICONS[kind]} {lead}{html.escape(text)}</div>"
    )


def refused(exc: Exception, outputs: int) -> list[Any]:
    """A refusal before any job started: its sentence in the first of `outputs` (the status), the rest unchanged."""
    return [banner(refusal(exc), "error"), *[gr.skip()] * (outputs - 1)]


def health_warning(model: DistillModel) -> str | None:
    """The CLI's warning for a model that is not learned or collapsed, in the page's words; None when healthy."""
    health = model_health(model)
    if not health.get("collapsed"):
        return None
    consequence = unhealthy_consequence(health, model.metadata.get("resemblance"))
    return (
        f"'{model.name}' is {health_sentence(health)}: {consequence}. Check that the recordings are audible and "
        "varied, or train longer (more “Epochs”)."
    )


def own_vocoder_warning(model: DistillModel) -> str | None:
    """Why a model's own vocoder is not what Auto uses (it lost its verdict, or was never judged); None if proven."""
    if not has_own_vocoder(model) or own_vocoder_proven(model):
        return None
    return page_words(verdict_summary(model) or "")


def resemblance(model: DistillModel) -> tuple[str, bool] | None:
    """Whether the model's sounds resemble its collection, and if that is a warning; None when not measured."""
    record = model.metadata.get("resemblance")
    if not isinstance(record, dict):
        return None
    try:
        return f"'{model.name}' {resemblance_sentence(record)}.", resemblance_far(record)
    except (KeyError, TypeError, ValueError):  # figures from another version of the measure
        return None


def model_notices(model: DistillModel) -> str:
    """Every warning about `model` as banners (empty when there is nothing to warn about)."""
    warnings = [w for w in (health_warning(model), own_vocoder_warning(model)) if w]
    shown = resemblance(model)
    if shown is not None and shown[1]:
        warnings.append(shown[0])
    return "".join(banner(w) for w in warnings)


def near_silent_warnings(records: list[dict[str, Any]]) -> str:
    """A banner for each generated file that came out near-silent (written at its own level, not lifted)."""
    notices = []
    for record in records:
        quality = record.get("quality") or {}
        if not quality.get("near_silent"):
            continue
        level = quality.get("peak_before_normalisation_dbfs")
        shown = "no signal at all" if level is None else f"a peak of {level:.0f} dBFS"
        notices.append(
            banner(
                f"The sound with seed {record.get('seed')} came out near-silent ({shown}) and was kept at that level, "
                "not amplified: the model or the vocoder renders almost nothing there. Try other slider settings, "
                "another vocoder, or train the model longer.",
                bold="Near-silent render.",
            )
        )
    return "".join(notices)
