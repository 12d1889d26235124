"""The two-path verdict: which path `auto` obeys for which command, older verdicts, staleness, damage."""

from __future__ import annotations

import copy
import types

import pytest

from distill.vocoders.verdict import (
    GENERATION,
    RESYNTHESIS,
    baseline_distances,
    beats,
    own_vocoder_proven,
    path_verdict,
    read_verdict,
    summarise,
    verdict_summary,
)


def _row(distance: float, visqol: float | None = None) -> dict:
    row = {"multires_stft_distance": distance, "snr_db": -1.0, "level_difference_db": -0.5, "real_time_factor": 9.0}
    return row if visqol is None else {**row, "visqol": visqol}


def _part(own: dict, baseline: dict) -> dict:
    return {
        "beats_baseline": beats(own, baseline),
        "audio_seconds": 8.5,
        "results": {"hifigan": own, "griffinlim": baseline},
        "skipped": {"bigvgan": "not installed"},
    }


def _verdict(generation: dict | None, resynthesis: dict, vae: str | None = "a1b2") -> dict:
    """A version-2 verdict; `generation=None` gives the version-1 layout (one path, no `vae`)."""
    verdict = {
        "version": 2 if generation else 1,
        "vocoder": "hifigan",
        "baseline": "griffinlim",
        "metric": "multires_stft_distance",
        "stft_windows": [128, 256, 512, 1024, 2048],
        "recordings": ["a.wav", "b.wav"],
        "held_out": True,
        **copy.deepcopy(resynthesis),
        "training_steps": 100,
        "device": "cpu",
        "evaluated_at": "2026-12-07T00:00:00+00:00",
    }
    if generation:
        verdict["generation"] = copy.deepcopy(generation)
        verdict["vae"] = vae
    verdict["summary"] = summarise(verdict)
    return verdict


def _model(verdict: dict | None, fingerprint: str | None = "a1b2") -> types.SimpleNamespace:
    return types.SimpleNamespace(
        name="kit",
        vocoder_type="hifigan",
        vocoder_state_dict={"w": 0},
        vocoder_evaluation=verdict,
        vae_fingerprint=fingerprint,
    )


WINS = _part(_row(1.04, 3.2), _row(1.71, 2.6))
LOSES = _part(_row(0.83, 3.7), _row(0.68, 4.5))


def test_auto_obeys_the_generation_verdict_for_generate_and_the_resynthesis_verdict_for_vocode():
    model = _model(_verdict(WINS, LOSES))
    assert own_vocoder_proven(model, GENERATION) and not own_vocoder_proven(model, RESYNTHESIS)
    assert own_vocoder_proven(model)  # generating is the default purpose
    flipped = _model(_verdict(LOSES, WINS))
    assert not own_vocoder_proven(flipped, GENERATION) and own_vocoder_proven(flipped, RESYNTHESIS)
    words = verdict_summary(model)
    assert "On generated sounds its own HiFi-GAN beats Griffin-Lim (distance 1.040 vs 1.710" in words
    assert "ViSQOL 3.20 vs 2.60, higher is better), so `generate` uses it first." in words
    assert "On resynthesised recordings its own HiFi-GAN loses to Griffin-Lim" in words
    assert "so `vocode` ranks it below Griffin-Lim" in words
    assert verdict_summary(model, RESYNTHESIS).startswith("On resynthesised recordings")
    assert baseline_distances(model.vocoder_evaluation, GENERATION) == (1.04, 1.71)
    assert baseline_distances(model.vocoder_evaluation) == (0.83, 0.68)


def test_a_lower_distance_with_a_lower_visqol_does_not_beat_the_baseline_and_says_so():
    assert not beats(_row(1.0, 2.9), _row(1.7, 3.0))
    words = verdict_summary(_model(_verdict(_part(_row(0.74, 4.10), _row(1.04, 4.47)), LOSES)), GENERATION)
    assert words == (
        "On generated sounds its own HiFi-GAN is nearer the recordings than Griffin-Lim but loses: it sounds worse "
        "to ViSQOL, 4.10 vs 4.47 of 5 (distance 0.740 vs 1.040), so `generate` ranks it below Griffin-Lim."
    )
    assert beats(_row(1.0, 3.0), _row(1.7, 3.0))
    assert beats(_row(1.0), _row(1.7, 3.0))  # ViSQOL not measured for one: the distance decides
    assert not beats(_row(1.7, 4.0), _row(1.7, 3.0))


def test_a_near_silent_render_never_beats_the_baseline_however_near_its_distance():
    """Silence is near a quiet recording in distance: a 2-step vocoder at -42 dB won on distance alone."""
    quiet = {**_row(0.9), "level_difference_db": -41.9}
    assert not beats(quiet, _row(1.7)) and beats({**_row(0.9), "level_difference_db": -12.0}, _row(1.7))
    words = verdict_summary(_model(_verdict(_part(quiet, _row(1.7)), LOSES)), GENERATION)
    assert words == (
        "On generated sounds its own HiFi-GAN is nearer the recordings than Griffin-Lim but loses: it renders 42 dB "
        "quieter than the recordings (distance 0.900 vs 1.700), so `generate` ranks it below Griffin-Lim."
    )


def test_the_library_says_why_a_vocoder_nearer_the_recordings_lost():
    pytest.importorskip("gradio")
    from distill.ui.library_tab import against_baseline

    quiet = {**_row(0.9), "level_difference_db": -41.9}
    info = {"vocoder": "hifigan", "vocoder_evaluation": _verdict(_part(quiet, _row(1.7)), LOSES)}
    assert against_baseline(info) == (
        "generated: worse: it renders 42 dB quieter than the recordings (distance 0.90 vs 1.70); "
        "resynthesised: worse (0.83 vs 0.68)"
    )
    info["vocoder_evaluation"] = _verdict(WINS, _part(_row(0.5, 3.0), _row(0.68, 4.5)))
    assert against_baseline(info) == (
        "generated: better (1.04 vs 1.71); "
        "resynthesised: worse: it sounds worse to ViSQOL, 3.00 vs 4.50 of 5 (distance 0.50 vs 0.68)"
    )


def test_a_version_1_verdict_still_reads_and_leaves_the_generation_path_unjudged():
    old = _verdict(None, LOSES | {"beats_baseline": True})
    for key in ("generation", "vae", "perceptual"):
        assert key not in old
    model = _model(old)
    assert read_verdict(model) is old
    assert own_vocoder_proven(model, RESYNTHESIS) and not own_vocoder_proven(model, GENERATION)
    assert path_verdict(old, GENERATION) is None and baseline_distances(old, GENERATION) is None
    assert "On generated sounds its own HiFi-GAN is not judged yet" in verdict_summary(model)
    assert "`distill vocoders evaluate`" in verdict_summary(model, GENERATION)


@pytest.mark.parametrize(
    "damage",
    [
        lambda v: v.pop("generation"),
        lambda v: v.update(generation="garbage"),
        lambda v: v["generation"].pop("results"),
        lambda v: v["generation"]["results"]["hifigan"].update(visqol="high"),
        lambda v: v["generation"].update(beats_baseline="yes"),
        lambda v: v.pop("vae"),
    ],
)
def test_a_damaged_or_missing_generation_part_never_raises_and_proves_nothing_there(damage):
    verdict = _verdict(WINS, WINS)
    damage(verdict)
    model = _model(verdict)
    assert read_verdict(model) is verdict  # the resynthesis part still reads
    assert own_vocoder_proven(model, RESYNTHESIS)
    proven = own_vocoder_proven(model, GENERATION)
    assert proven is (path_verdict(verdict, GENERATION) is not None)
    assert isinstance(verdict_summary(model), str) and isinstance(verdict_summary(model, GENERATION), str)


def test_a_verdict_missing_top_level_keys_is_damaged_not_a_crash():
    verdict = _verdict(WINS, WINS)
    del verdict["results"]
    model = _model(verdict)
    assert read_verdict(model) is None and not own_vocoder_proven(model, GENERATION)
    assert "stored verdict is damaged" in verdict_summary(model)


def test_a_generation_verdict_from_another_vae_is_stale_for_generate_only():
    model = _model(_verdict(WINS, WINS, vae="a1b2"), fingerprint="ffff")  # the VAE was retrained since
    assert not own_vocoder_proven(model, GENERATION) and own_vocoder_proven(model, RESYNTHESIS)
    stale = verdict_summary(model, GENERATION)
    assert "learned another version of this model's VAE (retrained since)" in stale
    assert "`distill train-vocoder --model kit`" in stale
    assert "On resynthesised recordings its own HiFi-GAN beats Griffin-Lim" in verdict_summary(model)
    unknown = _model(copy.deepcopy(model.vocoder_evaluation), fingerprint=None)  # read without its weights
    assert own_vocoder_proven(unknown, GENERATION)


def test_the_verdict_must_be_on_the_vocoder_the_model_carries():
    model = _model(_verdict(WINS, WINS))
    model.vocoder_type = "othervoc"
    assert read_verdict(model) is None and not own_vocoder_proven(model, RESYNTHESIS)
