"""The vocoder menu, wherever one is picked (Generate, both A/B sections): what each is, and whether it can serve.

Every installed vocoder is listed for the chosen model with what it is; one that cannot
serve it says so in its label (not available for this model, or not downloaded and not
downloadable now, e.g. offline) and, when chosen, the reason appears and the button that
would fail stays off, so nothing fails only after a click. A vocoder that will download its
weights on first use says that too.
"""

from __future__ import annotations

import gradio as gr

from distill.host.selector import AUTO, rank_vocoders, vocoder_options
from distill.models.format import DistillModel
from distill.progress import size_text
from distill.ui.notices import banner
from distill.ui.wording import page_words

AUTO_LABEL = "Auto (best available)"


def menu(model: DistillModel | None) -> tuple[list[tuple[str, str]], dict[str, str], str]:
    """(choices, unusable name -> why, what Auto will try) for `model`."""
    choices = [(AUTO_LABEL, AUTO)]
    unusable = {}
    for option in vocoder_options(model):
        assets = option.assets
        if option.usable:
            later = (
                f" (downloads {size_text(assets.download_bytes or 0)} on first use)"
                if assets and not assets.ready
                else ""
            )
            choices.append((f"{option.name} — {option.description}{later}", option.name))
            continue
        missing = assets is not None and not assets.ready and option.reason == assets.unavailable
        why = "not available: not downloaded, and it cannot download now" if missing else "not available for this model"
        choices.append((f"{option.name} — {why}", option.name))
        unusable[option.name] = page_words(option.reason or "it cannot serve this model")
    order = rank_vocoders(model) if model is not None else []
    auto = f"Auto tries, best first: {', '.join(order)}." if order else ""
    return choices, unusable, auto


def note(name: str, unusable: dict[str, str], auto: str) -> tuple[str, gr.Button]:
    """Why the chosen vocoder cannot be used (its button off), or what Auto will try (its button on)."""
    if name in unusable:
        return banner(unusable[name], "warning", bold=f"{name} cannot be used here:"), gr.Button(interactive=False)
    return (f"<p>{auto}</p>" if name == AUTO and auto else ""), gr.Button(interactive=True)


def dropdown(choices: list[tuple[str, str]], value: str = AUTO) -> gr.Dropdown:
    return gr.Dropdown(choices=choices, value=value if value in [c[1] for c in choices] else AUTO)
