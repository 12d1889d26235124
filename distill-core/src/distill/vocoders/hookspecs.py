"""The hooks a vocoder plugin implements (a contract; docs/writing-a-vocoder-plugin.md §2).

Three are fixed by name (`vocoder_priority`, `load_vocoder`, `train_vocoder`); the two asset
hooks are optional, for plugins that download something before their first render. A plugin
is any object (usually a module) with `@hookimpl` functions, registered under its
entry-point name in the `distill.vocoders` group. An implementation may accept any subset
of a hook's arguments, so new arguments and new hooks never break an existing plugin.
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "distill"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def vocoder_priority(model, purpose):
    """How well this plugin can serve `model` right now: higher is better, None = cannot.

    Must be cheap (no downloads, no weight loading): the auto-selector calls it for every
    plugin. `model` is a `DistillModel`, or None for model-less analysis-resynthesis with
    the default `SpectrogramConfig`. `purpose` says which mels will come
    (`distill.vocoders.verdict`): `"generation"`, the model's decoded mels (`distill
    generate`), or `"resynthesis"`, a recording's true mel (`distill vocode`); a vocoder
    judged on both paths may rank differently on each. First-party scale: per-model
    HiFi-GAN 300, BigVGAN 200, Griffin-Lim 100.
    """


@hookspec(firstresult=True)
def load_vocoder(name, model, device, progress):
    """Build the vocoder called `name` for `model` on `device`; None if `name` is not yours.

    This is where heavy work happens (weights, downloads). Report long steps through
    `progress` (a `ProgressCallback` or None). Raise `VocoderUnavailable` with one
    sentence the user can act on when this vocoder cannot serve the model.
    """


@hookspec(firstresult=True)
def train_vocoder(name, model, dataset, config, progress, should_stop, judge):
    """Learn the vocoder called `name` for `model`; None if `name` is not yours.

    `dataset` is a `TrainingAudio` (the model's own recordings, minus those held out to
    judge the result), `config` a dict of options (steps, batch size, learning rate, run
    folder, resume, device, ...). Return a `VocoderState`; the core bundles it into the
    model file. `should_stop` (a `ShouldStop`) is the host's one stop signal: Ctrl-C,
    `kill`, the stop button and a launcher's stop file all make it answer True. Ask it
    between steps and, when True, keep a checkpoint and raise `TrainingCancelled` saying
    how to resume (with the state so far, to have it stored and judged).

    `dataset.model_mel(i)` is the model's own (decoded) mel of recording `i`: what the
    vocoder will be fed when a user generates. `judge` (a `Judge`, or None) is the host's
    held-out check: call it with your vocoder as it is now every few hundred steps (it
    costs about a second) and add the figures it returns to your `Progress.metrics`, so
    the CLI and the UI draw your held-out distance against the baseline's as you train.
    """


@hookspec(firstresult=True)
def vocoder_assets(name):
    """What the vocoder called `name` downloads before its first use, as a `VocoderAssets`; optional.

    None if `name` is not yours or it needs nothing. Must be cheap (no network): front ends
    call it to show whether the vocoder is ready, and `unavailable` (e.g. offline and not
    downloaded) marks the vocoder as one that cannot serve now, with that sentence.
    """


@hookspec(firstresult=True)
def fetch_vocoder_assets(name, progress, should_stop):
    """Download now what `vocoder_assets` describes (a "Download now" button); optional.

    Return the `VocoderAssets` afterwards, or None if `name` is not yours. Report the
    transfer through `progress` (`unit="bytes"`, `message` a sentence saying what it is, its
    size and that it happens once). Ask `should_stop` between blocks: when it answers True,
    raise `Cancelled`, leaving no file that a later load could take for whole. Raise
    `VocoderUnavailable`, naming the folder for files placed by hand, when it cannot download.
    """
