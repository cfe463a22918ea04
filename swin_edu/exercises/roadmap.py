"""Checks for notebook 00 (the roadmap): Swin-T's shapes read off the map, and where each term is built.

The right answers come from the library's Swin-T on the ``meta`` device (:func:`swin_edu.swin.meta_model`:
its structure, no weights), :func:`~swin_edu.complexity.stage_summary` and
:func:`~swin_edu.windows.window_grid`; only the course's own map (which notebook builds what) is written down
here, in :data:`TERM_NOTEBOOKS`. Answers are read by the shared reader
(:func:`~swin_edu.exercises._feedback.read_whole_number`: ints, whole floats, numpy integers, one-element
tensors), and a wrong one returns a structured :class:`~swin_edu.exercises._feedback.Mismatch`.
"""

from __future__ import annotations

import numbers
import re

import numpy as np

from .. import complexity
from ..swin import meta_model
from ..windows import window_grid
from ._feedback import ExerciseResult, Mismatch, Mistake, fail, read_whole_number, report

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


def _stages() -> list[dict]:
    return complexity.stage_summary(meta_model("swin_t"))


def _tokens_facts() -> dict:
    model = meta_model("swin_t")
    (H, W), p = model.img_size, model.patch_size
    stage1 = _stages()[0]
    return dict(H=H, W=W, p=p, side=stage1["height"], expected=stage1["height"] * stage1["width"])


#: Typical wrong counts of tokens: ``when(answer, facts)``, and the hint (a format string over the facts).
TOKEN_MISTAKES = (
    Mistake(
        "pixels",
        "{answer} is the number of pixels; a token is a whole {p}x{p} patch of them",
        when=lambda a, f: a == f["H"] * f["W"],
    ),
    Mistake(
        "one side",
        "{answer} patches fit along one side; the patches form a square grid",
        when=lambda a, f: a == f["side"],
    ),
    Mistake(
        "p pixels per patch",
        "a {p}x{p} patch holds {pp} pixels, not {p}",
        when=lambda a, f: a == f["H"] * f["W"] // f["p"],
    ),
)


def check_tokens(answer) -> ExerciseResult:
    """How many tokens a 224x224 image gives when cut into Swin-T's 4x4 patches (the stage-1 map).

    The answer may be an int, a whole float, a numpy integer or a one-element tensor."""
    value = read_whole_number(answer, "answer")
    if isinstance(value, Mismatch):
        return fail(value)
    facts = _tokens_facts()
    if value == facts["expected"]:
        return report(True, "({H}/{p}) x ({W}/{p}) patches, one token each: the stage-1 map".format(**facts))
    for mistake in TOKEN_MISTAKES:
        if mistake.when(value, facts):
            message = mistake.hint.format(answer=value, pp=facts["p"] ** 2, **facts)
            return fail(Mismatch("values", message, mistake=mistake.name))
    message = "{answer} is not it: count the {p}x{p} patches along each side of the {H}x{W} image"
    return fail(Mismatch("values", message.format(answer=value, **facts)))


def check_stage_at_stride(stage, channels, stride: int = 16) -> ExerciseResult:
    """Which stage of Swin-T has feature maps at ``stride`` (pixels per token), and how many channels."""
    values = [read_whole_number(value, name) for name, value in (("stage", stage), ("channels", channels))]
    for value in values:
        if isinstance(value, Mismatch):
            return fail(value)
    stage, channels = values
    rows = {r["stage"]: r for r in _stages()}
    if stride not in {r["stride"] for r in rows.values()}:
        strides = [r["stride"] for r in rows.values()]
        return fail(Mismatch("values", f"no stage of Swin-T has stride {stride}; the strides are {strides}"))
    right = next(r for r in rows.values() if r["stride"] == stride)
    if stage not in rows:
        return fail(Mismatch("values", f"Swin-T has stages {min(rows)} to {max(rows)}, not {stage}"))
    if stage != right["stage"]:
        message = f"stage {stage} has stride {rows[stage]['stride']}, not {stride}"
        return fail(Mismatch("values", message, "each patch merging doubles the stride"))
    if channels != right["channels"]:
        message = f"stage {stage} is right, but {channels} channels is not"
        hint = f"stage 1 has C = {rows[1]['channels']}, and each patch merging doubles the channels"
        return fail(Mismatch("values", message, hint))
    return report(
        True,
        f"stage {stage}: a {right['height']}x{right['width']} map of {channels} channels, one token per "
        f"{stride}x{stride} pixels",
    )


def check_windows(n_windows, tokens_per_window) -> ExerciseResult:
    """How many windows tile Swin-T's stage-1 map, and how many tokens one window's attention sees."""
    named = (("n_windows", n_windows), ("tokens_per_window", tokens_per_window))
    values = [read_whole_number(value, name) for name, value in named]
    for value in values:
        if isinstance(value, Mismatch):
            return fail(value)
    n_windows, tokens_per_window = values
    stage1 = _stages()[0]
    H, W, M = stage1["height"], stage1["width"], stage1["window"]
    problems = []
    if n_windows != stage1["windows"]:
        if n_windows == window_grid(H, W, M).rows:
            problems.append(f"n_windows = {n_windows} counts the windows along one side only")
        else:
            problems.append(f"n_windows = {n_windows} is not it: count the {M}x{M} windows that tile the {H}x{W} map")
    if tokens_per_window != M * M:
        if tokens_per_window == M:
            problems.append(f"tokens_per_window = {M} is one row of the window; it is {M}x{M}")
        else:
            problems.append(f"tokens_per_window = {tokens_per_window} is not it: a window is {M}x{M} tokens")
    if problems:
        return fail(Mismatch("values", "; ".join(problems)))
    return report(
        True,
        f"({H}/{M}) x ({W}/{M}) windows of {M}x{M} tokens; each token attends to the tokens of its own window only",
    )


def _notebook_number(value) -> str | None:
    """'04' from 4, '4', '04' or '04_shifted_windows'; None if there is no number."""
    if isinstance(value, (bool, np.bool_)):
        return None
    match = re.match(r"\s*0*(\d+)", str(value)) if isinstance(value, (numbers.Integral, str)) else None
    return f"{int(match.group(1)):02d}" if match else None


def check_term_notebooks(answer) -> ExerciseResult:
    """Match each term of :data:`TERM_NOTEBOOKS` to the notebook (01-05) that builds it.

    ``answer`` is a dict from term to notebook, written as ``4``, ``"04"`` or ``"04_shifted_windows"``.
    """
    if not isinstance(answer, dict):
        return fail(Mismatch("type", f"answer should be a dict from term to notebook, got {type(answer).__name__}"))
    missing = [term for term in TERM_NOTEBOOKS if answer.get(term) is None]
    if missing:
        message = f"{len(missing)} of {len(TERM_NOTEBOOKS)} terms have no notebook yet: {', '.join(missing)}"
        return fail(Mismatch("missing", message))
    wrong = []
    for term, notebook in TERM_NOTEBOOKS.items():
        given = _notebook_number(answer[term])
        if given is None:
            wrong.append(f"{term!r}: {answer[term]!r} is not a notebook number (write e.g. 4 or '04')")
        elif given != notebook:
            wrong.append(f"{term!r} is not built in {given}")
    if wrong:
        message = f"{len(wrong)} of {len(TERM_NOTEBOOKS)} not yet: " + "; ".join(wrong) + " (see the glossary)"
        return fail(Mismatch("values", message))
    return report(True, f"all {len(TERM_NOTEBOOKS)} terms are where the course builds them")
