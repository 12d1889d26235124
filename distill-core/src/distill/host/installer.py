"""Installing and removing vocoder plugins in Distill's own environment (`distill vocoders install`).

Runs the environment's pip (`python -m pip`), or uv's pip interface pointed at this Python
when the environment has no pip (venvs made by uv); never a shell. An install is tried
first (`--dry-run`): one that would replace an installed distribution other than a vocoder
plugin (Distill itself, torch, soundfile, ...) is refused before anything changes. Then it
runs for real, and what it changed is checked: if no `distill.vocoders` entry point came
with it, or a protected distribution changed after all, the install is rolled back. The
installer's own output goes to stderr (without Python tracebacks), so the user sees what
it resolved and downloaded.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from importlib.metadata import distributions, entry_points
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from distill.errors import DistillError
from distill.host.registry import get_registry
from distill.names import shown
from distill.vocoders.plugins import ENTRY_POINT_GROUP, FIRST_PARTY, normalised
from distill.vocoders.verdict import BASELINE

LAST_RESORT = BASELINE  # serves every model: what `auto` falls back on when every other vocoder fails
URL = re.compile(r"(https?|file|git\+\w+)://\S+")
UV_PLAN_LINE = re.compile(r"^ [+-] ([A-Za-z0-9][A-Za-z0-9._-]*)")  # ` + name==1.0`, ` - name==0.9`, ` + name @ file://`


def _uses_pip() -> bool:
    return importlib.util.find_spec("pip") is not None


def installer_command(action: str, arguments: list[str]) -> list[str]:
    """`pip ACTION ARGUMENTS` for this interpreter, through pip or else uv; one sentence if neither exists."""
    if _uses_pip():
        return [sys.executable, "-m", "pip", action, *(["-y"] if action == "uninstall" else []), *arguments]
    uv = shutil.which("uv")
    if uv is not None:
        return [uv, "pip", action, "--python", sys.executable, *arguments]
    raise DistillError(
        f"Neither pip nor uv is available for Distill's Python ({sys.executable}); install pip "
        "(python -m ensurepip) or uv, or install the plugin with the tool that installed Distill."
    )


def _relay(lines: Iterable[str]) -> str:
    """Pass the installer's output on to stderr as it comes (downloads take minutes), tracebacks left out.

    Returns everything it read, for the caller to search.
    """
    seen, in_traceback = [], False
    for line in lines:
        seen.append(line)
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
        elif in_traceback and not line.startswith((" ", "\t")):
            in_traceback = False  # the exception's own line: what went wrong, in the installer's words
        if not in_traceback:
            sys.stderr.write(line)
    return "".join(seen)


def run_installer(action: str, arguments: list[str]) -> str:
    """Run it with its output on stderr; a failure is one sentence (the installer has said why above)."""
    command = installer_command(action, arguments)
    try:
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as installer:
            output = _relay(installer.stdout)
    except OSError as exc:
        raise DistillError(f"Could not start the installer ({exc.strerror or exc}).") from exc
    get_registry.cache_clear()
    importlib.invalidate_caches()
    if installer.returncode != 0:
        raise DistillError(
            f"{action.capitalize()} failed (pip exit code {installer.returncode}); its output above says why."
        )
    return output


def check_spec(spec: str) -> None:
    """One sentence unless `spec` is something pip installs: a requirement, a file or folder, or a URL."""
    if URL.fullmatch(spec) or Path(spec).expanduser().exists():
        return
    try:
        Requirement(spec)
    except InvalidRequirement:
        raise DistillError(
            f"{shown(spec)} is not a package name (e.g. distill-vocoder-pghi==0.1), a wheel, a folder or a URL."
        ) from None


def installed() -> dict[str, str]:
    """Every distribution in this environment: normalised name -> version."""
    return {normalised(d.metadata["Name"]): d.version for d in distributions() if d.metadata["Name"]}


def plugin_distributions() -> set[str]:
    """The distributions that register a vocoder (`distill.vocoders` entry points)."""
    return {normalised(ep.dist.metadata["Name"]) for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.dist}


def planned_changes(spec: str, arguments: list[str]) -> set[str]:
    """The distributions an install of `spec` would add, replace or remove (a dry run; nothing changes)."""
    if _uses_pip():
        with tempfile.TemporaryDirectory(prefix="distill-install-") as folder:
            report = Path(folder) / "report.json"
            run_installer("install", ["--dry-run", "--quiet", "--report", str(report), spec, *arguments])
            plan = json.loads(report.read_text(encoding="utf-8"))
        return {normalised(item["metadata"]["name"]) for item in plan.get("install", [])}  # PEP 566 JSON keys
    output = run_installer("install", ["--dry-run", spec, *arguments])
    return {normalised(match.group(1)) for match in map(UV_PLAN_LINE.match, output.splitlines()) if match}


def _protected(names: Iterable[str], before: dict[str, str], plugins: set[str]) -> list[str]:
    """Of `names`, the installed distributions that are not vocoder plugins: Distill's and its dependencies'."""
    return sorted(name for name in names if name in before and name not in plugins)


def _roll_back(before: dict[str, str], after: dict[str, str], arguments: list[str]) -> None:
    """Undo an install: remove what it added, put back the versions it replaced."""
    added = sorted(set(after) - set(before))
    replaced = sorted(name for name in before if name in after and after[name] != before[name])
    if added:
        run_installer("uninstall", added)
    if replaced:
        run_installer("install", [f"{name}=={before[name]}" for name in replaced] + arguments)


def install_plugin(spec: str, arguments: list[str]) -> list[str]:
    """Install vocoder plugin `spec` (pip's own options in `arguments`); returns the vocoders it added.

    Refused before anything changes when it would replace a distribution that is not a
    vocoder plugin; rolled back when it brings no vocoder, or replaced such a distribution
    after all.
    """
    check_spec(spec)
    before, plugins = installed(), plugin_distributions()
    planned = planned_changes(spec, arguments)
    if not planned:
        return []  # already installed as asked: nothing to change
    touched = _protected(planned, before, plugins)
    if touched:
        changes = ", ".join(f"{name} {before[name]}" for name in touched)
        raise DistillError(
            f"Installing {shown(spec)} would replace {changes}, which Distill relies on, so nothing was installed; "
            "a vocoder plugin must work with the packages Distill already has."
        )
    names_before = set(get_registry().names())
    run_installer("install", [spec, *arguments])
    after = installed()
    changed = {name for name in after if before.get(name) != after[name]} | (set(before) - set(after))
    broken = _protected(changed, before, plugins)
    if broken or not changed & plugin_distributions():
        _roll_back(before, after, arguments)
        why = (
            f"it replaced {', '.join(broken)}, which Distill relies on"
            if broken
            else f"it registers no vocoder (no '{ENTRY_POINT_GROUP}' entry point)"
        )
        raise DistillError(f"{shown(spec)} was installed and removed again: {why}.")
    return sorted(set(get_registry().names()) - names_before)


def distribution_of(name: str) -> str:
    """The distribution that provides vocoder `name`, if it may be removed by name."""
    record = get_registry().record(name)
    if record is None or record.distribution is None:
        installed_names = ", ".join(r.name for r in get_registry().records()) or "none"
        raise DistillError(f"No installed vocoder is called {shown(name)} (installed: {installed_names}).")
    if normalised(record.distribution) == "distill-core":
        raise DistillError(f"Vocoder '{name}' comes with distill-core itself and cannot be uninstalled alone.")
    return record.distribution


def is_first_party(distribution: str) -> bool:
    return normalised(distribution) in FIRST_PARTY
