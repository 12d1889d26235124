"""Plain data from files a person may have edited: history entries, presets, a model's settings.

Whatever such a file holds, reading it gives plain values (text-keyed tables, lists, text,
finite numbers of sane size, true/false/null) nested at most `MAX_DEPTH` deep, or one
`NotPlain` reason. So no consumer meets `Infinity` (which `json.dumps` would print as
invalid JSON), a number that overflows when drawn, or a nesting that exhausts Python's
recursion limit when printed; every check here is iterative.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 32  # a history entry needs three levels, a model's settings five
MAX_INTEGER = 2**64  # seeds reach 2**64 - 1; beyond, a number cannot even be printed safely


class NotPlain(ValueError):
    """Why a value or document is not plain data, in a few words."""


def leaves(value: Any) -> Iterator[Any]:
    """Every value in nested dicts, lists and tuples that is none of those, without recursion.

    Raises `NotPlain` for nesting deeper than `MAX_DEPTH` or a table keyed by anything but text.
    """
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if not isinstance(item, dict | list | tuple):
            yield item
        elif depth >= MAX_DEPTH:
            raise NotPlain(f"its values are nested more than {MAX_DEPTH} deep")
        elif isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                raise NotPlain("it has a table whose keys are not text")
            pending.extend((v, depth + 1) for v in item.values())
        else:
            pending.extend((v, depth + 1) for v in item)


def _leaf_problem(leaf: Any, allowed: tuple[type, ...]) -> str | None:
    if isinstance(leaf, bool) or leaf is None or isinstance(leaf, (str, *allowed)):
        return None
    if isinstance(leaf, int):
        return "it holds a whole number too large to use" if abs(leaf) > MAX_INTEGER else None
    if isinstance(leaf, float):
        return None if math.isfinite(leaf) else "it holds an infinite or undefined (NaN) number"
    return f"it holds a {type(leaf).__name__}, where only plain values belong"


def plain_problem(value: Any, allowed: tuple[type, ...] = ()) -> str | None:
    """Why `value` is not plain data (see the module's docstring), or None; `allowed` types pass as leaves."""
    try:
        for leaf in leaves(value):
            problem = _leaf_problem(leaf, allowed)
            if problem is not None:
                return problem
    except NotPlain as exc:
        return str(exc)
    return None


def _refuse_constant(name: str) -> None:
    raise NotPlain(f"it holds {name}, which is not a number JSON knows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotPlain(f"it holds the number {text[:20]}, too large to use")
    return value


def plain_json(text: str) -> Any:
    """`text` parsed as JSON holding plain data only; `NotPlain` with the reason otherwise."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except NotPlain:
        raise
    except RecursionError:
        raise NotPlain(f"its values are nested more than {MAX_DEPTH} deep") from None
    except ValueError as exc:
        raise NotPlain(f"it is not valid JSON ({str(exc)[:80]})") from None
    problem = plain_problem(value)
    if problem is not None:
        raise NotPlain(problem)
    return value


def finite_json(document: Any) -> Any:
    """`document` with non-finite numbers as null, for output that must stay valid JSON.

    Only for plain documents (bounded depth, see `plain_problem`): recursion is safe there.
    """
    if isinstance(document, float) and not math.isfinite(document):
        return None
    if isinstance(document, dict):
        return {key: finite_json(value) for key, value in document.items()}
    if isinstance(document, list | tuple):
        return [finite_json(value) for value in document]
    return document
