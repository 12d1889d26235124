"""The `.distill` file: round trip, v1 compatibility, refusal of newer or damaged files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import torch

from distill.errors import DistillError
from distill.models import schema
from distill.models.format import FORMAT_VERSION, DistillModel, load_model, read_model_header, save_model
from distill.models.vae import VAE, VAEConfig

TINY = VAEConfig(n_mels=128, segment_frames=8, latent_dim=2, channels=(2,))


def _model() -> DistillModel:
    torch.manual_seed(0)
    return DistillModel(
        name="kit",
        vae_config=TINY.to_dict(),
        vae_state_dict=VAE(TINY).state_dict(),
        latent_analysis=None,
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
    torch.testing.assert_close(loaded.vae_state_dict, original.vae_state_dict)
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
    with pytest.raises(DistillError, match="holds more than plain weights"):
        load_model(tmp_path / "evil.distill")


def _set(key, value):
    def mutate(payload):
        payload[key] = value

    return mutate


def _drop(key):
    return lambda payload: payload.pop(key)


def _nested(outer, key, value):
    def mutate(payload):
        payload[outer][key] = value

    return mutate


def _nan_weight(field):
    def mutate(payload):
        name = next(iter(payload[field]))
        payload[field][name] = torch.full_like(payload[field][name], float("nan"))

    return mutate


def _slider_count_mismatch(payload):
    payload["latent_analysis"]["scales"] = payload["latent_analysis"]["scales"][:-1]


def _with_vocoder(payload):
    payload["vocoder_type"] = "hifigan"
    payload["vocoder_config"] = {}
    payload["vocoder_state_dict"] = {"w": torch.tensor([1.0, float("inf")])}


def _with_vocoder_weights(weights):
    def mutate(payload):
        payload.update(vocoder_type="hifigan", vocoder_config={}, vocoder_state_dict={"w": weights})

    return mutate


def _deep(levels: int) -> list:
    nested: list = []
    for _ in range(levels):
        nested = [nested]
    return nested


CRAFTED = {
    "name is a number": (_set("name", 42), "stored name 42 is not a safe file name"),
    "name is empty": (_set("name", ""), "stored name '' is not a safe file name"),
    "name is absolute": (_set("name", "/tmp/elsewhere/x"), "stored name '/tmp/elsewhere/x' is not a safe"),
    "name climbs": (_set("name", "../../x"), "stored name '../../x' is not a safe file name"),
    "name has a newline": (_set("name", "kit\nx"), "stored name 'kit\\nx' is not"),
    "name is Rich markup": (_set("name", "[red]kit[/]"), "stored name '[red]kit[/]' is not a safe"),
    "id climbs": (_set("id", "../../presets/x"), "stored id '../../presets/x' is not a safe"),
    "wrong VAE size": (_nested("vae_config", "latent_dim", 3), "VAE weight to_stats.weight has shape"),
    "missing state dict": (_drop("vae_state_dict"), "it has no VAE weights"),
    "VAE config not a table": (_set("vae_config", [1, 2]), "it has no VAE architecture"),
    "VAE channels negative": (_nested("vae_config", "channels", [-8, 16]), "VAE architecture is not valid"),
    "hop 0": (_nested("spectrogram_config", "hop_length", 0), "hop length 0 is not usable"),
    "sample rate 0": (_nested("spectrogram_config", "sample_rate", 0), "sample rate 0 is not usable"),
    "sample rate text": (_nested("spectrogram_config", "sample_rate", "48000"), "sample rate '48000' is not"),
    "mel bands disagree": (_nested("spectrogram_config", "n_mels", 64), "disagree on the number of mel bands"),
    "no spectrogram settings": (_drop("spectrogram_config"), "no spectrogram settings"),
    "latent analysis not a table": (_set("latent_analysis", "sliders"), "slider analysis is damaged"),
    "latent analysis lengths disagree": (_slider_count_mismatch, "slider analysis is damaged"),
    "anchor levels of the wrong length": (
        _nested("latent_analysis", "anchor_levels", torch.zeros(3)),
        "its texture path is damaged",
    ),
    "anchor levels not finite": (
        lambda payload: payload["latent_analysis"].update(
            anchor_levels=torch.full((payload["latent_analysis"]["anchors"].shape[0],), float("nan"))
        ),
        "its texture path is damaged",
    ),
    "metadata not a table": (_set("metadata", ["created"]), "its metadata is not a table"),
    "dataset summary not a table": (_nested("metadata", "dataset", "x"), "its dataset summary is damaged"),
    "level floor zero": (_nested("vae_config", "level_floor", 0), "VAE architecture is not valid"),
    "level floor text": (_nested("vae_config", "level_floor", "1e-3"), "VAE architecture is not valid"),
    "layout not a table": (_nested("metadata", "layout", "one-shot"), "its collection layout is damaged"),
    "layout mode unknown": (
        _nested("metadata", "layout", {"mode": "drone", "segment_frames": 64, "median_seconds": 1.0}),
        "its collection layout is damaged",
    ),
    "health not a table": (_nested("metadata", "diagnostics", 3), "its health figures are damaged"),
    "health figures wrong": (
        _nested("metadata", "diagnostics", {"active_units": 2, "latent_dim": 4, "collapsed": False, "recon": 1.0}),
        "its health figures are damaged",
    ),
    "NaN VAE weights": (_nan_weight("vae_state_dict"), "contains NaN or infinite values"),
    "infinite vocoder weights": (_with_vocoder, "vocoder weight w contains NaN or infinite values"),
    "vocoder weights expanded to 10**12": (
        _with_vocoder_weights(torch.zeros(1).expand(10**12)),
        "declares 1,000,000,000,000 numbers that the file does not hold (an expanded or strided view)",
    ),
    "VAE weight transposed": (
        lambda payload: payload["vae_state_dict"].update(
            {k: v.t() for k, v in payload["vae_state_dict"].items() if v.dim() == 2 and v.shape[0] != v.shape[1]}
        ),
        "an expanded or strided view",
    ),
    "metadata nested 200 deep": (_nested("metadata", "notes", _deep(200)), "nested more than 32 deep"),
    "a tensor in the metadata": (
        _nested("metadata", "notes", torch.ones(2)),
        "its metadata is damaged (it holds a Tensor, where only plain values belong)",
    ),
    "an infinite training loss": (_nested("metadata", "train_loss", float("inf")), "infinite or undefined (NaN)"),
    "an integer beyond 64 bits": (_nested("metadata", "epochs", 2**70), "whole number too large to use"),
    "a VAE of 2**40 weights": (
        _nested("vae_config", "channels", [4096] * 5),
        "VAE architecture is far larger than any Distill trains",
    ),
    "version is text": (_set("version", "2"), "format version '2' is not a whole number"),
    "version missing": (_drop("version"), "format version None is not a whole number"),
    "version 0": (_set("version", 0), "format version 0 is not a whole number"),
    "version negative": (_set("version", -1), "format version -1 is not a whole number"),
    "version true": (_set("version", True), "format version True is not a whole number"),
}


def craft(source: Path, folder: Path, mutate) -> Path:
    """A copy of the model file at `source`, changed by `mutate(payload)`: loadable by torch, damaged for Distill."""
    payload = torch.load(source, weights_only=True)
    mutate(payload)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crafted-{len(list(folder.iterdir()))}.distill"
    torch.save(payload, path)
    return path


@pytest.mark.parametrize("case", CRAFTED, ids=list(CRAFTED))
def test_a_damaged_but_loadable_file_is_refused_in_one_sentence(case, tiny_model_path, tmp_path):
    mutate, problem = CRAFTED[case]
    path = craft(tiny_model_path, tmp_path, mutate)
    with pytest.raises(DistillError) as refused:
        load_model(path)
    message = str(refused.value)
    assert problem in message, message
    assert message.startswith(str(path)) and "\n" not in message


def test_the_crafting_itself_keeps_a_good_file_good(tiny_model_path, tmp_path):
    assert load_model(craft(tiny_model_path, tmp_path, lambda payload: None)).name == "tiny"


def test_a_deflated_archive_is_refused_before_anything_is_inflated(tiny_model_path, tmp_path):
    """A gigabyte of zeros deflates to megabytes; `torch.save` never compresses, so Distill never inflates."""
    deflated = tmp_path / "deflated.distill"
    with zipfile.ZipFile(tiny_model_path) as source, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as out:
        for record in source.infolist():
            out.writestr(record.filename, source.read(record))
    with pytest.raises(DistillError, match=r"is compressed, which PyTorch never does \(the file is damaged or was"):
        load_model(deflated)


def test_a_vocoder_with_more_weights_than_any_is_refused_before_they_are_read(tmp_path, monkeypatch):
    model = _model()
    model.vocoder_state_dict = {"conv.weight": torch.ones(1000)}
    path = save_model(model, tmp_path / "kit.distill")
    monkeypatch.setattr(schema, "MAX_VOCODER_WEIGHTS", 999)
    with pytest.raises(DistillError, match="its own vocoder declares 1,000 weights, far more than any vocoder"):
        read_model_header(path)


def test_a_header_has_every_setting_and_the_shapes_of_the_weights_but_none_of_their_numbers(tmp_path):
    original = _model()
    original.vae_state_dict = {k: torch.full_like(v, float("nan")) for k, v in original.vae_state_dict.items()}
    path = tmp_path / "kit.distill"
    torch.save(original.to_payload(), path)  # NaN weights: only reading them can tell
    header = read_model_header(path)
    assert (header.name, header.id, header.vocoder_type, header.metadata["dataset"]) == (
        "kit",
        original.id,
        "hifigan",
        {"root": "/data", "files": ["a.wav"]},
    )
    assert all(t.is_meta for t in [*header.vae_state_dict.values(), *header.vocoder_state_dict.values()])
    assert header.vocoder_state_dict["conv.weight"].shape == (2, 2)
    with pytest.raises(DistillError, match="contains NaN or infinite values"):
        load_model(path)


def test_random_bytes_are_not_a_model_and_a_bare_pickle_is_refused(tmp_path):
    noise = tmp_path / "noise.distill"
    noise.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(DistillError, match="is not a readable Distill model \\(not a PyTorch archive, or a damaged"):
        load_model(noise)
    legacy = tmp_path / "legacy.distill"
    torch.save(_model().to_payload(), legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(DistillError, match="holds more than plain weights"):
        load_model(legacy)


def test_a_damaged_structure_is_called_damaged_not_python_objects(tiny_model_path, tmp_path):
    damaged = tmp_path / "damaged.distill"
    with zipfile.ZipFile(tiny_model_path) as source, zipfile.ZipFile(damaged, "w", zipfile.ZIP_STORED) as out:
        for record in source.infolist():
            data = source.read(record)
            if record.filename.endswith("data.pkl"):
                data = data[:2] + b"\xff" + data[3:]  # where the first opcode after PROTO goes: none is 0xff
            out.writestr(record, data)
    with pytest.raises(DistillError, match="is not a readable Distill model") as refused:
        load_model(damaged)
    assert "Python objects" not in str(refused.value)
