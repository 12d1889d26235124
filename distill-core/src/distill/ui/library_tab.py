"""Library tab: the models (open, rename, judge, delete) and the history of generations (play, star, compare, export).

Every model file is listed, a damaged one too, with the reason it cannot be used; each
model's health and own vocoder's standing are shown as plainly as its figures. Deleting a
model offers to remove the training checkpoints it leaves behind, and afterwards nothing in
the tab still shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from distill.host.evaluation import evaluate_model_vocoder
from distill.host.run_files import remove_run_files, run_files
from distill.library import history
from distill.library.catalog import delete_model, describe_model, rename_model, resolve_model, scan_library
from distill.models.diagnostics import resembles_anyway
from distill.progress import size_text
from distill.ui import jobs, kit_panel
from distill.ui.access import home_hidden
from distill.ui.common import Settings, model_choices, refusal, rounded, shows_errors
from distill.ui.notices import banner
from distill.ui.progress_view import stages
from distill.ui.serving import for_page
from distill.ui.sound_list import SoundRow, list_html, sound_list
from distill.ui.wording import page_words
from distill.vocoders.verdict import (
    BASELINE,
    GENERATION,
    RESYNTHESIS,
    baseline_distances,
    display_name,
    lost_despite_distance,
    path_verdict,
)

HISTORY_ROWS = 200
AGAINST_BASELINE = f"own vocoder vs {display_name(BASELINE)}"
COLUMNS = ["name", "health", "created", "recordings", "seconds", "sliders", "epochs", "validation loss", "own vocoder"]


@dataclass
class LibraryTab:
    model: gr.Dropdown
    open_in_generate: gr.Button
    refresh: gr.Button
    lists: list  # the tables and pickers `refreshed` fills
    on_open: list  # (handler, inputs, outputs) to run when the tab is opened


def health_cell(info: dict) -> str:
    health = info.get("health") or {}
    if not health.get("collapsed"):
        return "healthy" if "recon" in health else "not measured"
    if health.get("active_units", 0) <= 1:
        return "⚠️ collapsed"
    if resembles_anyway(health, info.get("resemblance")):
        return "⚠️ not learned on held-out recordings, though its sounds resemble the collection"
    return "⚠️ not learned: it will not sound like its recordings"


def against_baseline(info: dict) -> str:
    """How the model's own vocoder did on its held-out recordings, per path:
    `generated: better (1.04 vs 1.71); resynthesised: worse (0.83 vs 0.68)`, lower is closer;
    a loss despite a smaller distance says why:
    `worse: it renders 23 dB quieter than the recordings (distance 1.84 vs 2.87)`."""
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
        part = path_verdict(verdict, path)
        results = part["results"]
        own, baseline = results[verdict["vocoder"]], results[verdict["baseline"]]
        reason = None if part["beats_baseline"] else lost_despite_distance(own, baseline)
        better = "better" if part["beats_baseline"] else f"worse: {reason}" if reason else "worse"
        figures = f"{'distance ' if reason else ''}{distances[0]:.2f} vs {distances[1]:.2f}"
        stale = ", stale: VAE retrained" if path == GENERATION and info.get("vocoder_stale") else ""
        parts.append(f"{label}: {better} ({figures}{stale})")
    return "; ".join(parts)


def models_table() -> pd.DataFrame:
    """One row per model file: what it learned from, its health, its own vocoder; a damaged file with why."""
    scan = scan_library()
    rows = []
    for model in scan.models:
        info = describe_model(model)
        dataset = info.get("dataset") or {}
        training = info.get("training") or {}
        rows.append(
            {
                "name": info["name"],
                "health": health_cell(info),
                "created": (info.get("created") or "")[:16].replace("T", " "),
                "recordings": dataset.get("num_files"),
                "seconds": rounded(dataset.get("total_seconds"), 1),
                "sliders": len(info.get("sliders") or []),
                "epochs": training.get("epochs"),
                "validation loss": rounded(training.get("val_loss")),
                "own vocoder": info.get("vocoder") or "—",
                AGAINST_BASELINE: against_baseline(info),
            }
        )
    for path, reason in scan.unreadable:
        rows.append({"name": path.name, "health": f"⚠️ damaged, cannot be used: {page_words(reason)}"})
    return pd.DataFrame(rows, columns=[*COLUMNS, AGAINST_BASELINE]).fillna("")


def _entries(starred_only: bool) -> list[dict[str, Any]]:
    entries = list(reversed(history.list_entries()[-HISTORY_ROWS:]))
    return [e for e in entries if e.get("starred")] if starred_only else entries


def history_rows(starred_only: bool) -> list[SoundRow]:
    """The newest generations first, each with a big waveform, its star and its figures."""
    rows = []
    for e in _entries(starred_only):
        quality = e.get("quality") or {}
        loudness = quality.get("loudness_lufs")
        detail = (
            f"{(e.get('duration') or 0):.2f} s · peak {rounded(quality.get('peak_dbfs'), 1)} dBFS · "
            f"{f'{loudness:.1f} LUFS' if loudness is not None else 'LUFS —'} · {(e.get('created') or '')[:16]}"
        )
        title = f"{e.get('model')} · seed {e.get('seed')} · {e.get('vocoder')}"
        rows.append(SoundRow(e["id"], title, detail, e.get("thumbnail") or [], bool(e.get("starred"))))
    return rows


def history_list(starred_only: bool) -> str:
    empty = "No starred sounds yet: ☆ stars one." if starred_only else "Nothing generated yet."
    return list_html(history_rows(starred_only), empty, width=360, height=56)


def history_choices() -> list[tuple[str, str]]:
    return [
        (f"{e.get('model')} · seed {e.get('seed')} · {e.get('vocoder')} · {e['id'][:15]}", e["id"])
        for e in _entries(False)
    ]


def refreshed(starred_only: bool = False, chosen: str | None = None) -> tuple:
    """Fresh tables and pickers after anything changed the library; `chosen` stays chosen if it still exists."""
    choices = model_choices()
    keep = chosen if chosen in [c[1] for c in choices] else None
    return (
        models_table(),
        gr.Dropdown(choices=choices, value=keep),
        history_list(starred_only),
        gr.Dropdown(choices=history_choices()),
        gr.Dropdown(choices=history_choices()),
    )


def show_model(model_id: str | None) -> tuple[dict, str]:
    if not model_id:
        return {}, ""
    info = describe_model(resolve_model(model_id))
    return {**info, "path": home_hidden(info["path"])}, info["name"]


def rename(model_id: str | None, new_name: str, starred_only: bool):
    if not model_id:
        raise gr.Error("Choose a model under “Model” to rename.")
    model = rename_model(model_id, new_name.strip())
    gr.Info(f"Renamed to '{model.name}'.")
    return refreshed(starred_only, model.id)


def ask_delete(model_id: str | None):
    """The confirmation, with the checkpoints the model would leave behind offered for removal too."""
    if not model_id:
        raise gr.Error("Choose a model under “Model” to delete.")
    model = resolve_model(model_id)
    left = run_files(model)
    offer = gr.Checkbox(visible=False, value=False)
    if left:
        what = " and ".join(f"{f.what} ({size_text(f.size)})" for f in left)
        offer = gr.Checkbox(label=f"Also remove {what}", value=True, visible=True)
    question = f"**Delete '{model.name}' for good?** Its file is removed; sounds you generated stay."
    return gr.Row(visible=True), question, offer


def delete(model_id: str | None, with_checkpoints: bool, starred_only: bool):
    model = resolve_model(model_id) if model_id else None
    if model is None:
        raise gr.Error("Choose a model under “Model” to delete.")
    left = run_files(model) if with_checkpoints else []
    delete_model(model)
    remove_run_files(left)
    freed = f" and its checkpoints ({size_text(sum(f.size for f in left))})" if left else ""
    gr.Info(f"Deleted '{model.name}'{freed}.")
    return gr.Row(visible=False), {}, "", *refreshed(starred_only)


def judge(model_id: str | None):
    """Judge the model's own vocoder again on its held-out recordings (what `auto` obeys), following it."""
    try:
        if not model_id:
            raise gr.Error("Choose a model under “Model” first.")
        model = resolve_model(model_id)

        def work(progress, should_stop):
            return evaluate_model_vocoder(model, None, Settings.device, progress=progress)

        job = jobs.start(f"judge:{model.id}", "judge", work, f"'{model.name}' is being judged already.")
    except Exception as exc:
        yield banner(refusal(exc), "error")
        return
    yield from jobs.followed(job, _judged)


def _judged(job: jobs.Job) -> str:
    if not job.done:
        return stages(job, "Rendering its held-out recordings with each vocoder…")
    if job.error is not None:
        return banner(refusal(job.error), "error", bold="Could not judge it.")
    verdict = job.result or {}
    kind = "success" if verdict.get("beats_baseline") else "warning"
    return banner(page_words(verdict.get("summary") or "Judged."), kind)


def history_click(starred_only: bool, event: gr.EventData):
    """▶ plays an entry in the player; ☆ stars it (★ unstars) and redraws the list."""
    entry = history.get_entry(event.key)
    if event.action == "star":
        history.set_starred(entry["id"], not entry.get("starred"))
        return gr.skip(), history_list(starred_only)
    label = f"{entry.get('model')} · seed {entry.get('seed')} · {entry.get('vocoder')}"
    return gr.Audio(value=for_page(entry["path"]), label=label), gr.skip()


def compare_entries(first: str | None, second: str | None):
    """Two history entries side by side: players and every setting or figure that differs."""
    if not first or not second:
        raise gr.Error("Choose two history entries under “A” and “B” to compare.")
    result = history.compare(first, second)
    a, b = result["a"], result["b"]
    rows = [(key, str(a.get(key)), str(b.get(key))) for key in result["differences"]]
    for key in sorted(set(a.get("quality") or {}) | set(b.get("quality") or {})):
        values = [(side.get("quality") or {}).get(key) for side in (a, b)]
        rows.append((key.replace("_", " "), *(str(rounded(v, 2)) for v in values)))
    exists = result["files_exist"]
    players = [
        gr.Audio(
            value=for_page(entry["path"]) if present else None,
            label=f"{side}: {entry.get('model')} · seed {entry.get('seed')} · {entry.get('vocoder')}",
        )
        for side, entry, present in zip("AB", (a, b), exists, strict=True)
    ]
    return *players, gr.Dataframe(pd.DataFrame(rows, columns=["", "A", "B"]), visible=True)


def starred_records() -> list[dict[str, Any]]:
    """The starred entries, oldest first: a kit in the order they were made."""
    return list(reversed(_entries(True)))


def build() -> LibraryTab:
    gr.Markdown("## Models")
    refresh = gr.Button("Refresh", size="sm")
    models = gr.Dataframe(
        models_table(),
        interactive=False,
        wrap=True,
        column_widths=["12%", "24%", "10%", "6%", "6%", "5%", "5%", "7%", "7%", "18%"],
        elem_id="library-models",
    )
    with gr.Row():
        model = gr.Dropdown(model_choices(), label="Model", scale=3, elem_id="library-model")
        open_in_generate = gr.Button("Open in Generate", variant="primary", scale=1)
        new_name = gr.Textbox(label="New name", scale=2, elem_id="library-new-name")
        rename_button = gr.Button("Rename", scale=1)
        judge_button = gr.Button("Judge its vocoder again", scale=1)
        delete_button = gr.Button("Delete…", variant="stop", scale=1)
    with gr.Row(visible=False) as confirm:
        question = gr.Markdown()
        with gr.Column():
            with_checkpoints = gr.Checkbox(visible=False, elem_id="delete-checkpoints")
            with gr.Row():
                really = gr.Button("Yes, delete it", variant="stop")
                keep = gr.Button("No, keep it")
    judged = gr.HTML(elem_id="library-judged")
    with gr.Accordion("Everything about this model", open=False):
        details = gr.JSON()

    gr.Markdown("## History")
    starred_only = gr.Checkbox(label="Only starred ★", elem_id="starred-only")
    entries = sound_list("history", history_list(False))
    player = gr.Audio(
        label="Selected sound", type="filepath", interactive=False, autoplay=True, elem_id="history-player"
    )
    kit_panel.build(starred_records, [], "starred-kit", "favourites")
    with gr.Row():
        first = gr.Dropdown(history_choices(), label="A", scale=2)
        second = gr.Dropdown(history_choices(), label="B", scale=2)
        compare = gr.Button("Compare A and B", scale=1)
    with gr.Row():
        player_a = gr.Audio(label="A", type="filepath", interactive=False)
        player_b = gr.Audio(label="B", type="filepath", interactive=False)
    differences = gr.Dataframe(label="What differs", interactive=False, visible=False)

    lists = [models, model, entries, first, second]
    refresh.click(refreshed, [starred_only, model], lists)
    starred_only.change(history_list, starred_only, entries)
    entries.click(shows_errors(history_click), starred_only, [player, entries])
    gr.on(None, shows_errors(show_model), model, [details, new_name])
    rename_button.click(shows_errors(rename), [model, new_name, starred_only], lists)
    delete_button.click(shows_errors(ask_delete), model, [confirm, question, with_checkpoints])
    really.click(shows_errors(delete), [model, with_checkpoints, starred_only], [confirm, details, new_name, *lists])
    keep.click(lambda: gr.Row(visible=False), None, confirm)
    judge_button.click(judge, model, judged, concurrency_limit=None, show_progress="hidden")
    compare.click(shows_errors(compare_entries), [first, second], [player_a, player_b, differences])
    return LibraryTab(model, open_in_generate, refresh, lists, [(refreshed, [starred_only, model], lists)])
