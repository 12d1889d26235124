"""Train tab: a model from a folder (live losses, stop, resume), and a model's own vocoder."""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from functools import partial

import gradio as gr

from distill.host.recordings import model_training_audio
from distill.host.vocoder_runs import DEFAULT_STEPS, latest_previews, training_config
from distill.host.vocoder_training import train_model_vocoder
from distill.inference.assessment import assess
from distill.library.catalog import resolve_model
from distill.models.diagnostics import resemblance_sentence
from distill.models.format import DistillModel
from distill.progress import Progress, TrainingCancelled
from distill.training.presets import PRESETS
from distill.training.runner import train_model
from distill.ui import jobs
from distill.ui.access import readable_folder
from distill.ui.charts import latest_figures, make_panels, panel_updates
from distill.ui.common import Settings, duration_text, model_choices, shows_errors
from distill.ui.serving import for_page
from distill.vocoders.verdict import verdict_summary

VOCODER = "hifigan"
PRESET_HELP = {
    "auto": "auto — picked from the number of recordings",
    "small": "small — up to 50 recordings: long, strongly regularised",
    "medium": "medium — 50 to 200 recordings",
    "large": "large — over 200 recordings",
    "demo": "demo — a narrow net, quick to train",
}


@dataclass
class TrainTab:
    folder: gr.Textbox
    vocoder_model: gr.Dropdown
    finished: list  # the training events; the app refreshes model lists after each


def progress_html(events: list[Progress], started: float, unit: str, waiting: str) -> str:
    """A progress bar with position, elapsed time and time left, from the engine's events."""
    if not events or not events[-1].total:
        return f"<p>{waiting}</p>"
    last, first = events[-1], events[0]
    fraction = min(1.0, last.completed / last.total)
    elapsed = time.perf_counter() - started
    done = last.completed - first.completed
    left = elapsed / done * (last.total - last.completed) if done > 0 else None
    eta = f" · about {duration_text(left)} left" if left is not None and fraction < 1 else ""
    return (
        f"<progress value='{fraction:.4f}' max='1' style='width:100%;height:14px'></progress>"
        f"<p><b>{unit} {round(last.completed, 1):g} of {last.total:g}</b> ({100 * fraction:.0f} %) · "
        f"running {duration_text(elapsed)}{eta}</p>"
    )


def model_report(model: DistillModel) -> str:
    """What a finished training run produced, in the words of the CLI's summary."""
    meta = model.metadata
    dataset = meta.get("dataset") or {}
    val = meta.get("val_loss")
    sliders = ", ".join(s["name"] for s in (model.latent_analysis or {}).get("sliders", []))
    extra = {
        k: v for k, v in meta.items() if isinstance(v, int | float) and k not in ("epochs", "train_loss", "val_loss")
    }
    lines = [
        f"### Saved model '{model.name}'",
        f"Trained {meta.get('epochs')} epochs on {dataset.get('num_files')} recordings "
        f"({dataset.get('total_seconds', 0):.1f} s), skipped {len(dataset.get('skipped', []))}.  ",
        f"Final loss {meta.get('train_loss', float('nan')):.4f}, validation loss "
        + (f"{val:.4f}" if val is not None else "n/a (too few recordings to hold some out)")
        + ".  ",
        f"Sliders: {sliders}.  ",
        f"**Resemblance:** {resemblance_sentence(meta.get('resemblance'))}.  ",
    ]
    lines += [f"{k.replace('_', ' ')}: {v:.4g}.  " for k, v in extra.items()]
    lines.append("Open the **Generate** tab to play it.")
    return "\n".join(lines)


def train_vae(folder: str, name: str, preset: str, epochs: str, resume: bool, replace: bool):
    """Start training and stream its progress and charts until it ends or is stopped."""
    name = name.strip()
    if not folder.strip() or not name:
        raise gr.Error("Fill in the folder of recordings and a name for the new model.", duration=None)
    if epochs.strip() and not epochs.strip().isdigit():
        raise gr.Error(f"Epochs must be a whole number (or blank for the preset's), not '{epochs.strip()}'.")

    def work(progress, should_stop):
        return train_model(
            readable_folder(Settings.access, folder),
            name,
            epochs=int(epochs) if epochs.strip() else None,
            preset=preset,
            device=Settings.device,
            resume=resume,
            overwrite=replace,
            progress=progress,
            should_stop=should_stop,
            assess=partial(assess, device=Settings.device),
        )

    job = jobs.start(f"train:{name}", work, f"'{name}' is already training; stop it first.")
    for events in job.follow():
        figures = latest_figures(events)
        status = progress_html(events, job.started, "epoch", "Loading and checking the recordings…")
        yield status, figures, "", *panel_updates(events, "epoch")
    if isinstance(job.error, TrainingCancelled):
        yield f"<p><b>Stopped.</b> {job.error}</p>", latest_figures(job.events), "", *panel_updates(job.events, "epoch")
        return
    if job.error is not None:
        raise job.error
    yield (
        "<p><b>Done.</b></p>",
        latest_figures(job.events),
        model_report(job.result),
        *panel_updates(job.events, "epoch"),
    )


def train_vocoder(
    model_id: str | None,
    steps: float,
    batch_size: float | None,
    width: float | None,
    preview_every: float,
    resume: bool,
):
    """Train the chosen model's own vocoder, streaming losses and preview players."""
    if not model_id:
        raise gr.Error("Choose a model whose vocoder to train.", duration=None)
    model = resolve_model(model_id)
    dataset = model_training_audio(model)
    config = training_config(
        model,
        max_steps=int(steps),
        batch_size=int(batch_size) if batch_size else None,
        resume=resume,
        device=str(Settings.device),
        discriminator_width=int(width) if width else None,
        preview_every=int(preview_every),
    )

    def work(progress, should_stop):
        return train_model_vocoder(model, VOCODER, dataset, config, progress, should_stop=should_stop)

    job = jobs.start(f"vocoder:{model.id}", work, f"The vocoder of '{model.name}' is already training; stop it first.")
    waiting = f"Loading the {len(dataset)} recordings of '{model.name}'…"
    for events in job.follow(1.0):
        original, latest = map(for_page, latest_previews(model))
        status = progress_html(events, job.started, "step", waiting)
        yield status, latest_figures(events), original, latest, *panel_updates(events, "step")
    original, latest = map(for_page, latest_previews(model))
    figures = latest_figures(job.events)
    if job.error is not None and not isinstance(job.error, TrainingCancelled):
        raise job.error
    if job.error is not None:
        message = f"<p><b>Stopped.</b> {job.error} Tick <i>Resume</i> and start again to continue.</p>"
    else:
        verdict = html.escape(verdict_summary(job.result) or "")
        message = f"<p><b>Done.</b> '{html.escape(model.name)}' now carries its own {VOCODER} vocoder. {verdict}</p>"
    yield message, figures, original, latest, *panel_updates(job.events, "step")


def stop_training(name: str) -> None:
    jobs.stop(f"train:{name.strip()}")


def stop_vocoder_training(model_id: str | None) -> None:
    if model_id:
        jobs.stop(f"vocoder:{model_id}")


def build() -> TrainTab:
    with gr.Column(elem_id="train-model"):
        gr.Markdown("## Train a model on your recordings")
        with gr.Row():
            folder = gr.Textbox(label="Folder of recordings", placeholder="/home/me/samples/kicks", scale=3)
            name = gr.Textbox(label="Model name", placeholder="kicks", scale=2)
        with gr.Row():
            preset = gr.Dropdown(
                [(PRESET_HELP.get(p, p), p) for p in ("auto", *PRESETS)], value="auto", label="Preset", scale=3
            )
            epochs = gr.Textbox(label="Epochs (blank: the preset's)", placeholder="e.g. 100", scale=1)
            resume = gr.Checkbox(label="Resume a stopped run", scale=1)
            replace = gr.Checkbox(label="Replace a model of that name", scale=1)
        with gr.Row():
            start = gr.Button("Start training", variant="primary")
            stop = gr.Button("Stop (keeps the last finished epoch)", variant="stop")
        status = gr.HTML()
        figures = gr.Markdown()
        with gr.Row():
            panels = make_panels("epoch")
        report = gr.Markdown()
        trained = start.click(
            shows_errors(train_vae), [folder, name, preset, epochs, resume, replace], [status, figures, report, *panels]
        )
        stop.click(stop_training, name, None)

    with gr.Column(elem_id="train-vocoder"):
        gr.Markdown(
            "## Train a model's own vocoder\nA HiFi-GAN that learns how this model's decoded spectrograms should "
            "sound, from the model's renderings of your own recordings. The chart *generation-path distance* shows, "
            "on recordings it never trains on, how far its renders of the model's mels are from the recordings, "
            "beside Griffin-Lim's (lower is closer): once its line is below, it has overtaken. You can stop and resume."
        )
        with gr.Row():
            vocoder_model = gr.Dropdown(model_choices(), label="Model", scale=3)
            steps = gr.Number(DEFAULT_STEPS, label="Steps", precision=0, minimum=1, scale=1)
            batch = gr.Number(None, label="Batch size (blank: the recipe's)", precision=0, minimum=1, scale=1)
            width = gr.Number(
                None, label="Discriminator width ÷ (blank: the recipe's)", precision=0, minimum=1, scale=1
            )
            preview_every = gr.Number(200, label="Preview every N steps", precision=0, minimum=1, scale=1)
            vocoder_resume = gr.Checkbox(label="Resume", scale=1)
        with gr.Row():
            vocoder_start = gr.Button("Start vocoder training", variant="primary")
            vocoder_stop = gr.Button("Stop (keeps a checkpoint)", variant="stop")
        vocoder_status = gr.HTML(elem_id="vocoder-status")
        vocoder_figures = gr.Markdown(elem_id="vocoder-figures")
        with gr.Row():
            vocoder_panels = make_panels("step")
        with gr.Row():
            original = gr.Audio(label="Original recording", type="filepath", interactive=False)
            preview = gr.Audio(label="Latest reconstruction by the vocoder", type="filepath", interactive=False)
        vocoder_trained = vocoder_start.click(
            shows_errors(train_vocoder),
            [vocoder_model, steps, batch, width, preview_every, vocoder_resume],
            [vocoder_status, vocoder_figures, original, preview, *vocoder_panels],
        )
        vocoder_stop.click(stop_vocoder_training, vocoder_model, None)
    return TrainTab(folder, vocoder_model, [trained, vocoder_trained])
