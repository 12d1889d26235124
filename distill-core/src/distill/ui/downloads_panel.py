"""Universal vocoders' downloads, ahead of time: their state, "Download now", and cancelling a download.

A vocoder that downloads its weights (BigVGAN: 489 MB, once) says here whether they are
here, how much they take on disk and what that is, or why they cannot be fetched now
(offline: with the folder for files placed by hand). "Download now" runs as an app job,
shown as the same stages a first render would show, so a reload or a second page sees it;
"Cancel download" stops it between blocks, and nothing partial is kept.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import gradio as gr

from distill.host.assets import all_assets, fetch_assets
from distill.progress import Cancelled, size_text
from distill.ui import jobs
from distill.ui.common import refusal
from distill.ui.notices import banner
from distill.ui.progress_view import stages
from distill.ui.wording import page_words
from distill.vocoders.types import VocoderAssets


@dataclass
class DownloadsPanel:
    state: gr.HTML
    progress: gr.HTML


def _key(name: str) -> str:
    return f"download:{name}"


def state_line(name: str, assets: VocoderAssets) -> str:
    """One vocoder's download state in words."""
    title = f"<b>{html.escape(name)}</b> ({html.escape(assets.title)})"
    job = jobs.find(_key(name))
    if job is not None and not job.done:
        return f"<p>{title}: <b>downloading</b>, see the progress below.</p>"
    if assets.ready:
        what = f": {html.escape(assets.contents)}" if assets.contents else ""
        return f"<p>{title}: <b>ready</b>, {size_text(assets.bytes_on_disk)} on disk{what}.</p>"
    size = size_text(assets.download_bytes or 0)
    if assets.unavailable:
        why = html.escape(page_words(assets.unavailable))
        return f"<p>{title}: <b>not downloaded</b> ({size}), and it cannot be downloaded now. {why}</p>"
    return (
        f"<p>{title}: <b>not downloaded</b>: {size}, a one-time download. Download it now, or it downloads the first "
        "time it is used.</p>"
    )


def states() -> str:
    found = all_assets()
    return "".join(state_line(name, assets) for name, assets in found.items()) or "<p>No vocoder needs a download.</p>"


def _view(job: jobs.Job) -> list:
    if not job.done:
        return [states(), stages(job, "Asking the model hub…")]
    if isinstance(job.error, Cancelled):
        shown = banner("Download cancelled; nothing partial was kept. “Download now” starts it again.", "warning")
    elif job.error is not None:
        shown = banner(refusal(job.error), "error", bold="Could not download.")
    else:
        shown = banner(f"{job.result.title[:1].upper()}{job.result.title[1:]} is ready.", "success", bold="Done.")
    return [states(), shown]


def download(name: str):
    """Start (or join) the download of vocoder `name`'s weights and follow it."""
    job = jobs.find(_key(name))
    if job is None or job.done:

        def work(progress, should_stop):
            return fetch_assets(name, progress, should_stop)

        job = jobs.start(_key(name), "download", work, f"{name} is already downloading.", {"name": name})
    yield from jobs.followed(job, _view)


def cancel(name: str) -> None:
    if jobs.stop(_key(name)):
        gr.Info("Cancelling the download…")


def attach():
    """On page load: the state as it is now, and a download running in the app as the page that started it shows it."""
    job = jobs.latest("download")
    if job is None or job.done:
        yield [states(), gr.skip()]
        return
    yield from download(job.inputs["name"])


def build() -> DownloadsPanel | None:
    """The panel, or nothing when no installed vocoder downloads anything."""
    names = list(all_assets())
    if not names:
        return None
    with gr.Accordion("Universal vocoder downloads", open=True, elem_id="downloads"):
        state = gr.HTML(states(), elem_id="download-state")
        with gr.Row():
            chosen = gr.Dropdown(names, value=names[0], label="Vocoder", visible=len(names) > 1, scale=2)
            fetch = gr.Button("Download now", elem_id="download-now", scale=1)
            stop = gr.Button("Cancel download", variant="stop", elem_id="download-cancel", scale=1)
        progress = gr.HTML(elem_id="download-progress")
    fetch.click(download, chosen, [state, progress], concurrency_limit=None, show_progress="hidden")
    stop.click(cancel, chosen, None)
    gr.on(None, attach, None, [state, progress], concurrency_limit=None, show_progress="hidden")
    return DownloadsPanel(state, progress)
