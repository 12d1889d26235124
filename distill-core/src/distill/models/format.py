"""The `.distill` model file, format v2 (docs/architecture.md, *The model file*).

One `torch.save` archive holding only tensors and plain containers, read back with
`weights_only=True`, so loading a file never runs code from it. Written atomically.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from distill.archives import in_memory, load_archive, map_tensors, shape_only
from distill.audio.spectrogram import SpectrogramConfig
from distill.errors import DistillError
from distill.fileio import FileIdentity, atomic_path, file_identity
from distill.models.schema import payload_problem, validate_payload, version_problem
from distill.names import check_name

FORMAT_TAG = "distill-model"
FORMAT_VERSION = 2
SUFFIX = ".distill"


def new_id() -> str:
    """A fresh model id: twelve hex digits."""
    return uuid.uuid4().hex[:12]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def weights_fingerprint(state_dict: dict[str, torch.Tensor]) -> str | None:
    """Sixteen hex digits of SHA-256 over every weight's name, shape, type and bytes, in name order.

    Ties what was learned from a VAE (a per-model vocoder, its generation verdict) to that
    VAE: retrained weights give another fingerprint. None for weights read without their
    numbers (a header read: PyTorch's meta device).
    """
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name]
        if tensor.device.type == "meta":
            return None
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype};".encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()[:16]


@dataclass
class DistillModel:
    """A trained instrument: VAE, sliders, mel config and, optionally, its own vocoder."""

    name: str
    vae_config: dict[str, Any]
    vae_state_dict: dict[str, torch.Tensor]
    spectrogram: SpectrogramConfig = field(default_factory=SpectrogramConfig)
    latent_analysis: dict[str, Any] | None = None
    training_config: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    vocoder_type: str | None = None
    vocoder_config: dict[str, Any] | None = None
    vocoder_state_dict: dict[str, torch.Tensor] | None = None
    vocoder_evaluation: dict[str, Any] | None = None  # held-out verdict (distill.vocoders.verdict)
    id: str = field(default_factory=new_id)
    path: Path | None = None  # where it was loaded from or saved to; not stored
    identity: FileIdentity | None = field(default=None, repr=False, compare=False)  # of `path` as read; not stored
    _fingerprint: tuple[int, str | None] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def vae_fingerprint(self) -> str | None:
        """`weights_fingerprint` of the VAE, computed once per set of weights (None for a header read)."""
        if self._fingerprint is None or self._fingerprint[0] != id(self.vae_state_dict):
            self._fingerprint = (id(self.vae_state_dict), weights_fingerprint(self.vae_state_dict))
        return self._fingerprint[1]

    def to_payload(self) -> dict[str, Any]:
        metadata = {"created": now_iso(), **self.metadata, "updated": now_iso()}
        return {
            "format": FORMAT_TAG,
            "version": FORMAT_VERSION,
            "name": self.name,
            "id": self.id,
            "vae_config": self.vae_config,
            "vae_state_dict": self.vae_state_dict,
            "spectrogram_config": self.spectrogram.to_dict(),
            "latent_analysis": self.latent_analysis,
            "training_config": self.training_config,
            "metadata": metadata,
            "vocoder_type": self.vocoder_type,
            "vocoder_config": self.vocoder_config,
            "vocoder_state_dict": self.vocoder_state_dict,
            "vocoder_evaluation": self.vocoder_evaluation,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any], path: Path | None = None) -> DistillModel:
        return cls(
            name=payload["name"],
            id=payload["id"],
            vae_config=payload["vae_config"],
            vae_state_dict=payload["vae_state_dict"],
            spectrogram=SpectrogramConfig.from_dict(payload["spectrogram_config"]),
            latent_analysis=payload.get("latent_analysis"),
            training_config=payload.get("training_config") or {},
            metadata=payload.get("metadata") or {},
            vocoder_type=payload.get("vocoder_type"),
            vocoder_config=payload.get("vocoder_config"),
            vocoder_state_dict=payload.get("vocoder_state_dict"),
            vocoder_evaluation=payload.get("vocoder_evaluation"),
            path=path,
        )


def save_model(model: DistillModel, path: Path) -> Path:
    """Write `model` to `path` atomically: a failure leaves any previous file intact.

    The payload passes the same checks as a loaded one first: Distill never writes a
    model file (NaN weights, an unsafe name) that it would refuse to read.
    """
    path = Path(path)
    check_name(model.name, "Model name")
    check_name(model.id, "Model id")
    payload = model.to_payload()
    problem = payload_problem(payload)
    if problem is not None:
        raise DistillError(f"Model '{model.name}' was not saved: {problem}.")
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    model.metadata = payload["metadata"]
    model.path = path
    model.identity = file_identity(path)
    return path


def _read_payload(path: Path) -> tuple[dict[str, Any], FileIdentity]:
    """The file's checked archive (tensors mapped, not read) and which file it was; tag and version checked."""
    if not path.is_file():
        raise DistillError(f"Model file not found: {path}.")
    for _ in range(3):  # a writer may replace the file while it is read: read it again
        identity = file_identity(path)
        payload = load_archive(path, "Distill model")
        if file_identity(path) == identity:
            break
    else:
        raise DistillError(f"{path} kept changing while it was read; try again when nothing is writing it.")
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_TAG:
        raise DistillError(f"{path} is not a Distill model file.")
    version = payload.get("version")
    if version_problem(version) is not None:
        raise DistillError(f"{path} cannot be used: {version_problem(version)} (the file is damaged or was altered).")
    if version > FORMAT_VERSION:
        raise DistillError(
            f"{path} was written by a newer Distill (model format v{version}); this version reads up to "
            f"v{FORMAT_VERSION}, so please upgrade Distill."
        )
    return payload, identity


def read_model_header(path: Path) -> DistillModel:
    """Everything a model file says except the numbers of its weights, which are never read.

    For listings (`model list`, the app's pickers): its weights are shapes without data
    (PyTorch's meta device), checked against the architecture but not for NaN; `load_model`
    reads and checks them when the model is used.
    """
    path = Path(path)
    payload, identity = _read_payload(path)
    validate_payload(payload, path, values=False)
    model = DistillModel.from_payload(map_tensors(payload, shape_only), path)
    model.identity = identity
    return model


def load_model(path: Path) -> DistillModel:
    """Read a v1 or v2 file; refuse newer, foreign, crafted or damaged files in one sentence.

    Sizes and layouts are checked before any number is read (see `distill.archives`), then
    the weights are read into memory and checked for NaN.
    """
    path = Path(path)
    payload, identity = _read_payload(path)
    validate_payload(payload, path)
    model = DistillModel.from_payload(map_tensors(payload, in_memory), path)
    model.identity = identity
    return model
