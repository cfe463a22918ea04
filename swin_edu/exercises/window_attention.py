"""Check functions for the exercises of ``notebooks/03_window_attention.ipynb``.

Each ``check_...`` function calls the learner's answer on a few small inputs, compares it with the library
(:mod:`swin_edu.windows`, :mod:`swin_edu.complexity`) or with a reference written here, prints either a ✓ or
the first thing that is wrong, and returns ``True``/``False``. A wrong, unfinished or crashing answer never
raises. The inputs come from a private random generator, so a check does not move the notebook's seed.

Conventions of the course: maps are numbered row by row, windows of a map row by row, and the tokens inside a
window row by row; a relative offset is *query minus key*, as in the official code.
"""

from __future__ import annotations

import math
import numbers

import torch

from ..complexity import msa_macs, wmsa_macs
from ..windows import relative_position_index, window_partition
from ._feedback import ExerciseResult, compare_tensors, report
from ._feedback import answer_name as _name
from ._feedback import call_answer as _call

__all__ = ["check_window_tokens", "check_stage_cost", "check_relative_index", "check_window_mask"]


def _same(answer: torch.Tensor, other: torch.Tensor) -> bool:
    return tuple(answer.shape) == tuple(other.shape) and torch.allclose(answer.float(), other.float(), atol=1e-6)


def _number(value):
    """A plain Python number from an int, float, numpy scalar or one-element tensor; None for anything else."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return int(value) if isinstance(value, numbers.Integral) else float(value)


# ----------------------------------------------------------------------------------------------------------
# Exercise 1: windows of a channels-first map, as tokens


def _window_tokens(x: torch.Tensor, M: int) -> torch.Tensor:
    """The answer: ``(B, C, H, W)`` to ``(B * nW, M * M, C)`` with the library's partition."""
    C = x.shape[1]
    return window_partition(x.permute(0, 2, 3, 1), M).reshape(-1, M * M, C)  # (B*nW, N, C)


def _diagnose_window_tokens(got: torch.Tensor, x: torch.Tensor, M: int) -> str:
    """Why ``got`` (right shape, wrong values) differs: which of the typical reshapes it is."""
    B, C, H, W = x.shape
    N = M * M
    channels_last = x.permute(0, 2, 3, 1)  # (B, H, W, C)
    six = channels_last.reshape(B, H // M, M, W // M, M, C)  # (B, H/M, M, W/M, M, C)
    variants = [
        (
            channels_last.reshape(-1, N, C),
            "a plain reshape takes M*M consecutive tokens of one row, not an M x M square: split H into "
            "(H/M, M) and W into (W/M, M) first, then bring the two window indices to the front",
        ),
        (
            window_partition(x.reshape(B, H, W, C), M).reshape(-1, N, C),
            "you reshaped (B, C, H, W) to (B, H, W, C) without a permute, which mixes channels and positions: "
            "move the channels with permute(0, 2, 3, 1)",
        ),
        (
            six.permute(0, 3, 1, 2, 4, 5).reshape(-1, N, C),
            "the windows come column by column; number them row by row: (B, H/M, W/M, ...) in that order",
        ),
        (
            six.permute(0, 1, 3, 4, 2, 5).reshape(-1, N, C),
            "inside each window the tokens run column by column; they should run row by row, (M rows, M columns)",
        ),
    ]
    for wrong, hint in variants:
        if _same(got, wrong):
            return hint
    return "the tokens land in the wrong places: check the reshape to (B, H/M, M, W/M, M, C) and the permute"


def check_window_tokens(fn) -> ExerciseResult:
    """Check ``fn(x, M)``: a channels-first map ``(B, C, H, W)`` to window tokens ``(B * nW, M * M, C)``.

    The answer must equal ``window_partition(x.permute(0, 2, 3, 1), M).reshape(-1, M * M, C)``: windows of each
    image row by row, images one after the other, tokens of a window row by row, channels last (what
    :class:`swin_edu.swin.WindowAttention` takes). Cases include non-square maps. Names a plain reshape, a
    missing permute of the channels, windows or tokens in column order, channels left first and windows not
    flattened.
    """
    name = _name(fn)
    g = torch.Generator().manual_seed(31)
    for B, C, H, W, M in [(2, 3, 8, 12, 4), (1, 5, 6, 9, 3), (2, 4, 4, 8, 2)]:
        x = torch.randn(B, C, H, W, generator=g)
        N, nW = M * M, (H // M) * (W // M)
        where = f"for x {(B, C, H, W)} and M={M}"
        answer, crashed = _call(fn, x.clone(), M)
        if crashed:
            return report(False, f"{crashed} ({where})")
        expected = _window_tokens(x, M)
        why = compare_tensors("the windows", answer, expected)
        if why is None:
            continue
        if "wrong values" in why:
            why += ": " + _diagnose_window_tokens(answer, x, M)
        elif "shape" in why:
            shape = tuple(answer.shape)
            if shape == (B * nW, C, N):
                why += ": the channels are still first; a window's tokens must be (N, C), channels last"
            elif shape == (B * nW, M, M, C):
                why += ": that is window_partition's shape; flatten each window's M x M tokens to N = M*M"
            elif shape == (B, nW, N, C):
                why += ": merge the image and window axes, B * nW windows make the batch"
        return report(False, f"{why} ({where})")
    return report(True, f"{name} gives the tokens of every window, ready for WindowAttention")


# ----------------------------------------------------------------------------------------------------------
# Exercise 2: the windows and the cost of one W-MSA layer on a stage's map


def check_stage_cost(fn) -> ExerciseResult:
    """Check ``fn(h, w, C, M) -> (windows, macs)`` for one W-MSA layer on an ``h x w`` map of width ``C``.

    A side that is not a multiple of ``M`` is first padded up to one, as a Swin block does
    (:func:`swin_edu.windows.pad_to_window`): ``windows = ceil(h / M) * ceil(w / M)`` and ``macs`` is
    Omega(W-MSA) = 4hwC^2 + 2M^2 hwC of the padded map (:func:`swin_edu.complexity.wmsa_macs`). Cases: Swin-T's
    four stages at 224², then a detection-sized map that needs padding. Names tokens or rows counted instead
    of windows, M instead of M^2, Omega(MSA), one window's cost, a missing term, FLOPs and a forgotten padding.
    """
    name = _name(fn)
    swin_t_224 = [(56, 56, 96, 7), (28, 28, 192, 7), (14, 14, 384, 7), (7, 7, 768, 7)]
    detection = [(200, 334, 96, 7), (50, 84, 384, 7), (25, 42, 768, 7)]  # an 800x1333 image: padding needed
    cases = swin_t_224 + detection
    for h, w, C, M in cases:
        where = f"{name}({h}, {w}, {C}, {M})"
        answer, crashed = _call(fn, h, w, C, M)
        if crashed:
            return report(False, crashed)
        if answer is None:
            return report(False, f"{name} returns nothing yet (a missing `return`?): it should return (windows, macs)")
        if isinstance(answer, torch.Tensor) or not isinstance(answer, (tuple, list)) or len(answer) != 2:
            return report(False, f"{name} should return a pair (windows, macs), got {type(answer).__name__}")
        windows, macs = (_number(x) for x in answer)
        if windows is None or macs is None:
            kinds = tuple(type(x).__name__ for x in answer)
            return report(False, f"{where} should be a pair of numbers, got {kinds}")
        Hp, Wp = math.ceil(h / M) * M, math.ceil(w / M) * M  # the padded map
        padded = (Hp, Wp) != (h, w)
        expected_windows = (Hp // M) * (Wp // M)
        if windows != expected_windows:
            hints = [
                (h * w / M, "a window holds M*M tokens, not M: there are (h/M) * (w/M) windows"),
                (h * w, "that is the number of tokens; a window holds M*M of them"),
                (h * w / M**2, f"{h}x{w} is not a multiple of {M}: the block pads it to {Hp}x{Wp}, so round up"),
                (h * w // M**2, f"{h}x{w} is not a multiple of {M}: the block pads it to {Hp}x{Wp}, so round up"),
                ((h // M) * (w // M), f"rounding down drops tokens: the block pads the map to {Hp}x{Wp}"),
            ]
            shown = f"{int(windows):,}" if float(windows).is_integer() else f"{windows:,.6g}"
            why = f"{where} gives {shown} windows, expected {expected_windows:,}"
            for wrong, hint in hints:
                if math.isclose(windows, wrong, rel_tol=1e-9):
                    return report(False, f"{why}: {hint}")
            return report(False, why)
        expected = wmsa_macs(Hp, Wp, C, M)
        if math.isclose(macs, expected, rel_tol=1e-9):
            continue
        N = M * M
        mistakes = [
            (msa_macs(Hp, Wp, C), "that is Omega(MSA), global attention; in a window each query meets only M² keys"),
            (4 * Hp * Wp * C**2 + 2 * M * Hp * Wp * C, "the second term has M², the number of keys per query"),
            (4 * Hp * Wp * C**2 + N * Hp * Wp * C, "Q Kᵀ and A V cost M²hwC each: the second term is 2M²hwC"),
            (4 * N * C**2 + 2 * N**2 * C, "that is one window's cost; multiply by the number of windows"),
            (2 * N * Hp * Wp * C, "you left out 4hwC², the projections q, k, v and the output"),
            (4 * Hp * Wp * C**2, "you left out 2M²hwC, the products Q Kᵀ and A V"),
            (2 * expected, "you counted FLOPs (2 per multiply-accumulate); the paper counts MACs"),
        ]
        if padded:
            mistakes.append((wmsa_macs(h, w, C, M), f"the padded tokens are computed too: use the {Hp}x{Wp} map"))
        shown = f"{int(macs):,}" if float(macs).is_integer() else f"{macs:,.6g}"
        why = f"{where} gives {shown} MACs, expected Omega(W-MSA) = {expected:,}"
        for wrong, hint in mistakes:
            if math.isclose(macs, wrong, rel_tol=1e-9):
                why += f": {hint}"
                break
        return report(False, why)
    return report(True, f"{name} gives the windows and Omega(W-MSA) = 4hwC² + 2M²hwC, padding included")


# ----------------------------------------------------------------------------------------------------------
# Exercise 3: the relative position index of a rectangular window


def _relative_index(Mh: int, Mw: int, row_radix: int | None = None, shift: bool = True, sign: int = 1):
    """The answer for an ``Mh x Mw`` window (and, with other arguments, typical mistakes)."""
    ys, xs = torch.meshgrid(torch.arange(Mh), torch.arange(Mw), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()  # (N,), (N,)
    dy = sign * (ys[:, None] - ys[None, :]) + (Mh - 1 if shift else 0)  # (N, N)
    dx = sign * (xs[:, None] - xs[None, :]) + (Mw - 1 if shift else 0)  # (N, N)
    return dy * (2 * Mw - 1 if row_radix is None else row_radix) + dx  # (N, N)


def check_relative_index(fn) -> ExerciseResult:
    """Check ``fn(Mh, Mw)``: the relative position index of an ``Mh x Mw`` window, ``(N, N)`` with ``N = Mh * Mw``.

    Entry ``[i, j]`` is the row of the ``(2Mh - 1)(2Mw - 1)`` table for query ``i`` and key ``j`` (tokens row by
    row): with ``(dy, dx)`` = query minus key, ``(dy + Mh - 1) * (2Mw - 1) + (dx + Mw - 1)``. For a square window
    it must equal :func:`swin_edu.windows.relative_position_index`. Names negative rows (a missing shift), a
    row offset multiplied by ``M`` (offsets that collide) or by ``2Mh - 1`` (which only a rectangle shows), key
    minus query, a float index and an unflattened ``(Mh, Mw, Mh, Mw)`` shape.
    """
    name = _name(fn)
    for Mh, Mw in [(3, 3), (2, 4), (4, 3), (7, 7), (1, 5)]:
        where = f"for {name}({Mh}, {Mw})"
        answer, crashed = _call(fn, Mh, Mw)
        if crashed:
            return report(False, f"{crashed} ({where})")
        expected = relative_position_index(Mh) if Mh == Mw else _relative_index(Mh, Mw)
        why = compare_tensors("the index", answer, expected, atol=0, rtol=0)
        if why is None:
            if answer.is_floating_point() or answer.dtype == torch.bool:
                return report(
                    False, f"the index has dtype {answer.dtype}; rows of a table are integers: use torch.long"
                )
            continue
        N = Mh * Mw
        if "shape" in why and tuple(answer.shape) == (Mh, Mw, Mh, Mw):
            why += f": flatten the query and key positions, reshape to ({N}, {N})"
        elif "wrong values" in why:
            got = answer.float()
            variants = [
                (
                    _relative_index(Mh, Mw, sign=-1),
                    "this is key − query; the convention is query − key (the transpose)",
                ),
                (
                    _relative_index(Mh, Mw, row_radix=2 * Mh - 1),
                    "multiply the row offset by 2Mw − 1, the column offsets",
                ),
                (_relative_index(Mh, Mw, row_radix=Mw), "rows collide: multiply the row offset by 2Mw − 1, not Mw"),
                (_relative_index(Mh, Mw, row_radix=Mh), "rows collide: multiply the row offset by 2Mw − 1, not Mh"),
            ]
            if not torch.isfinite(got).all():
                why += ": some entries are not finite numbers; every entry must be a row of the table"
            elif got.min() < 0:
                why += ": some rows are negative; offsets run from −(M−1) to M−1, so add Mh − 1 and Mw − 1 first"
            else:
                for wrong, hint in variants:
                    if _same(got, wrong):
                        why += f": {hint}"
                        break
                else:
                    rows = (2 * Mh - 1) * (2 * Mw - 1)
                    if int(got.max()) >= rows:
                        why += f": the largest row is {int(got.max())}, but the table has only {rows} rows"
        return report(False, f"{why} ({where})")
    return report(True, f"{name} numbers the (2Mh − 1)(2Mw − 1) offsets as the library does for square windows")


# ----------------------------------------------------------------------------------------------------------
# Exercise 4: W-MSA as global attention with a mask


def _window_mask(H: int, W: int, M: int) -> torch.Tensor:
    """The answer: ``(H*W, H*W)`` bool, True where two tokens (numbered row by row) share a window."""
    ids = torch.arange((H // M) * (W // M)).reshape(1, H // M, W // M, 1)  # window numbers, (1, H/M, W/M, 1)
    window_of = ids.repeat_interleave(M, dim=1).repeat_interleave(M, dim=2).flatten()  # (H*W,) token -> window
    return window_of[:, None] == window_of[None, :]  # (H*W, H*W)


def check_window_mask(fn) -> ExerciseResult:
    """Check ``fn(H, W, M)``: which pairs of tokens of an ``H x W`` map window attention lets attend.

    The answer is a ``(H*W, H*W)`` bool tensor, tokens numbered row by row over the whole map, True where query
    ``i`` and key ``j`` lie in the same ``M x M`` window: global attention with this mask is W-MSA. The
    reference is built from :func:`swin_edu.windows.window_partition` of the token numbers. Names blocks of
    ``M*M`` consecutive tokens (true in window order, not in map order), an inverted mask and a float mask.
    """
    name = _name(fn)
    for H, W, M in [(4, 6, 2), (6, 6, 3), (8, 4, 4), (3, 3, 3)]:
        where = f"for {name}({H}, {W}, {M})"
        answer, crashed = _call(fn, H, W, M)
        if crashed:
            return report(False, f"{crashed} ({where})")
        numbers_ = torch.arange(H * W).reshape(1, H, W, 1)
        windows = window_partition(numbers_, M).reshape(-1, M * M)  # (nW, N): token numbers of each window
        expected = torch.zeros(H * W, H * W, dtype=torch.bool)
        for tokens in windows:
            expected[tokens[:, None], tokens[None, :]] = True
        why = compare_tensors("the mask", answer, expected, atol=0, rtol=0)
        if why is None:
            if answer.dtype != torch.bool:
                return report(False, f"the mask has dtype {answer.dtype}; give a bool tensor (True = may attend)")
            continue
        if "wrong values" in why:
            got = answer.float()
            blocks = torch.block_diag(*[torch.ones(M * M, M * M)] * (H * W // (M * M)))
            if _same(got, 1 - expected.float()):
                why += ": it is inverted; True must mean that query i may attend to key j (the same window)"
            elif _same(got, blocks):
                why += (
                    ": these are blocks of M*M consecutive tokens, but the tokens are numbered row by row over the "
                    "whole map; token t = (t // W, t % W) lies in window (row // M, column // M)"
                )
            elif _same(got, torch.ones_like(got)):
                why += ": every pair is allowed, that is global attention"
        elif "shape" in why and tuple(answer.shape) == (H, W, H, W):
            why += f": flatten queries and keys, reshape to ({H * W}, {H * W})"
        return report(False, f"{why} ({where})")
    return report(True, f"{name} allows exactly the pairs inside a window: global attention with it is W-MSA")
