"""Data tab: pick or upload a collection and see what training would make of it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from distill.audio.spectrogram import SpectrogramConfig
from distill.data.collections import import_files
from distill.data.validation import load_collection
from distill.paths import collections_dir
from distill.ui.access import home_hidden, readable_folder
from distill.ui.common import Settings, duration_text, shows_errors
from distill.ui.pictures import spectrogram_picture

THUMBNAILS = 6


@dataclass
class DataTab:
    folder: gr.Textbox
    use_for_training: gr.Button


def check_folder(folder: str) -> tuple[str, pd.DataFrame, list, gr.Button]:
    """The summary the CLI prints before training, the skipped files and a few spectrograms."""
    if not folder.strip():
        raise gr.Error("Type the path of a folder of recordings first, or upload files below.", duration=None)
    config = SpectrogramConfig()
    collection = load_collection(readable_folder(Settings.access, folder), config.sample_rate)
    summary = collection.summary()
    rates = ", ".join(f"{int(rate) / 1000:g} kHz × {count}" for rate, count in summary["source_rates"].items())
    lengths = [w.numel() / config.sample_rate for w in collection.waveforms]
    text = (
        f"### {len(collection.files)} recordings ready to train on\n"
        f"**Total:** {duration_text(collection.total_seconds)} of audio "
        f"(shortest {min(lengths):.2f} s, longest {max(lengths):.1f} s)  \n"
        f"**Sample rates:** {rates} (Distill works at {config.sample_rate / 1000:g} kHz and converts the rest)  \n"
        f"**Skipped:** {len(collection.skipped) or 'none'}"
        + (" — see the list below for why." if collection.skipped else "")
        + (f"  \n**Used in part:** {len(collection.partial)} damaged (see below)." if collection.partial else "")
    )
    skipped = pd.DataFrame(
        [(str(s.path.relative_to(collection.root)), s.reason) for s in collection.skipped]
        + [(str(s.path.relative_to(collection.root)), f"used in part: {s.reason}") for s in collection.partial],
        columns=["skipped file", "why"],
    )
    pictures = [
        (spectrogram_picture(wav, config), f"{path.name} · {wav.numel() / config.sample_rate:.2f} s")
        for path, wav in list(zip(collection.files, collection.waveforms, strict=True))[:THUMBNAILS]
    ]
    return text, skipped, pictures, gr.Button(interactive=True)


def upload(files: list[str] | None, name: str) -> str:
    """Copy uploaded recordings into a new collection; returns its folder for the path box."""
    if not files:
        raise gr.Error("Choose some audio files to upload first.", duration=None)
    if not name.strip():
        raise gr.Error("Give the new collection a name.", duration=None)
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
            gr.Markdown(f"Uploaded collections are kept in `{home_hidden(str(collections_dir()))}`.")
    summary = gr.Markdown()
    use = gr.Button("Train a model on this folder →", interactive=False)
    pictures = gr.Gallery(
        label="A few of the recordings (spectrograms: time →, pitch ↑)",
        columns=3,
        rows=2,
        height=520,
        object_fit="contain",
    )
    skipped = gr.Dataframe(label="Skipped files", headers=["skipped file", "why"], interactive=False, wrap=True)
    outputs = [summary, skipped, pictures, use]
    check.click(shows_errors(check_folder), folder, outputs)
    folder.submit(shows_errors(check_folder), folder, outputs)
    make.click(shows_errors(upload), [files, name], folder).success(shows_errors(check_folder), folder, outputs)
    return DataTab(folder, use)
