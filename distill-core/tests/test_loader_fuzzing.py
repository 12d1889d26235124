"""Damaged files by the hundred for the model, history and presets loaders (hypothesis).

Every outcome is a loaded object or one `DistillError` sentence, never another exception,
under an address-space limit: a payload that declares a terabyte must be refused by what it
declares, not by running out of memory. Examples are derandomized (the same ones every run)
and few, so this takes seconds.
"""

from __future__ import annotations

import json
import math
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from distill.errors import DistillError
from distill.library import history
from distill.library.presets import list_presets, load_preset
from distill.models.format import DistillModel, load_model, read_model_header, save_model
from distill.models.vae import VAE, VAEConfig

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HEADROOM = 1 << 30  # bytes of address space a loader may take beyond what the process already has
TINY = VAEConfig(n_mels=128, segment_frames=8, latent_dim=2, channels=(2,))


@contextmanager
def address_space_limit(extra: int) -> Iterator[None]:
    """Allocations beyond `extra` more bytes fail (MemoryError) for as long as this lasts."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    pages = int(Path("/proc/self/statm").read_text().split()[0])
    resource.setrlimit(resource.RLIMIT_AS, (pages * resource.getpagesize() + extra, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _deep(levels: int) -> list:
    nested: list = []
    for _ in range(levels):
        nested = [nested]
    return nested


LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
TENSORS = st.one_of(
    st.builds(
        lambda shape, dtype: torch.zeros(shape, dtype=dtype),
        st.lists(st.integers(0, 4), max_size=3),
        st.sampled_from([torch.float32, torch.float64, torch.float16, torch.int64, torch.bool]),
    ),
    st.builds(lambda n: torch.zeros(1).expand(n), st.integers(2, 10**12)),  # declares n, holds one
    st.builds(lambda n: torch.full((n,), float("nan")), st.integers(1, 8)),
    st.just(torch.zeros(3, 5).t()),  # strided
)
VALUES = st.one_of(
    st.recursive(
        st.one_of(LEAVES, TENSORS),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=12,
    ),
    st.builds(_deep, st.integers(20, 400)),
)
PLACES = [
    ("name",),
    ("id",),
    ("version",),
    ("vae_config",),
    ("vae_config", "channels"),
    ("vae_config", "latent_dim"),
    ("vae_state_dict",),
    ("vae_state_dict", "to_stats.weight"),
    ("spectrogram_config", "sample_rate"),
    ("spectrogram_config", "hop_length"),
    ("latent_analysis",),
    ("metadata",),
    ("metadata", "dataset"),
    ("metadata", "diagnostics"),
    ("metadata", "notes"),
    ("training_config",),
    ("vocoder_type",),
    ("vocoder_config",),
    ("vocoder_state_dict",),
    ("vocoder_state_dict", "w"),
    ("vocoder_evaluation",),
]


@pytest.fixture(scope="module")
def payload() -> dict:
    torch.manual_seed(0)
    model = DistillModel(name="kit", vae_config=TINY.to_dict(), vae_state_dict=VAE(TINY).state_dict())
    model.vocoder_type, model.vocoder_config, model.vocoder_state_dict = "hifigan", {}, {"w": torch.ones(2)}
    return model.to_payload()


def _outcome(load, *args) -> object:
    """What `load(*args)` gave: its result, or the one sentence it refused with."""
    with address_space_limit(HEADROOM):
        try:
            return load(*args)
        except DistillError as refused:
            assert str(refused) and "\n" not in str(refused)
            return refused


@EXAMPLES
@given(place=st.sampled_from(PLACES), value=VALUES)
def test_a_payload_damaged_anywhere_is_loaded_or_refused_in_one_sentence(tmp_path, payload, place, value):
    damaged = {**payload, **{k: dict(v) for k, v in payload.items() if isinstance(v, dict)}}
    container = damaged
    for key in place[:-1]:
        container = container[key]
    container[place[-1]] = value
    path = tmp_path / "damaged.distill"
    try:
        torch.save(damaged, path)
    except (RecursionError, RuntimeError, TypeError):
        assume(False)  # not even PyTorch can write it, so no one hands it over
    for load in (read_model_header, load_model):
        assert isinstance(_outcome(load, path), DistillModel | DistillError)


@EXAMPLES
@given(data=st.data())
def test_a_model_file_damaged_byte_by_byte_is_loaded_or_refused_in_one_sentence(tmp_path, payload, data):
    path = tmp_path / "kit.distill"
    torch.save(payload, path)
    content = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(content) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "garbage"]))
        if action == "flip":
            content[at] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del content[at:]
            break
        else:
            content[at : at + 16] = data.draw(st.binary(min_size=16, max_size=16))
    path.write_bytes(bytes(content))
    for load in (read_model_header, load_model):
        assert isinstance(_outcome(load, path), DistillModel | DistillError)


JSON_TEXTS = st.one_of(
    st.recursive(
        LEAVES,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=12,
    ).map(lambda v: json.dumps(v, allow_nan=True)),  # NaN and Infinity, as a hand or another tool writes them
    st.builds(lambda n: "[" * n + "]" * n, st.integers(1, 100_000)),
    st.builds(lambda key, value: json.dumps({key: value}), st.sampled_from(["thumbnail", "quality", "path"]), LEAVES),
    st.text(max_size=200),
)


def _plain(document: object) -> bool:
    """Whether `document` prints as strict JSON (no NaN, no Infinity)."""
    json.dumps(document, allow_nan=False)
    return True


@EXAMPLES
@given(text=JSON_TEXTS)
def test_a_history_entry_of_any_text_is_read_or_refused_in_one_sentence(distill_home, text):
    folder = distill_home / "history"
    folder.mkdir(exist_ok=True)
    (folder / "20200101T000000000000-fuzzed.json").write_text(text)
    entry = _outcome(history.get_entry, "20200101T000000000000-fuzzed")
    assert isinstance(entry, dict | DistillError)
    if isinstance(entry, dict):
        assert _plain(entry) and all(v >= 0 for v in entry.get("thumbnail", []))
    with address_space_limit(HEADROOM):
        assert all(_plain(e) for e in history.list_entries())


PRESET_TEXTS = st.one_of(
    JSON_TEXTS,
    st.builds(
        lambda name, sliders: json.dumps({"presets": {name: {"sliders": sliders}}}, allow_nan=True),
        st.text(max_size=10),
        st.dictionaries(st.text(max_size=5), LEAVES, max_size=4),
    ),
)


@EXAMPLES
@given(text=PRESET_TEXTS)
def test_a_presets_file_of_any_text_is_read_or_refused_in_one_sentence(distill_home, text):
    model = DistillModel(name="kit", vae_config={}, vae_state_dict={}, id="fuzzmodel")
    folder = distill_home / "presets"
    folder.mkdir(exist_ok=True)
    (folder / "fuzzmodel.json").write_text(text)
    presets = _outcome(list_presets, model)
    assert isinstance(presets, dict | DistillError)
    for name in presets if isinstance(presets, dict) else []:
        values = _outcome(load_preset, model, name)
        assert isinstance(values, dict) and all(isinstance(v, float) and math.isfinite(v) for v in values.values())


def test_a_sound_model_survives_the_fuzzing_setup(tmp_path, payload):
    """The starting point is a good file: what the tests above damage was loadable."""
    path = tmp_path / "kit.distill"
    torch.save(payload, path)
    assert load_model(path).name == "kit" and read_model_header(path).id == payload["id"]
    assert save_model(load_model(path), tmp_path / "again.distill").is_file()
