"""Showing a model's vocoder verdict: a table of the held-out figures per path and the summary in words."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from distill.cli.output import stdout_console
from distill.models.format import DistillModel
from distill.vocoders.verdict import METRIC, PATH_WORDS, PATHS, PERCEPTUAL, path_verdict, read_verdict, verdict_summary


def print_verdict(model: DistillModel, console: Console | None = None) -> None:
    """The held-out comparison on each path that was judged, and what `auto` makes of it."""
    console = console or stdout_console()
    verdict = read_verdict(model)
    for path in PATHS if verdict else ():
        part = path_verdict(verdict, path)
        if not part or not part["results"]:
            continue
        table = Table(
            "vocoder",
            "multi-res STFT distance (lower is better)",
            "ViSQOL (higher is better)",
            "SNR (dB)",
            "level difference (dB)",
            "real-time factor",
            title=f"{PATH_WORDS[path]}: {len(verdict['recordings'])} "
            f"{'held-out ' if verdict.get('held_out') else ''}recordings, "
            f"{part['audio_seconds']:.1f} s, on {verdict.get('device', '?')}",
        )
        for name, row in part["results"].items():
            score = row.get(PERCEPTUAL)
            table.add_row(
                name,
                f"{row[METRIC]:.3f}",
                "-" if score is None else f"{score:.2f}",
                f"{row['snr_db']:.2f}",
                f"{row['level_difference_db']:+.1f}",
                f"{row['real_time_factor']:.1f}x",
            )
        console.print(table)
        for name, reason in part.get("skipped", {}).items():
            console.print(f"  {name} not compared: {reason}", highlight=False)
    summary = verdict_summary(model)
    if summary:
        console.print(summary, highlight=False, markup=False)
