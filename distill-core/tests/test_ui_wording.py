"""The engine's sentences in the page's words: its controls for flags, no command lines, no data-folder paths."""

from __future__ import annotations

from distill.paths import data_dir
from distill.ui.wording import page_words


def test_flags_become_the_pages_own_controls():
    assert page_words("A model called 'kit' already exists; pick another name or pass --force.") == (
        "A model called 'kit' already exists; pick another name or tick “Replace a model of that name”."
    )
    stopped = (
        "Training of 'kit' stopped after epoch 3; its checkpoint is kept, resume to continue "
        "(--resume on the command line)."
    )
    assert page_words(stopped).endswith(
        "its checkpoint is kept, tick “Resume a stopped run” and start again to continue."
    )


def test_command_lines_become_the_place_in_the_page_that_does_it():
    said = page_words(
        "Model 'two files' has no HiFi-GAN vocoder of its own; "
        "train one with `distill train-vocoder --model two files`."
    )
    assert said.endswith("train one under “Train a model's own vocoder” in the Train tab.") and "`" not in said


def test_paths_in_the_data_folder_become_what_they_are():
    checkpoint = data_dir() / "runs" / "two files" / "checkpoint.pt"
    assert (
        page_words(f"Nothing to resume: no checkpoint at {checkpoint}.")
        == "Nothing to resume: no stopped run was found."
    )
    weights = data_dir() / "vocoders" / "bigvgan"
    # where a user must put files stays, written from $DISTILL_HOME: the page never learns the data home
    assert (
        page_words(f"place the files in {weights} by hand.")
        == "place the files in $DISTILL_HOME/vocoders/bigvgan by hand."
    )


def test_any_other_flag_is_still_words():
    assert "--" not in page_words("use --device cpu or auto.")
