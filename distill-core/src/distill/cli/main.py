"""The `distill` command's entry point: registers every command module on the app and turns user
errors into one sentence. `python -m distill.cli.main` runs it too (how `--nproc-per-node` starts workers)."""

from __future__ import annotations

import sys

from distill.cli import (  # noqa: F401  (each module registers its commands)
    demo,
    generate,
    history,
    models,
    presets,
    train,
    train_vocoder,
    ui,
    vocode,
    vocoders,
)
from distill.cli.app import app
from distill.cli.launch import worker_exit
from distill.cli.output import say
from distill.errors import DistillError
from distill.fileio import io_problem
from distill.names import without_long_echoes
from distill.stopping import terminate_like_ctrl_c

CANCELLED = 130


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input exits non-zero with one clear sentence, never a traceback.

    Usage errors are Click's own (exit 2); `DistillError` is ours (exit 1); an I/O error
    no command foresaw is still one sentence (exit 1). A worker of a `--nproc-per-node`
    run hands its exit code to the launching process instead.
    """
    return worker_exit(_run(argv))


def _run(argv: list[str] | None) -> int:
    _print_any_file_name()
    typed = sys.argv[1:] if argv is None else argv
    try:
        with terminate_like_ctrl_c():  # `kill` stops a run in the background as Ctrl-C would
            app(args=argv, prog_name="distill")
    except SystemExit as exc:  # Click ends every run this way, usage errors (2) included
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code == CANCELLED:  # Typer turns Ctrl-C into exit 130 without a word
            say("Cancelled.")
        return code
    except DistillError as exc:
        say(f"Error: {without_long_echoes(str(exc), typed)}", style="red")
        return 1
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        say(f"Error: {without_long_echoes(f'{io_problem(exc)}{where}', typed)}.", style="red")
        return 1
    except KeyboardInterrupt:
        say("Cancelled.")
        return CANCELLED
    return 0


def _print_any_file_name() -> None:
    """Write file names that are not valid UTF-8 back as their own bytes, as `ls` does,
    instead of failing on them (Python decodes such names with surrogate escapes)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="surrogateescape")
        except (AttributeError, ValueError, OSError):
            continue


if __name__ == "__main__":
    sys.exit(main())
