"""Data tab: pick or upload a collection, see what training would make of it, and browse it.

A check that fails says why where its result would be, and clears the last folder's
result, so nothing stale sits beside it; the next check replaces both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from distill.audio.spectrogram import SpectrogramConfig
from distill.data.collections import import_files
from distill.data.listing import recording_of
from distill.data.validation import load_collection
from distill.ui import recordings_view
from distill.ui.access import home_hidden, readable_folder
from distill.ui.common import Settings, duration_text, refusal, shows_errors
from distill.ui.notices import banner
from distill.ui.pictures import spectrogram_picture

THUMBNAILS = 6
SKIPPED = ["skipped file", "why"]


@dataclass
class DataTab:
    folder: gr.Textbox
    use_for_training: gr.Button


def check_folder(folder: str) -> tuple:
    """The summary the CLI prints before training, the skipped files, a few spectrograms and every recording."""
    try:
        if not folder.strip():
            raise gr.Error("Type the path of a folder of recordings in “Folder of recordings”, or upload files below.")
        config = SpectrogramConfig()
        collection = load_collection(readable_folder(Settings.access, folder), config.sample_rate)
    except Exception as exc:
        empty = pd.DataFrame(columns=SKIPPED)
        return banner(refusal(exc, (folder,)), "error"), empty, [], gr.Button(interactive=False), "", []
    summary = collection.summary()
    rates = ", ".join(f"{int(rate) / 1000:g} kHz × {count}" for rate, count in summary["source_rates"].items())
    lengths = [w.numel() / config.sample_rate for w in collection.waveforms]
    text = (
        f"<h3>{len(collection.files)} recordings ready to train on</h3><p>"
        f"<b>Total:</b> {duration_text(collection.total_seconds)} of audio "
        f"(shortest {min(lengths):.2f} s, longest {max(lengths):.1f} s)<br>"
        f"<b>Sample rates:</b> {rates} (Distill works at {config.sample_rate / 1000:g} kHz and converts the rest)<br>"
        f"<b>Skipped:</b> {len(collection.skipped) or 'none'}"
        + (" — see the list below for why." if collection.skipped else "")
        + (f"<br><b>Used in part:</b> {len(collection.partial)} damaged (see below)." if collection.partial else "")
        + "</p>"
    )
    skipped = pd.DataFrame(
        [(str(s.path.relative_to(collection.root)), s.reason) for s in collection.skipped]
        + [(str(s.path.relative_to(collection.root)), f"used in part: {s.reason}") for s in collection.partial],
        columns=SKIPPED,
    )
    pairs = list(zip(collection.files, collection.waveforms, strict=True))
    pictures = [
        (spectrogram_picture(wav, config), f"{path.name} · {wav.numel() / config.sample_rate:.2f} s")
        for path, wav in pairs[:THUMBNAILS]
    ]
    recordings = [recording_of(path, collection.root, wav, config.sample_rate) for path, wav in pairs]
    listing, paths = recordings_view.shown(recordings, "No recordings.")
    return text, skipped, pictures, gr.Button(interactive=True), listing, paths


def upload(files: list[str] | None, name: str) -> str:
    """Copy uploaded recordings into a new collection; returns its folder for the path box."""
    if not files:
        raise gr.Error("Choose some audio files under “Audio files” first.")
    if not name.strip():
        raise gr.Error("Give the new collection a name under “New collection name”.")
    return home_hidden(str(import_files([Path(f) for f in files], name.strip())))


def build() -> DataTab:
    gr.Markdown(
        "Point Distill at a folder of your recordings (nested folders are searched), or upload files into a "
        "new collection. Check it to see what training will use — and what it skips, and why."
    )
    with gr.Row():
        folder = gr.Textbox(label="Folder of recordings", placeholder="/home/me/samples/kicks", scale=4)
        check = gr.Button("Check folder", variant="primary", scale=1)
    with gr.Accordion("…or upload recordings into a new collection", open=False), gr.Row():
        files = gr.File(label="Audio files", file_count="multiple", file_types=["audio"], scale=3)
        with gr.Column(scale=1):
            name = gr.Textbox(label="New collection name", placeholder="my-kicks")
            make = gr.Button("Upload and check")
            gr.Markdown("Uploaded collections are kept in Distill's data folder, under `collections`.")
    summary = gr.HTML(elem_id="data-summary")
    use = gr.Button("Train a model on this folder →", interactive=False)
    with gr.Row():
        with gr.Column(scale=3):
            pictures = gr.Gallery(
                label="A few of the recordings (spectrograms: time →, pitch ↑)",
                columns=3,
                rows=2,
                height=520,
                object_fit="contain",
            )
        with gr.Column(scale=2):
            gr.Markdown("#### Every recording (▶ plays it)")
            browser = recordings_view.build("data-recordings", "Recording")
    skipped = gr.Dataframe(label="Skipped files", headers=SKIPPED, interactive=False, wrap=True)
    outputs = [summary, skipped, pictures, use, browser.listing, browser.paths]
    check.click(check_folder, folder, outputs)
    folder.submit(check_folder, folder, outputs)
    make.click(shows_errors(upload), [files, name], folder).success(check_folder, folder, outputs)
    return DataTab(folder, use)
