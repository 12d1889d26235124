"""The host's one stop signal: Ctrl-C, `kill`, a stop file, a stop button and a progress callback's Ctrl-C."""

from __future__ import annotations

import signal
import threading

import pytest

from distill.progress import Progress
from distill.stopping import StopRequests

main_thread_only = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signal handlers need the main thread"
)


def test_the_button_the_stop_file_and_a_request_each_stop(tmp_path):
    pressed = []
    stop = StopRequests(lambda: bool(pressed), tmp_path / "stop")
    assert not stop()
    pressed.append(True)
    assert stop()
    pressed.clear()
    (tmp_path / "stop").touch()
    assert stop()
    (tmp_path / "stop").unlink()
    stop.request()
    assert stop()


def test_a_ctrl_c_inside_the_progress_callback_is_a_request():
    def impatient(event: Progress) -> None:
        raise KeyboardInterrupt

    stop = StopRequests()
    stop.reporting(impatient)(Progress("train", 1, 10))
    assert stop() and stop.reporting(None) is None


@main_thread_only
def test_the_first_signal_asks_the_second_interrupts_and_the_handlers_come_back(tmp_path):
    (tmp_path / "stop").touch()  # left by an earlier run
    # Ctrl-C as a fresh process has it, whatever an earlier test in this worker left behind.
    outside = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        stop = StopRequests(stop_file=tmp_path / "stop")
        with stop.caught():
            assert not stop()
            signal.raise_signal(signal.SIGTERM)  # `kill`: a request, not the end of the process
            assert stop()
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGINT)  # the second: at once, as before
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, outside)
