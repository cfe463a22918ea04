"""The checks of notebook 00 accept the right answers, reject wrong ones with a useful message, never raise."""

import json
import pathlib

import numpy as np
import pytest
import torch

from swin_edu import complexity, swin, viz
from swin_edu.exercises import roadmap
from tests.helpers import verdict

NOTEBOOK = pathlib.Path(__file__).resolve().parent.parent / "notebooks" / "00_roadmap.ipynb"


# ----------------------------------------------------------------------------------------------- tokens


@pytest.mark.parametrize("answer", [3136, 3136.0, np.int64(3136)])
def test_tokens_accepts_the_stage1_map(capsys, answer):
    verdict(capsys, roadmap.check_tokens(answer), True)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (None, "replace None"),
        (50176, "number of pixels"),
        (56, "one side"),
        (12544, "16 pixels"),
        (3000, "count the 4x4 patches"),
        (3136.5, "whole number"),
        ("3136", "should be a number"),
        (True, "should be a number"),
    ],
)
def test_tokens_rejects_with_a_hint(capsys, answer, hint):
    assert hint in verdict(capsys, roadmap.check_tokens(answer), False)


# ----------------------------------------------------------------------------------------------- stride


def test_stage_at_stride_16_is_stage_3_with_384_channels(capsys):
    assert "14x14 map of 384 channels" in verdict(capsys, roadmap.check_stage_at_stride(3, 384), True)


def test_stage_at_every_stride_follows_the_library(capsys):
    for row in complexity.stage_summary(swin.meta_model("swin_t")):
        verdict(capsys, roadmap.check_stage_at_stride(row["stage"], row["channels"], stride=row["stride"]), True)


@pytest.mark.parametrize(
    "stage, channels, hint",
    [
        (None, None, "replace None"),
        (2, 192, "stage 2 has stride 8"),
        (4, 768, "stage 4 has stride 32"),
        (3, 96, "doubles the channels"),
        (3, 192, "stage 3 is right"),
        (5, 384, "stages 1 to 4"),
        (3, "384", "should be a number"),
    ],
)
def test_stage_at_stride_rejects_with_a_hint(capsys, stage, channels, hint):
    assert hint in verdict(capsys, roadmap.check_stage_at_stride(stage, channels), False)


def test_stage_at_a_stride_no_stage_has(capsys):
    assert "[4, 8, 16, 32]" in verdict(capsys, roadmap.check_stage_at_stride(3, 384, stride=64), False)


# ----------------------------------------------------------------------------------------------- windows


def test_windows_of_stage1(capsys):
    verdict(capsys, roadmap.check_windows(64, 49), True)


@pytest.mark.parametrize(
    "n_windows, tokens, hints",
    [
        (None, 49, ["n_windows is None"]),
        (8, 49, ["along one side"]),
        (64, 7, ["one row of the window"]),
        (49, 64, ["n_windows = 49", "tokens_per_window = 64"]),
    ],
)
def test_windows_rejects_with_a_hint(capsys, n_windows, tokens, hints):
    out = verdict(capsys, roadmap.check_windows(n_windows, tokens), False)
    assert all(hint in out for hint in hints), out


# ----------------------------------------------------------------------------------------------- terms


@pytest.mark.parametrize("style", [str, int, lambda number: f"{number}_notebook"], ids=["04", "4", "04_notebook"])
def test_terms_accept_the_map_written_in_any_style(capsys, style):
    answer = {term: style(number) for term, number in roadmap.TERM_NOTEBOOKS.items()}
    verdict(capsys, roadmap.check_term_notebooks(answer), True)


def test_terms_name_the_wrong_ones(capsys):
    answer = dict(roadmap.TERM_NOTEBOOKS, **{"cyclic shift": "03", "patch merging": "x"})
    out = verdict(capsys, roadmap.check_term_notebooks(answer), False)
    assert "2 of 7" in out and "'cyclic shift' is not built in 03" in out and "'x' is not a notebook number" in out
    assert "class token" not in out


def test_terms_unfinished(capsys):
    assert "should be a dict" in verdict(capsys, roadmap.check_term_notebooks(None), False)
    unfinished = {term: None for term in roadmap.TERM_NOTEBOOKS}
    assert "7 of 7 terms have no notebook yet" in verdict(capsys, roadmap.check_term_notebooks(unfinished), False)
    assert "7 of 7 terms" in verdict(capsys, roadmap.check_term_notebooks({}), False)


def _glossary() -> dict[str, str]:
    """English term (lower case) -> its 'notebook' cell, from the glossary table of notebook 00."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    text = next(
        "".join(c["source"]) for c in cells if c["cell_type"] == "markdown" and "| English |" in "".join(c["source"])
    )
    rows = [line.strip().strip("|").split("|") for line in text.splitlines() if line.startswith("|")]
    return {row[0].strip().strip("*").lower(): row[-1].strip() for row in rows[2:]}


def test_the_answer_key_agrees_with_the_glossary():
    glossary = _glossary()
    for term, number in roadmap.TERM_NOTEBOOKS.items():
        entries = [notebook for english, notebook in glossary.items() if english.startswith(term)]
        assert entries, f"{term!r} is missing from the glossary of {NOTEBOOK.name}"
        assert number in entries[0], f"the glossary says {term!r} is built in {entries[0]}, the check says {number}"


# ----------------------------------------------------------------------------------------------- figure


def test_roadmap_figure_labels_its_stages_from_the_library():
    fig = viz.roadmap_figure()
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for row in complexity.stage_summary(swin.meta_model("swin_t")):
        assert f"stride {row['stride']}: {row['height']}×{row['width']}×{row['channels']}" in texts
    for number in ("01", "02", "03", "04", "05"):
        assert f"({number})" in texts
    assert "no shift: 1 window" in texts  # stage 4 at 224 is one 7x7 window: its second block does not shift


# ----------------------------------------------------------------------------------------------- the shared reader


@pytest.mark.parametrize(
    "form", [int, float, np.int64, np.float32, np.array, torch.tensor, lambda v: torch.tensor([v])]
)
def test_every_roadmap_check_reads_numbers_in_every_form(capsys, form):
    verdict(capsys, roadmap.check_tokens(form(3136)), True)
    verdict(capsys, roadmap.check_stage_at_stride(form(3), form(384)), True)
    verdict(capsys, roadmap.check_windows(form(64), form(49)), True)
    answer = {term: form(int(number)) for term, number in roadmap.TERM_NOTEBOOKS.items()}
    if form in (int, np.int64):
        verdict(capsys, roadmap.check_term_notebooks(answer), True)


@pytest.mark.parametrize(
    "call, kind",
    [
        (lambda: roadmap.check_tokens(None), "missing"),
        (lambda: roadmap.check_tokens("3136"), "type"),
        (lambda: roadmap.check_tokens(torch.ones(2)), "type"),
        (lambda: roadmap.check_tokens(50176), "values"),
        (lambda: roadmap.check_stage_at_stride(2, 192), "values"),
        (lambda: roadmap.check_windows(8, 49), "values"),
        (lambda: roadmap.check_term_notebooks([]), "type"),
        (lambda: roadmap.check_term_notebooks({}), "missing"),
    ],
)
def test_roadmap_checks_say_what_is_wrong_as_data(capsys, call, kind):
    verdict(capsys, call(), False, kind=kind)
