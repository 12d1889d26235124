"""Installing and removing vocoder plugins in Distill's own environment (`distill vocoders install`).

Runs the environment's pip (`python -m pip`), or uv's pip interface pointed at this Python
when the environment has no pip (venvs made by uv); the installer's own output goes to
stderr, so the user sees what it resolved and downloaded.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys

from distill.errors import DistillError
from distill.host.registry import get_registry
from distill.vocoders.plugins import FIRST_PARTY, normalised


def installer_command(action: str, arguments: list[str]) -> list[str]:
    """`pip ACTION ARGUMENTS` for this interpreter, through pip or else uv; one sentence if neither exists."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip", action, *(["-y"] if action == "uninstall" else []), *arguments]
    uv = shutil.which("uv")
    if uv is not None:
        return [uv, "pip", action, "--python", sys.executable, *arguments]
    raise DistillError(
        f"Neither pip nor uv is available for Distill's Python ({sys.executable}); install pip "
        "(python -m ensurepip) or uv, or install the plugin with the tool that installed Distill."
    )


def run_installer(action: str, arguments: list[str]) -> None:
    """Run it with output on stderr; a failure is one sentence (the installer has said why above)."""
    command = installer_command(action, arguments)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as installer:
        for line in installer.stdout:  # passed on as it comes: downloads can take minutes
            sys.stderr.write(line)
    code = installer.returncode
    if code != 0:
        raise DistillError(f"{action.capitalize()} failed (pip exit code {code}); its output above says why.")
    get_registry.cache_clear()


def distribution_of(name: str) -> str:
    """The distribution that provides vocoder `name`, if it may be removed by name."""
    record = get_registry().record(name)
    if record is None or record.distribution is None:
        installed = ", ".join(r.name for r in get_registry().records()) or "none"
        raise DistillError(f"No installed vocoder is called '{name}' (installed: {installed}).")
    if normalised(record.distribution) == "distill-core":
        raise DistillError(f"Vocoder '{name}' comes with distill-core itself and cannot be uninstalled alone.")
    return record.distribution


def is_first_party(distribution: str) -> bool:
    return normalised(distribution) in FIRST_PARTY
