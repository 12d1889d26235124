"""Third-party plugins that misbehave, installed as real distributions: the host contains each one.

One test (or parametrised case) per row of issue 12's table. The plugins are real
installed distributions (a module and a `.dist-info` with entry points on `sys.path`),
found through `importlib.metadata` like anything pip installs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf

from distill.library import history

RATE = 48000

MISBEHAVING = """
import math

import torch

from distill.vocoders import Vocoder, hookimpl


class Misbehaving(Vocoder):
    name = "bad"
    sample_rate = {rate}

    def mel_to_waveform(self, mel, num_samples=None):
        n = num_samples if num_samples is not None else mel.shape[-1] * 512
        n = round(n * self.sample_rate / 48000)
        t = torch.arange(n) / self.sample_rate
        tone = 0.3 * torch.sin(2 * math.pi * 1000 * t).repeat(mel.shape[0], 1)
        {body}


@hookimpl
def vocoder_priority(model):
    return 10_000


@hookimpl
def load_vocoder(name, model, device):
    return Misbehaving() if name == "bad" else None
"""

GARBAGE = {
    "raises": ("raise RuntimeError('render exploded')", "failed while rendering (RuntimeError: render exploded)"),
    "nan": ("return tone * float('nan')", "returned NaN or infinite samples"),
    "one-dimensional": ("return tone[0]", "returned a tensor of shape [24000]; expected [1, samples]"),
    "half-length": ("return tone[:, : n // 2]", "returned 12000 samples where 24000 were asked for"),
}


def install_misbehaving(plugin_site, body: str, rate: int = RATE) -> None:
    plugin_site.add(
        "distill-vocoder-bad", {"bad": "bad_vocoder"}, {"bad_vocoder": MISBEHAVING.format(rate=rate, body=body)}
    )


@pytest.fixture
def tone_file(tmp_path):
    """Half a second of a decaying 440 Hz tone at 48 kHz (24,000 samples)."""
    t = np.arange(RATE // 2) / RATE
    path = tmp_path / "tone.wav"
    sf.write(path, 0.4 * np.sin(2 * math.pi * 440 * t) * np.exp(-3 * t), RATE)
    return path


def _one_sentence(result, fragment: str) -> None:
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr
    # Warnings about other things (a tiny test model's health) and bars may precede it; the failure is one line.
    failure = result.error_lines()
    assert len(failure) == 1 and fragment in failure[0], result.stderr


def _warnings_about(result, name: str) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Warning:") and f"'{name}'" in line]


# Row 1: sys.exit() at import.

SYS_EXIT = """
import sys

sys.exit()
"""


def test_plugin_calling_sys_exit_at_import_is_broken_and_the_real_cli_keeps_working(
    plugin_site, distill_process, tone_file, tmp_path, monkeypatch
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    plugin_site.add("distill-vocoder-quitter", {"quitter": "quitter_vocoder"}, {"quitter_vocoder": SYS_EXIT})
    listed = distill_process("vocoders", "list", "--json")
    assert listed.code == 0, listed.stderr
    records = {r["name"]: r for r in listed.json()}
    assert records["quitter"]["status"] == "broken" and records["quitter"]["stage"] == "import"
    assert "SystemExit" in records["quitter"]["error"]
    assert records["griffinlim"]["status"] == "ok"
    out = tmp_path / "out.wav"
    vocoded = distill_process("vocode", str(tone_file), "-o", str(out), "--json")
    assert vocoded.code == 0, vocoded.stderr
    assert vocoded.json()["files"][0]["vocoder"] == "griffinlim"
    assert sf.info(out).frames == RATE // 2
    assert len(_warnings_about(vocoded, "quitter")) == 1


def test_generate_with_griffinlim_survives_a_plugin_that_exits_at_import(run_cli, plugin_site, trained, tmp_path):
    plugin_site.add("distill-vocoder-quitter", {"quitter": "quitter_vocoder"}, {"quitter_vocoder": SYS_EXIT})
    result = run_cli(
        "generate", trained, "-d", "0.5", "--vocoder", "griffinlim", "--output-dir", str(tmp_path), "--json"
    )
    assert result.code == 0, result.stderr
    assert result.json()["files"][0]["vocoder"] == "griffinlim"


# Rows 2-5: mel_to_waveform raises, returns NaN, a 1-D tensor or the wrong length.


@pytest.mark.parametrize("behaviour", list(GARBAGE))
def test_explicitly_chosen_vocoder_that_fails_while_rendering_is_one_sentence_and_nothing_is_written(
    behaviour, run_cli, plugin_site, tone_file, tmp_path
):
    body, reason = GARBAGE[behaviour]
    install_misbehaving(plugin_site, body)
    out = tmp_path / "out" / "out.wav"
    result = run_cli("vocode", str(tone_file), "-o", str(out), "--vocoder", "bad")
    _one_sentence(result, f"Vocoder 'bad' {reason}.")
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("behaviour", list(GARBAGE))
def test_auto_warns_once_and_renders_with_the_next_vocoder_when_one_fails_while_rendering(
    behaviour, run_cli, plugin_site, tone_file, tmp_path, monkeypatch
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # bigvgan, next in the ranking, cannot load either
    body, reason = GARBAGE[behaviour]
    install_misbehaving(plugin_site, body)
    out = tmp_path / "out.wav"
    result = run_cli("vocode", str(tone_file), "-o", str(out), "--json")
    assert result.code == 0, result.stderr
    assert result.json()["files"][0]["vocoder"] == "griffinlim"
    (warning,) = _warnings_about(result, "bad")
    assert reason in warning and "trying 'bigvgan' instead" in warning
    audio, rate = sf.read(out)
    assert rate == RATE and audio.shape == (RATE // 2,) and np.isfinite(audio).all() and np.abs(audio).max() > 0.05


def test_nan_from_an_explicit_vocoder_writes_no_file_and_no_history_entry(run_cli, plugin_site, trained, tmp_path):
    install_misbehaving(plugin_site, GARBAGE["nan"][0])
    result = run_cli("generate", trained, "-d", "0.5", "--vocoder", "bad", "--output-dir", str(tmp_path))
    _one_sentence(result, "Vocoder 'bad' returned NaN or infinite samples.")
    assert list(tmp_path.glob("*.wav")) == [] and history.list_entries() == []


def test_nan_under_auto_falls_back_and_the_history_names_the_vocoder_used(
    run_cli, plugin_site, trained, tmp_path, monkeypatch
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    install_misbehaving(plugin_site, GARBAGE["nan"][0])
    result = run_cli("generate", trained, "-d", "0.5", "-n", "2", "--output-dir", str(tmp_path), "--json")
    assert result.code == 0, result.stderr
    assert [f["vocoder"] for f in result.json()["files"]] == ["griffinlim", "griffinlim"]
    assert len(_warnings_about(result, "bad")) == 1  # the second file does not try it again
    assert [entry["vocoder"] for entry in history.list_entries()] == ["griffinlim", "griffinlim"]
    for record in result.json()["files"]:
        audio, _ = sf.read(record["path"])
        assert np.isfinite(audio).all() and np.abs(audio).max() > 0.1 and np.ptp(audio) > 0.2


# Row 6: a numpy array.


def test_a_numpy_array_is_accepted_as_audio(run_cli, plugin_site, tone_file, tmp_path):
    install_misbehaving(plugin_site, "return tone.numpy()")
    out = tmp_path / "out.wav"
    result = run_cli("vocode", str(tone_file), "-o", str(out), "--vocoder", "bad", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["files"][0]["vocoder"] == "bad"
    audio, _ = sf.read(out)
    assert audio.shape == (RATE // 2,) and abs(np.abs(audio).max() - 0.3) < 0.01


# Row 7: a declared sample rate other than the model's.


def test_audio_at_a_declared_22050_hz_is_resampled_to_the_model_rate(run_cli, plugin_site, tone_file, tmp_path):
    install_misbehaving(plugin_site, "return tone", rate=22050)
    out = tmp_path / "out.wav"
    result = run_cli("vocode", str(tone_file), "-o", str(out), "--vocoder", "bad", "--json")
    assert result.code == 0, result.stderr
    audio, rate = sf.read(out)
    assert rate == RATE and audio.shape == (RATE // 2,)
    spectrum = np.abs(np.fft.rfft(audio[2000:-2000] * np.hanning(audio.size - 4000)))
    peak_hz = np.argmax(spectrum) * RATE / (audio.size - 4000)
    assert abs(peak_hz - 1000) < 10, peak_hz  # not pitched up to 2177 Hz


# Row 8: raises in vocoder_priority / load_vocoder.

RAISES_IN_HOOKS = {
    "priority_raiser": """
        from distill.vocoders import hookimpl

        @hookimpl
        def vocoder_priority(model):
            raise RuntimeError("priority exploded")
    """,
    "load_raiser": """
        from distill.vocoders import hookimpl

        @hookimpl
        def vocoder_priority(model):
            return 50 if model is None else 500

        @hookimpl
        def load_vocoder(name, model, device):
            if name == "flaky":
                raise OSError("weights missing on disk")
    """,
}


def test_vocoders_list_shows_priority_and_load_failures(run_cli, plugin_site, trained):
    plugin_site.add("distill-vocoder-hooks", {"exploding": "priority_raiser", "flaky": "load_raiser"}, RAISES_IN_HOOKS)
    records = {r["name"]: r for r in run_cli("vocoders", "list", "--json").json()}
    assert records["exploding"]["status"] == "broken" and records["exploding"]["stage"] == "vocoder_priority"
    assert records["exploding"]["error"] == "RuntimeError: priority exploded"
    assert records["flaky"]["status"] == "ok" and records["flaky"]["load"] == "not tried"
    assert records["flaky"]["priority"] == 50
    loaded = {r["name"]: r for r in run_cli("vocoders", "list", "--load", "--model", trained, "--json").json()}
    assert loaded["flaky"]["priority"] == 500 and loaded["flaky"]["auto_rank"] == 1
    assert loaded["flaky"]["load"] == "failed" and "OSError: weights missing on disk" in loaded["flaky"]["load_error"]
    assert loaded["griffinlim"]["load"] == "ok"


def test_vocoders_list_shows_priorities_and_the_order_auto_tries(run_cli, plugin_site, trained):
    plugin_site.add("distill-vocoder-hooks", {"flaky": "load_raiser"}, {"load_raiser": RAISES_IN_HOOKS["load_raiser"]})
    records = {r["name"]: r for r in run_cli("vocoders", "list", "--json").json()}
    ranked = sorted((r for r in records.values() if r["auto_rank"]), key=lambda r: r["auto_rank"])
    assert [r["name"] for r in ranked] == ["bigvgan", "griffinlim", "flaky"]
    assert records["hifigan"]["priority"] is None and records["hifigan"]["auto_rank"] is None
    text = run_cli("vocoders", "list", "--model", trained).stdout
    for command in ("generate", "vocode"):
        assert f"auto for model '{trained}' ({command}) tries: flaky, bigvgan, griffinlim" in text


# Row 9: two distributions claim the same name.

TWIN = """
from distill.vocoders import hookimpl
from distill_vocoder_griffinlim.plugin import load_vocoder as griffinlim


@hookimpl
def load_vocoder(name, model, device):
    if {refuse}:
        raise RuntimeError("{distribution} must not be the one in use")
    return griffinlim("griffinlim", model, device)
"""


def test_name_clash_first_party_wins_else_alphabetical_both_listed_one_active(
    run_cli, plugin_site, tone_file, tmp_path
):
    plugin_site.add(
        "zeta-vocoders", {"twin": "zeta_twin"}, {"zeta_twin": TWIN.format(refuse=True, distribution="zeta")}
    )
    plugin_site.add(
        "acme-vocoders", {"twin": "acme_twin"}, {"acme_twin": TWIN.format(refuse=False, distribution="acme")}
    )
    plugin_site.add(
        "aaa-impostor", {"griffinlim": "impostor"}, {"impostor": TWIN.format(refuse=True, distribution="impostor")}
    )
    result = run_cli("vocoders", "list", "--json")
    claims = [(r["name"], r["distribution"], r["active"]) for r in result.json() if r["name"] in ("twin", "griffinlim")]
    assert claims == [
        ("griffinlim", "distill-vocoder-griffinlim", True),
        ("griffinlim", "aaa-impostor", False),
        ("twin", "acme-vocoders", True),
        ("twin", "zeta-vocoders", False),
    ]
    (zeta,) = (r for r in result.json() if r["distribution"] == "zeta-vocoders")
    assert zeta["shadowed_by"] == "acme-vocoders"
    assert len(_warnings_about(result, "twin")) == 1 and "using acme-vocoders" in result.stderr
    for name in ("twin", "griffinlim"):
        vocoded = run_cli("vocode", str(tone_file), "-o", str(tmp_path / f"{name}.wav"), "--vocoder", name)
        assert vocoded.code == 0, vocoded.stderr


# Row 10: an import-time failure under auto.


def test_import_failure_under_auto_is_one_warning_line(run_cli, plugin_site, tone_file, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    plugin_site.add("distill-vocoder-missing", {"missing": "missing_vocoder"}, {"missing_vocoder": "import not_here\n"})
    result = run_cli("vocode", str(tone_file), "-o", str(tmp_path / "out.wav"), "--json")
    assert result.code == 0, result.stderr
    (warning,) = _warnings_about(result, "missing")
    assert "distill-vocoder-missing" in warning and "ModuleNotFoundError: No module named 'not_here'" in warning


# Beyond the table: what a plugin prints never reaches a --json document.


def test_plugin_prints_never_reach_the_json_on_stdout(run_cli, plugin_site, tone_file, tmp_path):
    noisy = """
        from distill.vocoders import hookimpl
        from distill_vocoder_griffinlim.plugin import load_vocoder as griffinlim

        print("hello from import")

        @hookimpl
        def vocoder_priority(model):
            print("hello from priority")
            return 10_000

        @hookimpl
        def load_vocoder(name, model, device):
            print("hello from load")
            return griffinlim("griffinlim", model, device) if name == "noisy" else None
    """
    plugin_site.add("distill-vocoder-noisy", {"noisy": "noisy_vocoder"}, {"noisy_vocoder": noisy})
    listed = run_cli("vocoders", "list", "--json")
    assert {r["name"] for r in listed.json()} >= {"noisy", "griffinlim"}
    result = run_cli("vocode", str(tone_file), "-o", str(tmp_path / "out.wav"), "--json")
    assert result.json()["files"][0]["vocoder"] == "noisy"
    assert "hello from load" in result.stderr
