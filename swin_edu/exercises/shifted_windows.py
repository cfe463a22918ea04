"""Check functions for the exercises of ``notebooks/04_shifted_windows.ipynb``.

Each ``check_...`` function calls the learner's answer on a few small inputs, compares it with the library
(:mod:`swin_edu.windows`), prints either a ✓ or the first thing that is wrong, and returns ``True``/``False``.
A wrong, unfinished or crashing answer never raises. The inputs come from a private random generator, so a
check does not move the notebook's seed.

Conventions, as in :mod:`swin_edu.windows`: maps are channels-last ``(B, H, W, C)``; the cyclic shift rolls a
map by ``-s`` on both axes (up and left); after the roll, positions along one axis of length ``L`` fall in
region 0 (``[0, L - M)``), 1 (``[L - M, L - s)``) or 2 (``[L - s, L)``); the tokens of a window are numbered
row by row, ``t = row * M + col``.
"""

from __future__ import annotations

import numbers

import torch

from ..windows import MASK_VALUE, cyclic_shift, region_labels, shifted_partition, window_partition
from ._feedback import ExerciseResult, compare_tensors, report
from ._feedback import answer_name as _name
from ._feedback import call_answer as _call

__all__ = ["check_cyclic_shift", "check_axis_regions", "check_window_mask", "check_naive_windows"]


def _same(got, expected: torch.Tensor) -> bool:
    """Whether ``got`` is a tensor of ``expected``'s shape and values (any dtype)."""
    return isinstance(got, torch.Tensor) and compare_tensors("", got, expected) is None


# ----------------------------------------------------------------------------------------------------------
# Exercise 1: the cyclic shift


def check_cyclic_shift(fn) -> ExerciseResult:
    """Check ``fn(x, s)``: roll a channels-last map ``(B, H, W, C)`` by ``-s`` rows and ``-s`` columns.

    Compared with :func:`swin_edu.windows.cyclic_shift` on square and rectangular maps and ``s = 0``. Names a
    roll in the wrong direction (that is the reverse shift), a roll of one axis only, a roll of the wrong
    axes (the batch or the channels), and ``torch.roll`` without ``dims`` (which rolls the flattened tensor).
    """
    name = _name(fn)
    g = torch.Generator().manual_seed(41)
    for shape, s in [((3, 8, 8, 3), 2), ((1, 6, 9, 2), 1), ((2, 7, 7, 4), 3), ((1, 4, 4, 2), 0)]:
        x = torch.randn(*shape, generator=g)
        where = f"for x {shape} and s={s}"
        answer, crashed = _call(fn, x, s)
        if crashed:
            return report(False, f"{crashed} ({where})")
        if answer is None:
            return report(False, f"{name} returns nothing yet (a missing `return`?)")
        expected = cyclic_shift(x, s)  # (B, H, W, C)
        why = compare_tensors("the rolled map", answer, expected)
        if why is None:
            continue
        if "wrong values" in why:
            mistakes = [
                (
                    torch.roll(x, (s, s), (1, 2)),
                    "you rolled by +s (down and right): that is the reverse shift; roll by -s",
                ),
                (torch.roll(x, -s, 1), "you rolled the rows only: roll both axes, dims=(1, 2)"),
                (torch.roll(x, -s, 2), "you rolled the columns only: roll both axes, dims=(1, 2)"),
                (torch.roll(x, (-s, -s), (0, 1)), "you rolled dims (0, 1): in a (B, H, W, C) map the axes are 1 and 2"),
                (torch.roll(x, (-s, -s), (2, 3)), "you rolled dims (2, 3): in a (B, H, W, C) map the axes are 1 and 2"),
                (torch.roll(x, -s), "torch.roll without dims rolls the flattened tensor: pass dims=(1, 2)"),
            ]
            for wrong, hint in mistakes:
                if torch.equal(answer, wrong):
                    why += f": {hint}"
                    break
        return report(False, f"{why} ({where})")
    return report(True, f"{name} rolls the map like swin_edu.windows.cyclic_shift: up and left by s")


# ----------------------------------------------------------------------------------------------------------
# Exercise 2: region labels along one axis


def _axis_regions(length: int, window_size: int, shift_size: int) -> torch.Tensor:
    """The library's regions along one axis, read off :func:`~swin_edu.windows.region_labels`."""
    return region_labels(length, window_size, window_size, shift_size)[:, 0] // 3  # (length,)


def check_axis_regions(fn) -> ExerciseResult:
    """Check ``fn(length, M, s)``: the region, 0, 1 or 2, of each position along one axis of the rolled map.

    The answer is a ``(length,)`` tensor: 0 on ``[0, L - M)``, 1 on ``[L - M, L - s)`` and 2 on ``[L - s, L)``
    (all 0 when ``s = 0``), compared with the rows of :func:`swin_edu.windows.region_labels`. Names a
    forgotten region 1, borders off by one, the labels of the map before the roll (wrapped tokens at the start)
    and a non-zero label without shift.
    """
    name = _name(fn)
    for length, M, s in [(8, 4, 2), (12, 4, 1), (14, 7, 3), (10, 5, 0)]:
        where = f"{name}({length}, {M}, {s})"
        answer, crashed = _call(fn, length, M, s)
        if crashed:
            return report(False, crashed)
        if answer is None:
            return report(False, f"{name} returns nothing yet (a missing `return`?)")
        if isinstance(answer, (list, tuple)):
            try:
                answer = torch.tensor(answer)
            except (TypeError, ValueError):
                return report(False, f"{where} should be a tensor of {length} labels")
        expected = _axis_regions(length, M, s)  # (length,)
        why = compare_tensors(where, answer, expected)
        if why is None:
            continue
        if "wrong values" in why:
            pos = torch.arange(length)
            mistakes = [
                ((pos >= length - s).long() * 2, "region 1 is missing: the last window holds [L - M, L - s) too"),
                (
                    (pos > length - M).long() + (pos > length - s).long(),
                    "the borders are one position late: region 1 starts at L - M and region 2 at L - s (use >=)",
                ),
                (
                    (pos >= length - M - 1).long() + (pos >= length - s - 1).long(),
                    "the borders are one position early: region 1 starts at L - M and region 2 at L - s",
                ),
                (
                    torch.roll(expected, s),
                    "these are the regions of the map before the roll: rolling by -s moves the first s to the end",
                ),
                (
                    (pos >= length - M).long() + (pos >= length - s).long(),
                    "with s = 0 there is no shift: every label is 0",
                ),
            ]
            for wrong, hint in mistakes:
                if torch.equal(answer.long(), wrong.long()):
                    why += f": {hint}"
                    break
        return report(False, why)
    return report(True, f"{name} gives the regions of swin_edu.windows.region_labels along one axis")


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
    same = flat[:, None] == flat[None, :]  # (N, N)
    return torch.zeros(same.shape).masked_fill(~same, MASK_VALUE)


def check_window_mask(fn) -> ExerciseResult:
    """Check ``fn(labels)``: the additive ``(N, N)`` mask of one window from its ``(M, M)`` region labels.

    Entry ``[i, j]`` is 0 when tokens ``i`` and ``j`` (numbered row by row) have the same label and -100
    (:data:`swin_edu.windows.MASK_VALUE`) otherwise. The windows come from real shifted maps (checked against
    :func:`swin_edu.windows.shifted_window_mask`) and from random labels. Names a boolean mask, a mask with
    the two values swapped, -inf instead of -100, a 1/0 mask, an unflattened ``(M, M, M, M)`` answer and
    tokens numbered column by column.
    """
    name = _name(fn)
    g = torch.Generator().manual_seed(43)
    for labels in _label_windows(g):
        M = labels.shape[0]
        N = M * M
        where = f"for labels {labels.tolist()}"
        answer, crashed = _call(fn, labels.clone())
        if crashed:
            return report(False, f"{crashed} ({where})")
        if answer is None:
            return report(False, f"{name} returns nothing yet (a missing `return`?)")
        expected = _mask_of(labels)  # (N, N)
        if isinstance(answer, torch.Tensor) and tuple(answer.shape) == (M, M, M, M):
            return report(False, f"shape {(M, M, M, M)}: flatten the labels to N = M*M = {N} tokens first ({where})")
        if isinstance(answer, torch.Tensor) and answer.dtype == torch.bool and answer.shape == expected.shape:
            return report(
                False,
                f"{name} returns a boolean tensor: Swin's mask is added to the logits, so it must be a float tensor, "
                f"0 where two tokens share a label and -100 elsewhere ({where})",
            )
        if isinstance(answer, torch.Tensor) and answer.shape == expected.shape and answer.is_floating_point():
            if torch.equal(answer.float(), expected.masked_fill(expected < 0, float("-inf"))):
                return report(False, f"use -100 (MASK_VALUE), not -inf: section 4 shows why ({where})")
        why = compare_tensors("the mask", answer, expected)
        if why is None:
            continue
        if "wrong values" in why:
            same = expected == 0
            flat_t = labels.t().reshape(-1)
            mistakes = [
                (torch.where(same, MASK_VALUE, 0.0), "0 and -100 are swapped: -100 goes where the labels differ"),
                (same.float(), "an additive mask is 0 where attention is allowed and -100 where not, not 1 and 0"),
                (
                    torch.where(flat_t[:, None] == flat_t[None, :], 0.0, MASK_VALUE),
                    "tokens are numbered row by row (labels.reshape(-1)), not column by column",
                ),
            ]
            for wrong, hint in mistakes:
                if torch.equal(answer.float(), wrong):
                    why += f": {hint}"
                    break
        return report(False, f"{why} ({where})")
    return report(True, f"{name} builds the window's mask as swin_edu.windows.shifted_window_mask does")


# ----------------------------------------------------------------------------------------------------------
# Exercise 4: how many windows the naive shifted partition needs


def check_naive_windows(fn) -> ExerciseResult:
    """Check ``fn(H, W, M, s)``: the number of windows of the naive shifted partition of an ``H x W`` map.

    ``H`` and ``W`` are multiples of ``M``. Compared with :func:`swin_edu.windows.shifted_partition` (whose
    largest window index plus one is the count), on square and rectangular maps and without shift. Names
    the regular count given for a shifted map, one extra window in total instead of one per row and per
    column, the height used for both axes, and a shift counted when ``s = 0``.
    """
    name = _name(fn)
    for H, W, M, s in [(8, 8, 4, 2), (56, 56, 7, 3), (8, 12, 4, 2), (16, 8, 4, 1), (8, 8, 4, 0)]:
        where = f"{name}({H}, {W}, {M}, {s})"
        answer, crashed = _call(fn, H, W, M, s)
        if crashed:
            return report(False, crashed)
        if answer is None:
            return report(False, f"{name} returns nothing yet (a missing `return`?)")
        if isinstance(answer, torch.Tensor) and answer.numel() == 1:
            answer = answer.item()
        if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
            return report(False, f"{where} should be a number, got {type(answer).__name__}")
        expected = int(shifted_partition(H, W, M, s).max()) + 1
        if answer == expected:
            continue
        why = f"{where} = {answer:g}, but the naive shifted partition has {expected} windows"
        regular = (H // M) * (W // M)
        if s == 0:
            mistakes = [((H // M + 1) * (W // M + 1), "with s = 0 nothing shifts: the partition is the regular one")]
        else:
            mistakes = [
                (regular, "that is the regular count: the shift cuts a piece off at each end, one window more per row"),
                (regular + 1, "the shift adds one window per row of windows and one per column, not one in total"),
            ]
            if H != W:
                mistakes += [
                    ((H // M + 1) ** 2, "you used H for both axes: count rows and columns of windows separately"),
                    ((W // M + 1) ** 2, "you used W for both axes: count rows and columns of windows separately"),
                ]
        for wrong, hint in mistakes:
            if answer == wrong:
                why += f": {hint}"
                break
        return report(False, why)
    return report(True, f"{name} counts the windows of swin_edu.windows.shifted_partition")
