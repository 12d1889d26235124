"""The public API for vocoder plugins: everything a plugin may import lives here.

A plugin implements the hooks in `distill.vocoders.hookspecs` with `@hookimpl` and is
found through the `distill.vocoders` entry-point group.
"""

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
from distill.vocoders.chunked import Chunk, context_chunks, stream_with_context, vocode_with_context
from distill.vocoders.evaluation import own_vocoder_proven
from distill.vocoders.hookspecs import hookimpl, hookspec
from distill.vocoders.registry import ENTRY_POINT_GROUP, PluginRecord, VocoderRegistry, get_registry
from distill.vocoders.selector import AUTO, rank_vocoders, select_vocoder
from distill.vocoders.types import (
    GeneratorVocoder,
    Progress,
    ProgressCallback,
    ShouldStop,
    TrainingAudio,
    TrainingCancelled,
    Vocoder,
    VocoderState,
    VocoderUnavailable,
    fit_length,
    fit_pieces,
    model_spectrogram_config,
    pad_short_mel,
)

__all__ = [
    "AUTO",
    "ENTRY_POINT_GROUP",
    "STFT_WINDOWS",
    "Chunk",
    "DistillError",
    "GeneratorVocoder",
    "PluginRecord",
    "Progress",
    "ProgressCallback",
    "ShouldStop",
    "SpectrogramConfig",
    "TrainingAudio",
    "TrainingCancelled",
    "Vocoder",
    "VocoderRegistry",
    "VocoderState",
    "VocoderUnavailable",
    "atomic_path",
    "context_chunks",
    "fit_length",
    "fit_pieces",
    "get_registry",
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
    "rank_vocoders",
    "resample",
    "resampled",
    "select_vocoder",
    "stream_with_context",
    "vocode_with_context",
    "vocoders_dir",
    "waveform_to_mel",
    "write_audio",
]
