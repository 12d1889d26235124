"""Finding the audio files of a collection, in nested folders, whatever else the file system holds.

A folder typed into the app can be anything: `/`, `/proc`, a tree with unreadable
subfolders, named pipes, links that point at themselves. None of them may stop the search
or hang it (opening a named pipe blocks until someone writes to it): what cannot be used
is listed as skipped with the reason, and a tree far larger than any collection ends the
search with one sentence.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from distill.audio.io import READABLE_SUFFIXES
from distill.errors import DistillError
from distill.fileio import io_problem

MAX_ENTRIES = 200_000  # files and folders looked at before the search gives up: a collection is not a disk


@dataclass
class SkippedFile:
    path: Path
    reason: str


@dataclass
class AudioFiles:
    """The audio files under a folder, sorted, and what looked like audio but cannot be read."""

    files: list[Path] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def _special_file(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    return "a device, not a file"


def _unusable_link(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop"
    if exc.errno == errno.ENOENT:
        return "a symbolic link to nothing"
    return f"not readable ({io_problem(exc)})"


def scan_audio_files(root: Path) -> AudioFiles:
    """Audio files under `root` by suffix, hidden files and folders left out, links to folders followed once."""
    root = Path(root)
    try:
        if not root.is_dir():
            raise DistillError(f"Data folder not found: {root}.")
        visited = {(root.stat().st_dev, root.stat().st_ino)}
    except OSError as exc:
        raise DistillError(f"Cannot read the folder {root}: {io_problem(exc)}.") from exc
    found = AudioFiles()
    pending, seen = [root], 0
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            if folder == root:
                raise DistillError(f"Cannot read the folder {root}: {io_problem(exc)}.") from exc
            found.skipped.append(SkippedFile(folder, f"folder not readable ({io_problem(exc)})"))
            continue
        seen += len(entries)
        if seen > MAX_ENTRIES:
            raise DistillError(
                f"{root} holds more than {MAX_ENTRIES:,} files and folders, far more than a collection; "
                "choose the folder that holds your recordings."
            )
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                status = os.stat(path)  # follows links, so a link loop or a dangling link shows here
            except OSError as exc:
                if path.suffix.lower() in READABLE_SUFFIXES or exc.errno in (errno.ELOOP, errno.ENOENT):
                    found.skipped.append(SkippedFile(path, _unusable_link(exc)))
                continue
            if stat.S_ISDIR(status.st_mode):
                if (status.st_dev, status.st_ino) not in visited:
                    visited.add((status.st_dev, status.st_ino))
                    pending.append(path)
            elif path.suffix.lower() in READABLE_SUFFIXES:
                if stat.S_ISREG(status.st_mode):
                    found.files.append(path)
                else:
                    found.skipped.append(SkippedFile(path, _special_file(status.st_mode)))
    found.files.sort()
    found.skipped.sort(key=lambda skipped: skipped.path)
    return found


def find_audio_files(root: Path) -> list[Path]:
    """The audio files under `root` (see `scan_audio_files`)."""
    return scan_audio_files(root).files
