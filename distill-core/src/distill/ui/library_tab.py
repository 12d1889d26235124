"""Library tab: the models (open, rename, delete) and the history of generations (A/B any two)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from distill.library import history
from distill.library.catalog import delete_model, describe_library, describe_model, rename_model, resolve_model
from distill.ui.access import home_hidden
from distill.ui.common import model_choices, shows_errors
from distill.ui.serving import for_page
from distill.vocoders.verdict import (
    BASELINE,
    GENERATION,
    RESYNTHESIS,
    baseline_distances,
    display_name,
    path_verdict,
)

BARS = "▁▂▃▄▅▆▇█"
HISTORY_ROWS = 200
AGAINST_BASELINE = f"vs {display_name(BASELINE)}"


@dataclass
class LibraryTab:
    model: gr.Dropdown
    open_in_generate: gr.Button
    refresh: gr.Button
    lists: list  # the tables and pickers `refreshed` fills


def figure(value: Any, digits: int = 4) -> Any:
    return round(value, digits) if isinstance(value, float) else value


def models_table() -> pd.DataFrame:
    """One row per model: what it learned from, how training ended, whether it has its own vocoder."""
    rows = []
    for info in describe_library():
        dataset = info.get("dataset") or {}
        training = info.get("training") or {}
        rows.append(
            {
                "name": info["name"],
                "created": (info.get("created") or "")[:16].replace("T", " "),
                "recordings": dataset.get("num_files"),
                "seconds": figure(dataset.get("total_seconds"), 1),
                "sliders": len(info.get("sliders") or []),
                "epochs": training.get("epochs"),
                "final loss": figure(training.get("train_loss")),
                "validation loss": figure(training.get("val_loss")),
                "own vocoder": info.get("vocoder") or "—",
                AGAINST_BASELINE: against_baseline(info),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "name",
            "created",
            "recordings",
            "seconds",
            "sliders",
            "epochs",
            "final loss",
            "validation loss",
            "own vocoder",
            AGAINST_BASELINE,
        ],
    )


def against_baseline(info: dict) -> str:
    """How the model's own vocoder did on its held-out recordings, per path:
    `generated: better (1.04 vs 1.71); resynthesised: worse (0.83 vs 0.68)`, lower is closer."""
    if not info.get("vocoder"):
        return "—"
    verdict = info.get("vocoder_evaluation")  # `describe_model` read it (`read_verdict`)
    if not verdict:
        return "not judged yet"
    parts = []
    for path, label in ((GENERATION, "generated"), (RESYNTHESIS, "resynthesised")):
        distances = baseline_distances(verdict, path)
        if distances is None:
            parts.append(f"{label}: not judged yet")
            continue
        better = "better" if path_verdict(verdict, path)["beats_baseline"] else "worse"
        stale = ", stale: VAE retrained" if path == GENERATION and info.get("vocoder_stale") else ""
        parts.append(f"{label}: {better} ({distances[0]:.2f} vs {distances[1]:.2f}{stale})")
    return "; ".join(parts)


def waveform_text(peaks: list[float]) -> str:
    """The entry's envelope as block characters, scaled to its own loudest moment (the level is its own column)."""
    top = max(peaks, default=0.0) or 1.0
    return "".join(BARS[min(7, int(v / top * 8))] for v in peaks[::2])


def history_table() -> pd.DataFrame:
    """The newest generations first, each with its waveform overview."""
    rows = []
    for e in reversed(history.list_entries()[-HISTORY_ROWS:]):
        quality = e.get("quality") or {}
        rows.append(
            {
                "id": e["id"],
                "model": e.get("model"),
                "seed": e.get("seed"),
                "vocoder": e.get("vocoder"),
                "seconds": e.get("duration"),
                "waveform": waveform_text(e.get("thumbnail") or []),
                "peak dBFS": quality.get("peak_dbfs"),
                "LUFS": quality.get("loudness_lufs"),
            }
        )
    return pd.DataFrame(rows, columns=["id", "model", "seed", "vocoder", "seconds", "waveform", "peak dBFS", "LUFS"])


def history_choices() -> list[tuple[str, str]]:
    return [
        (f"{e.get('model')} · seed {e.get('seed')} · {e.get('vocoder')} · {e['id'][:15]}", e["id"])
        for e in reversed(history.list_entries()[-HISTORY_ROWS:])
    ]


def refreshed():
    """Fresh tables and pickers after anything changed the library."""
    return (
        models_table(),
        gr.Dropdown(choices=model_choices()),
        history_table(),
        gr.Dropdown(choices=history_choices()),
        gr.Dropdown(choices=history_choices()),
    )


def show_model(model_id: str | None) -> tuple[dict, str]:
    if not model_id:
        return {}, ""
    info = describe_model(resolve_model(model_id))
    return {**info, "path": home_hidden(info["path"])}, info["name"]


def rename(model_id: str | None, new_name: str):
    if not model_id:
        raise gr.Error("Choose a model to rename.", duration=None)
    model = rename_model(model_id, new_name.strip())
    gr.Info(f"Renamed to '{model.name}'.")
    return refreshed()


def ask_delete(model_id: str | None):
    if not model_id:
        raise gr.Error("Choose a model to delete.", duration=None)
    name = resolve_model(model_id).name
    return gr.Row(visible=True), f"**Delete '{name}' for good?** Its file is removed; sounds you generated stay."


def delete(model_id: str | None):
    model = delete_model(model_id)
    gr.Info(f"Deleted '{model.name}'.")
    return gr.Row(visible=False), *refreshed()


def compare_entries(first: str | None, second: str | None):
    """Two history entries side by side: players and every setting or figure that differs."""
    if not first or not second:
        raise gr.Error("Choose two history entries to compare.", duration=None)
    result = history.compare(first, second)
    a, b = result["a"], result["b"]
    rows = [(key, str(a.get(key)), str(b.get(key))) for key in result["differences"]]
    for key in sorted(set(a.get("quality") or {}) | set(b.get("quality") or {})):
        rows.append(
            (key.replace("_", " "), str((a.get("quality") or {}).get(key)), str((b.get("quality") or {}).get(key)))
        )
    exists = result["files_exist"]
    players = [
        gr.Audio(
            value=for_page(entry["path"]) if present else None,
            label=f"{side}: {entry.get('model')} · seed {entry.get('seed')} · {entry.get('vocoder')}",
        )
        for side, entry, present in zip("AB", (a, b), exists, strict=True)
    ]
    return *players, gr.Dataframe(pd.DataFrame(rows, columns=["", "A", "B"]), visible=True)


def build() -> LibraryTab:
    gr.Markdown("## Models")
    refresh = gr.Button("Refresh", size="sm")
    models = gr.Dataframe(models_table(), interactive=False, wrap=True, elem_id="library-models")
    with gr.Row():
        model = gr.Dropdown(model_choices(), label="Model", scale=3)
        open_in_generate = gr.Button("Open in Generate", variant="primary", scale=1)
        new_name = gr.Textbox(label="New name", scale=2)
        rename_button = gr.Button("Rename", scale=1)
        delete_button = gr.Button("Delete…", variant="stop", scale=1)
    with gr.Row(visible=False) as confirm:
        question = gr.Markdown()
        really = gr.Button("Yes, delete it", variant="stop")
        keep = gr.Button("No, keep it")
    with gr.Accordion("Everything about this model", open=False):
        details = gr.JSON()

    gr.Markdown("## History")
    entries = gr.Dataframe(history_table(), interactive=False, wrap=True, max_height=360)
    with gr.Row():
        first = gr.Dropdown(history_choices(), label="A", scale=2)
        second = gr.Dropdown(history_choices(), label="B", scale=2)
        compare = gr.Button("Compare A and B", scale=1)
    with gr.Row():
        player_a = gr.Audio(label="A", type="filepath", interactive=False)
        player_b = gr.Audio(label="B", type="filepath", interactive=False)
    differences = gr.Dataframe(label="What differs", interactive=False, visible=False)

    lists = [models, model, entries, first, second]
    refresh.click(refreshed, None, lists)
    gr.on(None, shows_errors(show_model), model, [details, new_name])
    rename_button.click(shows_errors(rename), [model, new_name], lists)
    delete_button.click(shows_errors(ask_delete), model, [confirm, question])
    really.click(shows_errors(delete), model, [confirm, *lists])
    keep.click(lambda: gr.Row(visible=False), None, confirm)
    compare.click(shows_errors(compare_entries), [first, second], [player_a, player_b, differences])
    return LibraryTab(model, open_in_generate, refresh, lists)
