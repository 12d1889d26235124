"""How a job looks in the page: a transfer's sentence with bytes, speed and time left; stages ticked as they end."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("gradio")

from distill.progress import Progress
from distill.ui import jobs
from distill.ui.common import duration_text
from distill.ui.progress_view import stages, training_progress, transfer_line

SENTENCE = "Downloading the BigVGAN-v2 universal vocoder (489 MB), a one-time download"


def test_a_transfer_says_what_it_is_then_bytes_speed_and_time_left():
    first = Progress("download bigvgan_generator.pt", 0.0, 489e6, SENTENCE, unit="bytes")
    now = Progress("download bigvgan_generator.pt", 212e6, 489e6, SENTENCE, unit="bytes")
    assert transfer_line(first, now, 0.0, 10.6) == f"{SENTENCE}: 212 / 489 MB, 20.0 MB/s, about 14 s left"


def test_stages_tick_what_is_done_and_show_the_current_one_with_its_bar():
    def work(progress, should_stop):
        progress(Progress("download bigvgan_generator.pt", 4e6, 4e6, SENTENCE, unit="bytes"))
        progress(Progress("prepare bigvgan", 0, None, "Preparing the vocoder for this machine…"))
        while not should_stop():
            time.sleep(0.01)

    job = jobs.start("test:stages", "test", work, "")
    try:
        for _ in range(500):
            if len(job.events) == 2:
                break
            time.sleep(0.01)
        shown = stages(job, "Starting…")
        assert f"✓ {SENTENCE}: done" in shown
        assert "<p class='stage-now'><b>Preparing the vocoder for this machine…</b></p><progress" in shown
    finally:
        job.stop()


def test_a_page_reads_a_job_while_its_work_reports_as_fast_as_it_can():
    def work(progress, should_stop):
        step = 0
        while not should_stop():
            step += 1
            progress(Progress(f"stage {step // 1000}", step % 1000, 1000, "working"))

    job = jobs.start("test:busy", "test", work, "")
    try:
        until = time.monotonic() + 1.5
        while time.monotonic() < until:  # each read sees every event with its arrival time, never half of one
            assert "working" in stages(job, "Starting…")
            assert " of 1000</b>" in training_progress(job, "step", "Waiting…")
    finally:
        job.stop()


def test_durations_read_at_a_glance():
    assert [duration_text(s) for s in (42, 95, 7265)] == ["42 s", "1 min 35 s", "2 h 01 min"]
