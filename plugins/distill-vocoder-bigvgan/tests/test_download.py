"""The real huggingface_hub download code against a local hub on 127.0.0.1."""

from __future__ import annotations

import logging

import pytest
import torch

from distill.cli.main import main
from distill.errors import DistillError
from distill.host.assets import fetch_assets
from distill.host.registry import get_registry
from distill.host.selector import select_vocoder, vocoder_options
from distill.progress import Cancelled, size_text
from distill_vocoder_bigvgan import download
from distill_vocoder_bigvgan.download import FILES, describe, ensure_weights, is_cached, weights_dir
from distill_vocoder_bigvgan.weights_cache import read_cached_state

from .conftest import TINY_CONFIG, write_checkpoint


def test_first_use_downloads_both_files_with_progress_then_uses_the_cache(fake_hub):
    events = []
    folder = ensure_weights(events.append)
    assert is_cached() and folder == weights_dir()
    assert {p.name for p in folder.iterdir() if p.is_file()} == {"config.json", "bigvgan_generator.pt"}
    weight_events = [e for e in events if e.task == "download bigvgan_generator.pt"]
    assert weight_events and weight_events[-1].completed == weight_events[-1].total == len(
        fake_hub.files["bigvgan_generator.pt"]
    )
    assert {e.unit for e in events} == {"bytes"}
    fake_hub.requests.clear()
    fake_hub.mode = "missing"  # the hub is gone: a cached load must not need it
    vocoder = select_vocoder("bigvgan", None, torch.device("cpu"))
    assert vocoder.name == "bigvgan" and fake_hub.requests == []


def test_downloaded_weights_are_folded_once_into_a_cache_beside_them_and_rebuilt_when_replaced(fake_hub, tmp_path):
    select_vocoder("bigvgan", None, torch.device("cpu"))
    folder = weights_dir()
    cached = read_cached_state(folder, FILES)
    assert cached is not None and cached["conv_pre.weight"].shape[0] == TINY_CONFIG["upsample_initial_channel"]
    other = write_checkpoint(tmp_path / "other", {**TINY_CONFIG, "upsample_initial_channel": 32})
    fake_hub.files = {name: (other / name).read_bytes() for name in FILES}
    for name in FILES:  # the user deletes the files to fetch them again; the hub now has new ones
        (folder / name).unlink()
    select_vocoder("bigvgan", None, torch.device("cpu"))
    assert read_cached_state(folder, FILES)["conv_pre.weight"].shape[0] == 32


def test_hand_placed_files_are_used_without_network(checkpoint_dir, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    folder = weights_dir()
    for name in ("config.json", "bigvgan_generator.pt"):
        (folder / name).write_bytes((checkpoint_dir / name).read_bytes())
    mel = torch.rand(1, 128, 20)
    audio = select_vocoder("auto", None, torch.device("cpu")).mel_to_waveform(mel, num_samples=9000)
    assert audio.shape == (1, 9000) and torch.isfinite(audio).all()


def test_missing_file_on_the_hub_is_one_sentence_naming_the_folder(fake_hub):
    fake_hub.mode = "missing"
    with pytest.raises(DistillError, match=r"could not be downloaded.*place config.json and bigvgan_generator.pt"):
        ensure_weights()
    assert not is_cached()


def test_truncated_transfer_never_leaves_a_file_that_looks_whole(fake_hub):
    fake_hub.mode = "truncated"
    with pytest.raises(DistillError, match="could not be downloaded"):
        ensure_weights()
    assert not (weights_dir() / "bigvgan_generator.pt").exists()


def test_a_hub_that_does_not_answer_is_not_waited_for_on_every_run(fake_hub, monkeypatch):
    monkeypatch.setattr(download, "METADATA_TIMEOUT_S", 0.5)
    fake_hub.mode = "silent"
    with pytest.raises(DistillError, match=r"did not answer within 0.5 s; Distill asks again in 10 min"):
        ensure_weights()
    asked = len(fake_hub.requests)
    assert asked >= 1
    with pytest.raises(DistillError, match=r"did not answer \d+ s ago; Distill asks again 10 min after that\); place"):
        ensure_weights()
    assert len(fake_hub.requests) == asked  # the second run did not wait on the hub
    fake_hub.mode = "ok"
    monkeypatch.setattr(download, "QUIET_PERIOD_S", 0.0)  # the quiet period is over
    ensure_weights()
    assert is_cached() and not (weights_dir() / download.TIMEOUT_RECORD).exists()


def test_server_down_makes_auto_fall_back_to_griffinlim_with_one_warning(caplog, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(
        "huggingface_hub.constants.HUGGINGFACE_CO_URL_TEMPLATE",
        "http://127.0.0.1:9/{repo_id}/resolve/{revision}/{filename}",
    )
    with caplog.at_level(logging.WARNING, logger="distill"):
        vocoder = select_vocoder("auto", None, torch.device("cpu"))
    assert vocoder.name == "griffinlim"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and str(weights_dir()) in warnings[0].getMessage()


def test_offline_falls_back_to_griffinlim_and_explicit_bigvgan_fails(monkeypatch, caplog):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with caplog.at_level(logging.WARNING, logger="distill"):
        assert select_vocoder("auto", None, torch.device("cpu")).name == "griffinlim"
    assert "HF_HUB_OFFLINE" in caplog.text and str(weights_dir()) in caplog.text
    with pytest.raises(DistillError, match=r"place config\.json and bigvgan_generator\.pt"):
        select_vocoder("bigvgan", None, torch.device("cpu"))


def test_damaged_hand_placed_checkpoint_is_refused_clearly(checkpoint_dir):
    folder = weights_dir()
    (folder / "config.json").write_bytes((checkpoint_dir / "config.json").read_bytes())
    data = (checkpoint_dir / "bigvgan_generator.pt").read_bytes()
    (folder / "bigvgan_generator.pt").write_bytes(data[: len(data) // 3])
    with pytest.raises(DistillError, match="damaged or incomplete"):
        select_vocoder("bigvgan", None, torch.device("cpu"))


def test_bigvgan_ranks_above_griffinlim():
    priorities = get_registry().priorities(None)
    assert priorities["bigvgan"] > priorities["griffinlim"]


def test_the_transfer_says_once_what_it_is_its_size_and_that_it_happens_once_then_prepares(fake_hub):
    events = []
    select_vocoder("bigvgan", None, torch.device("cpu"), progress=events.append)
    size = len(fake_hub.files["bigvgan_generator.pt"])
    transfer = [e for e in events if e.unit == "bytes"]
    assert {e.message for e in transfer} == {
        f"Downloading the BigVGAN-v2 universal vocoder ({size_text(size)}), a one-time download"
    }
    preparing = [e for e in events if e.task == "prepare bigvgan"]
    assert [e.message for e in preparing] == [
        "Preparing the vocoder for this machine…",
        "Prepared the vocoder for this machine",
    ]
    assert events.index(preparing[0]) > events.index(transfer[-1])  # one display, stage after stage
    events.clear()
    select_vocoder("bigvgan", None, torch.device("cpu"), progress=events.append)
    assert events == []  # downloaded and prepared once: nothing to wait for


def test_a_stop_request_cancels_the_transfer_and_leaves_nothing_loadable(fake_hub, monkeypatch):
    fake_hub.rate = len(fake_hub.files["bigvgan_generator.pt"]) / 2.0  # two seconds for the whole file
    monkeypatch.setattr(download, "PROGRESS_BLOCK", 16 * 1024)  # the toy checkpoint is a few blocks of the real one
    seen = []

    def stop_after_some_bytes() -> bool:
        return len(seen) >= 3

    with pytest.raises(Cancelled):
        ensure_weights(seen.append, stop_after_some_bytes)
    assert 0 < seen[-1].completed < len(fake_hub.files["bigvgan_generator.pt"])
    folder = weights_dir()
    assert not (folder / "bigvgan_generator.pt").exists() and not is_cached()
    assert not [p for p in folder.rglob("*") if p.is_file() and p.stat().st_size >= seen[-1].completed]


def test_the_state_a_front_end_shows_before_and_after_the_download(fake_hub, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    offline = describe()
    assert not offline.ready and offline.download_bytes == download.DOWNLOAD_BYTES
    assert "HF_HUB_OFFLINE" in offline.unavailable and str(weights_dir()) in offline.unavailable
    option = {o.name: o for o in vocoder_options(None)}["bigvgan"]
    assert not option.usable and option.reason == offline.unavailable
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert describe().unavailable is None and {o.name: o for o in vocoder_options(None)}["bigvgan"].usable

    ready = fetch_assets("bigvgan")  # downloads and prepares: the first render waits for neither
    size = len(fake_hub.files["bigvgan_generator.pt"])
    assert ready.ready and ready.download_bytes == size and ready.bytes_on_disk > 2 * size
    assert ready.contents.startswith(f"the {size_text(size)} download and a ")
    assert read_cached_state(weights_dir(), FILES) is not None


def test_the_command_line_downloads_ahead_with_the_sentence_before_its_bar(fake_hub, capsys, monkeypatch):
    code = main(["vocoders", "download", "bigvgan"])
    err = " ".join(capsys.readouterr().err.split())  # Rich wraps long lines at the terminal's width
    size = size_text(len(fake_hub.files["bigvgan_generator.pt"]))
    assert code == 0, err
    assert f"Downloading the BigVGAN-v2 universal vocoder ({size}), a one-time download." in err
    assert f"The BigVGAN-v2 universal vocoder is ready in {weights_dir()}." in err
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (weights_dir() / "bigvgan_generator.pt").unlink()
    code = main(["vocoders", "download", "bigvgan"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 1 and str(weights_dir()) in err and "Traceback" not in err
