"""Generate tab: a model's sliders, a vocoder, export and placement; then play, keep and take out the results.

A render runs as an app job (`ui.jobs`), shown as the stages of one progress display (a
vocoder's download, its preparation, each sound) with a Stop button; a page opened while it
runs finds it. Releasing a slider plays a short preview (`inference.preview`); the full
render stays the Generate button (keys: G, and R for a new seed).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from distill.audio.export import FORMATS, OUTPUT_RATES, ExportSettings
from distill.audio.spatial import MODES
from distill.controls.analysis import MAX_SLIDERS
from distill.data.listing import list_recordings
from distill.data.segmenting import ONE_SHOT, generation_mode
from distill.host.selector import AUTO
from distill.inference.blending import Blend
from distill.inference.outputs import Spatial, ensure_writable, generate_files
from distill.inference.preview import render_preview
from distill.library.catalog import resolve_model
from distill.library.presets import list_presets, load_preset, save_preset
from distill.models.format import DistillModel
from distill.paths import generated_dir
from distill.progress import Cancelled
from distill.ui import downloads_panel, jobs, kit_panel, recordings_view, vocoder_menu
from distill.ui.access import home_hidden
from distill.ui.common import Settings, model_choices, number_in, refusal, rounded, shows_errors
from distill.ui.notices import banner, model_notices, near_silent_warnings, refused
from distill.ui.progress_view import stages
from distill.ui.serving import for_page
from distill.ui.sliders import slider_updates
from distill.ui.wording import page_words

PLAYERS = 4
RESULTS = 6 + PLAYERS  # the outputs between the progress display and the job's key
SHORTCUTS_JS = """
if (!window.distillShortcuts) {
  window.distillShortcuts = true;
  document.addEventListener('keydown', (event) => {
    const go = document.querySelector('#generate-button');
    if (!go || go.offsetParent === null || event.altKey || event.metaKey) return;
    const typing = event.target.closest('input, textarea, select, [contenteditable]');
    const key = event.key.toLowerCase();
    if (event.ctrlKey && key === 'enter') { event.preventDefault(); go.click(); return; }
    if (typing || event.ctrlKey) return;
    if (key === 'g') { event.preventDefault(); go.click(); }
    if (key === 'r') { event.preventDefault(); document.querySelector('#reroll-button').click(); }
  });
}
"""
LOUDNESS_NOTE = (
    "Loudness (LUFS, ITU-R BS.1770) needs at least 0.4 s of sound: a shorter one-shot shows “—”. "
    "Peak and gain are after the peak ceiling; “DC removed” is the offset taken out of a render that leaned to "
    "one side."
)


@dataclass
class GenerateTab:
    model: gr.Dropdown
    sliders: list[gr.Slider]
    seed: gr.Textbox
    duration: gr.Number
    refresh: gr.Button


def slider_values(model: DistillModel, values: tuple[float, ...]) -> dict[int, float]:
    """The model's sliders' values by index (the spare slots beyond them are not the model's)."""
    count = len((model.latent_analysis or {}).get("sliders", []))
    return {index: float(value) for index, value in enumerate(values[:count])}


def parse_seed(text: str) -> int:
    """The seed box: a whole number, or blank for a fresh random seed."""
    if not text.strip():
        return secrets.randbelow(2**31)
    try:
        return int(text.strip())
    except ValueError:
        raise gr.Error(f"“Seed” must be a whole number (or blank for a new one), not '{text.strip()}'.") from None


def model_summary(model: DistillModel) -> str:
    """The model line: what it learned from, what it makes, its own vocoder; then any warning, as loud."""
    dataset = model.metadata.get("dataset") or {}
    own = model.vocoder_type if model.vocoder_state_dict is not None else None
    makes = "one-shots" if generation_mode(model) == ONE_SHOT else "textures"
    line = (
        f"<p><b>{model.name}</b> — makes {makes}; trained on {dataset.get('num_files', '?')} recordings "
        f"({dataset.get('total_seconds', 0):.0f} s). Own vocoder: {own or 'none (train one in the Train tab)'}.</p>"
    )
    return line + model_notices(model)


def duration_help(model: DistillModel | None) -> gr.Number:
    """What "Seconds per sound" means for this model: a one-shot's longest, or a texture's length."""
    if model is None or generation_mode(model) != ONE_SHOT:
        return gr.Number(info="Each sound lasts exactly this long.")
    median = (model.metadata.get("layout") or {}).get("median_seconds")
    typical = f" (its recordings' median: {median:.2f} s)" if median else ""
    return gr.Number(info=f"For this one-shot model, the longest a sound may ring; each ends where it decays{typical}.")


def choose_model(model_id: str | None) -> list[Any]:
    """Everything that depends on the model: its line, sliders, vocoders, presets, blend partners."""
    model = resolve_model(model_id) if model_id else None
    choices, unusable, auto = vocoder_menu.menu(model)
    sliders, hidden = slider_updates(model)
    if model is None:
        about = "<p>Choose a model (train one in the Train tab first).</p>"
        return [about, vocoder_menu.dropdown(choices), unusable, auto, *sliders, hidden, gr.Dropdown(), gr.Dropdown()]
    presets = gr.Dropdown(choices=sorted(list_presets(model)), value=None)
    partners = gr.Dropdown(choices=[("none", "")] + [c for c in model_choices() if c[1] != model.id], value="")
    return [model_summary(model), vocoder_menu.dropdown(choices), unusable, auto, *sliders, hidden, presets, partners]


def trained_on(model_id: str | None) -> tuple[str, list[str]]:
    """The recordings the model was trained on, for the browser beside it."""
    if not model_id:
        return recordings_view.shown([], "Choose a model first.")
    dataset = resolve_model(model_id).metadata.get("dataset") or {}
    found = list_recordings(Path(dataset.get("root", ".")), list(dataset.get("files") or []))
    return recordings_view.shown(found, "This model's file does not list its recordings.")


def trained_on_if_open(model_id: str | None, is_open: bool) -> tuple[Any, Any]:
    """A newly chosen model's recordings where the list is open; a closed one is filled when it opens."""
    return trained_on(model_id) if is_open else (gr.skip(), gr.skip())


def apply_preset(model_id: str | None, name: str | None) -> list[gr.Slider]:
    if not model_id or not name:
        raise gr.Error("Choose a model and one of its “Saved presets” first.")
    model = resolve_model(model_id)
    values = load_preset(model, name)
    sliders = (model.latent_analysis or {}).get("sliders", [])
    return [gr.Slider(value=values.get(i, s["default"])) for i, s in enumerate(sliders)] + [
        gr.Slider() for _ in range(MAX_SLIDERS - len(sliders))
    ]


def store_preset(model_id: str | None, name: str, *values: float) -> gr.Dropdown:
    if not model_id:
        raise gr.Error("Choose a model first.")
    model = resolve_model(model_id)
    save_preset(model, name.strip(), slider_values(model, values))
    gr.Info(f"Saved preset '{name.strip()}' for {model.name}.")
    return gr.Dropdown(choices=sorted(list_presets(model)), value=name.strip())


def vocoder_report(records: list[dict[str, Any]], requested: str) -> str:
    """Which vocoder made the sound, and why Auto passed over the others (the CLI's warnings)."""
    used = records[0]["vocoder"]
    how = "chosen by Auto" if requested == AUTO else "as requested"
    lines = [f"### Vocoder used: {used} ({how})"]
    for skipped in records[0].get("vocoder_skipped") or []:
        lines.append(f"- ⚠️ skipped **{skipped['vocoder']}**: {page_words(skipped['reason'])}")
    return "\n".join(lines)


def quality_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per file: how it was made and its quality report, rounded, in words."""
    rows = []
    for r in records:
        q = r.get("quality") or {}
        loudness = q.get("loudness_lufs")
        if loudness is None:
            loudness = "— (under 0.4 s)" if r["duration"] < 0.4 else "— (too quiet)"
        notes = [
            "near-silent: not amplified" if q.get("near_silent") else "",
            "not finite!" if q.get("finite") is False else "",
            f"{q['clipped_samples']} clipped samples" if q.get("clipped_samples") else "",
        ]
        rows.append(
            {
                "file": Path(r["path"]).name,
                "seed": r["seed"],
                "seconds": rounded(r["duration"], 2),
                "vocoder": r["vocoder"],
                "render s": rounded(r.get("render_seconds"), 2),
                "peak dBFS": rounded(q.get("peak_dbfs"), 1),
                "loudness LUFS": rounded(loudness, 1),
                "gain dB": rounded(q.get("gain_db"), 1),
                "DC removed": rounded(q.get("dc_offset_removed"), 4),
                "note": "; ".join(n for n in notes if n) or "ok",
                "history id": r.get("history_id"),
            }
        )
    return pd.DataFrame(rows)


def _results(job: jobs.Job) -> list[Any]:
    """Every result output for a job: its progress while it runs, then what it made or why it did not."""
    keep = [gr.skip()] * RESULTS
    if not job.done:
        return [stages(job, "Loading the model and its vocoder…"), *keep, job.key]
    if isinstance(job.error, Cancelled):
        return [banner("Stopped; nothing was kept of the sound in progress.", "warning"), *keep, job.key]
    if job.error is not None:
        return [banner(refusal(job.error), "error", bold="Could not generate."), *keep, job.key]
    records = job.result
    players = [
        gr.Audio(value=for_page(r["path"]), label=f"seed {r['seed']} · {r['vocoder']}", visible=True)
        for r in records[:PLAYERS]
    ]
    players += [gr.Audio(value=None, visible=False)] * (PLAYERS - len(players))
    more = f" (the first {PLAYERS} play here; download them all below)" if len(records) > PLAYERS else ""
    folder = Path(records[0]["path"]).parent
    where = home_hidden(str(folder))
    saved = f"Saved {len(records)} file{'s' * (len(records) != 1)} to `{where}`{more}; each is in the history."
    return [
        stages(job, ""),
        vocoder_report(records, job.inputs["vocoder"]),
        near_silent_warnings(records),
        saved,
        *players,
        gr.File(value=[for_page(r["path"]) for r in records], visible=True),
        gr.Dataframe(quality_table(records), visible=True),
        records,
        job.key,
    ]


def _cleared() -> list[Any]:
    """A new render's first view: the last render's results go, so none is shown as this one's."""
    players = [gr.Audio(value=None, visible=False)] * PLAYERS
    return ["", "", "", *players, gr.File(visible=False), gr.Dataframe(visible=False), []]


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
):
    """Generate with the engine exactly as `distill generate` does, following it stage by stage."""
    try:
        if not model_id:
            raise gr.Error("Choose a model under “Model” first.")
        model = resolve_model(model_id)
        seconds = number_in("Seconds per sound", duration, 0.1, 3600)
        how_many = int(number_in("How many", count, 1, 100, whole=True))
        settings = ExportSettings(fmt, int(bit_depth), int(rate), ceiling)
        settings.validate()
        first_seed = parse_seed(seed)

        def work(progress, should_stop):
            with jobs.render_slot(progress):
                return generate_files(
                    model,
                    how_many,
                    seconds,
                    vocoder,
                    first_seed,
                    slider_values(model, values),
                    settings,
                    ensure_writable(generated_dir() / model.name),
                    Settings.device,
                    Spatial(mode, width, azimuth),
                    Blend(partner, share / 100) if partner and share > 0 else None,
                    progress,
                )

        job = jobs.start(f"generate:{uuid.uuid4().hex}", "generate", work, "", {"vocoder": vocoder}, True)
    except Exception as exc:
        yield refused(exc, RESULTS + 2)
        return
    yield [stages(job, "Loading the model and its vocoder…"), *_cleared(), job.key]
    yield from jobs.followed(job, _results)


def attach():
    """On page load: a render running in the app (or one whose result no page has shown yet)."""
    job = jobs.latest("generate")
    if job is None or (job.done and job.delivered):  # yielding nothing would empty the outputs
        yield [gr.skip()] * (RESULTS + 2)
        return
    yield from jobs.followed(job, _results)


def stop(key: str) -> None:
    if key and jobs.stop(key):
        gr.Info("Stopping the render…")


def preview(model_id: str | None, seed: str, duration: float, *values: float) -> tuple[Any, str]:
    """The short preview a released slider plays: the model at these sliders, through the fastest good vocoder."""
    if not model_id:
        return gr.skip(), ""
    model = resolve_model(model_id)
    chosen = int(seed) if seed.strip().isdigit() else 0
    made = render_preview(model, slider_values(model, values), chosen, float(duration or 4.0), Settings.device)
    pcm = (made.audio.clamp(-1, 1) * 32767).round().short().numpy()
    seconds = made.audio.numel() / made.sample_rate
    note = f"Preview: seed {chosen}, {seconds:.2f} s, {made.vocoder}, rendered in {made.render_seconds:.2f} s."
    return (made.sample_rate, pcm), note


def new_seed() -> str:
    return str(secrets.randbelow(2**31))


def build() -> GenerateTab:
    with gr.Row():
        model = gr.Dropdown(model_choices(), label="Model", scale=4, elem_id="generate-model")
        refresh = gr.Button("Refresh list", scale=1)
    about = gr.HTML(elem_id="model-about")
    with gr.Accordion("What this model was trained on", open=False) as trained:
        browser = recordings_view.build("trained-on", "Recording it was trained on")
    with gr.Row():
        with gr.Column(scale=3):
            gr.Markdown("#### Sound")
            sliders = [gr.Slider(-3, 3, 0, visible=False) for _ in range(MAX_SLIDERS)]
            hidden_note = gr.Markdown(elem_id="hidden-sliders")
            preview_audio = gr.Audio(
                label="Preview (plays when you release a slider)",
                interactive=False,
                autoplay=True,
                elem_id="preview",
            )
            preview_note = gr.Markdown(elem_id="preview-note")
            with gr.Row():
                duration = gr.Number(4.0, label="Seconds per sound", elem_id="duration")
                count = gr.Number(1, label="How many", precision=0)
                seed = gr.Textbox(label="Seed (blank: a new one each time)", placeholder="e.g. 42", elem_id="seed")
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
            vocoder = gr.Dropdown(
                [(vocoder_menu.AUTO_LABEL, AUTO)], value=AUTO, label="Vocoder", elem_id="vocoder-choice"
            )
            note = gr.HTML(elem_id="vocoder-note")
            auto_note = gr.State("")
            unusable = gr.State({})
            downloads_panel.build()
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
    with gr.Row():
        go = gr.Button("Generate", variant="primary", elem_id="generate-button", scale=3)
        reroll = gr.Button("New seed and generate", elem_id="reroll-button", scale=2)
        halt = gr.Button("Stop", variant="stop", elem_id="generate-stop", scale=1)
    gr.HTML(
        "<p class='shortcuts'>Keys: <kbd>G</kbd> generate · <kbd>R</kbd> new seed and generate · "
        "<kbd>Ctrl</kbd>+<kbd>Enter</kbd> generate from anywhere</p>",
        js_on_load=SHORTCUTS_JS,
    )
    progress = gr.HTML(elem_id="generate-progress")
    used = gr.Markdown(elem_id="vocoder-used")
    warnings = gr.HTML(elem_id="render-warnings")
    saved = gr.Markdown(elem_id="render-saved")
    with gr.Row():
        players = [gr.Audio(type="filepath", interactive=False, visible=False) for _ in range(PLAYERS)]
    files = gr.File(label="Download", file_count="multiple", interactive=False, visible=False)
    quality = gr.Dataframe(
        label="Quality report and history",
        interactive=False,
        visible=False,
        wrap=True,
        column_widths=["22%", "5%", "6%", "8%", "6%", "6%", "10%", "5%", "6%", "10%", "16%"],
        elem_id="quality",
    )
    gr.Markdown(LOUDNESS_NOTE)
    records = gr.State([])
    watched = gr.State("")
    kit_panel.build(lambda made: made, [records], "generate-kit", "my-kit")

    model_outputs = [about, vocoder, unusable, auto_note, *sliders, hidden_note, presets, partner]
    # On page load too: the dropdown starts on the first model, and that is no "change".
    gr.on(None, shows_errors(choose_model), model, model_outputs).then(
        vocoder_menu.note, [vocoder, unusable, auto_note], [note, go]
    ).then(lambda m: duration_help(resolve_model(m) if m else None), model, duration)
    # The accordion is never closed from here: a close racing the musician's click would hide the list.
    trained_open = gr.State(False)
    model.change(shows_errors(trained_on_if_open), [model, trained_open], _browser(browser))
    trained.expand(lambda: True, None, trained_open).then(shows_errors(trained_on), model, _browser(browser))
    trained.collapse(lambda: False, None, trained_open)
    vocoder.change(vocoder_menu.note, [vocoder, unusable, auto_note], [note, go])
    refresh.click(lambda: gr.Dropdown(choices=model_choices()), None, model)
    load.click(shows_errors(apply_preset), [model, presets], sliders)
    save.click(shows_errors(store_preset), [model, preset_name, *sliders], presets)
    for slider in sliders:
        slider.release(
            shows_errors(preview),
            [model, seed, duration, *sliders],
            [preview_audio, preview_note],
            trigger_mode="always_last",
            show_progress="hidden",
        )
    settings = [model, vocoder, duration, count, seed, fmt, bit_depth, rate, ceiling, mode, width, azimuth]
    inputs = [*settings, partner, share, *sliders]
    outputs = [progress, used, warnings, saved, *players, files, quality, records, watched]
    go.click(render_files, inputs, outputs, concurrency_limit=None, show_progress="hidden")
    reroll.click(new_seed, None, seed).then(
        render_files, inputs, outputs, concurrency_limit=None, show_progress="hidden"
    )
    halt.click(stop, watched, None)
    gr.on(None, attach, None, outputs, concurrency_limit=None, show_progress="hidden")
    return GenerateTab(model, sliders, seed, duration, refresh)


def _browser(view: recordings_view.RecordingsView) -> list:
    return [view.listing, view.paths]
