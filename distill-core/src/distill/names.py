"""The one rule for names and ids that become file names: model names and ids, history ids, presets.

Checked where a name is made and again wherever one is read back (a `.distill` file's
stored name and id, an id typed on the command line), so nothing a file or a user says
can place a file outside its folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from distill.errors import DistillError

MAX_LENGTH = 64
SAFE_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9 _.-]{{0,{MAX_LENGTH - 1}}}")
RULE = f"up to {MAX_LENGTH} letters, digits, spaces, '.', '_' or '-', starting with a letter or digit"


ECHO_LIMIT = 80  # characters of someone's input a message repeats before it shortens it


def shortened(text: str, limit: int = ECHO_LIMIT) -> str:
    """`text` itself when short, else its start and how long it is: what a sentence echoes of long input."""
    return text if len(text) <= limit else f"{text[: limit - 20]}… ({len(text):,} characters)"


def without_long_echoes(message: str, typed: Iterable[object]) -> str:
    """`message` with each long string of `typed` input it repeats shortened, so one sentence stays one line."""
    for value in sorted({v for v in typed if isinstance(v, str) and len(v) > ECHO_LIMIT}, key=len, reverse=True):
        message = message.replace(value, shortened(value))
    return message


def shown(value: object) -> str:
    """`value` quoted for a one-line message, control characters escaped, long input shortened."""
    if isinstance(value, str) and value.isprintable():
        return f"'{shortened(value)}'"
    return shortened(" ".join(repr(value).split()))  # a multi-line repr (a tensor's) on one line


def is_safe_name(value: object) -> bool:
    """True for a string that is one plain file-name component: no '/', no '..', no control characters."""
    return isinstance(value, str) and SAFE_NAME.fullmatch(value) is not None


def check_name(value: object, what: str = "Name") -> str:
    """`value` itself if it is a safe name, else one sentence saying the rule."""
    if not is_safe_name(value):
        raise DistillError(f"{what} {shown(value)} is not allowed; use {RULE}.")
    return value
