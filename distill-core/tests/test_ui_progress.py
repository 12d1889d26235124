"""The UI's progress adapter: engine progress as Gradio's bar, downloads with size and speed."""

from __future__ import annotations

import pytest

pytest.importorskip("gradio")

from distill.progress import Progress
from distill.ui.common import duration_text, page_progress


def test_downloads_show_size_and_speed_and_training_its_step():
    shown = []
    report = page_progress(lambda fraction, desc=None: shown.append((fraction, desc)))
    report(Progress("download bigvgan_generator.pt", 0.0, 2_000_000, unit="bytes"))
    report(Progress("download bigvgan_generator.pt", 1_000_000.0, 2_000_000, unit="bytes"))
    report(Progress("train-vocoder", 3, 10, "step 3/10"))
    assert shown[1][0] == 0.5
    assert shown[1][1].startswith("download bigvgan_generator.pt: 1.0 MB of 2.0 MB at ")
    assert shown[1][1].endswith("/s")
    assert shown[2] == (0.3, "train-vocoder step 3/10")


def test_durations_read_at_a_glance():
    assert [duration_text(s) for s in (42, 95, 7265)] == ["42 s", "1 min 35 s", "2 h 01 min"]
