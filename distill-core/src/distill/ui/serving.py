"""What the app serves: the files it made for the page, from one folder of its own, and nothing else.

Gradio serves three kinds of path: folders named in `allowed_paths`, files it copied into
its cache folder, and uploads (kept in that same folder). The app names no allowed path,
and points Gradio's folder (`GRADIO_TEMP_DIR`) at a folder of its own under the data home,
`ui-sessions/PID-RANDOM`, created when the server starts and removed when it stops. A file
the page should play or download (a generated sound, a preview) is linked into it by
`for_page`; models, history, presets, generated folders and any other folder stay out of
reach. The page reaches the folder through a link in the system's temporary folder, so the
addresses it is given never name the data home.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from distill.errors import DistillError
from distill.fileio import FileIdentity, file_identity, io_problem, is_running
from distill.paths import data_dir

PAGE_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".zip")  # what the page plays and downloads: sounds, kits
SESSIONS = "ui-sessions"

_folder: Path | None = None  # the running server's folder, as the page addresses it
_handed: dict[FileIdentity, str] = {}  # files already in it, by what they were linked from


def _remove_stale(sessions: Path) -> None:
    """Folders left by servers that were killed (their process is gone)."""
    with suppress(OSError):
        for folder in sessions.iterdir():
            pid = folder.name.split("-", 1)[0]
            if pid.isdigit() and not is_running(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def page_folder() -> Iterator[Path]:
    """The server's own folder for uploads and the files it hands the page; removed when the server stops.

    Sets Gradio's folder variables, so enter it before the app is built.
    """
    global _folder
    sessions = data_dir() / SESSIONS
    _remove_stale(sessions)
    real = sessions / f"{os.getpid()}-{secrets.token_hex(4)}"
    link = Path(tempfile.gettempdir()) / f"distill-ui-{real.name}"
    try:
        real.mkdir(parents=True)
        os.symlink(real, link, target_is_directory=True)
        shown = link
    except OSError as exc:
        if not real.is_dir():
            raise DistillError(f"Cannot create the app's folder {real}: {io_problem(exc)}.") from exc
        shown = real  # no links here (some Windows accounts): the page sees the real path
    os.environ["GRADIO_TEMP_DIR"] = str(shown)
    os.environ["GRADIO_EXAMPLES_CACHE"] = str(shown / "examples")
    _folder = shown
    try:
        yield shown
    finally:
        _folder = None
        _handed.clear()
        if shown != real:
            with suppress(OSError):
                link.unlink()
        shutil.rmtree(real, ignore_errors=True)


def for_page(path: str | Path | None) -> str | None:
    """`path` as the page may fetch it: a sound file or kit linked (or copied) into the server's folder.

    Outside a running server (a handler called directly) the path is returned as it is.
    """
    if path is None or _folder is None:
        return None if path is None else str(path)
    source = Path(path)
    if source.suffix.lower() not in PAGE_SUFFIXES:
        raise DistillError(f"The app hands the page sound files and kits only, not {source.name}.")
    identity = file_identity(source)
    if identity in _handed:  # a preview polled every second is linked once
        return _handed[identity]
    target = _folder / "files" / secrets.token_hex(6) / source.name
    target.parent.mkdir(parents=True)
    try:
        os.link(source, target)  # no copy: generated files never change after they are written
    except OSError:
        try:
            shutil.copyfile(source, target)
        except OSError as exc:
            raise DistillError(f"Cannot hand {source.name} to the page: {io_problem(exc)}.") from exc
    if identity is not None:
        _handed[identity] = str(target)
    return str(target)
