"""A model's sliders as the page shows them: which end is which, measured, and only those that do something.

The ends come from `controls.directions`, which measures each slider at both ends across
seeds where generation draws: "decay (shorter ↔ longer)", or the other way round when that
is what the sound does. A slider along which nothing measurable changes is hidden (kept at
its default) and the page says how many. Measuring takes a few hundred decodes, so it is
done once per model file in this process.
"""

from __future__ import annotations

import gradio as gr

from distill.controls.analysis import MAX_SLIDERS
from distill.controls.directions import ENDS, Direction, slider_directions
from distill.models.format import DistillModel

_measured: dict[tuple[str, str], list[Direction]] = {}


def directions(model: DistillModel) -> list[Direction]:
    key = (model.id, str(model.metadata.get("created")))
    if key not in _measured:
        _measured[key] = slider_directions(model)
    return _measured[key]


def label(name: str, direction: Direction | None) -> str:
    """`decay (shorter ↔ longer)`: the slider's name and what its ends do."""
    ends = direction.ends if direction is not None else None
    return f"{name} ({ends[0]} ↔ {ends[1]})" if ends else name


def slider_updates(model: DistillModel | None) -> tuple[list[gr.Slider], str]:
    """One update per slider slot (the model's shown or hidden, the spares hidden) and a note on the hidden ones."""
    sliders = (model.latent_analysis or {}).get("sliders", []) if model is not None else []
    measured = {d.index: d for d in directions(model)} if sliders else {}
    updates, hidden = [], 0
    for s in sliders:
        direction = measured.get(s["index"])
        silent = direction is not None and direction.feature is None
        hidden += silent
        info = f"{100 * s['explained_variance']:.0f} % of the collection's variety"
        if direction is not None and direction.feature not in (None, s["name"]) and s["name"] in ENDS:
            info += f"; measured, it changes the {direction.feature} more surely than the {s['name']}"
        updates.append(
            gr.Slider(
                minimum=s["minimum"],
                maximum=s["maximum"],
                value=s["default"],
                step=0.01,
                label=label(s["name"], direction),
                info=info,
                visible=not silent,
            )
        )
    updates += [gr.Slider(visible=False, value=0.0) for _ in range(MAX_SLIDERS - len(updates))]
    note = ""
    if hidden:
        note = (
            f"{hidden} of the model's {len(sliders)} sliders change nothing measurable in its sounds "
            "(length, level, brightness, noisiness or bass), so they are not shown."
        )
    return updates, note
