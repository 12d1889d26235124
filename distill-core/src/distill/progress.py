"""What a long step reports as it goes and how it is asked to stop: the types every layer shares.

Training, rendering, downloads and plugins all speak these, so they live at the bottom:
whoever runs a long step hands it a `ProgressCallback` and a `ShouldStop`, and a step that
stops early says so with `TrainingCancelled` (training, which keeps a checkpoint) or
`Cancelled` (any other step, e.g. a download, which keeps nothing partial).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from distill.errors import DistillError


@dataclass
class Progress:
    """One progress report from a long step (download, training, rendering)."""

    task: str
    completed: float
    total: float | None = None
    message: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    unit: str = ""  # "bytes" lets a progress display show sizes and transfer speed


ProgressCallback = Callable[[Progress], None]


def size_text(count: float) -> str:
    """`489_000_000` -> `489 MB`: a byte count as people read it, for transfers and what is on disk."""
    for unit in ("bytes", "kB", "MB"):
        if count < 1000:
            return f"{count:.0f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


# Asked between training steps: True means stop (Ctrl-C, `kill`, a stop file or the stop
# button; `distill.stopping.StopRequests` is the host's); the run then ends keeping its checkpoint.
ShouldStop = Callable[[], bool]


class TrainingCancelled(DistillError):
    """Training stopped by Ctrl-C, `kill` or the stop button; the message says what was kept and how to resume.

    A vocoder plugin that raises it with `state` (the vocoder so far) has that state bundled
    into the model and judged on the held-out recordings, like a finished run, before the
    cancel reaches the user.
    """

    def __init__(self, message: str, state: object | None = None) -> None:
        super().__init__(message)
        self.state = state


class Cancelled(KeyboardInterrupt):
    """A long step (a download, a render) stopped because the user asked: a stop button, as Ctrl-C would.

    A `KeyboardInterrupt`, so it passes every layer that contains plugin failures (the user
    asked to stop; nothing failed) and is never mistaken for a reason to fall back to another
    vocoder. A progress callback may raise it to stop the step that reports to it.
    """
