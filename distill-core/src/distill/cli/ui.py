"""`distill ui`: the browser app (Data, Train, Generate, A/B, Library) on the same engine."""

from __future__ import annotations

import typer

from distill.cli.app import app
from distill.cli.common import device_of
from distill.errors import DistillError


@app.command()
def ui(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (127.0.0.1: this machine only)."),
    port: int = typer.Option(7860, "--port", min=1, max=65535, help="Port to listen on."),
    share: bool = typer.Option(False, "--share", help="Also open a public Gradio share link."),
) -> None:
    """Open the Distill app in your browser: train, generate, compare vocoders, manage the library."""
    import distill.ui  # noqa: F401  (sets the environment Gradio reads, before Gradio is imported)

    try:
        import gradio  # noqa: F401  (only to tell a missing UI extra in one sentence)
    except ImportError:
        raise DistillError(
            "The UI needs Gradio, which is not installed; install it with `pip install 'distill-core[ui]'`."
        ) from None
    from distill.ui.app import serve

    serve(host=host, port=port, share=share, device=device_of(ctx))
