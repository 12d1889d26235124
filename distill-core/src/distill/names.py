"""The one rule for names and ids that become file names: model names and ids, history ids, presets.

Checked where a name is made and again wherever one is read back (a `.distill` file's
stored name and id, an id typed on the command line), so nothing a file or a user says
can place a file outside its folder.
"""

from __future__ import annotations

import re

from distill.errors import DistillError

MAX_LENGTH = 64
SAFE_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9 _.-]{{0,{MAX_LENGTH - 1}}}")
RULE = f"up to {MAX_LENGTH} letters, digits, spaces, '.', '_' or '-', starting with a letter or digit"


def shown(value: object) -> str:
    """`value` quoted for a one-line message, control characters escaped."""
    if not isinstance(value, str):
        return repr(value)
    return repr(value) if not value.isprintable() else f"'{value}'"


def is_safe_name(value: object) -> bool:
    """True for a string that is one plain file-name component: no '/', no '..', no control characters."""
    return isinstance(value, str) and SAFE_NAME.fullmatch(value) is not None


def check_name(value: object, what: str = "Name") -> str:
    """`value` itself if it is a safe name, else one sentence saying the rule."""
    if not is_safe_name(value):
        raise DistillError(f"{what} {shown(value)} is not allowed; use {RULE}.")
    return value
