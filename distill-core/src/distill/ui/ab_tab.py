"""A/B tab: one sound through two vocoders side by side, and a real recording resynthesised by two."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from distill.audio.export import ExportSettings
from distill.host.registry import get_registry
from distill.host.selector import AUTO
from distill.inference.outputs import ensure_writable, generate_files, output_path
from distill.inference.vocode import vocode_file
from distill.library.catalog import resolve_model
from distill.models.format import DistillModel
from distill.paths import generated_dir
from distill.ui.access import home_hidden
from distill.ui.common import Settings, model_choices, page_progress, shows_errors
from distill.ui.generate_tab import GenerateTab, parse_seed, slider_values
from distill.ui.serving import for_page
from distill.vocoders.verdict import BASELINE, GENERATION, RESYNTHESIS, verdict_summary


@dataclass
class ABTab:
    model: gr.Dropdown  # the resynthesis section's own (optional) model


def vocoder_choices() -> list[tuple[str, str]]:
    return [("Auto (best available)", AUTO)] + [(name, name) for name in get_registry().names()]


def resynthesis_models() -> list[tuple[str, str]]:
    """Resynthesis needs no model: without one it uses the default mel settings."""
    return [("none (default mel settings)", ""), *model_choices()]


def chosen_name(asked: str, record: dict) -> str:
    """`griffinlim (Auto)` when Auto picked it, so two identical players are not a mystery."""
    return f"{record['vocoder']} (Auto)" if asked == AUTO else record["vocoder"]


def skipped_text(record: dict) -> str:
    return "".join(
        f" Auto skipped {s['vocoder']}: {home_hidden(s['reason'])}" for s in record.get("vocoder_skipped") or []
    )


def render_pair(
    model_id: str | None,
    first: str,
    second: str,
    duration: float,
    seed: str,
    *values: float,
    progress: gr.Progress = gr.Progress(),
):
    """The same model, seed and sliders (from the Generate tab) through vocoders A and B."""
    if not model_id:
        raise gr.Error(
            "Choose a model in the Generate tab first; A/B uses its sliders, seed and length.", duration=None
        )
    model = resolve_model(model_id)
    chosen_seed = parse_seed(seed)
    folder = ensure_writable(generated_dir() / model.name / "ab")
    records = [
        generate_files(
            model,
            1,
            float(duration),
            name,
            chosen_seed,
            slider_values(model, values),
            ExportSettings(),
            folder,
            Settings.device,
            progress=page_progress(progress),
        )[0]
        for name in (first, second)
    ]
    names = [chosen_name(asked, r) for asked, r in zip((first, second), records, strict=True)]
    players = [
        gr.Audio(value=for_page(r["path"]), label=f"{side}: {name} — rendered in {r['render_seconds']:.2f} s")
        for side, name, r in zip("AB", names, records, strict=True)
    ]
    notes = [
        f"**{side}: {name}**, rendered in {r['render_seconds']:.2f} s.{skipped_text(r)}"
        for side, name, r in zip("AB", names, records, strict=True)
    ]
    summary = f"Model **{model.name}**, seed {chosen_seed}, {float(duration):g} s.  \n" + "  \n".join(notes)
    return *players, summary + own_vocoder_note(model, GENERATION)


def own_vocoder_note(model: DistillModel | None, purpose: str) -> str:
    """The held-out verdict on the model's own vocoder for the path this section renders, in words (or nothing)."""
    sentence = verdict_summary(model, purpose) if model is not None else None
    return f"  \n*Its own vocoder, measured on held-out recordings:* {sentence}" if sentence else ""


def resynthesise_pair(
    recording: str | None, model_id: str | None, first: str, second: str, progress: gr.Progress = gr.Progress()
):
    """A real recording through the model's mel and back, by vocoders A and B, measured against it."""
    if not recording:
        raise gr.Error("Upload a recording to resynthesise first.", duration=None)
    model = resolve_model(model_id) if model_id else None
    folder = ensure_writable(generated_dir() / "vocode")
    stem = Path(recording).stem
    records = [
        vocode_file(
            Path(recording),
            output_path(folder, f"{stem}-{name}", "wav"),
            model,
            name,
            Settings.device,
            page_progress(progress),
            compare=True,
        )
        for name in (first, second)
    ]
    table = pd.DataFrame(
        [
            {
                "": side,
                "vocoder": chosen_name(asked, r),
                "render s": r["render_seconds"],
                "STFT distance (lower is closer)": r["comparison"]["multires_stft_distance"],
                "SNR dB (higher is closer)": r["comparison"]["snr_db"],
                "PESQ wideband (speech, 1-4.6)": r["comparison"]["pesq_wb"]
                if r["comparison"]["pesq_wb"] is not None
                else "n/a (pip install pesq)",
            }
            for side, asked, r in zip("AB", (first, second), records, strict=True)
        ]
    )
    players = [
        gr.Audio(value=for_page(r["path"]), label=f"{side}: {chosen_name(asked, r)}")
        for side, asked, r in zip("AB", (first, second), records, strict=True)
    ]
    return *players, gr.Dataframe(table, visible=True), own_vocoder_note(model, RESYNTHESIS)


def build(generate: GenerateTab) -> ABTab:
    gr.Markdown(
        "## Two vocoders, one sound\nRenders the model, sliders, seed and length set on the **Generate** tab through "
        "vocoder A and vocoder B, so you hear only the vocoder's difference."
    )
    with gr.Row():
        first = gr.Dropdown(vocoder_choices(), value=AUTO, label="Vocoder A", elem_id="ab-first")
        second = gr.Dropdown(vocoder_choices(), value=BASELINE, label="Vocoder B", elem_id="ab-second")
    go = gr.Button("Render A and B", variant="primary", elem_id="ab-render")
    with gr.Row():
        player_a = gr.Audio(label="A", type="filepath", interactive=False, elem_id="ab-player-a")
        player_b = gr.Audio(label="B", type="filepath", interactive=False, elem_id="ab-player-b")
    summary = gr.Markdown(elem_id="ab-summary")
    go.click(
        shows_errors(render_pair),
        [generate.model, first, second, generate.duration, generate.seed, *generate.sliders],
        [player_a, player_b, summary],
    )

    gr.Markdown(
        "## Resynthesise a recording\nA real recording, turned into the model's spectrogram and back by each vocoder "
        "(what `distill vocode` does), measured against the original."
    )
    with gr.Row():
        recording = gr.Audio(label="Recording", sources=["upload"], type="filepath", elem_id="ab-recording")
        with gr.Column():
            model = gr.Dropdown(resynthesis_models(), value="", label="Model")
            resyn_first = gr.Dropdown(vocoder_choices(), value=AUTO, label="Vocoder A")
            resyn_second = gr.Dropdown(vocoder_choices(), value=BASELINE, label="Vocoder B")
            resyn_go = gr.Button("Resynthesise with A and B", variant="primary")
    with gr.Row():
        resyn_a = gr.Audio(label="A", type="filepath", interactive=False)
        resyn_b = gr.Audio(label="B", type="filepath", interactive=False)
    figures = gr.Dataframe(label="Against the original", interactive=False, visible=False, elem_id="ab-figures")
    verdict = gr.Markdown(elem_id="ab-resynthesis-verdict")
    resyn_go.click(
        shows_errors(resynthesise_pair),
        [recording, model, resyn_first, resyn_second],
        [resyn_a, resyn_b, figures, verdict],
    )
    return ABTab(model)
