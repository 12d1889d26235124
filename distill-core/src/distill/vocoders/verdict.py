"""The held-out verdict on a model's own vocoder: its keys, the baseline it must beat, what it says.

A vocoder a model carries (trained per model, e.g. HiFi-GAN) is judged on recordings it
never heard: analysis-resynthesised by it and by the baseline, both compared with the
originals (`distill.host.evaluation` measures). The result is a plain JSON-able dict
stored in the model file as `vocoder_evaluation`; `auto` ranks the own vocoder first only
when it beats the baseline. Everyone reads it through `read_verdict`: plugins ranking
themselves (`own_vocoder_proven`), `distill model info`, the UI's library and the benchmarks.
Standard library only, so a plugin importing it loads nothing more.

Keys of the verdict (version 1):

* `version` (1), `vocoder` (the own vocoder's plugin name), `baseline` (`BASELINE`),
* `beats_baseline`: true / false, or null when no comparison was possible (unproven),
* `summary`: one sentence for people (shown by `model info`, the UI and the auto warning),
* `metric` (`METRIC`) and `stft_windows` ([128, ..., 2048]),
* `recordings`: the recordings evaluated, relative to the collection's folder;
  `held_out`: true when the vocoder never trained on them (false for vocoders trained
  before the split existed); `audio_seconds`: how much audio was rendered,
* `results`: per vocoder name, `multires_stft_distance` (lower is better),
  `snr_db`, `level_difference_db` (render minus original RMS; negative is too quiet) and
  `real_time_factor` (seconds of audio per second of rendering on `device`),
* `skipped`: per vocoder name that could not be compared, the reason,
* `training_steps` (or null), `device`, `evaluated_at` (ISO 8601, UTC).
"""

from __future__ import annotations

from typing import Any

VERSION = 1
BASELINE = "griffinlim"  # the vocoder every per-model vocoder must beat, and the A/B tab's default B
METRIC = "multires_stft_distance"
DISPLAY = {"griffinlim": "Griffin-Lim", "bigvgan": "BigVGAN", "hifigan": "HiFi-GAN"}


def display_name(vocoder: str) -> str:
    """A vocoder's name as people read it: `Griffin-Lim` for `griffinlim`; unknown names as they are."""
    return DISPLAY.get(vocoder, vocoder)


def has_own_vocoder(model: object) -> bool:
    """Whether `model` carries a vocoder of its own (a plugin name and its weights)."""
    return getattr(model, "vocoder_type", None) is not None and getattr(model, "vocoder_state_dict", None) is not None


FIGURES = (METRIC, "snr_db", "level_difference_db", "real_time_factor")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_well_formed(verdict: object) -> bool:
    """Whether `verdict` has the keys above with the kinds of values they hold (a hand-edited one may not)."""
    if not isinstance(verdict, dict):
        return False
    results, skipped, recordings = verdict.get("results"), verdict.get("skipped", {}), verdict.get("recordings")
    return (
        isinstance(verdict.get("vocoder"), str)
        and isinstance(verdict.get("baseline"), str)
        and (verdict.get("beats_baseline") is None or isinstance(verdict["beats_baseline"], bool))
        and isinstance(verdict.get("summary", ""), str)
        and isinstance(recordings, list)
        and all(isinstance(r, str) for r in recordings)
        and isinstance(verdict.get("held_out"), bool)
        and _is_number(verdict.get("audio_seconds"))
        and isinstance(results, dict)
        and all(isinstance(row, dict) and all(_is_number(row.get(k)) for k in FIGURES) for row in results.values())
        and isinstance(skipped, dict)
        and all(isinstance(reason, str) for reason in skipped.values())
    )


def read_verdict(model: object) -> dict[str, Any] | None:
    """The verdict on the vocoder `model` carries now, or None: it has none, was never judged,
    the stored verdict is on another vocoder, or it is damaged (see `verdict_summary`)."""
    verdict = getattr(model, "vocoder_evaluation", None)
    if not has_own_vocoder(model) or not is_well_formed(verdict) or verdict["vocoder"] != model.vocoder_type:
        return None
    return verdict


def own_vocoder_proven(model: object) -> bool:
    """Whether `model`'s own vocoder has a verdict that beats the baseline (what `auto` obeys)."""
    verdict = read_verdict(model)
    return verdict is not None and verdict.get("beats_baseline") is True


def baseline_distances(verdict: dict[str, Any]) -> tuple[float, float] | None:
    """(own vocoder's, baseline's) `METRIC` on the held-out recordings, when both were measured."""
    results = verdict.get("results") or {}
    own, baseline = results.get(verdict.get("vocoder"), {}), results.get(verdict.get("baseline"), {})
    if verdict.get("beats_baseline") is None or METRIC not in own or METRIC not in baseline:
        return None
    return own[METRIC], baseline[METRIC]


def summarise(verdict: dict[str, Any]) -> str:
    """The verdict in one sentence: what auto does with the model's own vocoder, and why."""
    own, baseline = display_name(verdict["vocoder"]), display_name(verdict["baseline"])
    results, skipped = verdict["results"], verdict.get("skipped", {})
    count = len(verdict["recordings"])
    plural = "s" * (count != 1)
    where = f"{count} held-out recording{plural}" if verdict["held_out"] else f"{count} recording{plural} it trained on"
    if verdict["vocoder"] in skipped:
        return f"Its own {own} is unproven ({skipped[verdict['vocoder']]}), so auto ranks it below {baseline}."
    if not count:
        return (
            f"Its own {own} is unproven (a single recording leaves none to hold out), "
            f"so auto ranks it below {baseline}."
        )
    if verdict["baseline"] not in results:
        reason = skipped.get(verdict["baseline"], "not installed")
        return f"Its own {own} could not be compared with {baseline} ({reason}), so auto treats it as unproven."
    mine, theirs = results[verdict["vocoder"]][METRIC], results[verdict["baseline"]][METRIC]
    figures = f"multi-resolution STFT distance {mine:.3f} vs {theirs:.3f} on {where}, lower is better"
    if verdict["beats_baseline"]:
        return f"Its own {own} beats {baseline} ({figures}), so auto uses it first."
    return (
        f"Its own {own} loses to {baseline} ({figures}), so auto ranks it below {baseline}; "
        f"`--vocoder {verdict['vocoder']}` still uses it."
    )


def verdict_summary(model: object) -> str | None:
    """One sentence on the model's own vocoder and auto, or None when it has none.

    A vocoder never judged is unproven until `distill train-vocoder` or `distill vocoders
    evaluate` judges it: generating never does.
    """
    if not has_own_vocoder(model):
        return None
    verdict = read_verdict(model)
    if verdict is not None and verdict.get("summary"):
        return verdict["summary"]
    stored = getattr(model, "vocoder_evaluation", None)
    if stored is not None and not is_well_formed(stored):
        return (
            f"Its own {display_name(model.vocoder_type)}'s stored verdict is damaged, so auto ranks it below "
            f"{display_name(BASELINE)} until it is judged again (`distill vocoders evaluate --model {model.name}`)."
        )
    return (
        f"Its own {display_name(model.vocoder_type)} has no held-out verdict yet, so auto ranks it below "
        f"{display_name(BASELINE)} until it is judged (`distill vocoders evaluate --model {model.name}`)."
    )
