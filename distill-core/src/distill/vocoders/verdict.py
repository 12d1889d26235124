"""The held-out verdict on a model's own vocoder: its keys, the baseline it must beat, what it says.

A vocoder a model carries (trained per model, e.g. HiFi-GAN) is judged on recordings it
never heard, along two paths, each against the baseline (`distill.host.evaluation`
measures):

* the *generation path* (`GENERATION`): recording -> mel -> the model's encode and
  decode -> vocoder. Every generated sound reaches the vocoder as such a decoded mel,
  so this is what `auto` obeys for `distill generate`;
* *analysis-resynthesis* (`RESYNTHESIS`): recording -> its own mel -> vocoder, what
  `distill vocode` does, and what `auto` obeys there.

The result is a plain JSON-able dict stored in the model file as `vocoder_evaluation`.
Everyone reads it through the functions here: plugins ranking themselves
(`own_vocoder_proven`), `distill model info`, the UI and the benchmarks. Standard library
only, so a plugin importing it loads nothing more. A verdict of an older version reads
as it always did: its one path is analysis-resynthesis, and the generation path is
then not judged yet (unproven for `generate`); a missing or malformed key never raises.

Keys of the verdict (version 2; version 1 had all but `generation`, `vae`, `visqol`):

* `version`, `vocoder` (the own vocoder's plugin name), `baseline` (`BASELINE`),
* `metric` (`METRIC`), `stft_windows` ([128, ..., 2048]), `perceptual` (`PERCEPTUAL` when
  it was measured, else why not),
* `recordings`: the recordings evaluated, relative to the collection's folder;
  `held_out`: true when the vocoder never trained on them,
* the analysis-resynthesis path, at the top level as in version 1: `beats_baseline`
  (true / false, or null when no comparison was possible), `audio_seconds`, `results`
  (per vocoder name: `multires_stft_distance`, lower is better; `snr_db`;
  `level_difference_db`, render minus original RMS; `real_time_factor`; and, when
  measured, `visqol`, ViSQOL v3 audio mode MOS-LQO, higher is better), `skipped` (per
  vocoder name that could not be compared, the reason),
* `generation`: the same four keys (`beats_baseline`, `audio_seconds`, `results`,
  `skipped`) for the generation path; `vae`: a fingerprint of the VAE that path was
  measured with (the one the vocoder learned from): a model whose VAE has changed since
  holds a *stale* generation verdict, unproven until judged again,
* `summary`: what `auto` does on each path, in words (`model info`, the UI, auto's warning),
* `training_steps` (or null), `device`, `evaluated_at` (ISO 8601, UTC).
"""

from __future__ import annotations

from typing import Any

VERSION = 2
BASELINE = "griffinlim"  # the vocoder every per-model vocoder must beat, and the A/B tab's default B
METRIC = "multires_stft_distance"
PERCEPTUAL = "visqol"  # ViSQOL v3 audio mode (MOS-LQO, 1-5): sees phase and smear, not only magnitudes
LEVEL = "level_difference_db"  # the render's RMS level minus the recording's
LEVEL_LIMIT_DB = 20.0  # a render this much quieter (or louder) loses, however near its distance: silence is near
GENERATION = "generation"  # generated sounds: the model's decoded mels (`distill generate`)
RESYNTHESIS = "resynthesis"  # a recording's own mel (`distill vocode`)
PATHS = (GENERATION, RESYNTHESIS)
CURVE = "generation-path distance"  # the held-out figures reported while training, one per vocoder
DISPLAY = {"griffinlim": "Griffin-Lim", "bigvgan": "BigVGAN", "hifigan": "HiFi-GAN"}
PATH_WORDS = {GENERATION: "generated sounds", RESYNTHESIS: "resynthesised recordings"}
COMMANDS = {GENERATION: "generate", RESYNTHESIS: "vocode"}


def display_name(vocoder: str) -> str:
    """A vocoder's name as people read it: `Griffin-Lim` for `griffinlim`; unknown names as they are."""
    return DISPLAY.get(vocoder, vocoder)


def has_own_vocoder(model: object) -> bool:
    """Whether `model` carries a vocoder of its own (a plugin name and its weights)."""
    return getattr(model, "vocoder_type", None) is not None and getattr(model, "vocoder_state_dict", None) is not None


FIGURES = (METRIC, "snr_db", "level_difference_db", "real_time_factor")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_path_well_formed(part: object) -> bool:
    """Whether one path's keys (`beats_baseline`, `audio_seconds`, `results`, `skipped`) hold what they should."""
    if not isinstance(part, dict):
        return False
    results, skipped = part.get("results"), part.get("skipped", {})
    return (
        (part.get("beats_baseline") is None or isinstance(part["beats_baseline"], bool))
        and _is_number(part.get("audio_seconds"))
        and isinstance(results, dict)
        and all(
            isinstance(row, dict)
            and all(_is_number(row.get(k)) for k in FIGURES)
            and (row.get(PERCEPTUAL) is None or _is_number(row[PERCEPTUAL]))
            for row in results.values()
        )
        and isinstance(skipped, dict)
        and all(isinstance(reason, str) for reason in skipped.values())
    )


def is_well_formed(verdict: object) -> bool:
    """Whether `verdict` has the keys above with the kinds of values they hold (a hand-edited one may not).

    The generation path is checked on its own (`path_verdict`): a damaged one leaves that
    path unjudged, not the whole verdict unreadable.
    """
    if not isinstance(verdict, dict):
        return False
    recordings = verdict.get("recordings")
    return (
        isinstance(verdict.get("vocoder"), str)
        and isinstance(verdict.get("baseline"), str)
        and isinstance(verdict.get("summary", ""), str)
        and isinstance(recordings, list)
        and all(isinstance(r, str) for r in recordings)
        and isinstance(verdict.get("held_out"), bool)
        and _is_path_well_formed(verdict)
    )


def read_verdict(model: object) -> dict[str, Any] | None:
    """The verdict on the vocoder `model` carries now, or None: it has none, was never judged,
    the stored verdict is on another vocoder, or it is damaged (see `verdict_summary`)."""
    verdict = getattr(model, "vocoder_evaluation", None)
    if not has_own_vocoder(model) or not is_well_formed(verdict) or verdict["vocoder"] != model.vocoder_type:
        return None
    return verdict


def path_verdict(verdict: dict[str, Any], path: str) -> dict[str, Any] | None:
    """One path's part of a verdict (`beats_baseline`, `audio_seconds`, `results`, `skipped`), or None
    when that path was never judged (a version-1 verdict's generation path) or its part is damaged."""
    part = verdict if path == RESYNTHESIS else verdict.get(GENERATION)
    return part if _is_path_well_formed(part) else None


def is_stale(model: object, verdict: dict[str, Any]) -> bool:
    """Whether the generation verdict was measured with another VAE than `model` has now (retrained since).

    Unknown either way (a verdict without `vae`, a model read without its weights) is not stale.
    """
    measured, current = verdict.get("vae"), getattr(model, "vae_fingerprint", None)
    return isinstance(measured, str) and isinstance(current, str) and measured != current


def own_vocoder_proven(model: object, purpose: str | None = GENERATION) -> bool:
    """Whether `model`'s own vocoder beats the baseline on the path `purpose` is about (what `auto` obeys).

    `GENERATION` (the default, and what None means) for generated sounds, `RESYNTHESIS` for
    a recording's own mel. A stale generation verdict proves nothing.
    """
    verdict = read_verdict(model)
    if verdict is None:
        return False
    path = RESYNTHESIS if purpose == RESYNTHESIS else GENERATION
    part = path_verdict(verdict, path)
    if part is None or (path == GENERATION and is_stale(model, verdict)):
        return False
    return part.get("beats_baseline") is True


def baseline_distances(verdict: dict[str, Any], path: str = RESYNTHESIS) -> tuple[float, float] | None:
    """(own vocoder's, baseline's) `METRIC` on the held-out recordings along `path`, when both were measured."""
    part = path_verdict(verdict, path) or {}
    results = part.get("results") or {}
    own, baseline = results.get(verdict.get("vocoder"), {}), results.get(verdict.get("baseline"), {})
    if part.get("beats_baseline") is None or METRIC not in own or METRIC not in baseline:
        return None
    return own[METRIC], baseline[METRIC]


def beats(own: dict[str, Any], baseline: dict[str, Any]) -> bool:
    """The rule for one path: a lower distance, and where both have ViSQOL, a ViSQOL at least as high.

    The distance alone can be won by a render that is near in magnitude but sounds worse;
    ViSQOL alone flatters Griffin-Lim's magnitude consistency less but misses hiss in silence.
    """
    if own[METRIC] >= baseline[METRIC] or _off_level(own):
        return False
    mine, theirs = own.get(PERCEPTUAL), baseline.get(PERCEPTUAL)
    return not (_is_number(mine) and _is_number(theirs)) or mine >= theirs


def _off_level(row: dict[str, Any]) -> bool:
    level = row.get(LEVEL)
    return _is_number(level) and abs(level) > LEVEL_LIMIT_DB


def _figures(own: dict[str, Any], baseline: dict[str, Any]) -> str:
    text = f"distance {own[METRIC]:.3f} vs {baseline[METRIC]:.3f}, lower is better"
    if _is_number(own.get(PERCEPTUAL)) and _is_number(baseline.get(PERCEPTUAL)):
        text += f"; ViSQOL {own[PERCEPTUAL]:.2f} vs {baseline[PERCEPTUAL]:.2f}, higher is better"
    return text


def lost_despite_distance(own: dict[str, Any], baseline: dict[str, Any]) -> str | None:
    """Why a render nearer the recordings than the baseline's still lost, in words; None if it was not nearer.

    `beats` then decided on its level or on ViSQOL, and a bare "worse" beside a smaller distance reads as a slip.
    """
    if own[METRIC] >= baseline[METRIC]:
        return None
    if _off_level(own):
        return f"it renders {abs(own[LEVEL]):.0f} dB {'louder' if own[LEVEL] > 0 else 'quieter'} than the recordings"
    mine, theirs = own.get(PERCEPTUAL), baseline.get(PERCEPTUAL)
    if not (_is_number(mine) and _is_number(theirs)):  # a verdict judged by another rule: nothing to say why
        return None
    return f"it sounds worse to ViSQOL, {mine:.2f} vs {theirs:.2f} of 5"


def path_sentence(verdict: dict[str, Any], path: str) -> str:
    """What `auto` does with the own vocoder for the command of `path`, and why, in one sentence."""
    own, baseline = display_name(verdict["vocoder"]), display_name(verdict["baseline"])
    command, words = COMMANDS[path], PATH_WORDS[path]
    part = path_verdict(verdict, path)
    if part is None:
        return (
            f"On {words} its own {own} is not judged yet, so `{command}` under auto ranks it below {baseline} "
            "until `distill vocoders evaluate` judges it."
        )
    results, skipped = part["results"], part.get("skipped", {})
    if verdict["vocoder"] in skipped:
        reason = skipped[verdict["vocoder"]]
        return f"On {words} its own {own} is unproven ({reason}), so `{command}` ranks it below {baseline}."
    if verdict["vocoder"] not in results:
        return (
            f"On {words} its own {own} is unproven (a single recording leaves none to hold out), "
            f"so `{command}` ranks it below {baseline}."
        )
    if verdict["baseline"] not in results:
        reason = skipped.get(verdict["baseline"], "not installed")
        return f"On {words} its own {own} could not be compared with {baseline} ({reason}), so it is unproven there."
    mine, theirs = results[verdict["vocoder"]], results[verdict["baseline"]]
    figures = _figures(mine, theirs)
    if part.get("beats_baseline"):
        return f"On {words} its own {own} beats {baseline} ({figures}), so `{command}` uses it first."
    reason = lost_despite_distance(mine, theirs)
    if reason is not None:
        return (
            f"On {words} its own {own} is nearer the recordings than {baseline} but loses: {reason} "
            f"(distance {mine[METRIC]:.3f} vs {theirs[METRIC]:.3f}), so `{command}` ranks it below {baseline}."
        )
    return f"On {words} its own {own} loses to {baseline} ({figures}), so `{command}` ranks it below {baseline}."


def summarise(verdict: dict[str, Any]) -> str:
    """The verdict in words: where it was measured, then what `auto` does on each path and why."""
    count = len(verdict["recordings"])
    plural = "s" * (count != 1)
    where = f"{count} held-out recording{plural}" if verdict["held_out"] else f"{count} recording{plural} it trained on"
    sentences = " ".join(path_sentence(verdict, path) for path in PATHS)
    return f"Judged on {where}. {sentences} `--vocoder {verdict['vocoder']}` always uses it."


def verdict_summary(model: object, purpose: str | None = None) -> str | None:
    """The model's own vocoder and `auto`, in words (on the path of `purpose`, or both), or None without one.

    A vocoder never judged is unproven until `distill train-vocoder` or `distill vocoders
    evaluate` judges it: generating never does. A generation verdict measured with
    another VAE than the model has now is stale, and says so.
    """
    if not has_own_vocoder(model):
        return None
    own = display_name(model.vocoder_type)
    verdict = read_verdict(model)
    if verdict is not None:
        stale = is_stale(model, verdict)
        if purpose in PATHS and not (purpose == GENERATION and stale):
            return path_sentence(verdict, purpose)
        if not stale:
            return summarise(verdict)
        stale_sentence = (
            f"Its own {own} learned another version of this model's VAE (retrained since), so its verdict on "
            f"generated sounds is stale and `generate` under auto ranks it below {display_name(BASELINE)} until "
            f"`distill train-vocoder --model {model.name}` trains it again."
        )
        return stale_sentence if purpose == GENERATION else f"{stale_sentence} {path_sentence(verdict, RESYNTHESIS)}"
    stored = getattr(model, "vocoder_evaluation", None)
    if stored is not None and not is_well_formed(stored):
        return (
            f"Its own {own}'s stored verdict is damaged, so auto ranks it below "
            f"{display_name(BASELINE)} until it is judged again (`distill vocoders evaluate --model {model.name}`)."
        )
    return (
        f"Its own {own} has no held-out verdict yet, so auto ranks it below "
        f"{display_name(BASELINE)} until it is judged (`distill vocoders evaluate --model {model.name}`)."
    )


def curve_figures(metrics: dict[str, float]) -> dict[str, float]:
    """The held-out curve's figures among training metrics: vocoder display name -> distance."""
    prefix = f"{CURVE}: "
    return {name[len(prefix) :]: value for name, value in metrics.items() if name.startswith(prefix)}


def curve_metric(vocoder: str) -> str:
    """The training metric name of `vocoder`'s held-out generation-path distance (its line on the chart)."""
    return f"{CURVE}: {display_name(vocoder)}"
