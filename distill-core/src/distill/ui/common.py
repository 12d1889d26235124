"""What every tab shares: the device, the model list, engine errors as one readable sentence,
and engine progress drawn with Gradio's progress bar."""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

import gradio as gr
import torch

from distill.errors import DistillError
from distill.fileio import io_problem
from distill.host.registry import describe_error
from distill.library.catalog import list_models
from distill.names import without_long_echoes
from distill.progress import Progress, ProgressCallback
from distill.ui.access import Access, home_hidden

log = logging.getLogger(__name__)


class Settings:
    """App-wide choices made when the server starts (`distill --device ... ui`)."""

    device: torch.device = torch.device("cpu")
    access: Access | None = None  # who may reach the app, which folders it reads; None: called directly


def model_choices() -> list[tuple[str, str]]:
    """Dropdown choices (label, model id) for every model in the library, newest names first."""
    return [(s.name + (f"  ·  own {s.vocoder}" if s.vocoder else ""), s.id) for s in list_models()]


def _as_page_error(exc: Exception, typed: tuple) -> gr.Error:
    """An engine error as the page shows it: one sentence, typed input shortened, the data home unnamed."""
    if isinstance(exc, DistillError | OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        sentence = str(exc) if isinstance(exc, DistillError) else f"{io_problem(exc)}{where}."
        shown = home_hidden(without_long_echoes(sentence, typed))
        return gr.Error(shown, duration=None, title="Could not do that", print_exception=False)
    log.exception("Unexpected error in the UI")
    return gr.Error(
        f"Something went wrong ({describe_error(exc)}); the terminal running `distill ui` has the details.",
        duration=None,
        title="Unexpected error",
    )


def shows_errors(handler: Callable) -> Callable:
    """Wrap an event handler so an error is a sentence in the page, never a stack trace."""
    if inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def streaming(*args: Any, **kwargs: Any):
            try:
                yield from handler(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:
                raise _as_page_error(exc, args) from None

        return streaming

    @functools.wraps(handler)
    def plain(*args: Any, **kwargs: Any):
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise _as_page_error(exc, args) from None

    return plain


def human_bytes(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


def page_progress(bar: gr.Progress) -> ProgressCallback:
    """Engine progress on Gradio's bar; downloads show size and speed, like the CLI's bar."""
    started: dict[str, tuple[float, float]] = {}

    def report(event: Progress) -> None:
        if event.unit == "bytes":
            first_time, first_count = started.setdefault(event.task, (time.perf_counter(), event.completed))
            speed = (event.completed - first_count) / max(time.perf_counter() - first_time, 1e-6)
            size = f"{human_bytes(event.completed)} of {human_bytes(event.total)}" if event.total else ""
            bar(
                event.completed / event.total if event.total else None,
                desc=f"{event.task}: {size} at {human_bytes(speed)}/s",
            )
        elif event.total:
            bar(min(1.0, event.completed / event.total), desc=f"{event.task} {event.message}".strip())

    return report


def duration_text(seconds: float) -> str:
    """`95` -> `1 min 35 s`: how long, in words a person reads at a glance."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
