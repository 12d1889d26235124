"""Generate tab: a model's sliders, a vocoder choice, export and placement, then play the results."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from distill.audio.export import FORMATS, OUTPUT_RATES, ExportSettings
from distill.audio.spatial import MODES
from distill.controls.analysis import MAX_SLIDERS
from distill.host.selector import AUTO, rank_vocoders, vocoder_options
from distill.inference.blending import Blend
from distill.inference.outputs import Spatial, ensure_writable, generate_files
from distill.library.catalog import resolve_model
from distill.library.presets import list_presets, load_preset, save_preset
from distill.models.format import DistillModel
from distill.paths import generated_dir
from distill.ui.access import home_hidden
from distill.ui.common import Settings, model_choices, page_progress, shows_errors
from distill.ui.serving import for_page

PLAYERS = 4
AUTO_LABEL = "Auto (best available)"


@dataclass
class GenerateTab:
    model: gr.Dropdown
    sliders: list[gr.Slider]
    seed: gr.Textbox
    duration: gr.Number
    vocoder: gr.Dropdown
    unusable: gr.State  # vocoder name -> why it cannot serve the chosen model
    refresh: gr.Button


def slider_values(model: DistillModel, values: tuple[float, ...]) -> dict[int, float]:
    """The visible sliders' values by index (the hidden spare sliders are not the model's)."""
    count = len((model.latent_analysis or {}).get("sliders", []))
    return {index: float(value) for index, value in enumerate(values[:count])}


def vocoder_menu(model: DistillModel | None) -> tuple[gr.Dropdown, dict[str, str], str]:
    """Auto first, then every installed vocoder with what it is; the unusable ones say so."""
    options = vocoder_options(model)
    choices = [(AUTO_LABEL, AUTO)]
    unusable = {}
    for option in options:
        if option.usable:
            choices.append((f"{option.name} — {option.description}", option.name))
        else:
            choices.append((f"{option.name} — not available for this model", option.name))
            unusable[option.name] = option.reason or "it cannot serve this model"
    order = rank_vocoders(model) if model is not None else []
    note = f"Auto tries, best first: {', '.join(order)}." if order else ""
    return gr.Dropdown(choices=choices, value=AUTO), unusable, note


def vocoder_note(name: str, unusable: dict[str, str], auto_note: str) -> tuple[str, gr.Button]:
    """Why a chosen vocoder cannot be used (and Generate stays off), or what Auto will try."""
    if name in unusable:
        return f"⚠️ **{name} cannot be used here:** {unusable[name]}", gr.Button(interactive=False)
    return (auto_note if name == AUTO else ""), gr.Button(interactive=True)


def model_summary(model: DistillModel) -> str:
    dataset = model.metadata.get("dataset") or {}
    own = model.vocoder_type if model.vocoder_state_dict is not None else None
    return (
        f"**{model.name}** — trained on {dataset.get('num_files', '?')} recordings "
        f"({dataset.get('total_seconds', 0):.0f} s). Own vocoder: {own or 'none (train one in the Train tab)'}."
    )


def choose_model(model_id: str | None):
    """Everything that depends on the model: sliders, vocoders, presets, blend partners."""
    hidden = [gr.Slider(visible=False) for _ in range(MAX_SLIDERS)]
    if not model_id:
        menu, unusable, note = vocoder_menu(None)
        return (
            "Choose a model (train one in the Train tab first).",
            menu,
            unusable,
            note,
            *hidden,
            gr.Dropdown(),
            gr.Dropdown(),
        )
    model = resolve_model(model_id)
    sliders = (model.latent_analysis or {}).get("sliders", [])
    updates = [
        gr.Slider(
            minimum=s["minimum"],
            maximum=s["maximum"],
            value=s["default"],
            step=0.01,
            label=f"{s['name']}",
            info=f"{100 * s['explained_variance']:.0f} % of the collection's variety",
            visible=True,
        )
        for s in sliders
    ] + hidden[len(sliders) :]
    menu, unusable, note = vocoder_menu(model)
    presets = gr.Dropdown(choices=sorted(list_presets(model)), value=None)
    partners = gr.Dropdown(choices=[("none", "")] + [c for c in model_choices() if c[1] != model.id], value="")
    return model_summary(model), menu, unusable, note, *updates, presets, partners


def apply_preset(model_id: str | None, name: str | None) -> list[gr.Slider]:
    if not model_id or not name:
        raise gr.Error("Choose a model and one of its presets first.", duration=None)
    model = resolve_model(model_id)
    values = load_preset(model, name)
    sliders = (model.latent_analysis or {}).get("sliders", [])
    return [gr.Slider(value=values.get(i, s["default"])) for i, s in enumerate(sliders)] + [
        gr.Slider() for _ in range(MAX_SLIDERS - len(sliders))
    ]


def store_preset(model_id: str | None, name: str, *values: float) -> gr.Dropdown:
    if not model_id:
        raise gr.Error("Choose a model first.", duration=None)
    model = resolve_model(model_id)
    save_preset(model, name.strip(), slider_values(model, values))
    gr.Info(f"Saved preset '{name.strip()}' for {model.name}.")
    return gr.Dropdown(choices=sorted(list_presets(model)), value=name.strip())


def parse_seed(text: str) -> int:
    """The seed box: a whole number, or blank for a fresh random seed."""
    if not text.strip():
        return secrets.randbelow(2**31)
    try:
        return int(text.strip())
    except ValueError:
        raise gr.Error(f"The seed must be a whole number (or blank for a new one), not '{text.strip()}'.") from None


def vocoder_report(records: list[dict[str, Any]], requested: str) -> str:
    """Which vocoder made the sound, and why Auto passed over the others (the CLI's warnings)."""
    used = records[0]["vocoder"]
    how = "chosen by Auto" if requested == AUTO else "as requested"
    lines = [f"### Vocoder used: {used} ({how})"]
    for skipped in records[0].get("vocoder_skipped") or []:
        lines.append(f"- ⚠️ skipped **{skipped['vocoder']}**: {home_hidden(skipped['reason'])}")
    return "\n".join(lines)


QUALITY_LABELS = {
    "peak_dbfs": "peak dBFS",
    "loudness_lufs": "loudness LUFS",
    "clipped_samples": "clipped samples",
    "silent": "silent file",
    "near_silent": "near-silent render",
    "peak_before_normalisation_dbfs": "peak before normalisation dBFS",
    "gain_db": "gain applied dB",
}


def quality_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per file: where it went, how it was made and every figure of its quality report."""
    rows = []
    for r in records:
        quality = {QUALITY_LABELS.get(k, k.replace("_", " ")): v for k, v in (r.get("quality") or {}).items()}
        rows.append(
            {
                "file": Path(r["path"]).name,
                "seed": r["seed"],
                "seconds": r["duration"],
                "vocoder": r["vocoder"],
                "render s": r.get("render_seconds"),
                **quality,
                "history id": r.get("history_id"),
            }
        )
    return pd.DataFrame(rows)


def render_files(
    model_id: str | None,
    vocoder: str,
    duration: float,
    count: float,
    seed: str,
    fmt: str,
    bit_depth: str,
    rate: str,
    ceiling: float,
    mode: str,
    width: float,
    azimuth: float,
    partner: str | None,
    share: float,
    *values: float,
    progress: gr.Progress = gr.Progress(),
):
    """Generate with the engine, exactly as `distill generate` does, and show the results."""
    if not model_id:
        raise gr.Error("Choose a model first.", duration=None)
    model = resolve_model(model_id)
    settings = ExportSettings(fmt, int(bit_depth), int(rate), ceiling)
    settings.validate()
    records = generate_files(
        model,
        int(count),
        float(duration),
        vocoder,
        parse_seed(seed),
        slider_values(model, values),
        settings,
        ensure_writable(generated_dir() / model.name),
        Settings.device,
        Spatial(mode, width, azimuth),
        Blend(partner, share / 100) if partner and share > 0 else None,
        page_progress(progress),
    )
    players = [
        gr.Audio(value=for_page(r["path"]), label=f"seed {r['seed']} · {r['vocoder']}", visible=True)
        for r in records[:PLAYERS]
    ]
    players += [gr.Audio(value=None, visible=False) for _ in range(PLAYERS - len(players))]
    more = f" (the first {PLAYERS} are playable here; download all below)" if len(records) > PLAYERS else ""
    folder = Path(records[0]["path"]).parent
    saved = f"Saved {len(records)} file{'s' if len(records) != 1 else ''} to `{home_hidden(str(folder))}`{more}; "
    saved += "each is in the history."
    downloads = gr.File(value=[for_page(r["path"]) for r in records], visible=True)
    return (
        vocoder_report(records, vocoder),
        saved,
        *players,
        downloads,
        gr.Dataframe(quality_table(records), visible=True),
    )


def build() -> GenerateTab:
    with gr.Row():
        model = gr.Dropdown(model_choices(), label="Model", scale=4)
        refresh = gr.Button("Refresh list", scale=1)
    about = gr.Markdown()
    with gr.Row():
        with gr.Column(scale=3):
            gr.Markdown("#### Sound")
            sliders = [gr.Slider(-3, 3, 0, visible=False) for _ in range(MAX_SLIDERS)]
            with gr.Row():
                duration = gr.Number(4.0, label="Seconds per sound", minimum=0.1, maximum=3600)
                count = gr.Number(1, label="How many", precision=0, minimum=1, maximum=100)
                seed = gr.Textbox(label="Seed (blank: a new one each time)", placeholder="e.g. 42")
            with gr.Row():
                presets = gr.Dropdown([], label="Saved presets", scale=2)
                load = gr.Button("Load preset", scale=1)
                preset_name = gr.Textbox(label="Save sliders as", placeholder="bright-hit", scale=2)
                save = gr.Button("Save preset", scale=1)
            with gr.Row():
                partner = gr.Dropdown([("none", "")], value="", label="Blend with another model", scale=2)
                share = gr.Slider(0, 100, 0, step=1, label="…this much of it (%)", scale=2)
        with gr.Column(scale=2):
            gr.Markdown("#### Vocoder")
            vocoder = gr.Dropdown([(AUTO_LABEL, AUTO)], value=AUTO, label="Vocoder", elem_id="vocoder-choice")
            note = gr.Markdown(elem_id="vocoder-note")
            auto_note = gr.State("")
            unusable = gr.State({})
            gr.Markdown("#### File")
            with gr.Row():
                fmt = gr.Dropdown(list(FORMATS), value="wav", label="Format")
                bit_depth = gr.Dropdown(["16", "24", "32"], value="24", label="Bit depth")
                rate = gr.Dropdown([str(r) for r in OUTPUT_RATES], value="48000", label="Sample rate (Hz)")
            ceiling = gr.Slider(-24, 0, -1, step=0.5, label="Peak ceiling (dBFS)")
            gr.Markdown("#### Placement")
            mode = gr.Radio(list(MODES), value="mono", label="Spatial mode")
            with gr.Row():
                width = gr.Slider(0, 2, 1, step=0.05, label="Stereo width")
                azimuth = gr.Slider(-180, 180, 30, step=5, label="Binaural direction (°, + = right)")
    go = gr.Button("Generate", variant="primary", elem_id="generate-button")
    used = gr.Markdown(elem_id="vocoder-used")
    saved = gr.Markdown()
    with gr.Row():
        players = [gr.Audio(type="filepath", interactive=False, visible=False) for _ in range(PLAYERS)]
    files = gr.File(label="Download", file_count="multiple", interactive=False, visible=False)
    quality = gr.Dataframe(label="Quality report and history", interactive=False, visible=False)

    # On page load too: the dropdown starts on the first model, and that is no "change".
    gr.on(
        None, shows_errors(choose_model), model, [about, vocoder, unusable, auto_note, *sliders, presets, partner]
    ).then(vocoder_note, [vocoder, unusable, auto_note], [note, go])
    vocoder.change(vocoder_note, [vocoder, unusable, auto_note], [note, go])
    refresh.click(lambda: gr.Dropdown(choices=model_choices()), None, model)
    load.click(shows_errors(apply_preset), [model, presets], sliders)
    save.click(shows_errors(store_preset), [model, preset_name, *sliders], presets)
    go.click(
        shows_errors(render_files),
        [
            model,
            vocoder,
            duration,
            count,
            seed,
            fmt,
            bit_depth,
            rate,
            ceiling,
            mode,
            width,
            azimuth,
            partner,
            share,
            *sliders,
        ],
        [used, saved, *players, files, quality],
    )
    return GenerateTab(model, sliders, seed, duration, vocoder, unusable, refresh)
