"""Training figures as charts: every metric the engine reports, grouped into small panels.

The engine decides which figures exist (losses, validation loss, collapse figures, GAN
losses, the held-out curve); this module only groups them: `val_X` shares a panel with `X`
so train and validation can be compared on one axis, `X: A` and `X: B` share panel `X`
(a line each: the own vocoder's held-out distance against the baseline's), every other
figure gets a panel of its own, and rates (`.../s`) are shown as text rather than charted.
"""

from __future__ import annotations

import gradio as gr
import pandas as pd

from distill.progress import Progress

PANELS = 6


def family(metric: str) -> str:
    """The panel a metric is drawn in: `val_loss` and `loss` share `loss`; `X: A` and `X: B` share `X`."""
    if ": " in metric:
        return metric.split(": ", 1)[0]
    for prefix in ("val_", "validation_", "train_", "heldout_"):
        if metric.startswith(prefix):
            return metric[len(prefix) :]
    return metric


def is_rate(metric: str) -> bool:
    return metric.endswith("/s")


def metric_table(events: list[Progress]) -> pd.DataFrame:
    """Long format: one row per (x, metric, value) over every event that carries metrics."""
    rows = [
        {"x": float(e.completed), "metric": name, "value": float(value), "panel": family(name)}
        for e in events
        for name, value in e.metrics.items()
        if not is_rate(name) and value == value  # NaN is no point on a chart
    ]
    return pd.DataFrame(rows, columns=["x", "metric", "value", "panel"])


def make_panels(x_title: str) -> list[gr.LinePlot]:
    """Empty, hidden chart panels, filled by `panel_updates` as figures arrive."""
    return [
        gr.LinePlot(x="x", y="value", color="metric", x_title=x_title, y_title=" ", visible=False, height=220)
        for _ in range(PANELS)
    ]


def panel_updates(events: list[Progress], x_title: str) -> list[gr.LinePlot]:
    """One update per panel: the first `PANELS` metric families, the rest stay hidden."""
    table = metric_table(events)
    families = list(dict.fromkeys(table["panel"]))
    updates = []
    for index in range(PANELS):
        if index < len(families):
            name = families[index]
            data = table[table["panel"] == name][["x", "value", "metric"]]
            several = data["metric"].nunique() > 1  # a legend only where train and validation share a panel
            updates.append(
                gr.LinePlot(
                    value=data,
                    title=name.replace("_", " "),
                    color="metric" if several else None,
                    x_title=x_title,
                    visible=True,
                )
            )
        else:
            updates.append(gr.LinePlot(visible=False))
    return updates


def latest_figures(events: list[Progress]) -> str:
    """The newest value of every figure, rates included, as one line of text."""
    latest: dict[str, float] = {}
    for event in events:
        latest.update(event.metrics)
    return "  ·  ".join(f"{name} {value:.4g}" for name, value in latest.items())
