"""What a loaded `.distill` payload must look like before anything uses it.

`torch.load(weights_only=True)` guarantees no code runs, not that the contents make sense:
a damaged or crafted file can hold a name that climbs out of the data folder, a hop of 0,
weights that do not fit the architecture, or NaN. Every such file is refused here with one
sentence, so no consumer (list, info, generate, presets, vocoder training) meets it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from distill.archives import tensors_in
from distill.audio.spectrogram import SpectrogramConfig
from distill.controls.analysis import LatentAnalysis
from distill.data.segmenting import MODES
from distill.documents import NotPlain, plain_problem
from distill.errors import DistillError
from distill.models.vae import VAE, VAEConfig
from distill.names import is_safe_name, shown

MAX_SAMPLE_RATE = 768_000
MAX_N_FFT = 65_536
MAX_N_MELS = 1024
MAX_FRAMES = 8192
MAX_LATENT = 4096
MAX_CHANNELS = 4096
MAX_VAE_WEIGHTS = 1 << 27  # numbers in the VAE an architecture may imply: far beyond any preset's
MAX_VOCODER_WEIGHTS = 1 << 27  # numbers in a model's own vocoder (HiFi-GAN V1 has 14 million)
MAX_NUMBERS = 1 << 28  # numbers in all of a file's tensors together (1 GiB of float32)
SETTINGS = ("latent_analysis", "training_config", "metadata", "vocoder_config", "vocoder_evaluation")


class PayloadProblem(ValueError):
    """One thing wrong with a payload, in a few words."""


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise PayloadProblem(problem)


def _is_int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_positive(value: object) -> bool:
    return _is_number(value) and value > 0


def _optional_dict(payload: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = payload.get(key)
    _require(value is None or isinstance(value, dict), f"its {key.replace('_', ' ')} is not a table of values")
    return value or {}


def version_problem(version: object) -> str | None:
    """Why `version` cannot be a format version at all (missing, text, 0, negative, a bool), or None."""
    if not _is_int(version, 1, 2**31):
        return f"its format version {shown(version)} is not a whole number of at least 1"
    return None


def _check_identity(payload: Mapping[str, Any]) -> None:
    for key in ("name", "id"):
        _require(is_safe_name(payload.get(key)), f"its stored {key} {shown(payload.get(key))} is not a safe file name")


def _check_spectrogram(data: object) -> SpectrogramConfig:
    _require(isinstance(data, dict), "it has no spectrogram settings")
    try:
        config = SpectrogramConfig.from_dict(data)
    except TypeError as exc:
        raise PayloadProblem("its spectrogram settings are incomplete") from exc
    _require(
        _is_int(config.sample_rate, 1000, MAX_SAMPLE_RATE), f"its sample rate {shown(config.sample_rate)} is not usable"
    )
    _require(_is_int(config.n_fft, 16, MAX_N_FFT), f"its FFT size {shown(config.n_fft)} is not usable")
    _require(_is_int(config.hop_length, 1, config.n_fft), f"its hop length {shown(config.hop_length)} is not usable")
    _require(_is_int(config.n_mels, 1, MAX_N_MELS), f"its mel band count {shown(config.n_mels)} is not usable")
    _require(
        _is_number(config.f_min) and config.f_min >= 0, f"its lowest frequency {shown(config.f_min)} is not usable"
    )
    _require(
        config.f_max is None or (_is_number(config.f_max) and config.f_min < config.f_max <= config.sample_rate / 2),
        f"its highest frequency {shown(config.f_max)} is not usable",
    )
    return config


def _check_vae(config_data: object, state: object, spectrogram: SpectrogramConfig) -> VAEConfig:
    _require(isinstance(config_data, dict), "it has no VAE architecture")
    _require(
        _is_int(config_data.get("n_mels"), 1, MAX_N_MELS)
        and _is_int(config_data.get("segment_frames"), 1, MAX_FRAMES)
        and _is_int(config_data.get("latent_dim"), 1, MAX_LATENT)
        and isinstance(config_data.get("channels"), list | tuple)
        and 1 <= len(config_data["channels"]) <= 8
        and all(_is_int(c, 1, MAX_CHANNELS) for c in config_data["channels"])
        and (config_data.get("level_floor") is None or _is_positive(config_data["level_floor"])),
        "its VAE architecture is not valid",
    )
    try:
        config = VAEConfig.from_dict(config_data)
    except (TypeError, ValueError) as exc:
        raise PayloadProblem(f"its VAE architecture is not valid ({exc})") from exc
    _require(config.n_mels == spectrogram.n_mels, "its VAE and spectrogram disagree on the number of mel bands")
    _require(
        isinstance(state, dict) and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()),
        "it has no VAE weights",
    )
    with torch.device("meta"):
        expected = VAE(config).state_dict()
    _require(
        sum(t.numel() for t in expected.values()) <= MAX_VAE_WEIGHTS,
        "its VAE architecture is far larger than any Distill trains",
    )
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise PayloadProblem(f"its VAE weights do not fit its architecture ({(missing or unexpected)[0]})")
    for key, tensor in expected.items():
        if state[key].shape != tensor.shape or not state[key].is_floating_point():
            raise PayloadProblem(f"its VAE weight {key} has shape {list(state[key].shape)}, not {list(tensor.shape)}")
    return config


def _check_finite(state: Mapping[str, torch.Tensor], what: str) -> None:
    for key, tensor in state.items():
        if tensor.is_floating_point() or tensor.is_complex():
            _require(bool(torch.isfinite(tensor).all()), f"its {what} weight {key} contains NaN or infinite values")


def _numbers(values: object, length: int | None = None, positive: bool = False) -> bool:
    return (
        isinstance(values, list)
        and (length is None or len(values) == length)
        and all(_is_number(v) and (v > 0 or not positive) for v in values)
    )


def _check_latent_analysis(data: object, latent_dim: int) -> None:
    if data is None:
        return
    problem = "its slider analysis is damaged"
    _require(isinstance(data, dict), problem)
    try:
        analysis = LatentAnalysis.from_dict(data)
    except (TypeError, KeyError, ValueError) as exc:
        raise PayloadProblem(problem) from exc
    count = len(analysis.sliders) if isinstance(analysis.sliders, list) else -1
    _require(0 <= count <= latent_dim, problem)
    _require(_numbers(analysis.mean, latent_dim), problem)
    _require(isinstance(analysis.components, list) and len(analysis.components) == count, problem)
    _require(all(_numbers(c, latent_dim) for c in analysis.components), problem)
    _require(_numbers(analysis.scales, count, positive=True), problem)
    _require(not analysis.spread or _numbers(analysis.spread, latent_dim, positive=True), problem)
    _check_successors(analysis)
    _check_anchor_levels(analysis)
    for position, s in enumerate(analysis.sliders):
        _require(
            _is_int(s.index, position, position)
            and isinstance(s.name, str)
            and 0 < len(s.name) <= 64
            and s.name.isprintable()
            and all(_is_number(v) for v in (s.minimum, s.maximum, s.default, s.explained_variance))
            and s.minimum <= s.default <= s.maximum,
            problem,
        )


def _check_successors(analysis: LatentAnalysis) -> None:
    """A texture model's path through its anchors: one index per anchor, each an anchor or -1."""
    if analysis.successors is None:
        return
    problem = "its texture path is damaged"
    anchors, successors = analysis.anchors, analysis.successors
    _require(isinstance(anchors, torch.Tensor) and isinstance(successors, torch.Tensor), problem)
    _require(successors.dtype == torch.long and successors.shape == anchors.shape[:1], problem)
    _require(bool(((successors >= -1) & (successors < anchors.shape[0])).all()), problem)


def _check_anchor_levels(analysis: LatentAnalysis) -> None:
    """A texture model's level of each anchor: one finite float per anchor."""
    levels = analysis.anchor_levels
    if levels is None:
        return
    problem = "its texture path is damaged"
    _require(isinstance(levels, torch.Tensor) and isinstance(analysis.anchors, torch.Tensor), problem)
    _require(levels.is_floating_point() and levels.shape == analysis.anchors.shape[:1], problem)
    _require(bool(torch.isfinite(levels).all()), problem)


RESEMBLANCE_FIGURES = ("coverage", "density", "mmd_ratio", "spread", "collection_coverage", "collection_mmd_ratio")


def _check_resemblance(record: object) -> None:
    """How the model's generated sounds resemble its collection, as `inference.assessment` stores it."""
    if record is None:
        return
    _require(
        isinstance(record, dict)
        and all(_is_number(record.get(k)) for k in RESEMBLANCE_FIGURES)
        and _is_int(record.get("sounds"), 1, 10_000)
        and isinstance(record.get("vocoder"), str),
        "its resemblance figures are damaged",
    )


def _check_metadata(payload: Mapping[str, Any]) -> None:
    metadata = _optional_dict(payload, "metadata")
    for key in ("created", "updated"):
        _require(metadata.get(key) is None or isinstance(metadata[key], str), f"its {key} date is not text")
    dataset = metadata.get("dataset")
    _require(dataset is None or isinstance(dataset, dict), "its dataset summary is damaged")
    dataset = dataset or {}
    _require(
        (dataset.get("root") is None or isinstance(dataset["root"], str))
        and (
            dataset.get("files") is None
            or (isinstance(dataset["files"], list) and all(isinstance(f, str) for f in dataset["files"]))
        )
        and (dataset.get("num_files") is None or _is_int(dataset["num_files"], 0, 2**31)),
        "its dataset summary is damaged",
    )
    _check_layout(metadata.get("layout"))
    _check_diagnostics(metadata.get("diagnostics"))
    _check_resemblance(metadata.get("resemblance"))


def _check_layout(layout: object) -> None:
    """How the collection was cut (one-shot or texture), as `data.segmenting.Layout` stores it."""
    _require(
        layout is None
        or (
            isinstance(layout, dict)
            and layout.get("mode") in MODES
            and _is_int(layout.get("segment_frames"), 1, MAX_FRAMES)
            and _is_number(layout.get("median_seconds"))
        ),
        "its collection layout is damaged",
    )


DIAGNOSTIC_FIGURES = ("recon", "mean_baseline", "silence_baseline")


def _check_diagnostics(health: object) -> None:
    """The health figures `models.diagnostics` stores: counts, a verdict, and (when measured) errors."""
    if health is None:
        return
    problem = "its health figures are damaged"
    _require(isinstance(health, dict), problem)
    _require(
        _is_int(health.get("active_units"), 0, MAX_LATENT)
        and _is_int(health.get("latent_dim"), 1, MAX_LATENT)
        and isinstance(health.get("collapsed"), bool),
        problem,
    )
    if "recon" in health:
        _require(
            set(health) == {"active_units", "latent_dim", "collapsed", "held_out", *DIAGNOSTIC_FIGURES}
            and isinstance(health["held_out"], bool)
            and all(_is_number(health[k]) for k in DIAGNOSTIC_FIGURES),
            problem,
        )


def _check_vocoder(payload: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    kind, state = payload.get("vocoder_type"), payload.get("vocoder_state_dict")
    _require(kind is None or is_safe_name(kind), f"its vocoder name {shown(kind)} is not valid")
    _optional_dict(payload, "vocoder_config")
    if state is None:
        return {}
    _require(
        kind is not None
        and isinstance(state, dict)
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()),
        "its own vocoder's weights are damaged",
    )
    count = sum(t.numel() for t in state.values())
    _require(count <= MAX_VOCODER_WEIGHTS, f"its own vocoder declares {count:,} weights, far more than any vocoder")
    return state


def _check_settings(payload: Mapping[str, Any]) -> None:
    """Settings and records are plain values (tensors only in the latent analysis), of bounded size."""
    for key in SETTINGS:
        problem = plain_problem(payload.get(key), (torch.Tensor,) if key == "latent_analysis" else ())
        _require(problem is None, f"its {key.replace('_', ' ')} is damaged ({problem})")
    count = sum(t.numel() for t in tensors_in(dict(payload)))
    _require(count <= MAX_NUMBERS, f"its tensors declare {count:,} numbers, far more than any model holds")


def payload_problem(payload: Mapping[str, Any], values: bool = True) -> str | None:
    """What is wrong with a loaded payload (format tag and version already checked), or None.

    Sizes, shapes and settings are checked before any weight is read; `values=False` (a
    listing) stops there, otherwise every weight is checked for NaN too.
    """
    try:
        _check_identity(payload)
        _check_settings(payload)
        spectrogram = _check_spectrogram(payload.get("spectrogram_config"))
        vae = _check_vae(payload.get("vae_config"), payload.get("vae_state_dict"), spectrogram)
        _check_latent_analysis(payload.get("latent_analysis"), vae.latent_dim)
        _optional_dict(payload, "training_config")
        _check_metadata(payload)
        vocoder = _check_vocoder(payload)
        if values:
            _check_finite(payload["vae_state_dict"], "VAE")
            _check_finite(vocoder, "vocoder")
    except (PayloadProblem, NotPlain) as exc:
        return str(exc)
    return None


def validate_payload(payload: Mapping[str, Any], source: object, values: bool = True) -> None:
    """Raise one sentence naming `source` if the payload is not a usable model (see `payload_problem`)."""
    problem = payload_problem(payload, values)
    if problem is not None:
        raise DistillError(f"{source} cannot be used: {problem} (the file is damaged or was altered).")
