"""The conformance suite itself: it must catch a plugin that breaks the output contract."""

from __future__ import annotations

SLOPPY = """
import torch

from distill.vocoders import Vocoder, hookimpl, model_spectrogram_config


class Sloppy(Vocoder):
    name = "sloppy"

    def __init__(self, config):
        self.config, self.sample_rate = config, config.sample_rate

    def mel_to_waveform(self, mel, num_samples=None):  # ignores num_samples and the mel: float64 noise
        return 0.5 * torch.randn(mel.shape[0], mel.shape[-1] * self.config.hop_length, dtype=torch.float64)


@hookimpl
def vocoder_priority(model):
    return 10


@hookimpl
def load_vocoder(name, model, device):  # answers for every name, not only its own
    return Sloppy(model_spectrogram_config(model))
"""

SUITE = """
from distill.vocoders.testing import VocoderConformance


class TestSloppyConformance(VocoderConformance):
    vocoder_name = "sloppy"
    long_frames = 200
"""


def test_the_suite_fails_a_sloppy_plugin_on_each_broken_promise(plugin_site, pytester):
    plugin_site.add("distill-vocoder-sloppy", {"sloppy": "sloppy_vocoder"}, {"sloppy_vocoder": SLOPPY})
    pytester.makepyfile(test_sloppy=SUITE)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist", "-q")
    failed = {line.split("::")[-1].split(" ")[0] for line in result.outlines if line.startswith("FAILED")}
    assert failed == {
        "test_hooks_take_only_documented_arguments_and_answer_sensibly",
        "test_output_is_float32_batch_by_samples_at_the_declared_rate_and_length[1]",
        "test_output_is_float32_batch_by_samples_at_the_declared_rate_and_length[2]",
        "test_silence_in_gives_near_silence_out",
        "test_level_follows_the_input",
        "test_same_mel_gives_the_same_audio_whatever_the_global_seed",
        "test_batch_items_do_not_affect_each_other",
        "test_moves_between_devices",
        "test_long_input",
        "test_streamed_pieces_join_into_the_whole_render",  # a fresh random render each call
        "test_a_mel_with_the_wrong_band_count_raises_instead_of_rendering",
    }, "\n".join(result.outlines)
    result.assert_outcomes(passed=5, failed=11)
    assert "load_vocoder must return None for a name that is not the plugin's own" in result.stdout.str()
