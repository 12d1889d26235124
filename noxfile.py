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
# The first-party plugins, listed once for the registry and for us (nox runs outside every venv:
# read the file, don't import distill).
FIRST_PARTY = ROOT / CORE / "src" / "distill" / "vocoders" / "first_party.txt"
PLUGINS = {
    name: f"plugins/distill-vocoder-{name}"
    for name in (line.strip() for line in FIRST_PARTY.read_text(encoding="utf-8").splitlines())
    if name and not name.startswith("#")
}
EXAMPLE = "examples/distill-vocoder-pghi"  # a third-party-style plugin: never in the main test venv
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


def example_python(session: nox.Session) -> str:
    """A venv of its own with core and the example plugin alone, as an outside author's would be.

    The example ranks above Griffin-Lim, so installed beside the project's tests it would
    change what `auto` picks there.
    """
    env = ROOT / ".nox" / "example-pghi"
    session.run("uv", "venv", "--quiet", "--allow-existing", "--python", PYTHON, str(env), external=True)
    python = str(env / "bin" / "python")
    requirements = ("-e", CORE, "-e", EXAMPLE, "pytest>=8")
    session.run("uv", "pip", "install", "--quiet", "--python", python, *requirements, external=True)
    return python


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite, on two workers; then the example plugin's tests in its own venv.

    `nox -s tests -- -m browser` runs only the browser tests; any ARGS after `--` go to the
    main run only and skip the example's.
    """
    install_distill(session, extras="[ui]")
    install_test_requirements(session)
    ensure_chromium(session)
    # Two workers on two cores: one torch thread each, or they trip over each other. loadfile keeps
    # each file's tests on one worker, so the browser tests share one app server (loadgroup's
    # xdist_group marks are silently ignored under pytest 9.2, pytest-xdist issue #1386).
    args = ("-n", "2", "--dist", "loadfile", "--durations", "15", *session.posargs)
    session.run("pytest", *args, env={"OMP_NUM_THREADS": "1"})
    if not session.posargs:
        python = example_python(session)
        session.run(python, "-m", "pytest", f"{EXAMPLE}/tests", external=True, env={"OMP_NUM_THREADS": "1"})


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


def built_names(dist: Path) -> dict[str, str]:
    """Distribution name -> version of the wheels in `dist`."""
    return {w.name.split("-")[0].replace("_", "-"): w.name.split("-")[1] for w in dist.glob("*.whl")}


@nox.session(python=False)
def wheels(session: nox.Session) -> None:
    """The real `pip install` experience: wheels into dist/, then a fresh venv fed from dist/ alone.

    Builds core, the three plugins and the example; installs distill-vocoder-bigvgan and the
    example with `--find-links dist` (their dependencies, torch included, from the index or
    uv's cache); runs the conformance suite and `distill vocoders list` there.
    """
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    for project in (CORE, *PLUGINS.values(), EXAMPLE):
        session.run("uv", "build", "--quiet", "--wheel", "--out-dir", str(dist), project, external=True)
    env = ROOT / ".nox" / "wheels-fresh"
    shutil.rmtree(env, ignore_errors=True)
    session.run("uv", "venv", "--quiet", "--python", PYTHON, str(env), external=True)
    python, distill = str(env / "bin" / "python"), str(env / "bin" / "distill")
    wanted = ("distill-vocoder-bigvgan", "distill-vocoder-pghi", "pytest>=8")
    # uv caches wheels by name and version: make it take ours from dist/ as just built.
    fresh = [arg for name in [*built_names(dist)] for arg in ("--refresh-package", name)]
    session.run("uv", "pip", "install", "--python", python, "--find-links", str(dist), *fresh, *wanted, external=True)
    listing = session.run(
        "uv", "pip", "list", "--python", python, "--format", "json", silent=True, stderr=None, external=True
    )
    ours = {p["name"]: p["version"] for p in json.loads(listing) if p["name"].startswith("distill")}
    built = built_names(dist)
    if ours != {name: built[name] for name in ("distill-core", "distill-vocoder-bigvgan", "distill-vocoder-pghi")}:
        session.error(f"the fresh venv holds {ours}, not the wheels built into dist/ ({built})")
    tests = ("plugins/distill-vocoder-bigvgan/tests/test_conformance.py", f"{EXAMPLE}/tests")
    session.run(python, "-m", "pytest", "-p", "no:cacheprovider", *tests, external=True, env={"OMP_NUM_THREADS": "1"})
    home = session.create_tmp()
    session.run(distill, "vocoders", "list", external=True, env={"DISTILL_HOME": home, "HF_HUB_OFFLINE": "1"})
    out = session.run(
        distill, "vocoders", "list", "--json", silent=True, stderr=None, external=True, env={"DISTILL_HOME": home}
    )
    names = sorted(r["name"] for r in json.loads(out) if r["status"] == "ok")
    if names != ["bigvgan", "pghi"]:
        session.error(f"expected bigvgan and pghi in the fresh venv's registry, got {names}")
    # distill's own installer commands, in the same venv: out and back in from dist/.
    env = {"DISTILL_HOME": home}
    session.run(distill, "vocoders", "uninstall", "pghi", external=True, env=env)
    session.run(
        distill, "vocoders", "install", "distill-vocoder-pghi", "--find-links", str(dist), external=True, env=env
    )
    session.run(distill, "vocoders", "list", external=True, env={**env, "HF_HUB_OFFLINE": "1"})


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Speed, memory and quality benchmarks on the real configs; prints tables.

    `nox -s bench -- NAME` runs only benchmarks/NAME.py.
    """
    install_distill(session)
    session.install("-e", EXAMPLE)
    install_test_requirements(session, "-r", "benchmarks/requirements.txt")
    scripts = [f"benchmarks/{name}.py" for name in session.posargs] or sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "benchmarks").glob("bench_*.py")
    )
    for script in scripts:
        session.run("python", script)
