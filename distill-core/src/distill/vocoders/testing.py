"""The conformance suite for vocoder plugins: what the host relies on, checked in a few lines.

In a plugin's test file::

    from distill.vocoders.testing import VocoderConformance

    class TestMyVocoderConformance(VocoderConformance):
        vocoder_name = "myvoc"                      # the entry-point name
        distribution = "distill-vocoder-myvoc"      # optional: who must provide it

pytest collects the inherited checks from the subclass. Each runs with a private
`DISTILL_HOME` and `HF_HUB_OFFLINE=1`, against the plugin as installed (found through its
entry point and called exactly as the host finds and calls it, `distill.vocoders.plugins`),
and holds its renders to the host's output contract (`distill.vocoders.output`). The suite
imports nothing of the host: a plugin's tests need only the public API.

Override the `conformance_model` fixture to hand the plugin a model (for a smaller, faster
mel config, or weights it needs), and place any test weights under `vocoders_dir()` from
it; `model_for` builds such a model.

Inputs are tiny (a 0.3 s test signal; `long_frames` for the long-input check), so the
suite takes seconds for a fast vocoder. Vocoders tested with random weights set
`trained_weights = False`: silence in -> silence out and the output level are properties
of trained weights, and those two checks are then skipped with that reason.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from distill.audio.spectrogram import SpectrogramConfig, waveform_to_mel
from distill.models.format import DistillModel
from distill.vocoders import hookspecs
from distill.vocoders.output import conform, declared_rate
from distill.vocoders.plugins import PluginHooks, build_vocoder, claims, origin
from distill.vocoders.types import Vocoder, VocoderAssets, model_spectrogram_config

PEAK_BOUND = 4.0  # +12 dBFS: louder than this is garbage, whatever the weights
SILENCE_PEAK = 1e-3  # -60 dBFS
LEVEL_TOLERANCE_DB = 6.0
CPU = torch.device("cpu")


def model_for(spectrogram: SpectrogramConfig | None = None, **fields: Any) -> DistillModel:
    """A `DistillModel` with no VAE, for handing a plugin a mel config and/or vocoder fields.

    `fields` are `DistillModel` attributes such as `vocoder_type`, `vocoder_config`,
    `vocoder_state_dict`, `name`.
    """
    return DistillModel(
        name=fields.pop("name", "conformance"),
        vae_config={},
        vae_state_dict={},
        spectrogram=spectrogram or SpectrogramConfig(),
        **fields,
    )


def probe_signal(config: SpectrogramConfig, seconds: float = 0.3) -> torch.Tensor:
    """`[1, samples]`: a decaying harmonic tone plus a noise burst, peak about 0.5."""
    rate = config.sample_rate
    t = torch.arange(round(seconds * rate), dtype=torch.float64) / rate
    tone = sum(0.25 / k * torch.sin(2 * math.pi * 220 * k * t) for k in (1, 2, 3)) * torch.exp(-4 * t)
    noise = torch.randn(t.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    burst = 0.2 * noise * torch.exp(-((t - seconds / 2) ** 2) / (2 * 0.01**2))
    return (tone + burst).float()[None]


def long_signal(config: SpectrogramConfig, frames: int) -> torch.Tensor:
    """`[1, samples]` for `frames` frames: a slow chirp under a tremolo, never silent."""
    rate = config.sample_rate
    t = torch.arange((frames - 1) * config.hop_length, dtype=torch.float64) / rate
    chirp = torch.sin(2 * math.pi * (150 + 20 * t) * t) * (0.6 + 0.4 * torch.sin(2 * math.pi * 0.7 * t))
    return (0.3 * chirp).float()[None]


def _db(ratio: float) -> float:
    return 20 * math.log10(max(ratio, 1e-12))


def _rms(wav: torch.Tensor) -> float:
    return wav.double().pow(2).mean().sqrt().item()


class VocoderConformance:
    """Subclass as `Test...` and set `vocoder_name`; every method below becomes a check."""

    vocoder_name: str = ""
    distribution: str | None = None
    trained_weights: bool = True
    long_frames: int = 2400  # about 25 s at the default hop: past most chunk sizes

    @pytest.fixture(autouse=True)
    def conformance_home(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
        """A private data dir and no route to a model hub."""
        if not self.vocoder_name:
            pytest.fail(f"{type(self).__name__} must set vocoder_name to the plugin's entry-point name")
        home = tmp_path / "distill-home"
        monkeypatch.setenv("DISTILL_HOME", str(home))
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        yield home

    @pytest.fixture
    def conformance_plugin(self) -> PluginHooks:
        """The plugin under test, found through its entry point and registered as the host registers it."""
        rivals = claims().get(self.vocoder_name)
        assert rivals, f"no entry point '{self.vocoder_name}' in the distill.vocoders group"
        try:
            plugin = rivals[0].load()
        except Exception as exc:
            pytest.fail(f"'{self.vocoder_name}' is broken at import: {type(exc).__name__}: {exc}")
        hooks = PluginHooks()
        try:
            hooks.register(plugin, self.vocoder_name)
        except Exception as exc:
            pytest.fail(f"'{self.vocoder_name}' is broken at register: {type(exc).__name__}: {exc}")
        return hooks

    @pytest.fixture
    def conformance_model(self) -> object | None:
        """The model the plugin is asked to serve; None (the default mel config) unless overridden."""
        return None

    @pytest.fixture
    def conformance_config(self, conformance_model: object | None) -> SpectrogramConfig:
        return model_spectrogram_config(conformance_model)

    @pytest.fixture
    def conformance_vocoder(self, conformance_plugin: PluginHooks, conformance_model: object | None) -> Vocoder:
        """The plugin's own vocoder, loaded through its hook the way the host loads it."""
        return build_vocoder(conformance_plugin, self.vocoder_name, conformance_model, CPU)

    def _render(self, vocoder: Vocoder, mel: torch.Tensor, num_samples: int | None = None) -> torch.Tensor:
        with torch.inference_mode():
            return vocoder.mel_to_waveform(mel, num_samples=num_samples)

    def _mel(self, config: SpectrogramConfig) -> tuple[torch.Tensor, torch.Tensor]:
        wav = probe_signal(config)
        return wav, waveform_to_mel(wav, config)

    # --- found, loadable, callable -------------------------------------------------------

    def test_entry_point_is_installed_and_loads(self, conformance_plugin):
        distribution = origin(claims()[self.vocoder_name][0])[0]
        if self.distribution is not None:
            assert distribution == self.distribution, f"'{self.vocoder_name}' comes from {distribution}"

    def test_hooks_take_only_documented_arguments_and_answer_sensibly(self, conformance_plugin, conformance_model):
        hooks, name = conformance_plugin, self.vocoder_name
        for hook in ("vocoder_priority", "load_vocoder", "train_vocoder", "vocoder_assets", "fetch_vocoder_assets"):
            spec = set(inspect.signature(getattr(hookspecs, hook)).parameters)
            taken = hooks.arguments(name, hook)
            assert taken is None or set(taken) <= spec, f"{hook} takes {taken}; allowed: {sorted(spec)}"
        for model in (None, conformance_model):
            priority = hooks.call(name, "vocoder_priority", model=model)
            assert priority is None or (isinstance(priority, int) and not isinstance(priority, bool)), priority
        foreign = hooks.call(name, "load_vocoder", name="not-" + name, model=None)
        assert foreign is None, "load_vocoder must return None for a name that is not the plugin's own"
        if hooks.implementation(name, "train_vocoder") is not None:
            assert hooks.call(name, "train_vocoder", name="not-" + name) is None
        for hook in ("vocoder_assets", "fetch_vocoder_assets"):
            if hooks.implementation(name, hook) is not None:
                assert hooks.call(name, hook, name="not-" + name) is None, f"{hook} must return None for another name"
        if hooks.implementation(name, "vocoder_assets") is not None:
            assets = hooks.call(name, "vocoder_assets", name=name)
            assert assets is None or isinstance(assets, VocoderAssets), f"vocoder_assets returned {assets!r}"

    # --- the output contract ---------------------------------------------------------------

    @pytest.mark.parametrize("batch", [1, 2])
    def test_output_is_float32_batch_by_samples_at_the_declared_rate_and_length(
        self, batch, conformance_vocoder, conformance_config
    ):
        config = conformance_config
        _, mel = self._mel(config)
        mel = mel.repeat(batch, 1, 1)
        rate = declared_rate(conformance_vocoder)
        for asked in (None, (mel.shape[-1] - 1) * config.hop_length - 7):
            wav = self._render(conformance_vocoder, mel, asked)
            assert isinstance(wav, torch.Tensor), f"returned a {type(wav).__name__}, not a torch.Tensor"
            assert wav.dtype == torch.float32, f"returned {wav.dtype}, not float32"
            expected = asked if asked is not None else mel.shape[-1] * config.hop_length
            expected = round(expected * rate / config.sample_rate)
            assert tuple(wav.shape) == (batch, expected), f"shape {tuple(wav.shape)} for num_samples={asked}"

    def test_output_is_finite_and_bounded(self, conformance_vocoder, conformance_config):
        _, mel = self._mel(conformance_config)
        wav = self._render(conformance_vocoder, mel)
        assert torch.isfinite(wav).all(), "NaN or infinite samples"
        assert wav.abs().max() <= PEAK_BOUND, f"peak {wav.abs().max():.3g} is over +12 dBFS"

    def test_silence_in_gives_near_silence_out(self, conformance_vocoder, conformance_config):
        if not self.trained_weights:
            pytest.skip("trained_weights = False: with random weights, silence out is not expected")
        wav = self._render(conformance_vocoder, torch.zeros(1, conformance_config.n_mels, 40))
        assert wav.abs().max() <= SILENCE_PEAK, f"peak {_db(wav.abs().max().item()):.1f} dBFS for a silent mel"

    def test_level_follows_the_input(self, conformance_vocoder, conformance_config):
        if not self.trained_weights:
            pytest.skip("trained_weights = False: with random weights, the output level means nothing")
        source, mel = self._mel(conformance_config)
        wav = self._render(conformance_vocoder, mel, source.shape[-1])
        difference = _db(_rms(wav) / _rms(source))
        assert abs(difference) <= LEVEL_TOLERANCE_DB, f"output is {difference:+.1f} dB from the input's level"

    def test_same_mel_gives_the_same_audio_whatever_the_global_seed(
        self, conformance_plugin, conformance_model, conformance_config
    ):
        _, mel = self._mel(conformance_config)
        renders = []
        for seed in (1, 2):
            torch.manual_seed(seed)
            vocoder = build_vocoder(conformance_plugin, self.vocoder_name, conformance_model, CPU)
            renders += [self._render(vocoder, mel), self._render(vocoder, mel)]
        assert all(torch.equal(renders[0], other) for other in renders[1:]), "not deterministic; seed your own RNG"

    def test_batch_items_do_not_affect_each_other(self, conformance_vocoder, conformance_config):
        _, mel = self._mel(conformance_config)
        other = waveform_to_mel(long_signal(conformance_config, mel.shape[-1] + 1), conformance_config)
        alone = self._render(conformance_vocoder, mel)
        together = self._render(conformance_vocoder, torch.cat([mel, other[..., : mel.shape[-1]]]))
        scale = alone.abs().max().item() + 1e-6
        assert (together[:1] - alone).abs().max() <= 1e-3 * scale, "batch item 0 changed when item 1 was added"

    def test_moves_between_devices(self, conformance_vocoder, conformance_config):
        _, mel = self._mel(conformance_config)
        reference = self._render(conformance_vocoder, mel)
        devices = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]
        for device in [*devices, "cpu"]:
            moved = conformance_vocoder.to(device)
            assert callable(getattr(moved, "mel_to_waveform", None)), "to() must return the vocoder"
            wav = self._render(moved, mel).cpu()  # the mel stays on the CPU: the vocoder moves it
            scale = reference.abs().max().item() + 1e-6
            assert (wav - reference).abs().max() <= 1e-2 * scale, f"on {device} the output differs"

    def test_long_input(self, conformance_vocoder, conformance_config):
        config = conformance_config
        source = long_signal(config, self.long_frames)
        mel = waveform_to_mel(source, config)
        wav = self._render(conformance_vocoder, mel, source.shape[-1])
        rate = declared_rate(conformance_vocoder)
        assert wav.shape == (1, round(source.shape[-1] * rate / config.sample_rate))
        assert torch.isfinite(wav).all()
        tenths = wav[0, : wav.shape[-1] // 10 * 10].reshape(10, -1)
        quiet = [k for k, part in enumerate(tenths) if _rms(part) == 0.0]
        assert not quiet, f"tenths {quiet} of a sounding {self.long_frames}-frame input came out digitally silent"

    def test_streamed_pieces_join_into_the_whole_render(self, conformance_vocoder, conformance_config):
        """`distill generate` writes what `stream_waveform` yields as it comes: it must be the same audio."""
        config = conformance_config
        source = long_signal(config, self.long_frames)
        mel = waveform_to_mel(source, config)
        with torch.inference_mode():
            whole = conformance_vocoder.mel_to_waveform(mel, num_samples=source.shape[-1])
            pieces = list(conformance_vocoder.stream_waveform(mel, num_samples=source.shape[-1]))
        for piece in pieces:
            assert isinstance(piece, torch.Tensor) and piece.dim() == 2 and piece.shape[0] == 1, "pieces are [B, n]"
        joined = torch.cat(pieces, dim=-1)
        assert joined.shape == whole.shape, (
            f"pieces join to {tuple(joined.shape)}, the whole render is {tuple(whole.shape)}"
        )
        scale = whole.abs().max().item() + 1e-6
        assert (joined - whole).abs().max() <= 1e-5 * scale, "the streamed pieces differ from mel_to_waveform"

    @pytest.mark.parametrize("frames", [1, 3])
    def test_a_mel_of_a_few_frames_renders(self, frames, conformance_vocoder, conformance_config):
        """A one-shot that falls silent at once is this short (`pad_short_mel` helps an inverse STFT)."""
        _, mel = self._mel(conformance_config)
        wav = self._render(conformance_vocoder, mel[..., :frames])
        rate = declared_rate(conformance_vocoder)
        expected = round(frames * conformance_config.hop_length * rate / conformance_config.sample_rate)
        assert tuple(wav.shape) == (1, expected), f"shape {tuple(wav.shape)} for a {frames}-frame mel"
        assert torch.isfinite(wav).all(), "NaN or infinite samples"

    # --- errors ---------------------------------------------------------------------------

    def test_a_mel_with_the_wrong_band_count_raises_instead_of_rendering(self, conformance_vocoder, conformance_config):
        bad = torch.rand(1, conformance_config.n_mels + 3, 12)
        with pytest.raises(Exception) as caught:
            self._render(conformance_vocoder, bad)
        assert str(caught.value).strip(), f"{type(caught.value).__name__} without a message"

    def test_output_passes_the_hosts_output_contract_as_it_is(self, conformance_vocoder, conformance_config):
        """What the host does to every render before it is written (`distill.vocoders.output.conform`)."""
        _, mel = self._mel(conformance_config)
        raw = self._render(conformance_vocoder, mel)
        wanted = mel.shape[-1] * conformance_config.hop_length
        wav = conform(raw, 1, declared_rate(conformance_vocoder), conformance_config, wanted)  # raises on garbage
        assert wav.shape == (1, wanted)
