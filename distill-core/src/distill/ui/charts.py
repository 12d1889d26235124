"""Training figures as charts: every metric the engine reports, in panels with names people read.

The engine decides which figures exist (losses, validation loss, the health figures, GAN
losses, the held-out curve); this module names them and groups them: training and
validation loss share a panel, the model's reconstruction error shares one with its two
baselines (the mean segment and silence), `X: A` and `X: B` share panel `X` (a line each:
the own vocoder's held-out distance against the baseline's), and so on. A figure it does
not know gets a panel of its own under its name in words. Rates (`.../s`) are shown as
text rather than charted.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import gradio as gr
import pandas as pd

from distill.progress import Progress

PANELS = 6
PER_ROW = 2


@dataclass(frozen=True)
class Series:
    panel: str  # the panel's title
    label: str  # the line's name in the legend
    short: str  # its name in the line of latest figures


ERROR = "Reconstruction error vs two baselines"
SERIES = {
    "loss": Series("Loss", "training", "loss"),
    "val_loss": Series("Loss", "validation (held-out recordings)", "validation loss"),
    "heldout_l1": Series(ERROR, "the model (held-out recordings)", "held-out error"),
    "train_l1": Series(ERROR, "the model (training recordings)", "training error"),
    "mean_segment_l1": Series(ERROR, "baseline: the mean sound", "mean-sound baseline"),
    "silence_l1": Series(ERROR, "baseline: silence", "silence baseline"),
    "recon": Series("Reconstruction loss", "reconstruction", "reconstruction"),
    "kl": Series("KL divergence (code spread vs prior)", "KL", "KL"),
    "active_units": Series("Active latent units", "active units", "active units"),
    "sharpen_recon": Series("Sharpening the decoder", "reconstruction", "sharpening reconstruction"),
    "sharpen_adversarial": Series("Sharpening the decoder", "adversarial", "sharpening adversarial"),
    "generator": Series("Generator loss", "generator", "generator"),
    "discriminator": Series("Discriminator loss", "discriminator", "discriminator"),
    "mel": Series("Distance to the original", "mel spectrogram (L1)", "mel distance"),
    "stft": Series("Distance to the original", "multi-resolution STFT", "STFT distance"),
}
VOCODER_PANELS = ("Generator loss", "Discriminator loss", "Distance to the original")
WAITING = {"Discriminator loss": "The discriminators join after the warm-up steps; their loss is charted from then."}


@functools.cache  # called for every point of every chart, every second a job is followed
def words(metric: str) -> Series:
    """A figure's panel and line name; `X: A` is line A of panel X; an unknown one in words under its own panel."""
    if ": " in metric:
        panel, line = metric.split(": ", 1)
        return Series(panel[:1].upper() + panel[1:], line, metric)
    spoken = metric.replace("_", " ")
    return SERIES.get(metric) or Series(spoken.capitalize(), spoken, spoken)


def is_rate(metric: str) -> bool:
    return metric.endswith("/s")


def metric_table(events: list[Progress]) -> pd.DataFrame:
    """Long format: one row per (x, series, value, panel) over every event that carries metrics."""
    rows = [
        {"x": float(e.completed), "series": words(name).label, "value": float(value), "panel": words(name).panel}
        for e in events
        for name, value in e.metrics.items()
        if not is_rate(name) and value == value  # NaN is no point on a chart
    ]
    # Numbers even when empty: a chart first drawn from text columns keeps treating its axes as categories.
    return pd.DataFrame(rows, columns=["x", "series", "value", "panel"]).astype({"x": float, "value": float})


def make_panels(x_title: str) -> list[gr.LinePlot]:
    """Empty, hidden chart panels, `PER_ROW` to a row, filled by `panel_updates` as figures arrive."""
    panels = []
    for start in range(0, PANELS, PER_ROW):
        with gr.Row(equal_height=True):
            panels += [
                gr.LinePlot(
                    x="x",
                    y="value",
                    color="series",
                    x_title=x_title,
                    y_title=" ",
                    x_axis_format="~g",
                    y_axis_format=".3~g",  # 3 significant figures: "32", not "32.000000"
                    visible=False,
                    height=240,
                )
                for _ in range(start, min(PANELS, start + PER_ROW))
            ]
    return panels


def panel_updates(events: list[Progress], x_title: str, expected: tuple[str, ...] = ()) -> list[gr.LinePlot]:
    """One update per panel: the `expected` panels (shown, with a note, before their first point), then the rest."""
    table = metric_table(events)
    titles = list(dict.fromkeys([*expected, *table["panel"]]))
    updates = []
    for index in range(PANELS):
        if index >= len(titles):
            updates.append(gr.LinePlot(visible=False))
            continue
        title = titles[index]
        data = table[table["panel"] == title][["x", "value", "series"]]
        several = data["series"].nunique() > 1  # a legend only where lines share a panel
        updates.append(
            gr.LinePlot(
                value=data,
                title=title,
                color="series" if several else None,
                x_title=x_title,
                caption=WAITING.get(title) if data.empty else None,
                visible=True,
            )
        )
    return updates


def latest_figures(events: list[Progress]) -> str:
    """The newest value of every figure, rates included, as one line of rounded text in words."""
    latest: dict[str, float] = {}
    for event in events:
        latest.update(event.metrics)
    return "  ·  ".join(f"{words(name).short} {value:.3g}" for name, value in latest.items())
