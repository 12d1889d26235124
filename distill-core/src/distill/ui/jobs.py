"""Long engine calls (training, rendering, downloads) on threads of their own: jobs belong to the app.

A page starts a job and follows it, but the job does not belong to the page: a reload, a
second browser or a later visit finds it by its key (e.g. the model's name) with its
progress so far, its stop button, and its result once it ends. A job collects the engine's
`Progress` events with the time each arrived, and owns its stop request, which the engine's
loops ask between steps (`should_stop`); a job started with `stops_in_progress` is also
stopped from inside its progress reports (`Cancelled`), how a download or a render is
stopped. One job per key runs at a time; on shutdown `stop_all` stops every running job and
waits for it to keep its checkpoint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from distill.errors import DistillError
from distill.progress import Cancelled, Progress, ProgressCallback, ShouldStop

Work = Callable[[ProgressCallback, ShouldStop], Any]

KEPT_PER_KIND = 4  # finished jobs of one kind kept for pages that open later
_jobs: dict[str, Job] = {}
_lock = threading.Lock()


class Job:
    """`work(progress, should_stop)` on a daemon thread; `events`, `result` and `error` as it goes."""

    def __init__(
        self, key: str, kind: str, work: Work, inputs: dict[str, Any], stops_in_progress: bool, history: list[Progress]
    ) -> None:
        self.key, self.kind, self.inputs = key, kind, inputs
        # (event, perf_counter() when it arrived); an earlier run's events, which this one continues, at 0.0.
        # One list of pairs, replaced or appended in one step: pages read it while the work adds to it.
        self._log: list[tuple[Progress, float]] = [(event, 0.0) for event in history]
        self.result: Any = None
        self.error: BaseException | None = None
        self.started = time.perf_counter()
        self.ended: float | None = None
        self.delivered = False  # a page has shown the outcome
        self._stop = threading.Event()
        self._work = work
        self._stops_in_progress = stops_in_progress
        self._thread = threading.Thread(target=self._run, name=f"distill-{key}", daemon=True)

    def _report(self, event: Progress) -> None:
        if self._stops_in_progress and self._stop.is_set():
            raise Cancelled
        log = self._log
        repeated = len(log) > 1 and log[-1][0].task == log[-2][0].task == event.task
        if event.unit == "bytes" and repeated:  # a transfer keeps its first and latest reports only
            log[-1] = (event, time.perf_counter())
            return
        log.append((event, time.perf_counter()))

    def _run(self) -> None:
        try:
            self.result = self._work(self._report, self._stop.is_set)
        except BaseException as exc:  # handed to the page as a message, never lost
            self.error = exc
        finally:
            self.ended = time.perf_counter()

    @property
    def done(self) -> bool:
        return self.ended is not None

    @property
    def stopping(self) -> bool:
        """Stop was pressed and the job has not ended yet."""
        return self._stop.is_set() and not self.done

    @property
    def events(self) -> list[Progress]:
        """Every event so far, those of the run this one continues first."""
        return [event for event, _ in list(self._log)]

    @property
    def own_log(self) -> list[tuple[Progress, float]]:
        """This run's events alone, each with the perf_counter() of its arrival."""
        return [(event, at) for event, at in list(self._log) if at]

    def stop(self) -> None:
        self._stop.set()

    def follow(self, interval: float = 0.5) -> Iterator[Job]:
        """This job every `interval` seconds until its work ends, then once more."""
        while not self.done:
            yield self
            self._thread.join(interval)
        yield self


def followed(job: Job, view: Callable[[Job], Any]) -> Iterator[Any]:
    """`view(job)` every half second until the job ends, then once more: then its outcome counts as shown."""
    for _ in job.follow():
        yield view(job)
    job.delivered = True


def start(
    key: str,
    kind: str,
    work: Work,
    busy: str,
    inputs: dict[str, Any] | None = None,
    stops_in_progress: bool = False,
    history: list[Progress] | None = None,
) -> Job:
    """Start `work` under `key`; `busy` is the sentence shown if that key is already running.

    `inputs` are what a page needs to show the job again (its form's values); `history`, the
    events of an earlier run this one continues (a resumed training: one chart, not two).
    """
    with _lock:
        running = _jobs.get(key)
        if running is not None and not running.done:
            raise DistillError(busy)
        job = _jobs[key] = Job(key, kind, work, inputs or {}, stops_in_progress, history or [])
        _forget_old(kind)
    job._thread.start()
    return job


def _forget_old(kind: str) -> None:
    finished = sorted((j for j in _jobs.values() if j.kind == kind and j.done), key=lambda j: j.started)
    for job in finished[:-KEPT_PER_KIND]:
        del _jobs[job.key]


def find(key: str) -> Job | None:
    with _lock:
        return _jobs.get(key)


def latest(kind: str) -> Job | None:
    """The job of `kind` a page opening now shows: a running one, else the last one started."""
    with _lock:
        jobs = sorted((j for j in _jobs.values() if j.kind == kind), key=lambda j: (not j.done, j.started))
    return jobs[-1] if jobs else None


def stop(key: str) -> bool:
    """Press the stop button of the job under `key`; False if nothing runs there."""
    job = find(key)
    if job is None or job.done:
        return False
    job.stop()
    return True


def stop_all(timeout: float) -> list[Job]:
    """Ask every running job to stop and wait up to `timeout` seconds for them to end; the ones that did."""
    with _lock:
        running = [j for j in _jobs.values() if not j.done]
    for job in running:
        job.stop()
    deadline = time.monotonic() + timeout
    for job in running:
        job._thread.join(max(0.0, deadline - time.monotonic()))
    return [j for j in running if j.done]


RENDER_SLOTS = threading.BoundedSemaphore(2)  # renders at once: one per core on a small machine


@contextmanager
def render_slot(progress: ProgressCallback) -> Iterator[None]:
    """Hold one of the app's render slots for a render, saying so while it waits for one."""
    if not RENDER_SLOTS.acquire(blocking=False):
        progress(Progress("queue", 0, None, "Waiting for another render to finish…"))
        RENDER_SLOTS.acquire()
        progress(Progress("queue", 1, 1, "Waited for another render"))
    try:
        yield
    finally:
        RENDER_SLOTS.release()
