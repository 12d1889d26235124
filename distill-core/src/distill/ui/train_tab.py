"""Train tab: a model from a folder (live losses, stop, resume), and a model's own vocoder.

Both trainings run as app jobs (`ui.jobs`): the page that starts one follows it, and any
page opened later (a reload, a second browser) finds the newest one on load, with its form,
progress, charts, Stop and, once it ends, its result. A resumed run's charts continue the
stopped run's instead of starting again at the resume epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import gradio as gr

from distill.host.recordings import model_training_audio
from distill.host.vocoder_runs import DEFAULT_STEPS, latest_previews, training_config
from distill.host.vocoder_training import train_model_vocoder
from distill.inference.assessment import assess
from distill.library.catalog import resolve_model
from distill.models.diagnostics import resemblance_sentence
from distill.models.format import DistillModel
from distill.progress import Progress, TrainingCancelled
from distill.training import checkpoint
from distill.training.presets import PRESETS
from distill.training.runner import run_dir, train_model
from distill.ui import jobs
from distill.ui.access import readable_folder
from distill.ui.charts import PANELS, VOCODER_PANELS, latest_figures, make_panels, panel_updates
from distill.ui.common import Settings, model_choices, number_in, refusal
from distill.ui.notices import banner, health_warning, own_vocoder_warning, refused
from distill.ui.progress_view import training_progress
from distill.ui.serving import for_page
from distill.ui.wording import page_words
from distill.vocoders.verdict import verdict_summary

VOCODER = "hifigan"
PRESET_HELP = {
    "auto": "auto — picked from the number of recordings",
    "small": "small — up to 50 recordings: long, strongly regularised",
    "medium": "medium — 50 to 200 recordings",
    "large": "large — over 200 recordings",
    "demo": "demo — a narrow net, quick to train",
}
STOPPING = "<p><b>Stopping…</b> after the current step; what is done so far is kept.</p>"


@dataclass
class TrainTab:
    folder: gr.Textbox
    vocoder_model: gr.Dropdown
    finished: list  # the training events; the app refreshes model lists after each


def model_report(model: DistillModel) -> str:
    """What a finished training run produced, in the words of the CLI's summary, figures rounded."""
    meta = model.metadata
    dataset = meta.get("dataset") or {}
    loss, val = meta.get("train_loss"), meta.get("val_loss")
    sliders = ", ".join(s["name"] for s in (model.latent_analysis or {}).get("sliders", []))
    figures = [f"final loss {loss:.3f}"] if loss is not None else []
    figures.append(f"validation loss {val:.3f}" if val is not None else "no validation loss (too few recordings)")
    lines = [
        f"### Saved model '{model.name}'",
        f"Trained {meta.get('epochs')} epochs on {dataset.get('num_files')} recordings "
        f"({dataset.get('total_seconds', 0):.1f} s), skipped {len(dataset.get('skipped', []))}; "
        f"{', '.join(figures)}.  ",
        f"Sliders: {sliders}.  ",
        f"**Resemblance:** {resemblance_sentence(meta.get('resemblance'))}.  ",
        "Open the **Generate** tab to play it.",
    ]
    return "\n".join(lines)


def outcome(job: jobs.Job, progress: str, success: Callable[[DistillModel], str]) -> str:
    """The status panel: `progress` while running, then what happened, a warning as loud as a success."""
    if not job.done:
        return progress + (STOPPING if job.stopping else "")
    if isinstance(job.error, TrainingCancelled):
        stopped = banner(page_words(str(job.error)), "warning", bold="Stopped.")
        if job.kind == "vocoder" and job.error.state is not None:  # the vocoder so far was stored and judged
            warning = own_vocoder_warning(resolve_model(job.inputs["model_id"]))
            stopped += banner(warning, "warning", bold="Auto does not use it:") if warning else ""
        return stopped
    if job.error is not None:
        return banner(refusal(job.error), "error", bold="Could not finish.")
    model: DistillModel = job.result
    warning = health_warning(model) if job.kind == "train" else own_vocoder_warning(model)
    if warning:
        return banner(warning, "warning", bold=f"Saved '{model.name}', but:")
    return banner(success(model), "success", bold="Done.")


def training_history(name: str) -> list[Progress]:
    """The chart points of the run a resume continues: this app's last run of `name`, else its checkpoint's."""
    earlier = jobs.find(f"train:{name}")
    if earlier is not None and earlier.done:
        return earlier.events
    path = run_dir(name) / "checkpoint.pt"
    if not path.is_file():
        return []
    points = []
    for epoch in checkpoint.read(path)["history"]:
        figures = {"loss": epoch["train_loss"], "recon": epoch["recon"], "kl": epoch["kl"]}
        if epoch["val_loss"] is not None:
            figures["val_loss"] = epoch["val_loss"]
        points.append(Progress("train", epoch["epoch"], None, "", figures))
    return points


def _vae_view(job: jobs.Job) -> list[Any]:
    progress = training_progress(job, "epoch", "Loading and checking the recordings…")
    status = outcome(job, progress, lambda model: f"Saved model '{model.name}'. Open the Generate tab to play it.")
    report = model_report(job.result) if job.done and job.error is None else ""
    return [status, latest_figures(job.events), report, *panel_updates(job.events, "epoch"), job.key]


def train_vae(folder: str, name: str, preset: str, epochs: str, resume: bool, replace: bool):
    """Start training and follow its progress and charts until it ends or is stopped."""
    name, folder, epochs = name.strip(), folder.strip(), epochs.strip()
    try:
        if not folder or not name:
            raise gr.Error("Fill in “Folder of recordings” and “Model name” first.")
        if epochs and not epochs.isdigit():
            raise gr.Error(f"“Epochs” must be a whole number (or blank for the preset's), not '{epochs}'.")

        def work(progress, should_stop):
            return train_model(
                readable_folder(Settings.access, folder),
                name,
                epochs=int(epochs) if epochs else None,
                preset=preset,
                device=Settings.device,
                resume=resume,
                overwrite=replace,
                progress=progress,
                should_stop=should_stop,
                assess=partial(assess, device=Settings.device),
            )

        form = {"folder": folder, "name": name, "preset": preset, "epochs": epochs}
        history = training_history(name) if resume else []
        busy = f"'{name}' is already training; stop it first."
        job = jobs.start(f"train:{name}", "train", work, busy, form, history=history)
    except Exception as exc:
        yield refused(exc, 4 + PANELS)
        return
    yield from jobs.followed(job, _vae_view)


def attach(kind: str, form: tuple[str, ...], view, outputs: int):
    """On page load: the app's newest job of `kind`, as the page that started it shows it.

    Its `form` fields come back while it runs and after a stop (so "tick Resume and start
    again" resumes it), not after it finished or failed: the form is then the musician's
    for the next run, and a page load answered late must not overwrite what they typed.
    With no job, "no change" to all `outputs`: a generator that yields nothing would empty them.
    """
    job = jobs.latest(kind)
    if job is None:
        yield [gr.skip()] * outputs
        return
    resumable = not job.done or isinstance(job.error, TrainingCancelled)
    fields = [job.inputs[k] if resumable else gr.skip() for k in form]
    for update in jobs.followed(job, view):
        yield [*fields, *update]
        fields = [gr.skip()] * len(fields)


def _vocoder_view(job: jobs.Job) -> list[Any]:
    original, latest = map(for_page, latest_previews(job.inputs["model"]))
    waiting = f"Loading the recordings of '{job.inputs['model'].name}'…"
    verdict = verdict_summary(job.result) if job.done and job.error is None else None
    said = page_words(verdict) if verdict else ""
    status = outcome(
        job,
        training_progress(job, "step", waiting),
        lambda model: f"'{model.name}' now carries its own {VOCODER} vocoder. {said}",
    )
    panels = panel_updates(job.events, "step", VOCODER_PANELS)
    return [status, latest_figures(job.events), original, latest, *panels, job.key]


def train_vocoder(
    model_id: str | None,
    steps: float,
    batch_size: float | None,
    width: float | None,
    preview_every: float,
    resume: bool,
):
    """Train the chosen model's own vocoder, following losses and preview players."""
    try:
        if not model_id:
            raise gr.Error("Choose the model whose vocoder to train under “Model”.")
        model = resolve_model(model_id)
        config = training_config(
            model,
            max_steps=int(number_in("Steps", steps, 1, 1_000_000, whole=True)),
            batch_size=int(number_in("Batch size", batch_size, 1, 256, whole=True)) if batch_size else None,
            resume=resume,
            device=str(Settings.device),
            discriminator_width=int(number_in("Discriminator width ÷", width, 1, 64, whole=True)) if width else None,
            preview_every=int(number_in("Preview every N steps", preview_every, 1, 1_000_000, whole=True)),
        )
        dataset = model_training_audio(model)

        def work(progress, should_stop):
            return train_model_vocoder(model, VOCODER, dataset, config, progress, should_stop=should_stop)

        busy = f"The vocoder of '{model.name}' is already training; stop it first."
        form = {"model_id": model.id, "model": model}
        job = jobs.start(f"vocoder:{model.id}", "vocoder", work, busy, form)
    except Exception as exc:
        yield refused(exc, 5 + PANELS)
        return
    yield from jobs.followed(job, _vocoder_view)


def stop_job(key: str, fallback: str) -> None:
    """The Stop button: the job this page shows (or the one `fallback` names), with word that it was heard."""
    if jobs.stop(key or fallback):
        gr.Info("Stopping after the current step; what is done so far is kept.")
    else:
        gr.Info("Nothing is training there right now.")


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
        status = gr.HTML(elem_id="train-status")
        figures = gr.Markdown(elem_id="train-figures")
        panels = make_panels("epoch")
        report = gr.Markdown(elem_id="train-report")
        watched = gr.State("")
        shown = [status, figures, report, *panels, watched]
        trained = start.click(train_vae, [folder, name, preset, epochs, resume, replace], shown, concurrency_limit=None)
        form = [folder, name, preset, epochs]

        def watch_training():
            yield from attach("train", ("folder", "name", "preset", "epochs"), _vae_view, len(form + shown))

        gr.on(None, watch_training, None, [*form, *shown], concurrency_limit=None)
        stop.click(lambda key, typed: stop_job(key, f"train:{typed.strip()}"), [watched, name], None)

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
            batch = gr.Number(None, label="Batch size", info="blank: the recipe's", precision=0, minimum=1, scale=1)
            width = gr.Number(
                None,
                label="Discriminator width ÷ (4 is faster on a CPU)",
                info="blank: the recipe's",
                precision=0,
                minimum=1,
                scale=1,
            )
            preview_every = gr.Number(200, label="Preview every N steps", precision=0, minimum=1, scale=1)
            vocoder_resume = gr.Checkbox(label="Resume a stopped run", scale=1)
        with gr.Row():
            vocoder_start = gr.Button("Start vocoder training", variant="primary")
            vocoder_stop = gr.Button("Stop (keeps a checkpoint)", variant="stop")
        vocoder_status = gr.HTML(elem_id="vocoder-status")
        vocoder_figures = gr.Markdown(elem_id="vocoder-figures")
        vocoder_panels = make_panels("step")
        with gr.Row():
            original = gr.Audio(label="Original recording", type="filepath", interactive=False)
            preview = gr.Audio(label="Latest reconstruction by the vocoder", type="filepath", interactive=False)
        vocoder_watched = gr.State("")
        vocoder_shown = [vocoder_status, vocoder_figures, original, preview, *vocoder_panels, vocoder_watched]
        vocoder_trained = vocoder_start.click(
            train_vocoder,
            [vocoder_model, steps, batch, width, preview_every, vocoder_resume],
            vocoder_shown,
            concurrency_limit=None,
        )

        def watch_vocoder_training():
            yield from attach("vocoder", ("model_id",), _vocoder_view, 1 + len(vocoder_shown))

        gr.on(None, watch_vocoder_training, None, [vocoder_model, *vocoder_shown], concurrency_limit=None)
        vocoder_stop.click(lambda key, chosen: stop_job(key, f"vocoder:{chosen}"), [vocoder_watched, vocoder_model])
    return TrainTab(folder, vocoder_model, [trained, vocoder_trained])
