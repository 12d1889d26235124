"""The `.distill` file: round trip, v1 compatibility, refusal of newer or damaged files."""

from __future__ import annotations

import pytest
import torch

from distill.errors import DistillError
from distill.models.format import FORMAT_VERSION, DistillModel, load_model, save_model


def _model() -> DistillModel:
    return DistillModel(
        name="kit",
        vae_config={"latent_dim": 4},
        vae_state_dict={"w": torch.arange(6.0).reshape(2, 3)},
        latent_analysis={"sliders": []},
        metadata={"dataset": {"root": "/data", "files": ["a.wav"]}},
        vocoder_type="hifigan",
        vocoder_config={"channels": 8},
        vocoder_state_dict={"conv.weight": torch.ones(2, 2)},
    )


def test_round_trip_keeps_everything(tmp_path):
    original = _model()
    save_model(original, tmp_path / "kit.distill")
    loaded = load_model(tmp_path / "kit.distill")
    assert (loaded.name, loaded.id, loaded.vocoder_type, loaded.vocoder_config) == (
        "kit",
        original.id,
        "hifigan",
        {"channels": 8},
    )
    torch.testing.assert_close(loaded.vae_state_dict["w"], original.vae_state_dict["w"])
    torch.testing.assert_close(loaded.vocoder_state_dict["conv.weight"], torch.ones(2, 2))
    assert loaded.spectrogram == original.spectrogram
    assert loaded.metadata["dataset"]["files"] == ["a.wav"] and "created" in loaded.metadata


def test_version_1_file_without_vocoder_fields_loads(tmp_path):
    payload = _model().to_payload()
    payload["version"] = 1
    for key in ("vocoder_type", "vocoder_config", "vocoder_state_dict"):
        del payload[key]
    torch.save(payload, tmp_path / "old.distill")
    loaded = load_model(tmp_path / "old.distill")
    assert loaded.vocoder_type is None and loaded.vocoder_state_dict is None


def test_newer_file_is_refused_with_upgrade_advice(tmp_path):
    payload = _model().to_payload()
    payload["version"] = FORMAT_VERSION + 1
    torch.save(payload, tmp_path / "future.distill")
    with pytest.raises(DistillError, match=r"newer Distill.*upgrade"):
        load_model(tmp_path / "future.distill")


def test_truncated_file_is_refused_clearly(tmp_path):
    path = save_model(_model(), tmp_path / "kit.distill")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DistillError, match="damaged or truncated"):
        load_model(path)


def test_file_that_would_run_code_is_refused(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("side effect",))

    torch.save({"format": "distill-model", "x": Payload()}, tmp_path / "evil.distill")
    with pytest.raises(DistillError):
        load_model(tmp_path / "evil.distill")
