"""Developer tasks. `nox -s tests` is the test command; `nox -s demo` the main job.

Each session has its own venv, reused between runs; uv hard-links torch from its cache,
so the large download happens once per machine and a fresh venv costs seconds.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]

PYTHON = "3.11"
ROOT = Path(__file__).parent
CORE = "distill-core"
PLUGINS = {
    "griffinlim": "plugins/distill-vocoder-griffinlim",
    "bigvgan": "plugins/distill-vocoder-bigvgan",
    "hifigan": "plugins/distill-vocoder-hifigan",
}
TEST_REQUIREMENTS = "requirements-test.txt"
REFERENCE_BIGVGAN = "bigvgan==2.4.1"
# The browser tests drive Debian's Chromium: Playwright's own browser download cannot work here.
CHROMIUM = Path("/usr/bin/chromium")


def install_test_requirements(session: nox.Session, *extra: str) -> None:
    session.install("-r", TEST_REQUIREMENTS, *extra)
    session.install("--no-deps", REFERENCE_BIGVGAN)


def install_distill(session: nox.Session, *plugins: str, extras: str = "") -> None:
    """Core (with `extras`, e.g. "[ui]") plus the named plugins (all of them by default), editable."""
    chosen = plugins or tuple(PLUGINS)
    session.install("-e", CORE + extras, *(arg for name in chosen for arg in ("-e", PLUGINS[name])))


def ensure_chromium(session: nox.Session) -> None:
    """Install Debian's chromium for the browser tests when it is missing and we may (CI runs as root)."""
    if CHROMIUM.exists():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        session.warn(f"{CHROMIUM} is missing and cannot be installed here; the browser tests will be skipped.")
        return
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-qq", external=True, env=env)
    session.run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", external=True, env=env)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite, on two workers; `nox -s tests -- -m browser` runs only the browser tests."""
    install_distill(session, extras="[ui]")
    install_test_requirements(session)
    ensure_chromium(session)
    # Two workers on two cores: one torch thread each, or they trip over each other. loadgroup keeps
    # the browser tests on one worker, so they share one app server.
    args = ("-n", "2", "--dist", "loadgroup", *session.posargs)
    session.run("pytest", *args, env={"OMP_NUM_THREADS": "1"})


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job on the embedded default: synthesise a collection, train, generate."""
    install_distill(session)
    session.run("distill", "demo", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
@nox.parametrize("plugin", list(PLUGINS))
def isolation(session: nox.Session, plugin: str) -> None:
    """Core and one plugin in a fresh venv: the registry must see exactly that plugin."""
    install_distill(session, plugin)
    out = session.run("distill", "vocoders", "list", "--json", silent=True)
    names = sorted(record["name"] for record in json.loads(out) if record["status"] == "ok")
    if names != [plugin]:
        session.error(f"expected exactly [{plugin!r}] in the registry, got {names}")
    session.log(f"registry sees exactly {names}")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Speed, memory and quality benchmarks on the real configs; prints tables.

    `nox -s bench -- NAME` runs only benchmarks/NAME.py.
    """
    install_distill(session)
    install_test_requirements(session, "-r", "benchmarks/requirements.txt")
    scripts = [f"benchmarks/{name}.py" for name in session.posargs] or sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "benchmarks").glob("bench_*.py")
    )
    for script in scripts:
        session.run("python", script)
