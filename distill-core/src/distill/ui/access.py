"""Who may reach `distill ui`, and which folders of this machine its page may read.

On this machine only (a loopback address, no share link) the one user is the person at the
keyboard: no password, and any folder of recordings may be checked or trained on. Open to a
network (`--host` 0.0.0.0 or an interface's address, or `--share`) every client could play,
generate, train, rename, delete and upload, and list the audio in this machine's folders:
so a password is required (`--auth`, `--auth-file` or `DISTILL_UI_AUTH`, refused to start
without one unless `--insecure-no-auth`), and the page reads recordings only from the
folders named with `--folder` and from collections uploaded through it. The data home's
absolute path is never shown to the page: it is written `$DISTILL_HOME` there.

No Gradio here: `distill ui` checks all this before it loads the app.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from distill.errors import DistillError
from distill.fileio import io_problem
from distill.names import shown
from distill.paths import collections_dir, data_dir

AUTH_VARIABLE = "DISTILL_UI_AUTH"
HOME_MARK = "$DISTILL_HOME"


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _credential(text: str, source: str) -> tuple[str, str]:
    user, separator, password = text.strip().partition(":")
    if not separator or not user or not password:
        raise DistillError(f"{source} must be USER:PASSWORD, both non-empty.")
    return user, password


def read_credentials(auth: str | None, auth_file: Path | None) -> list[tuple[str, str]]:
    """The accounts the app accepts: `--auth`, else one per line of `--auth-file`, else `DISTILL_UI_AUTH`."""
    if auth:
        return [_credential(auth, "--auth")]
    if auth_file is not None:
        try:
            lines = Path(auth_file).expanduser().read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            problem = io_problem(exc) if isinstance(exc, OSError) else "not text"
            raise DistillError(f"Cannot read the password file {auth_file}: {problem}.") from exc
        accounts = [
            _credential(line, f"Each line of {auth_file}")
            for line in lines
            if line.strip() and not line.lstrip().startswith("#")
        ]
        if not accounts:
            raise DistillError(f"The password file {auth_file} holds no USER:PASSWORD line.")
        return accounts
    if os.environ.get(AUTH_VARIABLE):
        return [_credential(os.environ[AUTH_VARIABLE], AUTH_VARIABLE)]
    return []


@dataclass(frozen=True)
class Access:
    """The rules a `distill ui` server runs under (see the module's docstring)."""

    host: str
    share: bool
    accounts: tuple[tuple[str, str], ...]
    folders: tuple[Path, ...] | None  # where the page may read recordings; None: anywhere
    max_upload_bytes: int

    @property
    def networked(self) -> bool:
        return self.share or not is_loopback(self.host)


def resolve_access(
    host: str,
    share: bool,
    auth: str | None,
    auth_file: Path | None,
    insecure_no_auth: bool,
    folders: list[Path],
    max_upload_mb: int,
) -> Access:
    """The rules for these options; one sentence when they would open the app to a network unprotected."""
    accounts = read_credentials(auth, auth_file)
    networked = share or not is_loopback(host)
    if networked and not accounts and not insecure_no_auth:
        where = "a public share link" if share else f"{host}, open to the network"
        raise DistillError(
            f"distill ui on {where} needs a password: anyone who reaches it could play, train, delete and "
            f"upload; give one with --auth USER:PASSWORD, --auth-file FILE or {AUTH_VARIABLE}=USER:PASSWORD "
            "(or, on a network that is yours alone, --insecure-no-auth)."
        )
    for folder in folders:
        if not Path(folder).expanduser().is_dir():
            raise DistillError(f"--folder {shown(str(folder))} is not a folder.")
    readable = tuple(Path(f).expanduser().resolve() for f in folders) if folders or networked else None
    return Access(host, share, tuple(accounts), readable, max_upload_mb * 1_000_000)


def home_hidden(text: str) -> str:
    """`text` with the data home's absolute path written `$DISTILL_HOME`: the page never learns it."""
    home = data_dir()
    for form in {str(home.resolve()), str(home)}:
        text = text.replace(form, HOME_MARK)
    return text


def readable_folder(access: Access | None, typed: str) -> Path:
    """The folder of recordings `typed` names (`$DISTILL_HOME` and `~` expanded), if the page may read it."""
    text = typed.strip()
    if text == HOME_MARK or text.startswith(f"{HOME_MARK}/"):
        text = str(data_dir()) + text[len(HOME_MARK) :]
    folder = Path(text).expanduser()
    if access is None or access.folders is None:
        return folder
    allowed = (*access.folders, collections_dir().resolve())
    if any(folder.resolve().is_relative_to(root) for root in allowed):
        return folder
    names = ", ".join(home_hidden(str(root)) for root in allowed)
    raise DistillError(
        f"This app reads recordings only from {names}; upload them below, or start `distill ui` with "
        "--folder DIR to allow another folder."
    )
