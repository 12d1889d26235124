"""Long engine calls (training) on their own thread, so the page stays live and can stop them.

A job collects the engine's `Progress` events and owns the stop button's event, which the
engine's training loops ask between steps. Jobs are kept by a key (e.g. the model's name),
so any browser tab can stop a run another tab started, and one model trains once at a time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from distill.errors import DistillError
from distill.progress import Progress, ProgressCallback, ShouldStop

Work = Callable[[ProgressCallback, ShouldStop], Any]

_running: dict[str, Job] = {}
_lock = threading.Lock()


class Job:
    """`work(progress, should_stop)` on a daemon thread; `events`, `result` and `error` as it goes."""

    def __init__(self, key: str, work: Work) -> None:
        self.key = key
        self.events: list[Progress] = []
        self.result: Any = None
        self.error: BaseException | None = None
        self.started = time.perf_counter()
        self._stop = threading.Event()
        self._work = work
        self._thread = threading.Thread(target=self._run, name=f"distill-{key}", daemon=True)

    def _run(self) -> None:
        try:
            self.result = self._work(self.events.append, self._stop.is_set)
        except BaseException as exc:  # handed to the page as a message, never lost
            self.error = exc
        finally:
            with _lock:
                _running.pop(self.key, None)

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()

    def follow(self, interval: float = 0.5) -> Iterator[list[Progress]]:
        """The events so far, every `interval` seconds until the work ends (then once more)."""
        while not self.done:
            yield list(self.events)
            self._thread.join(interval)
        yield list(self.events)


def start(key: str, work: Work, busy: str) -> Job:
    """Start `work` under `key`; `busy` is the sentence shown if that key is already running."""
    with _lock:
        if key in _running:
            raise DistillError(busy)
        job = _running[key] = Job(key, work)
    job._thread.start()
    return job


def stop(key: str) -> bool:
    """Press the stop button of the job under `key`; False if nothing runs there."""
    with _lock:
        job = _running.get(key)
    if job is None:
        return False
    job.stop()
    return True
