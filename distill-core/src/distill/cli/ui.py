"""`distill ui`: the browser app (Data, Train, Generate, A/B, Library) on the same engine."""

from __future__ import annotations

from pathlib import Path

import typer

from distill.cli.app import app
from distill.cli.common import device_of
from distill.cli.output import say
from distill.errors import DistillError
from distill.ui.access import AUTH_VARIABLE, Access, resolve_access  # also sets what Gradio reads (distill.ui)


def _announce(access: Access, port: int) -> None:
    """What the server is open to, on stderr; loudly when that is a network without a password."""
    if not access.networked:
        return
    if not access.accounts:
        say(
            f"WARNING: distill ui is open to the network ({access.host}:{port}"
            f"{' and a public share link' if access.share else ''}) WITHOUT A PASSWORD (--insecure-no-auth). "
            "Anyone who reaches it can play, generate, train, rename and delete models and upload files.",
            style="bold red",
        )
    else:
        say(
            f"distill ui is open to the network ({access.host}:{port}); clients sign in with the password given. "
            "Plain http sends it unencrypted: on a network you do not trust, reach the app over HTTPS or SSH.",
            style="yellow",
        )
    where = ", ".join(str(f) for f in access.folders or ()) or "none but uploaded collections"
    say(f"The page reads recordings from: {where} (--folder DIR adds one).", style="yellow")


@app.command()
def ui(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (127.0.0.1: this machine only)."),
    port: int = typer.Option(7860, "--port", min=1, max=65535, help="Port to listen on."),
    share: bool = typer.Option(False, "--share", help="Also open a public Gradio share link (needs a password)."),
    auth: str | None = typer.Option(
        None, "--auth", help=f"USER:PASSWORD clients sign in with (or --auth-file, or {AUTH_VARIABLE})."
    ),
    auth_file: Path | None = typer.Option(None, "--auth-file", help="A file of USER:PASSWORD lines."),
    insecure_no_auth: bool = typer.Option(
        False, "--insecure-no-auth", help="Open to the network without a password (only on a network of your own)."
    ),
    folder: list[Path] = typer.Option(
        [], "--folder", help="A folder the page may read recordings from (repeatable; default: any, on this machine)."
    ),
    max_upload_mb: int = typer.Option(500, "--max-upload-mb", min=1, help="Largest file the page accepts, in MB."),
) -> None:
    """Open the Distill app in your browser: train, generate, compare vocoders, manage the library.

    On 127.0.0.1 it is yours alone. Open to a network (--host 0.0.0.0, --share) it needs a
    password, and reads recordings only from the --folder folders and uploaded collections.
    """
    access = resolve_access(host, share, auth, auth_file, insecure_no_auth, folder, max_upload_mb)
    try:
        import gradio  # noqa: F401  (only to tell a missing UI extra in one sentence)
    except ImportError:
        raise DistillError(
            "The UI needs Gradio, which is not installed; install it with `pip install 'distill-core[ui]'`."
        ) from None
    from distill.ui.app import serve

    _announce(access, port)
    serve(access, port=port, device=device_of(ctx))
