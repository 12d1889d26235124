"""`distill vocoders install|uninstall`: pip in Distill's own environment, one sentence when it cannot.

Real installs run in a venv of their own (`side_python`) that sees this one's packages, so
what they add or remove never touches the environment the other tests run in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

needs_uv = pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv to make a venv")


def test_uninstalling_a_vocoder_nobody_installed_is_one_sentence(run_cli):
    result = run_cli("vocoders", "uninstall", "nope")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "No installed vocoder is called 'nope' (installed: bigvgan, griffinlim, hifigan)." in result.stderr


def test_a_failed_install_leaves_the_installers_reason_and_one_sentence(run_cli, tmp_path):
    missing = tmp_path / "distill_vocoder_gone-0.1.0-py3-none-any.whl"
    missing.write_bytes(b"not a zip")
    result = run_cli("vocoders", "install", str(missing))
    assert result.code == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: Install failed (pip exit code") and "its output above says why" in last
    assert "griffinlim" in {r["name"] for r in run_cli("vocoders", "list", "--json").json()}


@pytest.mark.parametrize("spec", ["; rm -rf X", "--index-url=http://evil", "x y z", "../nowhere/at/all"])
def test_what_is_no_requirement_file_or_url_is_one_sentence_and_reaches_no_installer(run_cli, monkeypatch, spec):
    """Before, `install '; rm -rf X'` reached pip and came back as its InvalidMarker traceback."""
    from distill.host import installer

    monkeypatch.setattr(installer.subprocess, "Popen", lambda *a, **k: pytest.fail("the installer was started"))
    result = run_cli("vocoders", "install", spec)
    assert result.code == 1 and "Traceback" not in result.stderr
    [line] = result.error_lines()
    assert "is not a package name (e.g. distill-vocoder-pghi==0.1), a wheel, a folder or a URL" in line


def test_uninstalling_the_last_resort_vocoder_asks_first_and_refuses_without_an_answer(run_cli, monkeypatch):
    from distill.host import installer

    monkeypatch.setattr(installer.subprocess, "Popen", lambda *a, **k: pytest.fail("the installer was started"))
    result = run_cli("vocoders", "uninstall", "griffinlim")
    assert result.code == 1 and "Traceback" not in result.stderr
    [line] = result.error_lines()
    assert "Nothing was uninstalled: griffinlim is the vocoder that serves every model" in line and "--yes" in line


def _wheel(folder: Path, name: str, version: str, modules: dict[str, str], vocoders: dict[str, str] | None = None):
    """A wheel built by hand: modules, metadata and (for a plugin) `distill.vocoders` entry points."""
    info = f"{name.replace('-', '_')}-{version}.dist-info"
    files = {f"{module}.py": source for module, source in modules.items()}
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    files[f"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    if vocoders:
        files[f"{info}/entry_points.txt"] = "[distill.vocoders]\n" + "".join(
            f"{k} = {v}\n" for k, v in vocoders.items()
        )

    def digest(text: str) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()

    record = "".join(f"{path},sha256={digest(text)},{len(text.encode())}\n" for path, text in files.items())
    files[f"{info}/RECORD"] = record + f"{info}/RECORD,,\n"
    path = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name_in_wheel, text in files.items():
            wheel.writestr(name_in_wheel, text)
    return path


@pytest.fixture
def side_python(tmp_path) -> Path:
    """A venv of its own whose Python also sees this environment's packages (editable installs included)."""
    env = tmp_path / "env"
    subprocess.run(["uv", "venv", "--quiet", "--python", sys.executable, str(env)], check=True)
    python = env / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    here = sysconfig.get_paths()["purelib"]
    Path(purelib, "outer.pth").write_text(f"import site; site.addsitedir({here!r})\n")
    return python


def _distill(python: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "distill.cli.main", *argv], capture_output=True, text=True, timeout=300)


def _version(python: Path, distribution: str) -> str | None:
    code = (
        "import importlib.metadata as m, sys\ntry: print(m.version(sys.argv[1]))\nexcept m.PackageNotFoundError: pass"
    )
    return (
        subprocess.run([str(python), "-c", code, distribution], capture_output=True, text=True).stdout.strip() or None
    )


@needs_uv
def test_a_wheel_that_would_replace_distills_own_dependency_is_refused_before_anything_changes(side_python, tmp_path):
    """Before, a non-plugin `soundfile 0.0.1` replaced Distill's own, exit 0, and the next generate failed."""
    before = _version(side_python, "soundfile")
    wheel = _wheel(tmp_path, "soundfile", "0.0.1", {"soundfile": ""})
    result = _distill(side_python, "vocoders", "install", str(wheel))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"would replace soundfile {before}, which Distill relies on, so nothing was installed" in result.stderr
    assert _version(side_python, "soundfile") == before


@needs_uv
def test_a_package_that_brings_no_vocoder_is_rolled_back(side_python, tmp_path):
    wheel = _wheel(tmp_path, "not-a-plugin", "1.0", {"not_a_plugin": ""})
    result = _distill(side_python, "vocoders", "install", str(wheel))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "was installed and removed again: it registers no vocoder (no 'distill.vocoders' entry point)" in (
        result.stderr
    )
    assert _version(side_python, "not-a-plugin") is None


@needs_uv
def test_a_plugin_installs_and_its_vocoder_is_listed(side_python, tmp_path):
    plugin = "from distill.vocoders import hookimpl\n\n@hookimpl\ndef vocoder_priority(model):\n    return None\n"
    wheel = _wheel(
        tmp_path, "distill-vocoder-echo", "1.0", {"distill_vocoder_echo": plugin}, {"echo": "distill_vocoder_echo"}
    )
    result = _distill(side_python, "vocoders", "install", str(wheel))
    assert result.returncode == 0, result.stderr
    assert "new vocoders: echo." in result.stderr
    listed = json.loads(_distill(side_python, "vocoders", "list", "--json").stdout)
    assert {"name": "echo", "status": "ok"}.items() <= next(r for r in listed if r["name"] == "echo").items()
