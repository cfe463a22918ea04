"""Check functions for the exercises of ``notebooks/05_hierarchy.ipynb``.

Each exercise is declared as data (:class:`~swin_edu.exercises._feedback.Exercise`): its cases, the reference
from the library (:class:`swin_edu.swin.PatchMerging`, :class:`swin_edu.swin.SwinBlock`,
:func:`swin_edu.swin.meta_model` with :func:`swin_edu.complexity.stage_summary`), how an answer is read and the
typical mistakes with their hints. The shared runner calls the learner's answer on its own copies of the
inputs, prints either a ✓ or the first thing that is wrong, and returns ``True``/``False``; a wrong,
unfinished, crashing or endless answer never raises. Inputs and weights come from a private random
generator, so a check does not move the notebook's seed.

Patch merging gathers each 2x2 group of tokens of a channels-last map ``(B, H, W, C)`` in the official order
``x0`` (top-left), ``x1`` (bottom-left), ``x2`` (top-right), ``x3`` (bottom-right) into one ``4C`` vector.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..complexity import stage_summary
from ..language import N_, _
from ..swin import CONFIGS, PatchMerging, SwinBlock, merge_neighbours, meta_model
from ._feedback import (
    Case,
    Exercise,
    ExerciseResult,
    Mismatch,
    Mistake,
    as_number,
    call,
    call_text,
    compare_tensors,
    read_call_number,
    read_module,
    read_tensor,
    same,
    shown,
)

__all__ = ["check_merge", "check_linear_from_merge_conv", "check_stage_shapes", "check_block_params"]

#: the official order of the four neighbours, as (row, column) offsets inside a 2x2 group
OFFICIAL_ORDER = ((0, 0), (1, 0), (0, 1), (1, 1))
_NAMES = {
    (0, 0): N_("x0 (top-left)"),
    (1, 0): N_("x1 (bottom-left)"),
    (0, 1): N_("x2 (top-right)"),
    (1, 1): N_("x3 (bottom-right)"),
}
_ROW_BY_ROW = ((0, 0), (0, 1), (1, 0), (1, 1))


def _call_text(c: Case) -> str:
    return call_text(c)


def _merging(dim: int, g: torch.Generator) -> PatchMerging:
    """A :class:`PatchMerging` with random LayerNorm and projection weights drawn from ``g``."""
    with torch.random.fork_rng(devices=[]):  # building it draws from the global generator: keep the caller's
        merging = PatchMerging(dim)
    with torch.no_grad():
        merging.norm.weight.copy_(1.0 + 0.3 * torch.randn(4 * dim, generator=g))
        merging.norm.bias.copy_(0.5 * torch.randn(4 * dim, generator=g))
        merging.reduction.weight.copy_(torch.randn(2 * dim, 4 * dim, generator=g) / math.sqrt(4 * dim))
    return merging.eval()


def _gather(x: torch.Tensor, order=OFFICIAL_ORDER, pad_end: bool = True) -> torch.Tensor:
    """Concatenate each 2x2 group in ``order`` (odd sides padded with zeros at the end or the start)."""
    H, W = x.shape[1], x.shape[2]
    pad = (0, 0, 0, W % 2, 0, H % 2) if pad_end else (0, 0, W % 2, 0, H % 2, 0)
    x = F.pad(x, pad)
    return torch.cat([x[:, r::2, c::2] for r, c in order], dim=-1)  # (B, H/2, W/2, 4C)


# ----------------------------------------------------------------------------------------------------------
# Exercise 1: patch merging by hand, odd sides included


def _merge_cases() -> list[Case]:
    g = torch.Generator().manual_seed(51)
    cases = []
    for B, H, W, C in [(2, 4, 8, 3), (1, 6, 6, 5), (2, 7, 5, 4), (1, 4, 3, 2)]:
        merging = _merging(C, g)
        x = torch.randn(B, H, W, C, generator=g)
        where = _("for x of shape {shape}").format(shape=(B, H, W, C))
        cases.append(
            Case(x, merging.norm, merging.reduction, where=where, x=x, merging=merging, odd=bool(H % 2 or W % 2))
        )
    return cases


@torch.no_grad()
def _merged(c: Case, order=OFFICIAL_ORDER, norm: bool = True, pad_end: bool = True) -> torch.Tensor:
    """Patch merging of the case's map with the case's weights, done right or in a typical wrong way."""
    gathered = _gather(c.x, order, pad_end)
    return c.merging.reduction(c.merging.norm(gathered) if norm else gathered)


def _order_mistake(order) -> Mistake:
    named = ", ".join(_NAMES[o] for o in order)

    def hint(c: Case) -> str:
        first, second, third, fourth = (_(_NAMES[o]) for o in order)
        return _(
            "the four neighbours are concatenated as {first}, {second}, {third}, {fourth}; the official order is "
            "x0, x1, x2, x3"
        ).format(first=first, second=second, third=third, fourth=fourth)

    return Mistake(
        f"order {named}",
        hint,
        wrong=lambda c: _merged(c, order),
        atol=1e-4,
    )


def _plain_reshape(c: Case) -> torch.Tensor:
    B, H, W, C = c.x.shape
    with torch.no_grad():
        return c.merging.reduction(c.merging.norm(c.x.reshape(B, H // 2, W // 2, 4 * C)))


def _merge_shape(c: Case, channels: int) -> tuple[int, int, int, int]:
    B, H, W, C = c.x.shape
    return (B, H // 2, W // 2, channels * C)


def _pad_hint(c: Case) -> str:
    H, W = c.x.shape[1], c.x.shape[2]
    return _(
        "the map is {H}x{W}, with an odd side: the 2x2 slices then have different sizes. Pad it with zeros "
        "to even sides first, as the library does: F.pad(x, (0, 0, 0, W % 2, 0, H % 2))"
    ).format(H=H, W=W)


MERGE = Exercise(
    cases=_merge_cases,
    reference=lambda c: _merged(c),
    read=lambda answer, c, name: read_tensor(answer, _("the merged map")),
    compare=lambda got, expected, c: compare_tensors(_("the merged map"), got, expected, atol=1e-4, rtol=1e-4),
    what=N_("the merged map"),
    success=N_("{name} merges each 2x2 group of neighbours exactly as PatchMerging does, odd sides too"),
    mistakes=[
        Mistake("odd side not padded", _pad_hint, when=lambda crash, c: c.odd, kinds=("crash",)),
        Mistake(
            "no LayerNorm",
            N_("you skipped the LayerNorm: normalize the 4C vector before the projection, reduction(norm(x))"),
            wrong=lambda c: _merged(c, norm=False),
            atol=1e-4,
        ),
        Mistake(
            "row by row",
            N_(
                "the neighbours are in the order x0, x2, x1, x3 (row by row); the official order is "
                "x0 top-left x[:, 0::2, 0::2], x1 bottom-left x[:, 1::2, 0::2], x2 top-right x[:, 0::2, 1::2], "
                "x3 bottom-right x[:, 1::2, 1::2]. Pretrained weights expect exactly this order"
            ),
            wrong=lambda c: _merged(c, _ROW_BY_ROW),
            atol=1e-4,
        ),
        *[_order_mistake(o) for o in itertools.permutations(OFFICIAL_ORDER) if o not in (OFFICIAL_ORDER, _ROW_BY_ROW)],
        Mistake(
            "plain reshape",
            N_(
                "a plain reshape to (B, H/2, W/2, 4C) puts four tokens of one row together, not a 2x2 square: "
                "take the neighbours with strided slices such as x[:, 0::2, 0::2]"
            ),
            wrong=_plain_reshape,
            when=lambda got, c: c.x.shape[1] % 2 == 0 and c.x.shape[2] % 4 == 0,
            atol=1e-4,
        ),
        Mistake(
            "padded at the start",
            N_("pad the odd side with zeros at the bottom and on the right, not at the top or on the left"),
            wrong=lambda c: _merged(c, pad_end=False),
            when=lambda got, c: c.odd,
            atol=1e-4,
        ),
        Mistake(
            "somewhere else",
            N_("check the four slices, their order x0, x1, x2, x3, the LayerNorm and the projection"),
            when=lambda got, c: True,
        ),
        Mistake(
            "odd side dropped",
            N_(
                "the odd row or column was dropped; pad it with zeros first, as the library does: "
                "F.pad(x, (0, 0, 0, W % 2, 0, H % 2))"
            ),
            when=lambda got, c: c.odd and tuple(got.shape) == _merge_shape(c, 2),
            kinds=("shape",),
        ),
        Mistake(
            "no projection",
            N_("that is the concatenation (4C); apply the LayerNorm, then the projection to 2C"),
            when=lambda got, c: got.shape[-1] == 4 * c.x.shape[-1],
            kinds=("shape",),
        ),
        Mistake(
            "channels first",
            N_("that is channels-first; the map stays channels-last, (B, H/2, W/2, 2C)"),
            when=lambda got, c: got.dim() == 4 and got.shape[1] == 2 * c.x.shape[-1],
            kinds=("shape",),
        ),
    ],
)


def check_merge(fn) -> ExerciseResult:
    """Check ``fn(x, norm, reduction)``: patch merging of a channels-last map, odd sides included.

    ``x`` is ``(B, H, W, C)``, ``norm`` is ``nn.LayerNorm(4C)`` and ``reduction`` is
    ``nn.Linear(4C, 2C, bias=False)``; the answer must equal :class:`swin_edu.swin.PatchMerging` with these
    weights: ``(B, ceil(H/2), ceil(W/2), 2C)``, an odd side zero-padded at the bottom or right first. The
    LayerNorm has random scales and shifts, so skipping it shows. Names a skipped or misplaced LayerNorm, the
    neighbours in another order (``x0, x2, x1, x3`` in particular), a plain reshape instead of a 2x2 gather,
    a forgotten projection, and an odd row or column not padded (a crash), cropped or padded on the wrong side.
    """
    return MERGE.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 2: a 2x2 stride-2 convolution as the merging projection


def _merge_conv_cases() -> list[Case]:
    g = torch.Generator().manual_seed(52)
    cases = []
    for C in (3, 5):
        with torch.random.fork_rng(devices=[]):
            conv = nn.Conv2d(C, 2 * C, kernel_size=2, stride=2, bias=False)
        with torch.no_grad():
            conv.weight.copy_(torch.randn(2 * C, C, 2, 2, generator=g))
        x = torch.randn(2, 4, 6, C, generator=g)  # (B, H, W, C)
        where = _("for {conv}").format(conv=f"Conv2d({C}, {2 * C}, kernel_size=2, stride=2, bias=False)")
        cases.append(Case(conv, where=where, conv=conv, C=C, x=x))
    return cases


@torch.no_grad()
def _conv_on_map(c: Case) -> torch.Tensor:
    return c.conv(c.x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)  # (B, H/2, W/2, 2C)


def _compare_merge_linear(linear: nn.Linear, expected: torch.Tensor, c: Case) -> Mismatch | None:
    """No bias, the weight's shape, then the map on the gathered neighbours against the conv."""
    if linear.bias is not None:
        return Mismatch("type", _("the projection of patch merging has no bias: build nn.Linear(4C, 2C, bias=False)"))
    weight = read_tensor(linear.weight, _("its weight"))
    if isinstance(weight, Mismatch):
        return weight
    C = c.C
    if tuple(weight.shape) != (2 * C, 4 * C):
        return Mismatch(
            "shape",
            _("its weight has shape {shape}, expected {expected}").format(
                shape=tuple(weight.shape), expected=(2 * C, 4 * C)
            ),
            _("the projection maps 4C = {inputs} numbers to 2C = {outputs}").format(inputs=4 * C, outputs=2 * C),
        )
    with torch.no_grad():
        got = call(linear, (merge_neighbours(c.x),), name=_("your Linear"))  # (B, H/2, W/2, 2C)
    if isinstance(got, Mismatch):
        return got
    mismatch = compare_tensors("linear(gather(x))", got, expected, atol=1e-4, rtol=1e-4)
    if mismatch is not None:
        hint = _("block k of C columns must be conv.weight[:, :, r, c] for the k-th neighbour (r, c)")
        return Mismatch(mismatch.kind, mismatch.message, hint)
    return None


def _weight_is(linear, wrong: torch.Tensor) -> bool:
    return same(read_tensor(linear.weight, "its weight"), wrong, atol=1e-6)


LINEAR_FROM_MERGE_CONV = Exercise(
    cases=_merge_conv_cases,
    reference=_conv_on_map,
    read=lambda answer, c, name: read_module(answer, nn.Linear, name),
    compare=_compare_merge_linear,
    missing=N_("{name} should return an nn.Linear, got nothing (a missing `return`?)"),
    success=N_("{name} gives the Linear(4C, 2C) on the gathered neighbours that equals the 2x2 stride-2 conv"),
    mistakes=[
        Mistake(
            "weight as (in, out)",
            N_("nn.Linear stores its weight as (out_features, in_features)"),
            when=lambda linear, c: tuple(linear.weight.shape) == (4 * c.C, 2 * c.C),
            kinds=("shape",),
        ),
        Mistake(
            "row by row",
            N_(
                "permute(0, 2, 3, 1) lays the kernel out row by row, i.e. x0, x2, x1, x3; the official order "
                "x0, x1, x2, x3 runs down each column of the 2x2 kernel: permute(0, 3, 2, 1) before the reshape"
            ),
            when=lambda linear, c: _weight_is(linear, c.conv.weight.permute(0, 2, 3, 1).reshape(2 * c.C, 4 * c.C)),
        ),
        Mistake(
            "conv's own order",
            N_(
                "this is the conv's weight flattened in its own (channel, row, column) order; the 4C inputs are "
                "four whole tokens one after another, x0, x1, x2, x3, each C channels"
            ),
            when=lambda linear, c: _weight_is(linear, c.conv.weight.reshape(2 * c.C, 4 * c.C)),
        ),
    ],
)


def check_linear_from_merge_conv(fn) -> ExerciseResult:
    """Check ``fn(conv) -> nn.Linear(4C, 2C, bias=False)``: the merging projection equal to a strided conv.

    ``conv`` is ``nn.Conv2d(C, 2C, kernel_size=2, stride=2, bias=False)``; the answer must satisfy
    ``linear(gather(x)) == conv(x)`` (read channels-last) for every map ``x``, where ``gather`` is the official
    concatenation ``x0, x1, x2, x3`` (:func:`swin_edu.swin.merge_neighbours`) that
    :class:`swin_edu.swin.PatchMerging` feeds its LayerNorm. Names the row-by-row order ``x0, x2, x1, x3``
    (a ``permute(0, 2, 3, 1)``), the conv's own flattening, a transposed weight and a bias.
    """
    return LINEAR_FROM_MERGE_CONV.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 3: the stage shapes of a Swin model

_VARIANT_OF_WIDTH = {config["embed_dim"]: name for name, config in reversed(CONFIGS.items())}  # 96 -> swin_t


def _stage_cases() -> list[Case]:
    cases = []
    for img_size, C, M in [(384, 128, 12), (224, 96, 7), (448, 192, 12), (224, 128, 12)]:
        cases.append(Case(img_size, C, M, img_size=img_size, C=C, M=M))
    return cases


def _expected_stages(c: Case) -> list[tuple[int, int, int, int]]:
    """(height, width, channels, windows) per stage, read off the library's meta-device model."""
    model = meta_model(_VARIANT_OF_WIDTH[c.C], window_size=c.M, img_size=c.img_size)
    return [(s["height"], s["width"], s["channels"], s["windows"]) for s in stage_summary(model)]


def _whole(value):
    number = as_number(value)
    return int(number) if number is not None and float(number).is_integer() else None


def _read_stages(answer, c: Case, name: str):
    call_text = _call_text(c)
    try:
        rows = [tuple(row) for row in answer]
    except TypeError:
        message = _("{call} should return a list of 4 tuples, got {type}")
        return Mismatch("type", message.format(call=call_text, type=type(answer).__name__))
    if len(rows) != 4 or any(len(row) != 4 for row in rows):
        message = _("{call} should give 4 stages, each (height, width, channels, windows); got {answer}")
        return Mismatch("type", message.format(call=call_text, answer=repr(answer)))
    return rows


def _first_wrong(rows, expected) -> tuple[int, tuple, tuple] | None:
    """The first stage whose row differs: ``(i, the row as whole numbers, the right row)``."""
    for i, (row, want) in enumerate(zip(rows, expected)):
        got = tuple(_whole(v) for v in row)
        if got != want:
            return i, got, want
    return None


def _compare_stages(rows, expected, c: Case) -> Mismatch | None:
    wrong = _first_wrong(rows, expected)
    if wrong is None:
        return None
    i, got, want = wrong
    H, W, channels, windows = want
    message = _("{call}, stage {stage}: got {got}, expected {expected}").format(
        call=_call_text(c), stage=i + 1, got=repr(tuple(rows[i])), expected=want
    )
    if None in got:
        return Mismatch("type", message, _("give whole numbers (int)"))
    if got[:2] != (H, W):
        stride = 4 * 2**i
        hint = _("stage {stage} has stride {stride}: the map is img_size / {stride} = {side} on a side")
        return Mismatch("values", message, hint.format(stage=i + 1, stride=stride, side=H))
    if got[2] != channels:
        return Mismatch("values", message, _("patch merging doubles the channels at each step: C, 2C, 4C, 8C"))
    hint = _("count ceil(H/M) x ceil(W/M) windows of {M} x {M} tokens").format(M=c.M)
    return Mismatch("values", message, hint)


def _stage_mistake(name: str, hint, when) -> Mistake:
    """A mistake in the first wrong stage; ``when(i, got, want, case)`` and ``hint(i, want, case)``."""

    def matches(rows, c: Case) -> bool:
        i, got, want = _first_wrong(rows, _expected_stages(c))
        return when(i, got, want, c)

    def says(c: Case, rows) -> str:
        i, got, want = _first_wrong(rows, _expected_stages(c))
        return hint(i, want, c)

    return Mistake(name, says, when=matches)


STAGE_SHAPES = Exercise(
    cases=_stage_cases,
    reference=_expected_stages,
    read=_read_stages,
    compare=_compare_stages,
    returns=N_("4 tuples"),
    success=N_("{name} gives the resolution, width and windows of every stage"),
    mistakes=[
        _stage_mistake(
            "channels quadrupled",
            lambda i, want, c: _("4C is the concatenation; the projection brings it down to 2C, so channels double"),
            lambda i, got, want, c: got[:2] == want[:2] and got[2] == c.C * 4**i != want[2],
        ),
        _stage_mistake(
            "a map no larger than the window",
            lambda i, want, c: _("a map no larger than the window (here {side} <= {M}) is a single window").format(
                side=want[0], M=c.M
            ),
            lambda i, got, want, c: got[:3] == want[:3] and want[0] <= c.M,
        ),
        _stage_mistake(
            "no padding",
            lambda i, want, c: _(
                "{side} is not a multiple of {M}: the map is padded, so there are "
                "ceil({side}/{M}) = {windows} windows a side"
            ).format(side=want[0], M=c.M, windows=math.ceil(want[0] / c.M)),
            lambda i, got, want, c: got[:3] == want[:3] and got[3] == (want[0] // c.M) ** 2,
        ),
        _stage_mistake(
            "one side",
            lambda i, want, c: _(
                "that is the windows along one side; the map has {rows} x {columns} windows"
            ).format(rows=math.ceil(want[0] / c.M), columns=math.ceil(want[1] / c.M)),
            lambda i, got, want, c: got[:3] == want[:3] and got[3] == math.ceil(want[0] / c.M),
        ),
    ],
)


def check_stage_shapes(fn) -> ExerciseResult:
    """Check ``fn(img_size, embed_dim, window_size)``: the four stages of a Swin model on a square image.

    The answer is a list of four tuples ``(height, width, channels, windows)``, one per stage, as
    :func:`swin_edu.complexity.stage_summary` computes them for :func:`swin_edu.swin.meta_model`: maps of side
    ``img_size / 4, / 8, / 16, / 32``, channels ``C, 2C, 4C, 8C``, and ``ceil(H / M) * ceil(W / M)`` windows (a
    map whose sides are not multiples of ``M`` is padded), except that a map no larger than ``M`` is one
    window. Numbers may be Python, numpy or one-element tensors. Cases: Swin-B at 384 with ``M = 12`` first,
    then Swin-T at 224, a map that needs padding (Swin-L at 448) and one smaller than the window.
    """
    return STAGE_SHAPES.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 4: the parameters of one Swin block


def _block_parameters(c: Case) -> int:
    with torch.device("meta"):  # shapes only
        block = SwinBlock(c.C, c.h, window_size=c.M)
    return sum(p.numel() for p in block.parameters())


def _compare_count(got, expected: int, c: Case) -> Mismatch | None:
    if got == expected:
        return None
    message = _("{call} gives {got}, expected {expected}")
    return Mismatch("values", message.format(call=_call_text(c), got=shown(got), expected=f"{expected:,}"))


def _vit_block(c: Case) -> int:
    return 12 * c.C**2 + 13 * c.C


def _count_mistake(name: str, hint: str, wrong) -> Mistake:
    return Mistake(name, hint, when=lambda got, c: got == wrong(c))


BLOCK_PARAMS = Exercise(
    cases=lambda: [Case(C, h, M, C=C, h=h, M=M) for C, h, M in [(96, 3, 7), (128, 4, 12), (64, 2, 5), (192, 6, 7)]],
    reference=_block_parameters,
    read=read_call_number,
    compare=_compare_count,
    returns=N_("a number"),
    success=N_("{name} counts a Swin block: 12C^2 + 13C + (2M - 1)^2 h"),
    mistakes=[
        _count_mistake(
            "ViT's block",
            N_("that is ViT's block; add the relative position bias table, (2M - 1)^2 rows by h heads"),
            _vit_block,
        ),
        _count_mistake(
            "M^2 rows",
            N_("the table has a row per offset between two tokens: (2M - 1)^2 rows, not M^2"),
            lambda c: _vit_block(c) + c.M**2 * c.h,
        ),
        _count_mistake(
            "M^4 rows",
            N_("the table holds one row per offset, (2M - 1)^2 of them, not one per token pair"),
            lambda c: _vit_block(c) + c.M**4 * c.h,
        ),
        _count_mistake(
            "one column",
            N_("the table has one column per head: (2M - 1)^2 * h"),
            lambda c: _vit_block(c) + (2 * c.M - 1) ** 2,
        ),
        _count_mistake(
            "no biases",
            N_("count the biases and LayerNorms too: 13C (qkv 3C, proj C, MLP 5C, 4C)"),
            lambda c: 12 * c.C**2 + (2 * c.M - 1) ** 2 * c.h,
        ),
    ],
)


def check_block_params(fn) -> ExerciseResult:
    """Check ``fn(C, num_heads, window_size) -> int``: the parameters of one Swin block as a formula.

    The answer must equal the parameter count of :class:`swin_edu.swin.SwinBlock` (built on the ``meta`` device):
    ``12C^2 + 13C + (2M - 1)^2 h``, the pre-norm block of ViT plus the relative position bias table. Numbers
    may be Python, numpy or one-element tensors. Names a missing table, a table of ``M^2`` or ``M^4`` rows, a
    table without a column per head, and missing biases.
    """
    return BLOCK_PARAMS.check(fn)
