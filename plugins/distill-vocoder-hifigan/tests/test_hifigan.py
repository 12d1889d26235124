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

from distill.audio.export import ExportSettings
from distill.controls.analysis import analyse_latents
from distill.errors import DistillError
from distill.host.evaluation import evaluate_model_vocoder
from distill.host.recordings import model_training_audio
from distill.host.selector import rank_vocoders, select_vocoder
from distill.host.vocoder_training import train_model_vocoder
from distill.inference.outputs import generate_files
from distill.inference.vocode import vocode_file
from distill.models.format import DistillModel, load_model, save_model
from distill.models.vae import build_vae
from distill.vocoders import SpectrogramConfig, TrainingAudio, TrainingCancelled, waveform_to_mel
from distill.vocoders.verdict import GENERATION, RESYNTHESIS, summarise, verdict_summary
from distill_vocoder_hifigan import Generator, HiFiGANConfig
from distill_vocoder_hifigan.losses import mel_loss
from distill_vocoder_hifigan.pairs import TrainingPairs, load_clips, load_decoded

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
    options = _options(tmp_path, max_steps=60, warmup_steps=30, decoded_share=0.0)  # judged on its own mel
    train_model_vocoder(model, "hifigan", dataset, options, progress=events.append)
    assert [e.completed for e in events] == list(range(1, 61))
    curve = {"generation-path distance: HiFi-GAN", "generation-path distance: Griffin-Lim"}
    assert {"generator", "mel", "stft"} | curve == events[0].metrics.keys() - {"steps/s"}  # spectral warm-up
    assert {"generator", "discriminator", "mel", "stft"} | curve <= events[-1].metrics.keys()  # adversarial
    assert [e.completed for e in events if curve <= e.metrics.keys()] == [1, 60]  # held-out checks: first, last
    assert (tmp_path / "run" / "previews" / "original.wav").is_file()
    reloaded = load_model(tmp_path / "kit.distill")
    assert reloaded.vocoder_type == "hifigan" and reloaded.vocoder_state_dict is not None
    vocoder = select_vocoder("hifigan", reloaded, torch.device("cpu"))
    assert _mel_error(vocoder, clip) < 0.95 * before  # 60 tiny steps: a deterministic drop (6 % here)
    audio = vocoder.mel_to_waveform(torch.rand(1, 40, 20), num_samples=2500)
    assert audio.shape == (1, 2500) and torch.isfinite(audio).all()


def test_training_holds_a_tenth_out_and_ends_with_a_verdict_on_both_paths(model, tmp_path):
    """The real evaluation, on a tiny config: held-out recordings, both vocoders, both paths, every documented key."""
    train_model_vocoder(model, "hifigan", model_training_audio(model), _options(tmp_path, max_steps=2))
    stored = load_model(tmp_path / "kit.distill")
    verdict = stored.vocoder_evaluation
    assert verdict["recordings"] == sorted(model.metadata["dataset"]["files"])[:1] and verdict["held_out"] is True
    assert set(verdict) >= {
        "version", "vocoder", "baseline", "beats_baseline", "summary", "metric", "stft_windows", "perceptual",
        "recordings", "held_out", "audio_seconds", "results", "skipped", "generation", "vae", "training_steps",
        "device", "evaluated_at",
    }  # fmt: skip
    assert verdict["version"] == 2 and verdict["vae"] == stored.vae_fingerprint == model.vae_fingerprint
    assert verdict["stft_windows"] == [128, 256, 512, 1024, 2048] and verdict["training_steps"] == 2
    assert verdict["perceptual"].startswith("not measured: ViSQOL")  # the tests leave it out
    for part in (verdict, verdict["generation"]):
        assert set(part["results"]) == {"hifigan", "griffinlim"} and "bigvgan" in part["skipped"]
        for row in part["results"].values():
            assert row.keys() == {"multires_stft_distance", "snr_db", "level_difference_db", "real_time_factor"}
            assert all(math.isfinite(v) for v in row.values()) and row["real_time_factor"] > 0
        distances = [part["results"][name]["multires_stft_distance"] for name in ("hifigan", "griffinlim")]
        assert part["beats_baseline"] is (distances[0] < distances[1]) and part["audio_seconds"] > 0
    # two steps of training: far from Griffin-Lim on a recording's own mel, and the verdict says so
    assert verdict["beats_baseline"] is False
    assert "On resynthesised recordings its own HiFi-GAN loses to Griffin-Lim" in verdict["summary"]
    # the generation path renders the (random) tiny VAE's decoding of the same recording: another sound entirely
    assert verdict["generation"]["results"]["griffinlim"] != verdict["results"]["griffinlim"]
    assert "On generated sounds its own HiFi-GAN" in verdict["summary"]
    json.dumps(verdict)  # plain data, for the UI and `model info --json`


def test_visqol_joins_the_verdict_when_it_can_score(model, tmp_path, monkeypatch):
    """ViSQOL (faked here: the real one takes seconds) scores every vocoder's renders in a row on both paths."""
    from distill.host import evaluation

    scored = []
    monkeypatch.setattr(evaluation, "visqol_available", lambda: True)
    monkeypatch.setattr(evaluation, "visqol", lambda ref, est, rate: scored.append(ref.numel()) or 3.5)
    train_model_vocoder(model, "hifigan", model_training_audio(model), _options(tmp_path, max_steps=1))
    verdict = load_model(tmp_path / "kit.distill").vocoder_evaluation
    assert verdict["perceptual"] == "visqol" and len(scored) == 4  # two vocoders, two paths
    for part in (verdict, verdict["generation"]):
        assert {row["visqol"] for row in part["results"].values()} == {3.5}
    assert "ViSQOL 3.50 vs 3.50" in verdict["summary"]


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

    stored = r"--resume.*stored in the model: judged on 1 held-out recording\. .*On resynthesised recordings"
    with pytest.raises(TrainingCancelled, match=stored + " its own HiFi-GAN loses"):
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


def _judged(model: DistillModel, **margins: float) -> DistillModel:
    """`model` with its verdict's HiFi-GAN distance on each path named (`generation`, `resynthesis`) set
    `margin` from Griffin-Lim's, as if it had measured so (negative: better)."""
    verdict = copy.deepcopy(model.vocoder_evaluation)
    for path, margin in margins.items():
        part = verdict if path == RESYNTHESIS else verdict[GENERATION]
        results = part["results"]
        results["hifigan"]["multires_stft_distance"] = results["griffinlim"]["multires_stft_distance"] + margin
        part["beats_baseline"] = margin < 0
    verdict["summary"] = summarise(verdict)
    model.vocoder_evaluation = verdict
    save_model(model, model.path)
    return load_model(model.path)


def test_auto_ranks_an_own_vocoder_that_loses_to_griffinlim_below_it(bundled, caplog):
    losing = _judged(bundled, generation=0.01, resynthesis=0.01)
    for purpose in (GENERATION, RESYNTHESIS):
        ranking = rank_vocoders(losing, purpose=purpose)
        assert ranking.index("griffinlim") < ranking.index("hifigan")
    with caplog.at_level(logging.WARNING, logger="distill"):
        assert select_vocoder("auto", losing, torch.device("cpu")).name == "griffinlim"
    assert (
        "is rendered with 'griffinlim', not its own 'hifigan': on generated sounds its own HiFi-GAN loses to "
        "Griffin-Lim" in caplog.text
    )
    assert select_vocoder("hifigan", losing, torch.device("cpu")).name == "hifigan"  # still there by name


def test_auto_ranks_an_own_vocoder_that_beats_griffinlim_first(bundled, caplog):
    winning = _judged(bundled, generation=-0.01, resynthesis=-0.01)
    assert rank_vocoders(winning)[0] == "hifigan" and rank_vocoders(winning, purpose=RESYNTHESIS)[0] == "hifigan"
    with caplog.at_level(logging.WARNING, logger="distill"):
        assert select_vocoder("auto", winning, torch.device("cpu")).name == "hifigan"
    assert "hifigan" not in caplog.text
    assert "beats Griffin-Lim" in verdict_summary(winning) and "`generate` uses it first" in verdict_summary(winning)


def test_generate_obeys_the_generation_verdict_and_vocode_the_resynthesis_one(bundled, tmp_path, caplog):
    """A vocoder that wins on the model's decoded mels but loses on true mels renders generated sounds,
    not resyntheses; the other way round it renders resyntheses only. Through the real commands' engine."""
    recording = model_training_audio(bundled).files[0]
    with torch.no_grad():  # sliders to generate with, from a few random segments
        analysis = analyse_latents(build_vae(bundled), torch.rand(8, 40, 8), SPECTROGRAM)
    bundled.latent_analysis = analysis.to_dict()
    save_model(bundled, bundled.path)

    def used(model: DistillModel) -> tuple[str, str]:
        generated = generate_files(
            model, 1, 0.2, "auto", 0, {}, ExportSettings(), tmp_path / "out", torch.device("cpu")
        )
        vocoded = vocode_file(recording, tmp_path / "out" / "vocoded.wav", model, "auto", torch.device("cpu"))
        return generated[0]["vocoder"], vocoded["vocoder"]

    assert used(_judged(bundled, generation=-0.01, resynthesis=0.01)) == ("hifigan", "griffinlim")
    with caplog.at_level(logging.WARNING, logger="distill"):
        assert used(_judged(bundled, generation=0.01, resynthesis=-0.01)) == ("griffinlim", "hifigan")
    assert "on generated sounds its own HiFi-GAN loses to Griffin-Lim" in caplog.text


def test_a_vocoder_judged_on_another_vae_is_stale_for_generating(bundled):
    winning = _judged(bundled, generation=-0.01, resynthesis=-0.01)
    winning.vae_state_dict = {k: v + 0.01 for k, v in winning.vae_state_dict.items()}  # the VAE retrained
    assert rank_vocoders(winning)[-1] == "hifigan" and rank_vocoders(winning, purpose=RESYNTHESIS)[0] == "hifigan"
    assert "verdict on generated sounds is stale" in verdict_summary(winning)
    verdict = evaluate_model_vocoder(winning)  # judged again, on the VAE it has now
    assert verdict["vae"] == winning.vae_fingerprint


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
    assert verdict["held_out"] is False and "Judged on 1 recording it trained on" in verdict["summary"]


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


def _rendered(dataset, rendering):
    return TrainingAudio(dataset.files, dataset.sample_rate, dataset.root, rendering)


def test_examples_mix_the_models_decoded_mels_with_the_recordings_own_at_the_recipes_share(model):
    """Decoded crops are the frames `waveform_to_mel` would give the same samples (here the rendering is the
    identity, so they must match the recording's own mel away from the crop's padded edges)."""
    dataset = model_training_audio(model)
    clips = load_clips(dataset, 8 * SPECTROGRAM.hop_length)

    def own_mel(wav):
        return waveform_to_mel(wav[None], SPECTROGRAM)[0]

    decoded = load_decoded(_rendered(dataset, own_mel), clips, 8, SPECTROGRAM.hop_length)
    assert len(decoded) == 4 and all(d.wav.numel() == (d.mel.shape[-1] - 1) * SPECTROGRAM.hop_length for d in decoded)
    g = torch.Generator().manual_seed(0)
    mel, wav = TrainingPairs(clips, decoded, SPECTROGRAM, 8, 1.0).batch(6, g, slice(0, 6))
    assert mel.shape == (6, 40, 9) and wav.shape == (6, 8 * SPECTROGRAM.hop_length)
    own = waveform_to_mel(wav, SPECTROGRAM)
    assert torch.allclose(mel[..., 2:-2], own[..., 2:-2], atol=1e-4)  # aligned frame for frame
    marked = load_decoded(_rendered(dataset, lambda wav: own_mel(wav).fill_(7.0)), clips, 8, SPECTROGRAM.hop_length)
    for share, expected in ((0.0, 0), (1.0, 64), (0.5, None)):
        mel, _ = TrainingPairs(clips, marked, SPECTROGRAM, 8, share).batch(64, g, slice(0, 64))
        from_model = int((mel == 7.0).flatten(1).all(dim=1).sum())
        assert from_model == expected if expected is not None else 16 < from_model < 48
    assert load_decoded(dataset, clips, 8, SPECTROGRAM.hop_length) == []  # no rendering: own mels only
