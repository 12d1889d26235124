"""Take sounds out as a kit: a zip of the files, or a sampler instrument (SFZ + Decent Sampler).

Shared by the Generate tab (the batch just made) and the Library (the starred history):
each hands a function that gives the sounds' records; the panel names the files by the
user's pattern and writes the zip for download.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import gradio as gr

from distill.library.kits import DEFAULT_PATTERN, TOKENS, write_kit
from distill.names import check_name
from distill.paths import generated_dir
from distill.ui.common import number_in, shows_errors
from distill.ui.serving import for_page

Records = Callable[..., list[dict[str, Any]]]


def export(records: list[dict[str, Any]], kit: str, pattern: str, first_key: float, instrument: bool) -> str:
    """The kit's zip, for the download button."""
    name = check_name(kit.strip(), "The kit name")
    key = int(number_in("First key (MIDI note)", first_key, 0, 127, whole=True))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    kind = "kit" if instrument else "files"
    target = generated_dir() / "kits" / f"{name}-{kind}-{stamp}.zip"
    return for_page(write_kit(records, target, name, pattern.strip() or DEFAULT_PATTERN, key, instrument))


def build(records: Records, inputs: list, elem_id: str, default_name: str = "my-kit") -> gr.Textbox:
    """The panel's controls; `records(*inputs)` gives the sounds to export. Returns the kit-name box."""
    with gr.Accordion("Take these sounds out: a zip, or a sampler kit", open=False, elem_id=elem_id):
        with gr.Row():
            kit = gr.Textbox(default_name, label="Kit name", scale=2)
            pattern = gr.Textbox(
                DEFAULT_PATTERN,
                label="File names",
                info="Any of " + " ".join("{" + t + "}" for t in TOKENS),
                scale=3,
            )
            first_key = gr.Number(36, label="First key (MIDI note)", info="36 is C2; one sound per key", scale=1)
        with gr.Row():
            as_zip = gr.Button("Download as a zip")
            as_kit = gr.Button("Download as a sampler kit (SFZ + Decent Sampler)", variant="primary")
        download = gr.File(label="Kit", interactive=False, elem_id=f"{elem_id}-file")

    def exporter(instrument: bool) -> Callable:
        def run(kit_name: str, names: str, key: float, *chosen: Any) -> str:
            return export(records(*chosen), kit_name, names, key, instrument)

        return shows_errors(run)

    as_zip.click(exporter(False), [kit, pattern, first_key, *inputs], download)
    as_kit.click(exporter(True), [kit, pattern, first_key, *inputs], download)
    return kit
