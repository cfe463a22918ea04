"""Check functions for the exercises of ``notebooks/04_shifted_windows.ipynb``.

Each exercise is declared as data (:class:`~swin_edu.exercises._feedback.Exercise`): its cases, the reference
from the library (:mod:`swin_edu.windows`), how an answer is read and the typical mistakes with their hints.
The shared runner calls the learner's answer on its own copies of the inputs, prints either a ✓ or the first
thing that is wrong, and returns ``True``/``False``; a wrong, unfinished, crashing or endless answer never
raises. The inputs come from a private random generator, so a check does not move the notebook's seed.

Conventions, as in :mod:`swin_edu.windows`: maps are channels-last ``(B, H, W, C)``; the cyclic shift rolls a
map by ``-s`` on both axes (up and left); after the roll, positions along one axis of length ``L`` fall in
region 0 (``[0, L - M)``), 1 (``[L - M, L - s)``) or 2 (``[L - s, L)``); the tokens of a window are numbered
row by row, ``t = row * M + col``.
"""

from __future__ import annotations

import torch

from ..language import N_, _
from ..windows import MASK_VALUE, cyclic_shift, region_labels, shifted_partition, window_partition
from ._feedback import (
    Case,
    Exercise,
    ExerciseResult,
    Mismatch,
    Mistake,
    call_text,
    compare_tensors,
    read_number,
    read_tensor,
    shown,
)

__all__ = ["check_cyclic_shift", "check_axis_regions", "check_window_mask", "check_naive_windows"]


def _call_text(c: Case) -> str:
    return call_text(c)


# ----------------------------------------------------------------------------------------------------------
# Exercise 1: the cyclic shift


def _shift_cases() -> list[Case]:
    g = torch.Generator().manual_seed(41)
    cases = []
    for shape, s in [((3, 8, 8, 3), 2), ((1, 6, 9, 2), 1), ((2, 7, 7, 4), 3), ((1, 4, 4, 2), 0)]:
        x = torch.randn(*shape, generator=g)
        cases.append(Case(x, s, where=_("for x {shape} and s={s}").format(shape=shape, s=s), x=x, s=s))
    return cases


def _roll_mistake(name: str, hint: str, roll) -> Mistake:
    return Mistake(name, hint, wrong=lambda c: roll(c.x, c.s), atol=0)


CYCLIC_SHIFT = Exercise(
    cases=_shift_cases,
    reference=lambda c: cyclic_shift(c.x, c.s),  # (B, H, W, C)
    read=lambda answer, c, name: read_tensor(answer, _("the rolled map")),
    compare=lambda got, expected, c: compare_tensors(_("the rolled map"), got, expected),
    success=N_("{name} rolls the map like swin_edu.windows.cyclic_shift: up and left by s"),
    mistakes=[
        _roll_mistake(
            "rolled by +s",
            N_("you rolled by +s (down and right): that is the reverse shift; roll by -s"),
            lambda x, s: torch.roll(x, (s, s), (1, 2)),
        ),
        _roll_mistake(
            "rows only", N_("you rolled the rows only: roll both axes, dims=(1, 2)"), lambda x, s: torch.roll(x, -s, 1)
        ),
        _roll_mistake(
            "columns only",
            N_("you rolled the columns only: roll both axes, dims=(1, 2)"),
            lambda x, s: torch.roll(x, -s, 2),
        ),
        _roll_mistake(
            "dims (0, 1)",
            N_("you rolled dims (0, 1): in a (B, H, W, C) map the axes are 1 and 2"),
            lambda x, s: torch.roll(x, (-s, -s), (0, 1)),
        ),
        _roll_mistake(
            "dims (2, 3)",
            N_("you rolled dims (2, 3): in a (B, H, W, C) map the axes are 1 and 2"),
            lambda x, s: torch.roll(x, (-s, -s), (2, 3)),
        ),
        _roll_mistake(
            "no dims",
            N_("torch.roll without dims rolls the flattened tensor: pass dims=(1, 2)"),
            lambda x, s: torch.roll(x, -s),
        ),
    ],
)


def check_cyclic_shift(fn) -> ExerciseResult:
    """Check ``fn(x, s)``: roll a channels-last map ``(B, H, W, C)`` by ``-s`` rows and ``-s`` columns.

    Compared with :func:`swin_edu.windows.cyclic_shift` on square and rectangular maps and ``s = 0``; the
    function gets its own copy of ``x``, so changing it in place (``x.mul_(0)``) changes nothing here. Names a
    roll in the wrong direction (that is the reverse shift), a roll of one axis only, a roll of the wrong
    axes (the batch or the channels), and ``torch.roll`` without ``dims`` (which rolls the flattened tensor).
    """
    return CYCLIC_SHIFT.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 2: region labels along one axis


def _axis_regions(length: int, window_size: int, shift_size: int) -> torch.Tensor:
    """The library's regions along one axis, read off :func:`~swin_edu.windows.region_labels`."""
    return region_labels(length, window_size, window_size, shift_size)[:, 0] // 3  # (length,)


def _regions_mistake(name: str, hint: str, wrong) -> Mistake:
    return Mistake(name, hint, wrong=lambda c: wrong(torch.arange(c.L), c.L, c.M, c.s), atol=0)


AXIS_REGIONS = Exercise(
    cases=lambda: [Case(L, M, s, L=L, M=M, s=s) for L, M, s in [(8, 4, 2), (12, 4, 1), (14, 7, 3), (10, 5, 0)]],
    reference=lambda c: _axis_regions(c.L, c.M, c.s),  # (L,)
    read=lambda answer, c, name: read_tensor(answer, _call_text(c), allow_lists=True),
    compare=lambda got, expected, c: compare_tensors(_call_text(c), got, expected),
    success=N_("{name} gives the regions of swin_edu.windows.region_labels along one axis"),
    mistakes=[
        _regions_mistake(
            "no region 1",
            N_("region 1 is missing: the last window holds [L - M, L - s) too"),
            lambda pos, L, M, s: (pos >= L - s).long() * 2,
        ),
        _regions_mistake(
            "borders late",
            N_("the borders are one position late: region 1 starts at L - M and region 2 at L - s (use >=)"),
            lambda pos, L, M, s: (pos > L - M).long() + (pos > L - s).long(),
        ),
        _regions_mistake(
            "borders early",
            N_("the borders are one position early: region 1 starts at L - M and region 2 at L - s"),
            lambda pos, L, M, s: (pos >= L - M - 1).long() + (pos >= L - s - 1).long(),
        ),
        _regions_mistake(
            "before the roll",
            N_("these are the regions of the map before the roll: rolling by -s moves the first s to the end"),
            lambda pos, L, M, s: torch.roll(_axis_regions(L, M, s), s),
        ),
        _regions_mistake(
            "labels without shift",
            N_("with s = 0 there is no shift: every label is 0"),
            lambda pos, L, M, s: (pos >= L - M).long() + (pos >= L - s).long(),
        ),
    ],
)


def check_axis_regions(fn) -> ExerciseResult:
    """Check ``fn(length, M, s)``: the region, 0, 1 or 2, of each position along one axis of the rolled map.

    The answer is a ``(length,)`` tensor (or list): 0 on ``[0, L - M)``, 1 on ``[L - M, L - s)`` and 2 on
    ``[L - s, L)`` (all 0 when ``s = 0``), compared with the rows of :func:`swin_edu.windows.region_labels`.
    Names a forgotten region 1, borders off by one, the labels of the map before the roll (wrapped tokens at
    the start) and a non-zero label without shift.
    """
    return AXIS_REGIONS.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 3: the mask of one window from its labels


def _label_windows(g: torch.Generator) -> list[torch.Tensor]:
    """Windows of region labels ``(M, M)``: those of real shifted maps, and one with labels in no order."""
    cases = []
    for H, W, M, s in [(8, 8, 4, 2), (12, 9, 3, 1)]:
        labels = region_labels(H, W, M, s)  # (H, W)
        windows = window_partition(labels[None, :, :, None], M)[..., 0]  # (nW, M, M)
        cases.append(windows[-1])  # the bottom-right window holds four regions
    cases.append(torch.randint(0, 3, (4, 4), generator=g))  # not symmetric: catches a column-major order
    return cases


def _mask_of(labels: torch.Tensor) -> torch.Tensor:
    """The library's mask for one window of labels: the window's slice of shifted_window_mask's rule."""
    flat = labels.reshape(-1)  # (N,), tokens row by row
    same_label = flat[:, None] == flat[None, :]  # (N, N)
    return torch.zeros(same_label.shape).masked_fill(~same_label, MASK_VALUE)


def _label_cases() -> list[Case]:
    g = torch.Generator().manual_seed(43)
    return [
        Case(labels, where=_("for labels {labels}").format(labels=labels.tolist()), labels=labels, M=labels.shape[0])
        for labels in _label_windows(g)
    ]


WINDOW_MASK = Exercise(
    cases=_label_cases,
    reference=lambda c: _mask_of(c.labels),  # (N, N)
    read=lambda answer, c, name: read_tensor(answer, _("the mask")),
    compare=lambda got, expected, c: compare_tensors(_("the mask"), got, expected),
    success=N_("{name} builds the window's mask as swin_edu.windows.shifted_window_mask does"),
    mistakes=[
        Mistake(
            "not flattened",
            lambda c: _("shape {shape}: flatten the labels to N = M*M = {N} tokens first").format(
                shape=(c.M,) * 4, N=c.M * c.M
            ),
            when=lambda got, c: tuple(got.shape) == (c.M,) * 4,
            kinds=("shape",),
        ),
        Mistake(
            "boolean mask",
            N_(
                "it is a boolean tensor: Swin's mask is added to the logits, so it must be a float tensor, "
                "0 where two tokens share a label and -100 elsewhere"
            ),
            when=lambda got, c: got.dtype == torch.bool,
        ),
        Mistake(
            "-inf",
            N_("use -100 (MASK_VALUE), not -inf: section 4 shows why"),
            wrong=lambda c: _mask_of(c.labels).masked_fill(_mask_of(c.labels) < 0, float("-inf")),
            atol=0,
        ),
        Mistake(
            "values swapped",
            N_("0 and -100 are swapped: -100 goes where the labels differ"),
            wrong=lambda c: torch.where(_mask_of(c.labels) == 0, MASK_VALUE, 0.0),
            atol=0,
        ),
        Mistake(
            "1 and 0",
            N_("an additive mask is 0 where attention is allowed and -100 where not, not 1 and 0"),
            wrong=lambda c: (_mask_of(c.labels) == 0).float(),
            atol=0,
        ),
        Mistake(
            "column by column",
            N_("tokens are numbered row by row (labels.reshape(-1)), not column by column"),
            wrong=lambda c: _mask_of(c.labels.t()),
            atol=0,
        ),
    ],
)


def check_window_mask(fn) -> ExerciseResult:
    """Check ``fn(labels)``: the additive ``(N, N)`` mask of one window from its ``(M, M)`` region labels.

    Entry ``[i, j]`` is 0 when tokens ``i`` and ``j`` (numbered row by row) have the same label and -100
    (:data:`swin_edu.windows.MASK_VALUE`) otherwise. The windows come from real shifted maps (checked against
    :func:`swin_edu.windows.shifted_window_mask`) and from random labels. Names a boolean mask, a mask with
    the two values swapped, -inf instead of -100, a 1/0 mask, an unflattened ``(M, M, M, M)`` answer and
    tokens numbered column by column.
    """
    return WINDOW_MASK.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 4: how many windows the naive shifted partition needs


def _naive_cases() -> list[Case]:
    sizes = [(8, 8, 4, 2), (56, 56, 7, 3), (8, 12, 4, 2), (16, 8, 4, 1), (8, 8, 4, 0)]
    return [Case(H, W, M, s, H=H, W=W, M=M, s=s, regular=(H // M) * (W // M)) for H, W, M, s in sizes]


def _compare_naive(got, expected: int, c: Case) -> Mismatch | None:
    if got == expected:
        return None
    message = _("{call} = {got}, but the naive shifted partition has {expected} windows")
    return Mismatch("values", message.format(call=_call_text(c), got=shown(got), expected=expected))


def _count_mistake(name: str, hint, wrong, when=lambda c: True) -> Mistake:
    return Mistake(name, hint, when=lambda got, c: when(c) and got == wrong(c))


def _too_many(c: Case) -> str:
    return _(
        "that is more windows than the partition has: along each axis the shift leaves one extra piece, so a "
        "side of L tokens holds L/M + 1 windows ({rows} x {columns} here)"
    ).format(rows=c.H // c.M + 1, columns=c.W // c.M + 1)


NAIVE_WINDOWS = Exercise(
    cases=_naive_cases,
    reference=lambda c: int(shifted_partition(c.H, c.W, c.M, c.s).max()) + 1,
    read=lambda answer, c, name: read_number(answer, _call_text(c)),
    compare=_compare_naive,
    success=N_("{name} counts the windows of swin_edu.windows.shifted_partition"),
    mistakes=[
        _count_mistake(
            "shifted count without shift",
            N_("with s = 0 nothing shifts: the partition is the regular one"),
            lambda c: (c.H // c.M + 1) * (c.W // c.M + 1),
            when=lambda c: c.s == 0,
        ),
        _count_mistake(
            "regular count",
            N_("that is the regular count: the shift cuts a piece off at each end, one window more per row"),
            lambda c: c.regular,
            when=lambda c: c.s > 0,
        ),
        _count_mistake(
            "one window more in total",
            N_("the shift adds one window per row of windows and one per column, not one in total"),
            lambda c: c.regular + 1,
            when=lambda c: c.s > 0,
        ),
        _count_mistake(
            "H for both axes",
            N_("you used H for both axes: count rows and columns of windows separately"),
            lambda c: (c.H // c.M + 1) ** 2,
            when=lambda c: c.s > 0 and c.H != c.W,
        ),
        _count_mistake(
            "W for both axes",
            N_("you used W for both axes: count rows and columns of windows separately"),
            lambda c: (c.W // c.M + 1) ** 2,
            when=lambda c: c.s > 0 and c.H != c.W,
        ),
        _count_mistake(
            "both partitions",
            N_(
                "you counted the regular windows and the shifted ones together; the naive shifted partition "
                "replaces the regular one"
            ),
            lambda c: c.regular + (c.H // c.M + 1) * (c.W // c.M + 1),
            when=lambda c: c.s > 0,
        ),
        _count_mistake(
            "two extra pieces per axis",
            N_("the shift cuts one piece off per row and per column of windows, not two: L/M + 1 windows along a side"),
            lambda c: (c.H // c.M + 2) * (c.W // c.M + 2),
            when=lambda c: c.s > 0,
        ),
        Mistake(
            "extra windows",
            _too_many,
            when=lambda got, c: c.s > 0 and got > (c.H // c.M + 1) * (c.W // c.M + 1),
        ),
    ],
)


def check_naive_windows(fn) -> ExerciseResult:
    """Check ``fn(H, W, M, s)``: the number of windows of the naive shifted partition of an ``H x W`` map.

    ``H`` and ``W`` are multiples of ``M``. Compared with :func:`swin_edu.windows.shifted_partition` (whose
    largest window index plus one is the count), on square and rectangular maps and without shift. Names
    the regular count given for a shifted map, one extra window in total instead of one per row and per
    column, the height used for both axes, a shift counted when ``s = 0``, and extra windows (both
    partitions counted, two pieces per axis, or simply too many).
    """
    return NAIVE_WINDOWS.check(fn)
