"""The engine's sentences in the page's own words.

The engine speaks to the command line ("pass --force", "`distill train-vocoder --model
kit`"), and plugins, first-party or not, do the same. Every sentence the page shows passes
through `page_words`, which names the page's own control instead of a flag, drops command
lines the page has a button for, and names files in Distill's data folder by what they are
instead of by absolute path; any other path in it is written from `$DISTILL_HOME` (the page
never learns where that is; the person running the server knows). A flag or command no rule
knows is still shown as words, never as code.
"""

from __future__ import annotations

import re

from distill.paths import data_dir
from distill.ui.access import home_hidden

REPLACE = "“Replace a model of that name”"
RESUME = "“Resume a stopped run”"
OWN_VOCODER = "“Train a model's own vocoder” in the Train tab"

PHRASES: list[tuple[str, str]] = [  # after the data folder's paths became words (`_paths`)
    (r"pick another name or pass --force", f"pick another name or tick {REPLACE}"),
    (r"resume to continue \(--resume on the command line\)", f"tick {RESUME} and start again to continue"),
    (
        r"start again without --resume \(add --force to replace an existing model\)",
        f"untick {RESUME} and start again (tick {REPLACE} to replace an existing model)",
    ),
    (r"start again without --resume", f"untick {RESUME} and start again"),
    (r"resume with the same --preset", "resume with the same “Preset”"),
    (r"train again with another --preset", "train again with another “Preset”"),
    (r"train longer with --epochs", "train longer (more “Epochs”)"),
    (r"use --batch-size (\d+) or less", r"set “Batch size” to \1 or less"),
    (r"(train (?:one|it again)) with `distill train-vocoder --model [^`]*`", rf"\1 under {OWN_VOCODER}"),
    (r"\(`distill vocoders evaluate --model [^`]*`\)", "(“Judge its vocoder again” in the Library)"),
    (r"`--vocoder ([\w.-]+)` (still|always) uses it", r"choosing \1 as the vocoder \2 uses it"),
    (r" is kept in the vocoder training's folder \(start from it with --init-from\)", " is kept"),
    (r"the checkpoint in the vocoder training's folder is kept", "its checkpoint is kept"),
    (r"; point --data at the folder that holds them now", "; put them back there first"),
    (r"(?:re)?train (?:it|one) with `distill train`", "train one in the Train tab"),
    (r"start `distill ui` with --folder DIR to allow another folder", "ask whoever runs this app to allow the folder"),
    (r"no (vocoder )?checkpoint at the (?:stopped run's|vocoder training's) checkpoint", r"no stopped \1run was found"),
    (
        r"The (vocoder )?checkpoint the (?:stopped run's|vocoder training's) checkpoint",
        r"The stopped run's \1checkpoint",
    ),
]
LEFTOVERS: list[tuple[str, str]] = [
    (r"`distill ([^`]+)`", r"“distill \1” on the command line"),
    (r"(?<![\w-])--([a-z][a-z-]*)", r"“\1”"),
]


def _paths() -> list[tuple[str, str]]:
    """Files in the data folder by what they are; the folder's own path is this process's."""
    home = re.escape(str(data_dir()))
    return [
        (rf"{home}/runs/.+?/checkpoint\.pt", "the stopped run's checkpoint"),
        (rf"{home}/vocoder-runs/[\w-]+/checkpoint\.pt", "the vocoder training's checkpoint"),
        (rf"{home}/vocoder-runs/[\w-]+", "the vocoder training's folder"),
        (rf"{home}/models/(.+?)\.distill", r"the model file of '\1'"),
    ]


def page_words(sentence: str) -> str:
    """`sentence` as the page says it: its controls for flags, no command lines, no data-folder paths."""
    for pattern, replacement in [*_paths(), *PHRASES, *LEFTOVERS]:
        sentence = re.sub(pattern, replacement, sentence)
    return home_hidden(sentence)
