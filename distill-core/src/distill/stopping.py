"""What stops a long run: Ctrl-C, `kill` (SIGTERM), a stop file and a stop button.

Two policies. For a whole command, `terminate_like_ctrl_c` makes `kill` interrupt the way
Ctrl-C does, so a run in the background (where the shell ignores Ctrl-C for it) stops
keeping its checkpoint. Around a step that asks `should_stop` between its own steps (a
vocoder plugin's training), `StopRequests` is that `should_stop`: it turns the first
Ctrl-C or `kill` into a request the step honours at its next step boundary, and adds the
stop file a launcher of several processes touches and the UI's stop button.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from distill.progress import Progress, ProgressCallback, ShouldStop

CAUGHT = (signal.SIGINT, signal.SIGTERM)


def _in_main_thread() -> bool:
    """Signal handlers can only be set there (the UI trains on other threads, with its button)."""
    return threading.current_thread() is threading.main_thread()


@contextmanager
def terminate_like_ctrl_c() -> Iterator[None]:
    """While inside, SIGTERM raises `KeyboardInterrupt` as Ctrl-C does (main thread only)."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


class StopRequests:
    """One `ShouldStop` for Ctrl-C, `kill`, a stop file and a stop button: call it between steps.

    It answers True from the moment a stop is requested: by `request()`; by Ctrl-C or
    SIGTERM while `caught()` is active; by a `KeyboardInterrupt` raised inside the progress
    callback `reporting` wraps (how a callback asks to stop); once `stop_file` exists; or
    whenever `button()` answers True.
    """

    def __init__(self, button: ShouldStop | None = None, stop_file: Path | None = None) -> None:
        self.button = button
        self.stop_file = Path(stop_file) if stop_file is not None else None
        self.requested = False

    def __call__(self) -> bool:
        return (
            self.requested
            or (self.stop_file is not None and self.stop_file.exists())
            or (self.button is not None and bool(self.button()))
        )

    def request(self) -> None:
        self.requested = True

    def reporting(self, progress: ProgressCallback | None) -> ProgressCallback | None:
        """`progress`, with a Ctrl-C raised inside it turned into a stop request."""
        if progress is None:
            return None

        def report(event: Progress) -> None:
            try:
                progress(event)
            except KeyboardInterrupt:
                self.request()

        return report

    @contextmanager
    def caught(self) -> Iterator[StopRequests]:
        """While inside, the first Ctrl-C or SIGTERM is a request rather than an interrupt.

        A stop file left by an earlier run is removed on entry. The handlers from before are
        back as soon as one signal has arrived, so a second Ctrl-C interrupts at once; and
        on leaving. Outside the main thread only the button and the stop file count.
        """
        if self.stop_file is not None:
            self.stop_file.unlink(missing_ok=True)
        if not _in_main_thread():
            yield self
            return
        previous = {signum: signal.getsignal(signum) for signum in CAUGHT}

        def restore() -> None:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

        def on_signal(signum: int, frame: object) -> None:
            self.request()
            restore()

        for signum in CAUGHT:
            signal.signal(signum, on_signal)
        try:
            yield self
        finally:
            restore()
