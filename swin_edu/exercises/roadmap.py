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
from ..language import N_, _
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
        N_("{answer} is the number of pixels; a token is a whole {p}x{p} patch of them"),
        when=lambda a, f: a == f["H"] * f["W"],
    ),
    Mistake(
        "one side",
        N_("{answer} patches fit along one side; the patches form a square grid"),
        when=lambda a, f: a == f["side"],
    ),
    Mistake(
        "p pixels per patch",
        N_("a {p}x{p} patch holds {pp} pixels, not {p}"),
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
        return report(True, _("({H}/{p}) x ({W}/{p}) patches, one token each: the stage-1 map").format(**facts))
    for mistake in TOKEN_MISTAKES:
        if mistake.when(value, facts):
            message = _(mistake.hint).format(answer=value, pp=facts["p"] ** 2, **facts)
            return fail(Mismatch("values", message, mistake=mistake.name))
    message = _("{answer} is not it: count the {p}x{p} patches along each side of the {H}x{W} image")
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
        message = _("no stage of Swin-T has stride {stride}; the strides are {strides}")
        return fail(Mismatch("values", message.format(stride=stride, strides=strides)))
    right = next(r for r in rows.values() if r["stride"] == stride)
    if stage not in rows:
        message = _("Swin-T has stages {first} to {last}, not {stage}")
        return fail(Mismatch("values", message.format(first=min(rows), last=max(rows), stage=stage)))
    if stage != right["stage"]:
        message = _("stage {stage} has stride {its}, not {stride}").format(
            stage=stage, its=rows[stage]["stride"], stride=stride
        )
        return fail(Mismatch("values", message, _("each patch merging doubles the stride")))
    if channels != right["channels"]:
        message = _("stage {stage} is right, but {channels} channels is not").format(stage=stage, channels=channels)
        hint = _("stage 1 has C = {C}, and each patch merging doubles the channels").format(C=rows[1]["channels"])
        return fail(Mismatch("values", message, hint))
    message = _("stage {stage}: a {height}x{width} map of {channels} channels, one token per {stride}x{stride} pixels")
    facts = dict(stage=stage, height=right["height"], width=right["width"], channels=channels, stride=stride)
    return report(True, message.format(**facts))


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
            problems.append(_("n_windows = {n} counts the windows along one side only").format(n=n_windows))
        else:
            message = _("n_windows = {n} is not it: count the {M}x{M} windows that tile the {H}x{W} map")
            problems.append(message.format(n=n_windows, M=M, H=H, W=W))
    if tokens_per_window != M * M:
        if tokens_per_window == M:
            problems.append(_("tokens_per_window = {M} is one row of the window; it is {M}x{M}").format(M=M))
        else:
            message = _("tokens_per_window = {n} is not it: a window is {M}x{M} tokens")
            problems.append(message.format(n=tokens_per_window, M=M))
    if problems:
        return fail(Mismatch("values", _("; ").join(problems)))
    message = _(
        "({H}/{M}) x ({W}/{M}) windows of {M}x{M} tokens; each token attends to the tokens of its own window only"
    )
    return report(True, message.format(H=H, W=W, M=M))


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
        message = _("answer should be a dict from term to notebook, got {type}")
        return fail(Mismatch("type", message.format(type=type(answer).__name__)))
    missing = [term for term in TERM_NOTEBOOKS if answer.get(term) is None]
    if missing:
        message = _("{count} of {total} terms have no notebook yet: {terms}").format(
            count=len(missing), total=len(TERM_NOTEBOOKS), terms=", ".join(missing)
        )
        return fail(Mismatch("missing", message))
    wrong = []
    for term, notebook in TERM_NOTEBOOKS.items():
        given = _notebook_number(answer[term])
        if given is None:
            message = _("{term}: {given} is not a notebook number (write e.g. 4 or '04')")
            wrong.append(message.format(term=repr(term), given=repr(answer[term])))
        elif given != notebook:
            wrong.append(_("{term} is not built in {given}").format(term=repr(term), given=given))
    if wrong:
        message = _("{count} of {total} not yet: {wrong} (see the glossary)").format(
            count=len(wrong), total=len(TERM_NOTEBOOKS), wrong=_("; ").join(wrong)
        )
        return fail(Mismatch("values", message))
    return report(True, _("all {total} terms are where the course builds them").format(total=len(TERM_NOTEBOOKS)))
