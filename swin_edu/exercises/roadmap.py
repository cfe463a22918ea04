"""Checks for notebook 00 (the roadmap): Swin-T's shapes read off the map, and where each term is built.

The right answers come from a Swin-T built on the ``meta`` device (its structure, no weights) and from
:func:`~swin_edu.complexity.stage_summary`; only the course's own map (which notebook builds what) is
written down here, in :data:`TERM_NOTEBOOKS`.
"""

from __future__ import annotations

import functools
import math
import numbers
import re

import torch

from .. import complexity
from ..swin import SwinTransformer, swin_t
from ._feedback import ExerciseResult, report

__all__ = ["TERM_NOTEBOOKS", "check_tokens", "check_stage_at_stride", "check_windows", "check_term_notebooks"]

#: The notebook (01-05) that builds each term of the matching exercise; the glossary of 00 agrees.
TERM_NOTEBOOKS = {
    "scaled dot-product attention": "01",
    "class token": "02",
    "position embedding": "02",
    "relative position bias": "03",
    "cyclic shift": "04",
    "attention mask": "04",
    "patch merging": "05",
}


@functools.lru_cache(maxsize=1)
def _swin_t() -> SwinTransformer:
    with torch.device("meta"):
        return swin_t()


def _stages() -> list[dict]:
    return complexity.stage_summary(_swin_t())


def _whole_number(name: str, value) -> str | None:
    """Why ``value`` is not a whole number, or ``None`` if it is one (an int, or a float like 3136.0)."""
    if value is None:
        return f"{name} is None: replace None with your answer"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"{name} should be a number, got {type(value).__name__} {value!r}"
    if not float(value).is_integer():
        return f"{name} should be a whole number, got {value}"
    return None


def check_tokens(answer) -> ExerciseResult:
    """How many tokens a 224x224 image gives when cut into Swin-T's 4x4 patches (the stage-1 map)."""
    problem = _whole_number("answer", answer)
    if problem:
        return report(False, problem)
    model = _swin_t()
    (H, W), p = model.img_size, model.patch_size
    stage1 = _stages()[0]
    expected = stage1["height"] * stage1["width"]
    if answer == expected:
        return report(True, f"({H}/{p}) x ({W}/{p}) patches, one token each: the stage-1 map")
    if answer == H * W:
        return report(False, f"{answer} is the number of pixels; a token is a whole {p}x{p} patch of them")
    if answer == stage1["height"]:
        return report(False, f"{answer} patches fit along one side; the patches form a square grid")
    if answer == H * W // p:
        return report(False, f"a {p}x{p} patch holds {p * p} pixels, not {p}")
    return report(False, f"{answer} is not it: count the {p}x{p} patches along each side of the {H}x{W} image")


def check_stage_at_stride(stage, channels, stride: int = 16) -> ExerciseResult:
    """Which stage of Swin-T has feature maps at ``stride`` (pixels per token), and how many channels."""
    for name, value in (("stage", stage), ("channels", channels)):
        problem = _whole_number(name, value)
        if problem:
            return report(False, problem)
    rows = {r["stage"]: r for r in _stages()}
    if stride not in {r["stride"] for r in rows.values()}:
        return report(
            False, f"no stage of Swin-T has stride {stride}; the strides are {[r['stride'] for r in rows.values()]}"
        )
    right = next(r for r in rows.values() if r["stride"] == stride)
    if stage not in rows:
        return report(False, f"Swin-T has stages {min(rows)} to {max(rows)}, not {stage}")
    if stage != right["stage"]:
        return report(
            False,
            f"stage {stage} has stride {rows[stage]['stride']}, not {stride}: each patch merging doubles the stride",
        )
    if channels != right["channels"]:
        return report(
            False,
            f"stage {stage} is right, but {channels} channels is not: stage 1 has C = {rows[1]['channels']}, "
            "and each patch merging doubles the channels",
        )
    return report(
        True,
        f"stage {stage}: a {right['height']}x{right['width']} map of {channels} channels, one token per "
        f"{stride}x{stride} pixels",
    )


def check_windows(n_windows, tokens_per_window) -> ExerciseResult:
    """How many windows tile Swin-T's stage-1 map, and how many tokens one window's attention sees."""
    for name, value in (("n_windows", n_windows), ("tokens_per_window", tokens_per_window)):
        problem = _whole_number(name, value)
        if problem:
            return report(False, problem)
    stage1 = _stages()[0]
    H, W, M = stage1["height"], stage1["width"], stage1["window"]
    problems = []
    if n_windows != stage1["windows"]:
        if n_windows == math.ceil(H / M):
            problems.append(f"n_windows = {n_windows} counts the windows along one side only")
        else:
            problems.append(f"n_windows = {n_windows} is not it: count the {M}x{M} windows that tile the {H}x{W} map")
    if tokens_per_window != M * M:
        if tokens_per_window == M:
            problems.append(f"tokens_per_window = {M} is one row of the window; it is {M}x{M}")
        else:
            problems.append(f"tokens_per_window = {tokens_per_window} is not it: a window is {M}x{M} tokens")
    if problems:
        return report(False, "; ".join(problems))
    return report(
        True,
        f"({H}/{M}) x ({W}/{M}) windows of {M}x{M} tokens; each token attends to the tokens of its own window only",
    )


def _notebook_number(value) -> str | None:
    """'04' from 4, '4', '04' or '04_shifted_windows'; None if there is no number."""
    if isinstance(value, bool):
        return None
    match = re.match(r"\s*0*(\d+)", str(value)) if isinstance(value, (int, str)) else None
    return f"{int(match.group(1)):02d}" if match else None


def check_term_notebooks(answer) -> ExerciseResult:
    """Match each term of :data:`TERM_NOTEBOOKS` to the notebook (01-05) that builds it.

    ``answer`` is a dict from term to notebook, written as ``4``, ``"04"`` or ``"04_shifted_windows"``.
    """
    if not isinstance(answer, dict):
        return report(False, f"answer should be a dict from term to notebook, got {type(answer).__name__}")
    missing = [term for term in TERM_NOTEBOOKS if answer.get(term) is None]
    if missing:
        return report(
            False, f"{len(missing)} of {len(TERM_NOTEBOOKS)} terms have no notebook yet: {', '.join(missing)}"
        )
    wrong = []
    for term, notebook in TERM_NOTEBOOKS.items():
        given = _notebook_number(answer[term])
        if given is None:
            wrong.append(f"{term!r}: {answer[term]!r} is not a notebook number (write e.g. 4 or '04')")
        elif given != notebook:
            wrong.append(f"{term!r} is not built in {given}")
    if wrong:
        return report(
            False, f"{len(wrong)} of {len(TERM_NOTEBOOKS)} not yet: " + "; ".join(wrong) + " (see the glossary)"
        )
    return report(True, f"all {len(TERM_NOTEBOOKS)} terms are where the course builds them")
