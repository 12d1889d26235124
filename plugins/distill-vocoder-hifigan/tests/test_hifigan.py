"""Per-model HiFi-GAN: learns, bundles into the model file, is chosen automatically, resumes."""

from __future__ import annotations

import copy
import errno
import json
import logging
import math
from pathlib import Path

import pytest
import torch

from distill.errors import DistillError
from distill.host.evaluation import evaluate_model_vocoder
from distill.host.recordings import model_training_audio
from distill.host.selector import rank_vocoders, select_vocoder
from distill.host.vocoder_training import train_model_vocoder
from distill.models.format import DistillModel, load_model, save_model
from distill.vocoders import SpectrogramConfig, TrainingCancelled, waveform_to_mel
from distill.vocoders.verdict import summarise, verdict_summary
from distill_vocoder_hifigan import Generator, HiFiGANConfig
from distill_vocoder_hifigan.losses import mel_loss

SPECTROGRAM = SpectrogramConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=40)
TINY = {"upsample_initial_channel": 32, "discriminator_width": 16, "periods": [2, 3], "scales": 2}


def _options(tmp_path: Path, **extra) -> dict:
    return {
        "run_dir": str(tmp_path / "run"),
        "batch_size": 2,
        "segment_frames": 8,
        "learning_rate": 2e-3,
        "warmup_steps": 3,
        "model_overrides": TINY,
        "checkpoint_every": 5,
        "preview_every": 1000,
        **extra,
    }


def test_v2_generator_has_the_papers_size_and_upsamples_by_the_hop():
    config = HiFiGANConfig.for_spectrogram(SpectrogramConfig())
    assert config.upsample_rates == (8, 8, 4, 2) and config.upsample_initial_channel == 128
    generator = Generator(config, weight_norm=False)
    assert 0.9e6 < sum(p.numel() for p in generator.parameters()) < 1.0e6
    with torch.no_grad():
        assert generator(torch.rand(1, 128, 5)).shape == (1, 5 * 512)


def test_mel_loss_sees_a_tail_50_db_down():
    """log1p is linear near zero: an L1 there ignores quiet tails, the log-magnitude loss must not."""
    t = torch.arange(SPECTROGRAM.sample_rate) / SPECTROGRAM.sample_rate
    hit = 0.5 * torch.sin(2 * torch.pi * 220 * t) * torch.exp(-40 * t)
    tail = 0.003 * torch.randn(t.numel(), generator=torch.Generator().manual_seed(0))  # about -50 dBFS
    real, fake = (hit + tail)[None], hit[None]
    log1p_l1 = (waveform_to_mel(real, SPECTROGRAM) - waveform_to_mel(fake, SPECTROGRAM)).abs().mean()
    assert log1p_l1 < 0.1
    assert mel_loss(real, fake, SPECTROGRAM) > 1.0


def _mel_error(vocoder, clip: torch.Tensor) -> float:
    mel = waveform_to_mel(clip[None], SPECTROGRAM)
    audio = vocoder.mel_to_waveform(mel, num_samples=clip.numel())
    return (waveform_to_mel(audio, SPECTROGRAM) - mel).abs().mean().item()


def test_training_lowers_the_mel_loss_and_bundles_into_the_model_file(model, tmp_path):
    dataset = model_training_audio(model)
    clip = dataset[1]  # a training recording: the first in path order is held out
    untrained = train_model_vocoder(model, "hifigan", dataset, _options(tmp_path / "zero", max_steps=1))
    before = _mel_error(select_vocoder("hifigan", untrained, torch.device("cpu")), clip)
    events = []
    options = _options(tmp_path, max_steps=60, warmup_steps=30)
    train_model_vocoder(model, "hifigan", dataset, options, progress=events.append)
    assert [e.completed for e in events] == list(range(1, 61))
    assert {"generator", "mel", "stft"} == events[0].metrics.keys() - {"steps/s"}  # spectral warm-up
    assert {"generator", "discriminator", "mel", "stft"} <= events[-1].metrics.keys()  # adversarial
    assert (tmp_path / "run" / "previews" / "original.wav").is_file()
    reloaded = load_model(tmp_path / "kit.distill")
    assert reloaded.vocoder_type == "hifigan" and reloaded.vocoder_state_dict is not None
    vocoder = select_vocoder("hifigan", reloaded, torch.device("cpu"))
    assert _mel_error(vocoder, clip) < 0.95 * before  # 60 tiny steps: a deterministic drop (6 % here)
    audio = vocoder.mel_to_waveform(torch.rand(1, 40, 20), num_samples=2500)
    assert audio.shape == (1, 2500) and torch.isfinite(audio).all()


def test_training_holds_a_tenth_out_and_ends_with_a_verdict_on_it(model, tmp_path):
    """The real evaluation, on a tiny config: held-out recordings, both vocoders, every documented key."""
    train_model_vocoder(model, "hifigan", model_training_audio(model), _options(tmp_path, max_steps=2))
    verdict = load_model(tmp_path / "kit.distill").vocoder_evaluation
    assert verdict["recordings"] == sorted(model.metadata["dataset"]["files"])[:1] and verdict["held_out"] is True
    assert set(verdict) >= {
        "version", "vocoder", "baseline", "beats_baseline", "summary", "metric", "stft_windows", "recordings",
        "held_out", "audio_seconds", "results", "skipped", "training_steps", "device", "evaluated_at",
    }  # fmt: skip
    assert verdict["stft_windows"] == [128, 256, 512, 1024, 2048] and verdict["training_steps"] == 2
    assert set(verdict["results"]) == {"hifigan", "griffinlim"} and "bigvgan" in verdict["skipped"]
    for row in verdict["results"].values():
        assert row.keys() == {"multires_stft_distance", "snr_db", "level_difference_db", "real_time_factor"}
        assert all(math.isfinite(v) for v in row.values()) and row["real_time_factor"] > 0
    # two steps of training: far from Griffin-Lim, and the verdict says so
    assert (
        verdict["results"]["hifigan"]["multires_stft_distance"]
        > verdict["results"]["griffinlim"]["multires_stft_distance"]
    )
    assert verdict["beats_baseline"] is False and "loses to Griffin-Lim" in verdict["summary"]
    json.dumps(verdict)  # plain data, for the UI and `model info --json`


def test_failed_bundle_write_keeps_the_previous_model_file(model, tmp_path, monkeypatch):
    before = (tmp_path / "kit.distill").read_bytes()

    real_save = torch.save

    def disk_full_for_model_files(obj, path, *args, **kwargs):
        if ".distill" in Path(path).name:  # the temporary beside kit.distill; checkpoints still save
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(obj, path, *args, **kwargs)

    monkeypatch.setattr(torch, "save", disk_full_for_model_files)
    with pytest.raises(DistillError, match="No space left"):
        train_model_vocoder(model, "hifigan", model_training_audio(model), _options(tmp_path, max_steps=1))
    assert (tmp_path / "kit.distill").read_bytes() == before


def test_cancel_keeps_a_checkpoint_stores_the_vocoder_so_far_with_its_verdict_and_resume_finishes(model, tmp_path):
    def cancel_at_step_seven(event):
        if event.completed == 7:
            raise KeyboardInterrupt

    with pytest.raises(TrainingCancelled, match=r"--resume.*stored in the model: its own HiFi-GAN loses"):
        train_model_vocoder(
            model,
            "hifigan",
            model_training_audio(model),
            _options(tmp_path, max_steps=10),
            progress=cancel_at_step_seven,
        )
    checkpoint = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert checkpoint["step"] == 7
    stored = load_model(tmp_path / "kit.distill")
    assert stored.vocoder_type == "hifigan" and stored.vocoder_evaluation["training_steps"] == 7
    steps = []
    train_model_vocoder(
        model,
        "hifigan",
        model_training_audio(model),
        _options(tmp_path, max_steps=10, resume=True),
        progress=lambda e: steps.append(e.completed),
    )
    assert steps == [8, 9, 10]
    assert load_model(tmp_path / "kit.distill").vocoder_evaluation["training_steps"] == 10


def test_stop_button_keeps_a_checkpoint_at_the_step_it_was_pressed(model, tmp_path):
    seen = []
    with pytest.raises(TrainingCancelled, match=r"checkpoint in .+ is kept"):
        train_model_vocoder(
            model,
            "hifigan",
            model_training_audio(model),
            _options(tmp_path, max_steps=10),
            progress=lambda e: seen.append(e.completed),
            should_stop=lambda: len(seen) >= 3,
        )
    assert seen == [1, 2, 3]
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["step"] == 3


def test_warm_start_from_another_models_vocoder(model, tmp_path):
    donor = train_model_vocoder(model, "hifigan", model_training_audio(model), _options(tmp_path, max_steps=2))
    steps = []
    train_model_vocoder(
        model,
        "hifigan",
        model_training_audio(model),
        _options(tmp_path / "warm", max_steps=1, init_from=donor.vocoder_state_dict),
        progress=lambda e: steps.append(e.metrics["mel"]),
    )
    assert len(steps) == 1


def test_explicit_hifigan_without_weights_says_how_to_train(model):
    with pytest.raises(
        DistillError, match=r"has no HiFi-GAN vocoder of its own; train one with `distill train-vocoder"
    ):
        select_vocoder("hifigan", model, torch.device("cpu"))


def test_auto_skips_hifigan_for_a_model_without_one(model, caplog):
    with caplog.at_level(logging.WARNING, logger="distill"):
        vocoder = select_vocoder("auto", model, torch.device("cpu"))
    assert vocoder.name != "hifigan" and "hifigan" not in caplog.text


def test_a_bundle_trained_for_log1p_input_is_refused_not_decoded_wrongly(model, tmp_path):
    bundled = train_model_vocoder(model, "hifigan", model_training_audio(model), _options(tmp_path, max_steps=1))
    assert bundled.vocoder_config["input_scale"] == "log-magnitude"
    del bundled.vocoder_config["input_scale"]  # as written before the generator took log-magnitude mels,
    bundled.vocoder_evaluation = None  # and before verdicts existed
    assert select_vocoder("auto", bundled, torch.device("cpu")).name != "hifigan"
    with pytest.raises(DistillError, match=r"older Distill .* train it again with `distill train-vocoder --model kit`"):
        select_vocoder("hifigan", bundled, torch.device("cpu"))
    assert "expects log1p mels" in evaluate_model_vocoder(bundled)["summary"]  # judging it says why too


@pytest.fixture
def bundled(model, tmp_path) -> DistillModel:
    """The model with a one-step HiFi-GAN and the real verdict on it."""
    return train_model_vocoder(model, "hifigan", model_training_audio(model), _options(tmp_path, max_steps=1))


def _judged(model: DistillModel, hifigan_distance: float) -> DistillModel:
    """`model` with its verdict's HiFi-GAN distance set to `hifigan_distance`, as if it had measured so."""
    verdict = copy.deepcopy(model.vocoder_evaluation)
    verdict["results"]["hifigan"]["multires_stft_distance"] = hifigan_distance
    verdict["beats_baseline"] = hifigan_distance < verdict["results"]["griffinlim"]["multires_stft_distance"]
    verdict["summary"] = summarise(verdict)
    model.vocoder_evaluation = verdict
    save_model(model, model.path)
    return load_model(model.path)


def _griffinlim_distance(model: DistillModel) -> float:
    return model.vocoder_evaluation["results"]["griffinlim"]["multires_stft_distance"]


def test_auto_ranks_an_own_vocoder_that_loses_to_griffinlim_below_it(bundled, caplog):
    losing = _judged(bundled, _griffinlim_distance(bundled) + 0.01)
    ranking = rank_vocoders(losing)
    assert ranking.index("griffinlim") < ranking.index("hifigan")
    with caplog.at_level(logging.WARNING, logger="distill"):
        assert select_vocoder("auto", losing, torch.device("cpu")).name == "griffinlim"
    assert "is rendered with 'griffinlim', not its own 'hifigan': its own HiFi-GAN loses to Griffin-Lim" in caplog.text
    assert select_vocoder("hifigan", losing, torch.device("cpu")).name == "hifigan"  # still there by name


def test_auto_ranks_an_own_vocoder_that_beats_griffinlim_first(bundled, caplog):
    winning = _judged(bundled, _griffinlim_distance(bundled) - 0.01)
    assert rank_vocoders(winning)[0] == "hifigan"
    with caplog.at_level(logging.WARNING, logger="distill"):
        assert select_vocoder("auto", winning, torch.device("cpu")).name == "hifigan"
    assert "hifigan" not in caplog.text
    assert "beats Griffin-Lim" in verdict_summary(winning) and "auto uses it first" in verdict_summary(winning)


def test_an_own_vocoder_without_a_verdict_is_unproven_until_evaluated_and_generating_never_judges(bundled, caplog):
    bundled.vocoder_evaluation = None  # a file from before verdicts
    save_model(bundled, bundled.path)
    before = bundled.path.read_bytes()
    old = load_model(bundled.path)
    assert rank_vocoders(old)[-1] == "hifigan"
    with caplog.at_level(logging.WARNING, logger="distill"):
        assert select_vocoder("auto", old, torch.device("cpu")).name == "griffinlim"
    assert caplog.text.count("has no held-out verdict yet") == 1
    assert "distill vocoders evaluate --model kit" in caplog.text
    assert old.vocoder_evaluation is None and bundled.path.read_bytes() == before  # nothing judged, nothing saved
    verdict = evaluate_model_vocoder(old)
    assert load_model(bundled.path).vocoder_evaluation == verdict
    assert verdict["results"].keys() == {"hifigan", "griffinlim"} and "bigvgan" in verdict["skipped"]
    assert verdict["held_out"] is False and "recording it trained on" in verdict["summary"]


def test_an_own_vocoder_without_a_verdict_or_its_recordings_is_unproven(bundled, tmp_path, caplog):
    bundled.vocoder_evaluation = None
    bundled.metadata["dataset"]["root"] = str(tmp_path / "moved away")
    assert rank_vocoders(bundled)[-1] == "hifigan"
    with caplog.at_level(logging.WARNING, logger="distill"):
        assert select_vocoder("auto", bundled, torch.device("cpu")).name == "griffinlim"
    assert "its own HiFi-GAN has no held-out verdict yet" in caplog.text
    assert bundled.vocoder_evaluation is None


def test_moved_recordings_need_data_option(model, tmp_path):
    model.metadata["dataset"]["root"] = str(tmp_path / "gone")
    with pytest.raises(DistillError, match="point --data at the folder"):
        model_training_audio(model)
    assert len(model_training_audio(model, tmp_path / "sounds")) == 4


def test_long_mels_are_vocoded_in_chunks_that_match_one_pass(monkeypatch):
    from distill_vocoder_hifigan import vocoder as vocoder_module

    config = HiFiGANConfig.for_spectrogram(SPECTROGRAM, upsample_initial_channel=32)
    generator = Generator(config).remove_weight_norm().eval()
    mel = torch.rand(1, 40, 150, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        whole = generator(mel)
    monkeypatch.setattr(vocoder_module, "CHUNK_FRAMES", 40)
    chunked = vocoder_module.HiFiGANVocoder(generator, SPECTROGRAM).mel_to_waveform(mel)
    assert chunked.shape == whole.shape
    assert (chunked - whole).abs().max() < 1e-5


def test_training_and_rendering_on_each_device(model, tmp_path, device):
    """A few steps through both phases on `device`; the stored vocoder then renders there."""
    bundled = train_model_vocoder(
        model, "hifigan", model_training_audio(model), _options(tmp_path, max_steps=4, device=device)
    )
    assert bundled.vocoder_evaluation["device"].startswith(device)
    vocoder = select_vocoder("hifigan", bundled, torch.device(device))
    out = vocoder.mel_to_waveform(torch.rand(1, 40, 12, device=device), num_samples=1500)
    assert out.device.type == device and out.shape == (1, 1500) and torch.isfinite(out).all()
