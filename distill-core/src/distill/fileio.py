"""Safe file writes: a reader never sees half a file, a failure leaves the old one intact.

Temporary files are named `.tmp-PID-RANDOM-TARGET.part`: hidden, and with a suffix no
listing asks for (`*.distill`, `*.json`, audio), so a temporary left by a killed process is
never read as data; `visible_files` skips them anyway, and listings and writes remove
those whose process is gone. Lock files (`.TARGET.lock`) are hidden too and removed when released.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from filelock import FileLock, Timeout

from distill.errors import DistillError

TEMP_PREFIX = ".tmp-"
TEMP_SUFFIX = ".part"
LOCK_SUFFIX = ".lock"
STALE_SECONDS = 60.0  # a dead process's temporary is removed once it is this old
NEARLY_FULL_BYTES = 1 << 20  # below this much free space a failed write is a full disk


def io_problem(exc: OSError) -> str:
    """An OSError as a few words: 'No space left on device', 'Read-only file system'."""
    return exc.strerror or str(exc) or type(exc).__name__


def _is_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def _make_parent(target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # the folder's name is taken by a file
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(target.parent)) from exc


def _new_temp(target: Path) -> Path:
    """Create an empty temporary beside `target`, mode 0666 less the umask (like any tool)."""
    for _ in range(100):
        tmp = target.parent / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{target.name}{TEMP_SUFFIX}"
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(errno.EEXIST, "No free temporary file name", str(target.parent))


@contextmanager
def io_errors(target: Path) -> Iterator[None]:
    """I/O errors while writing `target` (disk full, read-only or missing folder) as one
    `DistillError` sentence naming it, a writer's own error (torch, libsndfile) on a full
    disk included."""
    try:
        yield
    except OSError as exc:
        raise DistillError(f"Cannot write {target}: {io_problem(exc)}.") from exc
    except DistillError:
        raise
    except Exception as exc:
        if _is_full(Path(target).parent):
            raise DistillError(f"Cannot write {target}: No space left on device.") from exc
        raise


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename.

    On any exception the temporary is removed and `target` stays as it was; I/O errors
    become one sentence (`io_errors`). Writers must name their format explicitly: the
    temporary's suffix is `.part`.
    """
    target = Path(target)
    tmp: Path | None = None
    try:
        with io_errors(target):
            _make_parent(target)
            tmp = _new_temp(target)
            yield tmp
            os.replace(tmp, target)
            remove_stale_temps(target.parent)
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


@contextmanager
def scratch_path(target: Path) -> Iterator[Path]:
    """A temporary file beside `target` for an intermediate result, removed on leaving whatever happens."""
    target = Path(target)
    with io_errors(target):
        _make_parent(target)
        tmp = _new_temp(target)
    try:
        with io_errors(target):
            yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(target: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp_path)` and move the result onto `target` atomically."""
    with atomic_path(target) as tmp:
        write(tmp)
    return Path(target)


def write_text_atomic(target: Path, text: str) -> Path:
    """Atomically write a UTF-8 text file (JSON sidecars, catalog, presets)."""
    return write_atomic(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _temp_owner(name: str) -> int | None:
    """The pid in a temporary's name, or None for anything else."""
    if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
        return None
    pid = name[len(TEMP_PREFIX) :].split("-", 1)[0]
    return int(pid) if pid.isdigit() else None


def is_running(pid: int) -> bool:
    """Whether process `pid` still exists (owned by anyone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temps(folder: Path) -> None:
    """Delete temporaries whose writer is gone (killed mid-write) and that have aged; best effort."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        pid = _temp_owner(entry.name)
        if pid is None or is_running(pid):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime >= STALE_SECONDS:
                os.unlink(entry.path)
        except OSError:
            continue


def visible_files(folder: Path, suffix: str) -> list[Path]:
    """The files in `folder` ending in `suffix`, sorted; hidden files (temporaries, locks) never.

    Also tidies away stale temporaries of killed processes on the way.
    """
    folder = Path(folder)
    remove_stale_temps(folder)
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise DistillError(f"Cannot read the folder {folder}: {io_problem(exc)}.") from exc
    return sorted(folder / n for n in names if n.endswith(suffix) and not n.startswith("."))


FileIdentity = tuple[int, int, int, int]


def file_identity(path: Path) -> FileIdentity | None:
    """Which file is at `path` now (device, inode, size, mtime); None if there is none.

    Every atomic write makes a new inode, so a changed identity means someone wrote.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def lock_path(target: Path) -> Path:
    target = Path(target)
    return target.parent / f".{target.name}{LOCK_SUFFIX}"


class Busy(DistillError):
    """Another process holds the lock."""


@contextmanager
def file_lock(target: Path, busy_message: str, wait: float = 10.0) -> Iterator[None]:
    """Hold an exclusive lock on `target` (for read-modify-write or a long run) across processes.

    Waits up to `wait` seconds (0: fail at once), then raises `Busy(busy_message)`. The lock
    is `filelock`'s, on every platform: the system releases it if the process dies, so a
    killed holder never blocks anyone. The lock file is removed while still held, so it
    does not outlive the lock and a waiter that had opened it takes a fresh one.
    """
    path = lock_path(target)
    lock = FileLock(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=wait, poll_interval=0.02)
    except Timeout:
        raise Busy(busy_message) from None
    except OSError as exc:
        raise DistillError(f"Cannot lock {target}: {io_problem(exc)}.") from exc
    try:
        yield
    finally:
        with suppress(OSError):  # Windows cannot remove an open file: its lock removes the file on release
            path.unlink()
        lock.release()
