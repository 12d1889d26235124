"""A/B tab: one sound through two vocoders side by side, and a real recording resynthesised by two.

Both menus list the vocoders as Generate does, unavailable ones labelled (the render button
stays off while one is chosen, with the reason). Renders run as app jobs with the same
progress display as Generate, a vocoder's download included. The results say in words what
each measure means, and when Auto picked the very vocoder on the other side.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from distill.audio.export import ExportSettings
from distill.host.selector import AUTO
from distill.inference.outputs import ensure_writable, generate_files, output_path
from distill.inference.vocode import vocode_file
from distill.library.catalog import resolve_model
from distill.models.format import DistillModel
from distill.paths import generated_dir
from distill.ui import jobs, vocoder_menu
from distill.ui.common import Settings, model_choices, number_in, refusal, rounded
from distill.ui.generate_tab import GenerateTab, parse_seed, slider_values
from distill.ui.notices import banner, refused
from distill.ui.progress_view import stages
from distill.ui.serving import for_page
from distill.ui.wording import page_words
from distill.vocoders.verdict import BASELINE, GENERATION, RESYNTHESIS, verdict_summary

MEASURES = (
    "**What the figures mean.** *STFT distance*: how far the resynthesis' spectrum is from the original's, "
    "measured at five time scales from 3 to 43 ms so that smeared attacks count; lower is closer, 0 is the same "
    "sound. *SNR*: the original's level over the level of what differs, sample by sample, in dB; higher is closer "
    "(it also counts phase, which the ear often does not). *PESQ*: a speech-quality score from 1 (bad) to 4.6 "
    "(indistinguishable); it means something on speech only."
)


@dataclass
class ABTab:
    model: gr.Dropdown  # the resynthesis section's own (optional) model
    on_open: list  # (handler, inputs, outputs) to run when the tab is opened


def resynthesis_models() -> list[tuple[str, str]]:
    """Resynthesis needs no model: without one it uses the default mel settings."""
    return [("none (default mel settings)", ""), *model_choices()]


def menus(model_id: str | None, first: str, second: str) -> list[Any]:
    """Both menus for the model (labels saying what cannot serve it), the unusable reasons and Auto's order."""
    model = resolve_model(model_id) if model_id else None
    choices, unusable, auto = vocoder_menu.menu(model)
    return [vocoder_menu.dropdown(choices, first), vocoder_menu.dropdown(choices, second), unusable, auto]


def pair_note(first: str, second: str, unusable: dict[str, str], auto: str) -> tuple[str, gr.Button]:
    """Why A or B cannot be used (the button off), else what Auto will try."""
    blocked = [vocoder_menu.note(name, unusable, auto)[0] for name in (first, second) if name in unusable]
    if blocked:
        return "".join(blocked), gr.Button(interactive=False)
    return vocoder_menu.note(AUTO if AUTO in (first, second) else first, unusable, auto)


def chosen_name(asked: str, record: dict) -> str:
    """`griffinlim (Auto)` when Auto picked it, so two identical players are not a mystery."""
    return f"{record['vocoder']} (Auto)" if asked == AUTO else record["vocoder"]


def same_vocoder(asked: tuple[str, str], records: list[dict]) -> str:
    """A sentence when Auto resolved to the vocoder on the other side: then both are one sound."""
    if AUTO not in asked or records[0]["vocoder"] != records[1]["vocoder"]:
        return ""
    side = "A" if asked[0] == AUTO else "B"
    other = "B" if side == "A" else "A"
    return (
        f"{side} (Auto) picked {records[0]['vocoder']}, the same vocoder as {other}: the two are the same sound. "
        "Choose another vocoder to compare."
    )


def skipped_text(record: dict) -> str:
    return "".join(
        f" Auto skipped {s['vocoder']}: {page_words(s['reason'])}" for s in record.get("vocoder_skipped") or []
    )


def _job_view(job: jobs.Job, shown, outputs: int) -> list[Any]:
    """While running: the stages; at the end, `shown(records)` or the reason it failed."""
    if not job.done:
        return [stages(job, "Loading the vocoders…"), *[gr.skip()] * (outputs - 1)]
    if job.error is not None:
        return [banner(refusal(job.error), "error", bold="Could not render."), *[gr.skip()] * (outputs - 1)]
    return [stages(job, ""), *shown(job.result)]


def _run(work, shown, outputs: int):
    """Run `work` as an app job and follow it into `outputs` outputs, the progress display first."""
    job = jobs.start(f"ab:{uuid.uuid4().hex}", "ab", work, "", stops_in_progress=True)
    yield from jobs.followed(job, lambda followed: _job_view(followed, shown, outputs))


def render_pair(model_id: str | None, first: str, second: str, duration: float, seed: str, *values: float):
    """The same model, seed and sliders (from the Generate tab) through vocoders A and B."""
    try:
        if not model_id:
            raise gr.Error("Choose a model in the Generate tab first; A/B uses its sliders, seed and length.")
        model = resolve_model(model_id)
        chosen_seed = parse_seed(seed)
        seconds = number_in("Seconds per sound", duration, 0.1, 3600)
    except Exception as exc:
        yield refused(exc, 4)
        return
    folder = generated_dir() / model.name / "ab"

    def work(progress, should_stop):
        with jobs.render_slot(progress):
            return [
                generate_files(
                    model,
                    1,
                    seconds,
                    name,
                    chosen_seed,
                    slider_values(model, values),
                    ExportSettings(),
                    ensure_writable(folder),
                    Settings.device,
                    progress=progress,
                )[0]
                for name in (first, second)
            ]

    def shown(records: list[dict]) -> list[Any]:
        names = [chosen_name(asked, r) for asked, r in zip((first, second), records, strict=True)]
        players = [
            gr.Audio(value=for_page(r["path"]), label=f"{side}: {name} — rendered in {r['render_seconds']:.2f} s")
            for side, name, r in zip("AB", names, records, strict=True)
        ]
        notes = [
            f"**{side}: {name}**, rendered in {r['render_seconds']:.2f} s.{skipped_text(r)}"
            for side, name, r in zip("AB", names, records, strict=True)
        ]
        same = same_vocoder((first, second), records)
        head = f"Model **{model.name}**, seed {chosen_seed}, {seconds:g} s.  \n"
        # Where Auto skipped the own vocoder, its reason above already is this verdict.
        skipped = {s["vocoder"] for r in records for s in r.get("vocoder_skipped") or []}
        note = "" if model.vocoder_type in skipped else own_vocoder_note(model, GENERATION)
        return [*players, head + "  \n".join(notes) + (f"  \n⚠️ {same}" if same else "") + note]

    yield from _run(work, shown, 4)


def own_vocoder_note(model: DistillModel | None, purpose: str) -> str:
    """The held-out verdict on the model's own vocoder for the path this section renders, in words (or nothing)."""
    sentence = verdict_summary(model, purpose) if model is not None else None
    return f"  \n*Its own vocoder, measured on held-out recordings:* {page_words(sentence)}" if sentence else ""


def resynthesise_pair(recording: str | None, model_id: str | None, first: str, second: str):
    """A real recording through the model's mel and back, by vocoders A and B, measured against it."""
    if not recording:
        yield refused(gr.Error("Upload a recording under “Recording” first."), 5)
        return
    folder = generated_dir() / "vocode"
    stem = Path(recording).stem

    def work(progress, should_stop):
        model = resolve_model(model_id) if model_id else None
        with jobs.render_slot(progress):
            return [
                vocode_file(
                    Path(recording),
                    output_path(ensure_writable(folder), f"{stem}-{name}", "wav"),
                    model,
                    name,
                    Settings.device,
                    progress,
                    compare=True,
                )
                for name in (first, second)
            ]

    def shown(records: list[dict]) -> list[Any]:
        rows = [
            {
                "": side,
                "vocoder": chosen_name(asked, r),
                "render s": rounded(r["render_seconds"], 2),
                "STFT distance (lower is closer)": rounded(r["comparison"]["multires_stft_distance"], 3),
                "SNR dB (higher is closer)": rounded(r["comparison"]["snr_db"], 1),
                "PESQ wideband (speech, 1-4.6)": rounded(r["comparison"]["pesq_wb"], 2)
                if r["comparison"]["pesq_wb"] is not None
                else "n/a (pip install pesq)",
            }
            for side, asked, r in zip("AB", (first, second), records, strict=True)
        ]
        players = [
            gr.Audio(value=for_page(r["path"]), label=f"{side}: {chosen_name(asked, r)}")
            for side, asked, r in zip("AB", (first, second), records, strict=True)
        ]
        same = same_vocoder((first, second), records)
        note = own_vocoder_note(resolve_model(model_id) if model_id else None, RESYNTHESIS)
        explained = MEASURES + (f"\n\n⚠️ {same}" if same else "") + note
        return [*players, gr.Dataframe(pd.DataFrame(rows), visible=True), explained]

    yield from _run(work, shown, 5)


def build(generate: GenerateTab) -> ABTab:
    gr.Markdown(
        "## Two vocoders, one sound\nRenders the model, sliders, seed and length set on the **Generate** tab through "
        "vocoder A and vocoder B, so you hear only the vocoder's difference."
    )
    unusable, auto = gr.State({}), gr.State("")
    choices = vocoder_menu.menu(None)[0]
    with gr.Row():
        first = gr.Dropdown(choices, value=AUTO, label="Vocoder A", elem_id="ab-first")
        second = gr.Dropdown(choices, value=BASELINE, label="Vocoder B", elem_id="ab-second")
    note = gr.HTML(elem_id="ab-note")
    go = gr.Button("Render A and B", variant="primary", elem_id="ab-render")
    progress = gr.HTML(elem_id="ab-progress")
    with gr.Row():
        player_a = gr.Audio(label="A", type="filepath", interactive=False, elem_id="ab-player-a")
        player_b = gr.Audio(label="B", type="filepath", interactive=False, elem_id="ab-player-b")
    summary = gr.Markdown(elem_id="ab-summary")
    go.click(
        render_pair,
        [generate.model, first, second, generate.duration, generate.seed, *generate.sliders],
        [progress, player_a, player_b, summary],
        concurrency_limit=None,
        show_progress="hidden",
    )
    for menu in (first, second):
        menu.change(pair_note, [first, second, unusable, auto], [note, go])

    gr.Markdown(
        "## Resynthesise a recording\nA real recording, turned into the model's spectrogram and back by each vocoder, "
        "measured against the original."
    )
    resyn_unusable, resyn_auto = gr.State({}), gr.State("")
    with gr.Row():
        recording = gr.Audio(label="Recording", sources=["upload"], type="filepath", elem_id="ab-recording")
        with gr.Column():
            model = gr.Dropdown(resynthesis_models(), value="", label="Model")
            resyn_first = gr.Dropdown(choices, value=AUTO, label="Vocoder A", elem_id="resyn-first")
            resyn_second = gr.Dropdown(choices, value=BASELINE, label="Vocoder B", elem_id="resyn-second")
            resyn_note = gr.HTML(elem_id="resyn-note")
            resyn_go = gr.Button("Resynthesise with A and B", variant="primary")
    resyn_progress = gr.HTML(elem_id="resyn-progress")
    with gr.Row():
        resyn_a = gr.Audio(label="A", type="filepath", interactive=False)
        resyn_b = gr.Audio(label="B", type="filepath", interactive=False)
    figures = gr.Dataframe(label="Against the original", interactive=False, visible=False, elem_id="ab-figures")
    explained = gr.Markdown(elem_id="ab-measures")
    resyn_go.click(
        resynthesise_pair,
        [recording, model, resyn_first, resyn_second],
        [resyn_progress, resyn_a, resyn_b, figures, explained],
        concurrency_limit=None,
        show_progress="hidden",
    )
    for menu in (resyn_first, resyn_second):
        menu.change(pair_note, [resyn_first, resyn_second, resyn_unusable, resyn_auto], [resyn_note, resyn_go])
    model.change(menus, [model, resyn_first, resyn_second], [resyn_first, resyn_second, resyn_unusable, resyn_auto])
    generate.model.change(menus, [generate.model, first, second], [first, second, unusable, auto])
    on_open = [
        (menus, [generate.model, first, second], [first, second, unusable, auto]),
        (menus, [model, resyn_first, resyn_second], [resyn_first, resyn_second, resyn_unusable, resyn_auto]),
        (lambda: gr.Dropdown(choices=resynthesis_models()), None, model),
    ]
    return ABTab(model, on_open)
