"""`distill vocoders install|uninstall`: pip in Distill's own environment, one sentence when it cannot."""

from __future__ import annotations


def test_uninstalling_a_vocoder_nobody_installed_is_one_sentence(run_cli):
    result = run_cli("vocoders", "uninstall", "nope")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "No installed vocoder is called 'nope' (installed: bigvgan, griffinlim, hifigan)." in result.stderr


def test_a_failed_install_leaves_the_installers_reason_and_one_sentence(run_cli, tmp_path):
    missing = tmp_path / "distill_vocoder_gone-0.1.0-py3-none-any.whl"
    result = run_cli("vocoders", "install", str(missing))
    assert result.code == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: Install failed (pip exit code") and "its output above says why" in last
    assert "griffinlim" in {r["name"] for r in run_cli("vocoders", "list", "--json").json()}
