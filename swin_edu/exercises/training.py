"""Check functions for the exercises of ``notebooks/06_training.ipynb``.

Each exercise is declared as data (:class:`~swin_edu.exercises._feedback.Exercise`) and checked against the
library: the learning rate schedule against :func:`swin_edu.train.lr_at`, which tokens may attend to each
other against :func:`swin_edu.windows.shifted_partition` (the naive partition that the cyclic shift and its
mask compute), and the weight-decay rule against :func:`swin_edu.train.param_groups`. A wrong, unfinished,
crashing or endless answer never raises; the check prints a ✓ or the first thing that is wrong, with a hint.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..language import N_, _
from ..swin import SwinTransformer
from ..train import lr_at, param_groups
from ..windows import shifted_partition
from ._feedback import Case, Exercise, ExerciseResult, Mismatch, Mistake, call_text, read_call_number, shown

__all__ = ["check_lr_schedule", "check_attends", "check_decays"]


def _shown_argument(value) -> str:
    """An argument as a verdict quotes it, on one line: a tensor by its shape (its values would fill the screen)."""
    if isinstance(value, torch.Tensor):
        return f"<tensor of shape {tuple(value.shape)}>"
    return repr(value)


def _call_text(c: Case) -> str:
    return call_text(c, _shown_argument)


def _read_flag(answer, c: Case, name: str):
    """True or False from a bool, a numpy bool or a one-element bool tensor; a type mismatch otherwise."""
    if isinstance(answer, torch.Tensor) and answer.numel() == 1 and answer.dtype == torch.bool:
        return bool(answer.reshape(()).item())
    if isinstance(answer, (bool, np.bool_)):
        return bool(answer)
    message = _("{call} should return True or False, got {type} {value}")
    return Mismatch("type", message.format(call=_call_text(c), type=type(answer).__name__, value=repr(answer)))


# ----------------------------------------------------------------------------------------------------------
# Exercise 1: the learning rate of every step


def _lr_cases() -> list[Case]:
    cases = []
    for step, total, warmup in [(0, 100, 10), (4, 100, 10), (9, 100, 10), (10, 100, 10), (55, 100, 10),
                                (70, 100, 10), (99, 100, 10), (0, 40, 0), (30, 40, 0), (2, 7, 3)]:
        cases.append(Case(step, total, 0.002, warmup, step=step, total=total, base=0.002, warmup=warmup))
    return cases


def _lr_reference(c: Case) -> float:
    return lr_at(c.step, c.total, base_lr=c.base, warmup_steps=c.warmup)


def _compare_rate(got, expected: float, c: Case) -> Mismatch | None:
    if math.isfinite(got) and math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-12):
        return None
    message = _("{call} gives {got}, expected {expected}")
    return Mismatch("values", message.format(call=_call_text(c), got=shown(got), expected=f"{expected:.6g}"))


def _cosine(c: Case, t: float) -> float:
    return c.base * 0.5 * (1.0 + math.cos(math.pi * t))


def _rate_mistake(name: str, hint: str, wrong) -> Mistake:
    return Mistake(name, hint, when=lambda got, c: math.isclose(got, wrong(c), rel_tol=1e-6, abs_tol=1e-12))


LR_SCHEDULE = Exercise(
    cases=_lr_cases,
    reference=_lr_reference,
    read=read_call_number,
    compare=_compare_rate,
    returns=N_("a number"),
    success=N_("{name} gives the rate of every step: linear warm-up to base_lr, then a cosine down towards 0"),
    mistakes=[
        _rate_mistake(
            "warm-up starts at 0",
            N_(
                "step 0 would not learn at all: the warm-up rate of step s is base_lr * (s + 1) / warmup_steps, "
                "so the last warm-up step reaches base_lr"
            ),
            lambda c: c.base * c.step / c.warmup if c.step < c.warmup else _lr_reference(c),
        ),
        _rate_mistake(
            "cosine over all steps",
            N_("the cosine starts after the warm-up: t = (step - warmup_steps) / (total_steps - warmup_steps)"),
            lambda c: _cosine(c, c.step / c.total) if c.step >= c.warmup else _lr_reference(c),
        ),
        _rate_mistake(
            "no warm-up",
            N_("the first warmup_steps steps rise linearly, base_lr * (step + 1) / warmup_steps, before the cosine"),
            lambda c: _cosine(c, c.step / c.total),
        ),
        _rate_mistake(
            "linear decay",
            N_("after the warm-up the rate follows a cosine, base_lr * (1 + cos(pi * t)) / 2, not a straight line"),
            lambda c: c.base * (1 - (c.step - c.warmup) / (c.total - c.warmup)) if c.step >= c.warmup else _lr_reference(c),
        ),
        _rate_mistake(
            "cosine to -base_lr",
            N_("the cosine goes from base_lr down to 0: base_lr * (1 + cos(pi * t)) / 2, with the 1 + and the / 2"),
            lambda c: c.base * math.cos(math.pi * (c.step - c.warmup) / (c.total - c.warmup)) if c.step >= c.warmup else _lr_reference(c),
        ),
    ],
)


def check_lr_schedule(fn) -> ExerciseResult:
    """Check ``fn(step, total_steps, base_lr, warmup_steps) -> float`` against :func:`swin_edu.train.lr_at`.

    The paper's schedule (Sec. 4.1, scaled down): steps ``0 .. warmup_steps - 1`` rise linearly,
    ``base_lr * (step + 1) / warmup_steps``; then a cosine, ``base_lr * (1 + cos(pi * t)) / 2`` with
    ``t = (step - warmup_steps) / (total_steps - warmup_steps)``. Names a warm-up from 0, a cosine over all
    steps, no warm-up, a linear decay and a cosine without its ``1 +`` and ``/ 2``.
    """
    return LR_SCHEDULE.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 2: which tokens may attend to each other


_ATTENDS = [
    # (a, b, grid, M, s, lesson)
    ((3, 3), (3, 4), 8, 4, 0, "regular border"),
    ((0, 0), (3, 3), 8, 4, 0, "regular window"),
    ((3, 3), (3, 4), 8, 4, 2, "shift joins"),
    ((1, 1), (2, 2), 8, 4, 2, "shift splits"),
    ((0, 0), (7, 7), 8, 4, 2, "wrap-around"),
    ((0, 0), (1, 1), 8, 4, 2, "wrapped piece"),
    ((6, 2), (7, 2), 14, 7, 3, "shift joins"),
    ((2, 5), (3, 5), 14, 7, 3, "shift splits"),
    ((13, 0), (0, 13), 14, 7, 3, "wrap-around"),
]


def _attends_cases() -> list[Case]:
    return [Case(a, b, g, M, s, a=a, b=b, grid=g, M=M, s=s, lesson=lesson) for a, b, g, M, s, lesson in _ATTENDS]


def _attends(c: Case) -> bool:
    pieces = shifted_partition(c.grid, c.grid, c.M, c.s)  # (grid, grid): one id per (naive) shifted window
    return bool(pieces[c.a] == pieces[c.b])


def _compare_flag(got: bool, expected: bool, c: Case) -> Mismatch | None:
    if got == expected:
        return None
    message = _("{call} gives {got}, expected {expected}")
    return Mismatch("values", message.format(call=_call_text(c), got=got, expected=expected))


def _lesson(lesson: str, hint) -> Mistake:
    return Mistake(lesson, hint, when=lambda got, c: c.lesson == lesson)


ATTENDS = Exercise(
    cases=_attends_cases,
    reference=_attends,
    read=_read_flag,
    compare=_compare_flag,
    returns=N_("True or False"),
    success=N_("{name} knows which tokens attend to each other, in W-MSA and in SW-MSA with its mask"),
    mistakes=[
        _lesson("regular border", lambda c: _(
            "with shift 0 (W-MSA) the windows are the regular {M}x{M} tiles; column {a} and column "
            "{b} lie on the two sides of the border at {M}").format(M=c.M, a=c.a[1], b=c.b[1])),
        _lesson("regular window", lambda c: _(
            "with shift 0 both tokens lie in the first {M}x{M} window").format(M=c.M)),
        _lesson("shift joins", lambda c: _(
            "with shift {s} the windows start at row and column {s}, {next}, ...: the two tokens share "
            "the window that straddles the regular border (token t lies in shifted window (t - s) // M)").format(
                s=c.s, next=c.s + c.M)),
        _lesson("shift splits", lambda c: _(
            "with shift {s} a window border lies before row {s} (and column {s}): the tokens were together "
            "in the regular windows, but not in the shifted ones").format(s=c.s)),
        _lesson("wrap-around", lambda c: _(
            "the cyclic shift rolls both tokens into the same window of the rolled map, but they come from "
            "opposite edges of the image: the mask keeps them apart. Compare the pieces of the naive partition "
            "(Fig. 2 right): along each axis, positions before {s} form a piece of their own").format(s=c.s)),
        _lesson("wrapped piece", lambda c: _(
            "both tokens lie in the corner piece (rows and columns before {s}), which the roll moves as one "
            "block: they are in the same region of the rolled window, so the mask lets them attend").format(s=c.s)),
    ],
)


def check_attends(fn) -> ExerciseResult:
    """Check ``fn(a, b, grid, window_size, shift_size) -> bool``: may token ``a`` attend to token ``b``?

    ``a`` and ``b`` are ``(row, col)`` tokens of a ``grid x grid`` map; ``shift_size`` 0 is W-MSA, ``M // 2`` is
    SW-MSA (cyclic shift plus mask). The answer must equal the naive shifted partition,
    :func:`swin_edu.windows.shifted_partition`: the two tokens attend to each other exactly when they lie in the
    same piece. Cases cover the regular border, the shifted border, and the wrap-around that the mask forbids.
    """
    return ATTENDS.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 3: which parameters AdamW decays


def _decay_cases() -> list[Case]:
    with torch.random.fork_rng(devices=[]), torch.device("meta"):  # names and shapes only
        model = SwinTransformer(img_size=16, patch_size=2, embed_dim=8, depths=(2,), num_heads=(2,), window_size=4,
                                num_classes=2, abs_pos_embed=True)
    decayed = {id(p) for p in param_groups(model, 0.05)[0]["params"]}
    params = dict(model.named_parameters())
    order = [  # (name, lesson): one of each kind, the lessons in a teaching order
        ("layers.0.blocks.0.attn.qkv.weight", "matrix"),
        ("layers.0.blocks.0.attn.qkv.bias", "bias"),
        ("layers.0.blocks.0.norm1.weight", "norm"),
        ("layers.0.blocks.0.attn.relative_position_bias_table", "position table"),
        ("absolute_pos_embed", "position table"),
        ("patch_embed.proj.weight", "kernel"),
        ("head.weight", "matrix"),
        ("head.bias", "bias"),
        ("norm.bias", "bias"),
    ]
    cases = []
    for name, lesson in order:
        p = params[name]
        shape = tuple(p.shape)
        where = _("for {param} {shape}").format(param=name, shape=shape)
        cases.append(Case(name, torch.zeros(shape), where=where, param=name, shape=shape,
                          lesson=lesson, decays=id(p) in decayed))
    return cases


DECAYS = Exercise(
    cases=_decay_cases,
    reference=lambda c: c.decays,
    read=_read_flag,
    compare=lambda got, expected, c: None if got == expected else Mismatch(
        "values", _("{call} gives {got}, expected {expected}").format(
            call=f"{c.name}({c.param!r}, <tensor {c.shape}>)", got=got, expected=expected)),
    returns=N_("True or False"),
    success=N_("{name} follows the official recipe: weight decay for weight matrices and kernels, nothing else"),
    mistakes=[
        _lesson("matrix", N_("weight decay is for the weight matrices: a 2-d weight such as qkv.weight is decayed")),
        _lesson("bias", N_("biases are not decayed: a name ending in '.bias' is exempt (and a bias is 1-d anyway)")),
        _lesson("norm", N_("LayerNorm weights are 1-d: shrinking a norm's scale towards 0 would fight the "
                           "normalization, so every tensor with p.dim() <= 1 is exempt")),
        _lesson("position table", lambda c: _(
            "{table} is a position table ({shape}), exempt by name in the official code "
            "(relative_position_bias_table, absolute_pos_embed): decaying it would pull every position's bias "
            "towards 0").format(table=c.param.rsplit(".", 1)[-1], shape=c.shape)),
        _lesson("kernel", N_("the patch embedding's kernel (4-d, a convolution) is a weight too: decay every "
                             "tensor of 2 or more dimensions that is not a position table")),
    ],
)


def check_decays(fn) -> ExerciseResult:
    """Check ``fn(name, param) -> bool``: does AdamW's weight decay apply to this parameter?

    As in the official code (and :func:`swin_edu.train.param_groups`): decay weight matrices and convolution
    kernels; exempt every tensor with ``dim() <= 1`` (LayerNorm weights, biases), names ending in ``.bias``, and
    the position tables ``relative_position_bias_table`` and ``absolute_pos_embed``. ``param`` is a zero tensor
    of the parameter's shape.
    """
    return DECAYS.check(fn)
