"""A list of sounds the page draws: each with a play button, its waveform, a name; optionally a star.

Used for a collection's recordings and for the history. The list is one HTML component
whose buttons report clicks to the server (`trigger('click', {action, key})`), so one
Python handler plays or stars whichever sound was clicked; a filter box hides the rows
whose name does not match, in the browser, as one types.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import gradio as gr

LIST_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('[data-action]');
  if (button) trigger('click', {action: button.dataset.action, key: button.dataset.key});
});
element.addEventListener('input', (event) => {
  if (!event.target.matches('.sound-filter')) return;
  const wanted = event.target.value.toLowerCase();
  element.querySelectorAll('li[data-title]').forEach((row) => {
    row.style.display = row.dataset.title.includes(wanted) ? '' : 'none';
  });
});
"""
LIST_CSS = """
.sound-list { list-style: none; padding: 0; margin: 6px 0; max-height: 460px; overflow-y: auto; }
.sound-list li { display: flex; align-items: center; gap: 10px; padding: 4px 6px; border-bottom: 1px solid #e5e7eb; }
.sound-list button { border: 1px solid #c4b5fd; border-radius: 6px; background: #f5f3ff; cursor: pointer;
  min-width: 34px; height: 30px; font-size: 15px; }
.sound-list .sound-title { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.sound-list .sound-detail { color: #6b7280; white-space: nowrap; }
.sound-filter { width: 100%; padding: 6px 8px; border: 1px solid #d1d5db; border-radius: 6px; }
"""


@dataclass(frozen=True)
class SoundRow:
    key: str  # what a click on this row's buttons reports
    title: str
    detail: str
    peaks: Sequence[float]  # a waveform overview in [0, 1]
    starred: bool | None = None  # None: no star button


def waveform_svg(peaks: Sequence[float], width: int, height: int) -> str:
    """The overview as mirrored bars, loud moments tall: an inline SVG `width` x `height` pixels."""
    if not peaks:
        return f"<svg width='{width}' height='{height}' role='img' aria-label='no waveform'></svg>"
    step = width / len(peaks)
    middle = height / 2
    bars = "".join(
        f"M{i * step + step / 2:.1f} {middle - max(0.5, p * middle):.1f}V{middle + max(0.5, p * middle):.1f}"
        for i, p in enumerate(min(1.0, max(0.0, float(p))) for p in peaks)
    )
    return (
        f"<svg class='waveform' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' "
        f"aria-label='waveform'><path d='{bars}' stroke='#7c3aed' stroke-width='{max(1.0, step * 0.7):.1f}'/></svg>"
    )


def _row(row: SoundRow, width: int, height: int) -> str:
    key, title = html.escape(row.key, quote=True), html.escape(row.title)
    star = ""
    if row.starred is not None:
        mark, words = ("★", "Unstar") if row.starred else ("☆", "Star")
        star = f"<button data-action='star' data-key='{key}' title='{words}' aria-label='{words} {key}'>{mark}</button>"
    return (
        f"<li data-title='{html.escape(row.title.lower(), quote=True)}' data-key='{key}'>"
        f"<button data-action='play' data-key='{key}' title='Play' aria-label='Play {title}'>▶</button>"
        f"{star}{waveform_svg(row.peaks, width, height)}"
        f"<span class='sound-title'>{title}</span>"
        f"<span class='sound-detail'>{html.escape(row.detail)}</span></li>"
    )


def list_html(rows: Sequence[SoundRow], empty: str, width: int = 220, height: int = 36) -> str:
    """The rows as the list component's value, with the filter box above them."""
    if not rows:
        return f"<p class='sound-empty'>{html.escape(empty)}</p>"
    items = "".join(_row(row, width, height) for row in rows)
    return (
        "<input class='sound-filter' type='search' placeholder='Filter by name…' aria-label='Filter by name'>"
        f"<ul class='sound-list'>{items}</ul>"
    )


def sound_list(elem_id: str, value: str = "") -> gr.HTML:
    """The list component; its value comes from `list_html`, its clicks go to a `click` handler."""
    return gr.HTML(value, elem_id=elem_id, js_on_load=LIST_JS, css_template=LIST_CSS)
