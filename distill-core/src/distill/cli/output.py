"""Where the CLI writes: JSON documents alone on stdout, everything human on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from distill.documents import finite_json
from distill.progress import Progress as ProgressEvent
from distill.progress import ProgressCallback

stderr = Console(stderr=True)


def stdout_console() -> Console:
    """Stdout for human tables: wide when piped, so ids and paths are never cut off."""
    return Console() if sys.stdout.isatty() else Console(width=240)


def plain(value: object) -> Text:
    """A table cell or line shown as is: brackets in names and paths are not Rich markup."""
    return Text(str(value))


def say(line: str, style: str | None = None) -> None:
    """One human line on stderr, as is: no markup, and never wrapped, so a printed path pastes whole."""
    stderr.print(line, style=style, markup=False, highlight=False, soft_wrap=True)


def print_json(document: Any) -> None:
    """One JSON document on stdout and nothing else there; always valid JSON (no `Infinity` or `NaN`)."""
    sys.stdout.write(json.dumps(finite_json(document), indent=2, default=str, allow_nan=False) + "\n")
    sys.stdout.flush()


class _AmountColumn(ProgressColumn):
    """Size and speed for byte tasks (downloads), a plain count for everything else."""

    def __init__(self) -> None:
        super().__init__()
        self.size, self.speed, self.count = DownloadColumn(), TransferSpeedColumn(), MofNCompleteColumn()

    def render(self, task: Task) -> Text:
        if task.fields.get("unit") == "bytes":
            return Text.assemble(self.size.render(task), " ", self.speed.render(task))
        return self.count.render(task) if task.total is not None else Text("")


@contextmanager
def rich_progress() -> Iterator[ProgressCallback]:
    """A `ProgressCallback` drawing one Rich bar per task on stderr.

    A transfer (`unit="bytes"`) says what it is once, above its bar: its `message` (e.g.
    "Downloading the BigVGAN-v2 universal vocoder (489 MB), a one-time download").
    """
    bars = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        _AmountColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[message]}"),
        console=stderr,
        transient=False,
    )
    tasks: dict[str, int] = {}

    def report(event: ProgressEvent) -> None:
        transfer = event.unit == "bytes"
        message = "" if transfer else event.message
        if event.task not in tasks:
            if transfer and event.message:
                bars.console.print(f"{event.message}.", highlight=False, markup=False)
            tasks[event.task] = bars.add_task(event.task, total=event.total, message=message, unit=event.unit)
        bars.update(tasks[event.task], completed=event.completed, total=event.total, message=message)

    with bars:
        yield report
