"""The public API for vocoder plugins: everything a plugin may import lives here.

A plugin implements the hooks in `distill.vocoders.hookspecs` with `@hookimpl` and is
found through the `distill.vocoders` entry-point group. This package imports nothing above
it (no host code, no model internals), so a plugin that imports it loads only the mel,
audio and type helpers it re-exports. Its submodules: `types`, `streaming` (long renders
in bounded memory), `output` (the output contract), `verdict` (the held-out verdict),
`plugins` (finding plugins and calling hooks) and `testing` (the conformance suite).
"""

import warnings

from distill.audio.io import write_audio
from distill.audio.metrics import STFT_WINDOWS, multires_stft_distance, multires_stft_log_distance
from distill.audio.resampling import resample, resampled
from distill.audio.spectrogram import (
    SpectrogramConfig,
    mel_filterbank,
    mel_to_linear_power,
    mel_to_power,
    waveform_to_mel,
)
from distill.errors import DistillError
from distill.fileio import atomic_path
from distill.paths import vocoders_dir
from distill.progress import Cancelled, Progress, ProgressCallback, ShouldStop, TrainingCancelled, size_text
from distill.vocoders.hookspecs import hookimpl, hookspec
from distill.vocoders.streaming import Chunk, context_chunks, stream_with_context, vocode_with_context
from distill.vocoders.types import (
    GeneratorVocoder,
    Judge,
    MelRendering,
    TrainingAudio,
    Vocoder,
    VocoderAssets,
    VocoderState,
    VocoderUnavailable,
    fit_length,
    fit_pieces,
    model_spectrogram_config,
    pad_short_mel,
)
from distill.vocoders.verdict import own_vocoder_proven

__all__ = [
    "STFT_WINDOWS",
    "Cancelled",
    "Chunk",
    "DistillError",
    "GeneratorVocoder",
    "Judge",
    "MelRendering",
    "Progress",
    "ProgressCallback",
    "ShouldStop",
    "SpectrogramConfig",
    "TrainingAudio",
    "TrainingCancelled",
    "Vocoder",
    "VocoderAssets",
    "VocoderState",
    "VocoderUnavailable",
    "atomic_path",
    "context_chunks",
    "fit_length",
    "fit_pieces",
    "hookimpl",
    "hookspec",
    "mel_filterbank",
    "mel_to_linear_power",
    "mel_to_power",
    "model_spectrogram_config",
    "multires_stft_distance",
    "multires_stft_log_distance",
    "own_vocoder_proven",
    "pad_short_mel",
    "resample",
    "resampled",
    "size_text",
    "stream_with_context",
    "vocode_with_context",
    "vocoders_dir",
    "waveform_to_mel",
    "write_audio",
]

# Host names this package exported up to 0.2, where they live now. They still resolve, with
# a DeprecationWarning, for one release; plugins never needed them.
MOVED = {
    "AUTO": "distill.host.selector",
    "ENTRY_POINT_GROUP": "distill.vocoders.plugins",
    "PluginRecord": "distill.host.registry",
    "VocoderRegistry": "distill.host.registry",
    "get_registry": "distill.host.registry",
    "rank_vocoders": "distill.host.selector",
    "select_vocoder": "distill.host.selector",
}


def __getattr__(name: str) -> object:
    """The deprecated names in `MOVED`, imported from their new home on first use."""
    if name not in MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"distill.vocoders.{name} is deprecated and will be removed in the next release; import it from {MOVED[name]}.",
        DeprecationWarning,
        stacklevel=2,
    )
    # A deprecation shim, and the one import of host code by this layer: inside this function so
    # that it runs only for a caller still asking for an old name, never when a plugin imports
    # this package (tests/test_architecture.py allows exactly this, until the names go).
    from distill.host import registry, selector
    from distill.vocoders import plugins

    homes = {"distill.host.registry": registry, "distill.host.selector": selector, "distill.vocoders.plugins": plugins}
    return getattr(homes[MOVED[name]], name)
