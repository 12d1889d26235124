"""A collection as a browser: every recording with a play button and its waveform, filterable by name.

The Data tab shows the folder it checked; the Generate tab, beside the model, the recordings
it was trained on. Recordings may live anywhere on disk, so a click reads the file on the
server and hands the player its samples, rather than serving the user's folders.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np

from distill.audio.io import read_mono
from distill.data.listing import Recording
from distill.ui.common import shows_errors
from distill.ui.sound_list import SoundRow, list_html, sound_list


@dataclass
class RecordingsView:
    listing: gr.HTML
    player: gr.Audio
    paths: gr.State  # the listed recordings' paths, in the order their keys number them


def rows(recordings: list[Recording]) -> list[SoundRow]:
    return [SoundRow(str(i), r.name, r.problem or f"{r.seconds:.2f} s", r.peaks) for i, r in enumerate(recordings)]


def shown(recordings: list[Recording], empty: str) -> tuple[str, list[str]]:
    """The list's HTML and the paths its play buttons refer to."""
    return list_html(rows(recordings), empty), [str(r.path) for r in recordings]


def play(paths: list[str], event: gr.EventData) -> tuple[int, np.ndarray] | None:
    """The clicked recording's samples for the player (which starts playing them)."""
    if getattr(event, "action", None) != "play":
        return gr.skip()
    wav, rate = read_mono(paths[int(event.key)])
    return rate, wav.numpy()


def build(elem_id: str, label: str) -> RecordingsView:
    listing = sound_list(elem_id)
    player = gr.Audio(label=label, interactive=False, autoplay=True, elem_id=f"{elem_id}-player")
    paths = gr.State([])
    listing.click(shows_errors(play), paths, player)
    return RecordingsView(listing, player, paths)
