"""What every tab shares: the device, the model list, and errors as one sentence in the page's words.

An error the user can fix (a `DistillError`, or a refusal of the page's own) is one
sentence in the page and one line in the terminal running `distill ui`; anything else is a
bug: the page says so in one sentence and the terminal gets the traceback.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
from collections.abc import Callable
from typing import Any

import gradio as gr
import torch

from distill.errors import DistillError
from distill.fileio import io_problem
from distill.host.registry import describe_error
from distill.library.catalog import list_models
from distill.names import without_long_echoes
from distill.ui.access import Access
from distill.ui.wording import page_words

log = logging.getLogger(__name__)

ERROR_SECONDS = 12  # a refusal's message fades: the next success must not sit beside an old error


class Settings:
    """App-wide choices made when the server starts (`distill --device ... ui`)."""

    device: torch.device = torch.device("cpu")
    access: Access | None = None  # who may reach the app, which folders it reads; None: called directly


def model_choices() -> list[tuple[str, str]]:
    """Dropdown choices (label, model id) for every model in the library, newest names first."""
    return [(s.name + (f"  ·  own {s.vocoder}" if s.vocoder else ""), s.id) for s in list_models()]


def refusal(exc: BaseException, typed: tuple = ()) -> str:
    """The sentence the page shows for `exc`, logged (one line, or a traceback for a bug).

    In the page's words, typed input shortened and the data home unnamed: a shared page must
    not tell its visitors where the models live.
    """
    if isinstance(exc, gr.Error | DistillError | OSError):
        if isinstance(exc, gr.Error):
            sentence = exc.message
        elif isinstance(exc, DistillError):
            sentence = str(exc)
        else:
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            sentence = f"{io_problem(exc)}{where}."
        sentence = without_long_echoes(page_words(sentence), typed)
        log.warning("Refused in the app: %s", sentence)
        return sentence
    log.error("Unexpected error in the app", exc_info=exc)
    return f"Something went wrong ({describe_error(exc)}); the terminal running the app has the details."


def _as_page_error(exc: BaseException, typed: tuple = ()) -> gr.Error:
    expected = isinstance(exc, gr.Error | DistillError | OSError)
    title = "Could not do that" if expected else "Unexpected error"
    return gr.Error(refusal(exc, typed), duration=ERROR_SECONDS, title=title, print_exception=False)


def shows_errors(handler: Callable) -> Callable:
    """Wrap an event handler so an error is one sentence in the page (and one line in the terminal)."""
    if inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def streaming(*args: Any, **kwargs: Any):
            try:
                yield from handler(*args, **kwargs)
            except Exception as exc:
                raise _as_page_error(exc, args) from None

        return streaming

    @functools.wraps(handler)
    def plain(*args: Any, **kwargs: Any):
        try:
            return handler(*args, **kwargs)
        except Exception as exc:
            raise _as_page_error(exc, args) from None

    return plain


def number_in(label: str, value: float | None, low: float, high: float, whole: bool = False) -> float:
    """`value` of the field `label`, or one sentence naming the field when it is out of range."""
    kind = "a whole number" if whole else "a number"
    if value is None or not math.isfinite(value) or (whole and value != int(value)):
        raise gr.Error(f"“{label}” must be {kind} from {low:g} to {high:g}.")
    if not low <= value <= high:
        raise gr.Error(f"“{label}” must be from {low:g} to {high:g}, not {value:g}.")
    return value


def rounded(value: Any, digits: int = 3) -> Any:
    """A figure as a table shows it: floats to `digits` decimals (no "4.154864311218262"), the rest as it is."""
    return round(value, digits) if isinstance(value, float) else value


def duration_text(seconds: float) -> str:
    """`95` -> `1 min 35 s`: how long, in words a person reads at a glance."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
