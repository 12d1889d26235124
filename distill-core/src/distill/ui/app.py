"""The whole app: five tabs on one page, wired together, served on the Gradio queue until Ctrl-C or `kill`."""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys
import threading
import time

import gradio as gr
import torch
from gradio.tunneling import CURRENT_TUNNELS

from distill.ui import ab_tab, data_tab, generate_tab, jobs, library_tab, train_tab
from distill.ui.access import Access
from distill.ui.common import Settings, model_choices
from distill.ui.serving import page_folder

log = logging.getLogger(__name__)

TITLE = "Distill"
CSS = """
.gradio-container { max-width: 1280px !important; }
#intro p { margin: 0; color: var(--body-text-color-subdued); }
"""
THEME = gr.themes.Soft(
    primary_hue="violet",
    neutral_hue="slate",
    font=["ui-sans-serif", "system-ui", "sans-serif"],
    font_mono=["ui-monospace", "monospace"],
)
CONCURRENT_RUNS = 2  # two browser tabs generating at once both run, one per core on a small machine
JOBS_STOP_SECONDS = 60.0  # on shutdown, how long running jobs get to stop and keep their checkpoints
SERVER_CLOSE_SECONDS = 1.0


def _choices() -> gr.Dropdown:
    return gr.Dropdown(choices=model_choices())


def build_app() -> gr.Blocks:
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(
            "# Distill\nTurn your own recordings into an instrument: **Data** (check a folder) → **Train** "
            "(learn it) → **Generate** (play it). **A/B** compares vocoders; **Library** keeps models and history.",
            elem_id="intro",
        )
        with gr.Tabs() as tabs:
            with gr.Tab("Data", id="data"):
                data = data_tab.build()
            with gr.Tab("Train", id="train") as train_page:
                train = train_tab.build()
            with gr.Tab("Generate", id="generate") as generate_page:
                generate = generate_tab.build()
            with gr.Tab("A/B", id="ab") as ab_page:
                ab = ab_tab.build(generate)
            with gr.Tab("Library", id="library") as library_page:
                library = library_tab.build()

        data.use_for_training.click(
            lambda folder: (folder, gr.Tabs(selected="train")), data.folder, [train.folder, tabs]
        )
        library.open_in_generate.click(
            lambda model: (gr.Dropdown(choices=model_choices(), value=model), gr.Tabs(selected="generate")),
            library.model,
            [generate.model, tabs],
        )
        pickers = [generate.model, train.vocoder_model, library.model]
        for finished in train.finished:
            finished.success(lambda: [_choices() for _ in pickers], None, pickers)
        # Models change in other tabs (training, renaming) and other browser tabs: each page refreshes its lists.
        generate_page.select(_choices, None, generate.model)
        train_page.select(_choices, None, train.vocoder_model)
        for page, tab in ((ab_page, ab), (library_page, library)):
            for handler, inputs, outputs in tab.on_open:
                page.select(handler, inputs, outputs)
    return app


def serve(access: Access, port: int = 7860, device: torch.device | None = None) -> None:
    """Serve the app under `access` until Ctrl-C or `kill`, then stop its jobs and end the process (status 0).

    It serves only its own folder (`serving.page_folder`: uploads and the files it made for
    the page), nothing under the data home otherwise, and no allowed paths.
    """
    Settings.device = device or torch.device("cpu")
    Settings.access = access
    if hasattr(signal, "SIGUSR1"):  # `kill -USR1 PID`: every thread's stack to the terminal, for a report
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    with page_folder():
        launched = None
        try:  # a stop while starting ends the process too: half-started server threads must not keep it alive
            app = build_app()
            app.queue(default_concurrency_limit=CONCURRENT_RUNS)
            app.launch(
                server_name=access.host,
                server_port=port,
                share=access.share,
                auth=list(access.accounts) or None,
                auth_message="Distill: sign in with the user name and password this server was started with.",
                max_file_size=access.max_upload_bytes,
                allowed_paths=[],
                theme=THEME,
                css=CSS,
                footer_links=[],
                prevent_thread_lock=True,
            )
            launched = app
            while app.is_running:
                time.sleep(0.2)
        except KeyboardInterrupt:  # Ctrl-C, or `kill` (the CLI makes SIGTERM interrupt the same way)
            pass
        if launched is not None:
            shut_down(launched)
    # Everything is stopped and written; tearing down the interpreter's modules (torch, Gradio) takes
    # seconds more on a busy machine, which a service asked to stop should not make its supervisor wait.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def shut_down(app: gr.Blocks) -> None:
    """Stop every running job as the CLI would (training keeps its checkpoint), then the server."""
    stopped = jobs.stop_all(JOBS_STOP_SECONDS)
    if stopped:
        log.warning("Stopped %d running job(s) of the app; trainings kept their checkpoints.", len(stopped))
    # Open pages hold their event streams open, and the server waits up to 5 s for them to end; a
    # service asked to stop does not wait on its clients: a moment, then the process ends.
    closing = threading.Thread(target=app.close, name="distill-ui-close", daemon=True)
    closing.start()
    closing.join(SERVER_CLOSE_SECONDS)
    for tunnel in CURRENT_TUNNELS:  # a --share link's tunnel process goes with the app
        tunnel.kill()
