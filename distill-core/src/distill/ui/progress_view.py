"""How a running job looks in the page: a training's bar, or the stages of a render or a download.

A render may first download a vocoder, then prepare it, then render: each engine task is a
stage of one display, the finished ones ticked, the current one with its bar and, for a
transfer, its sentence (what it is, its size, that it happens once), bytes, speed and time
left. Drawn from the job's events and their arrival times, so it reads the same in every
page that shows the job.
"""

from __future__ import annotations

import html
import time

from distill.progress import Progress
from distill.ui.common import duration_text
from distill.ui.jobs import Job

BAR = "<progress value='{:.4f}' max='1' style='width:100%;height:14px'></progress>"


def bar(fraction: float | None) -> str:
    return BAR.format(fraction) if fraction is not None else "<progress style='width:100%;height:14px'></progress>"


def training_progress(job: Job, unit: str, waiting: str) -> str:
    """A bar with position, elapsed time and time left, from the job's events of this run."""
    events = [event for event, _ in job.own_log]
    if not events or not events[-1].total:
        return f"<p>{html.escape(waiting)}</p>"
    last, first = events[-1], events[0]
    fraction = min(1.0, last.completed / last.total)
    elapsed = (job.ended or time.perf_counter()) - job.started
    done = last.completed - first.completed
    left = elapsed / done * (last.total - last.completed) if done > 0 else None
    eta = f" · about {duration_text(left)} left" if left is not None and fraction < 1 else ""
    return (
        f"{bar(fraction)}<p><b>{unit} {round(last.completed, 1):g} of {last.total:g}</b> ({100 * fraction:.0f} %) · "
        f"running {duration_text(elapsed)}{eta}</p>"
    )


def _megabytes(count: float, scale: float) -> str:
    return f"{count / 1e6:.0f}" if scale >= 10e6 else f"{count / 1e6:.1f}"


def transfer_line(first: Progress, last: Progress, first_at: float, last_at: float) -> str:
    """ "Downloading … (489 MB), a one-time download: 212 / 489 MB, 20 MB/s, about 14 s left"."""
    what = last.message or last.task
    if not last.total:
        return f"{what}: {last.completed / 1e6:.1f} MB"
    size = f"{_megabytes(last.completed, last.total)} / {_megabytes(last.total, last.total)} MB"
    seconds = last_at - first_at
    speed = (last.completed - first.completed) / seconds if seconds > 0 else 0.0
    if speed <= 0:
        return f"{what}: {size}"
    left = (last.total - last.completed) / speed
    return f"{what}: {size}, {speed / 1e6:.1f} MB/s, about {duration_text(left)} left"


def _finished(task: str, last: Progress) -> str:
    return f"{last.message or task}: done" if last.unit == "bytes" else last.message or task


def stages(job: Job, starting: str) -> str:
    """Every stage so far (ticked when done) and the current one with its bar; `starting` before any report."""
    by_task: dict[str, list[tuple[Progress, float]]] = {}
    for event, at in job.own_log:
        by_task.setdefault(event.task, []).append((event, at))
    rows = []
    tasks = list(by_task)
    for index, task in enumerate(tasks):
        last = by_task[task][-1][0]
        complete = (last.total is not None and last.completed >= last.total) or index < len(tasks) - 1
        if complete:
            rows.append(f"<p class='stage-done'>✓ {html.escape(_finished(task, last))}</p>")
            continue
        if last.unit == "bytes":
            (first, first_at), (_, last_at) = by_task[task][0], by_task[task][-1]
            line = transfer_line(first, last, first_at, time.perf_counter() if not job.done else last_at)
        else:
            line = last.message or task
        fraction = last.completed / last.total if last.total else None
        rows.append(f"<p class='stage-now'><b>{html.escape(line)}</b></p>{bar(fraction)}")
    if not job.done and all("stage-done" in row for row in rows):
        rows.append(f"<p class='stage-now'><b>{html.escape(starting)}</b></p>{bar(None)}")
    if job.stopping:
        rows.append("<p class='stage-now'><b>Stopping…</b></p>")
    return f"<div class='job-stages'>{''.join(rows)}</div>"
