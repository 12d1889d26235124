"""Showing a model's vocoder verdict: a table of the held-out figures and the one-sentence summary."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from distill.cli.output import stdout_console
from distill.models.format import DistillModel
from distill.vocoders.verdict import read_verdict, verdict_summary


def print_verdict(model: DistillModel, console: Console | None = None) -> None:
    """The held-out comparison (when there is one) and what `auto` makes of it."""
    console = console or stdout_console()
    verdict = read_verdict(model)
    if verdict and verdict.get("results"):
        table = Table(
            "vocoder",
            "multi-res STFT distance (lower is better)",
            "SNR (dB)",
            "level difference (dB)",
            "real-time factor",
            title=f"{len(verdict['recordings'])} {'held-out ' if verdict.get('held_out') else ''}recordings, "
            f"{verdict['audio_seconds']:.1f} s, on {verdict.get('device', '?')}",
        )
        for name, row in verdict["results"].items():
            table.add_row(
                name,
                f"{row['multires_stft_distance']:.3f}",
                f"{row['snr_db']:.2f}",
                f"{row['level_difference_db']:+.1f}",
                f"{row['real_time_factor']:.1f}x",
            )
        console.print(table)
        for name, reason in verdict.get("skipped", {}).items():
            console.print(f"  {name} not compared: {reason}", highlight=False)
    summary = verdict_summary(model)
    if summary:
        console.print(summary, highlight=False, markup=False)
