"""The `distill` command line (Typer)."""
