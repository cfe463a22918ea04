"""Check functions for the exercises of ``notebooks/03_window_attention.ipynb``.

Each exercise is declared as data (:class:`~swin_edu.exercises._feedback.Exercise`): its cases, the reference
from the library (:mod:`swin_edu.windows`, :mod:`swin_edu.complexity`), how an answer is read and the typical
mistakes with their hints. The shared runner calls the learner's answer on its own copies of the inputs,
prints either a ✓ or the first thing that is wrong, and returns ``True``/``False``; a wrong, unfinished,
crashing or endless answer never raises. The inputs come from a private random generator, so a check does
not move the notebook's seed.

Conventions of the course: maps are numbered row by row, windows of a map row by row, and the tokens inside a
window row by row; a relative offset is *query minus key*, as in the official code.
"""

from __future__ import annotations

import traceback

import torch

from ..complexity import msa_macs, window_attention_macs
from ..language import N_, _
from ..windows import relative_position_index, window_grid, window_partition
from ._feedback import (
    Case,
    Exercise,
    ExerciseResult,
    Mismatch,
    Mistake,
    call_text,
    compare_tensors,
    read_pair,
    read_tensor,
    same,
    shown,
    tensor_reader,
)

__all__ = ["check_window_tokens", "check_stage_cost", "check_relative_index", "check_window_mask"]


def _call_text(c: Case) -> str:
    return call_text(c)



# ----------------------------------------------------------------------------------------------------------
# Exercise 1: windows of a channels-first map, as tokens


def _window_tokens(x: torch.Tensor, M: int) -> torch.Tensor:
    """The answer: ``(B, C, H, W)`` to ``(B * nW, M * M, C)`` with the library's partition."""
    C = x.shape[1]
    return window_partition(x.permute(0, 2, 3, 1), M).reshape(-1, M * M, C)  # (B*nW, N, C)


def _six(c: Case) -> torch.Tensor:
    B, C, H, W = c.x.shape
    return c.x.permute(0, 2, 3, 1).reshape(B, H // c.M, c.M, W // c.M, c.M, C)  # (B, H/M, M, W/M, M, C)


def _window_tokens_cases() -> list[Case]:
    g = torch.Generator().manual_seed(31)
    cases = []
    for B, C, H, W, M in [(2, 3, 8, 12, 4), (1, 5, 6, 9, 3), (2, 4, 4, 8, 2)]:
        x = torch.randn(B, C, H, W, generator=g)
        cases.append(Case(x, M, where=_("for x {shape} and M={M}").format(shape=(B, C, H, W), M=M), x=x, M=M))
    return cases


def _windows_shape(c: Case, *axes: str) -> tuple[int, ...]:
    B, C, H, W = c.x.shape
    sizes = dict(B=B, C=C, H=H, W=W, N=c.M * c.M, M=c.M, nW=(H // c.M) * (W // c.M))
    sizes["BnW"] = B * sizes["nW"]
    return tuple(sizes[a] for a in axes)


def _read_x_as_channels_last(crash: Mismatch, c: Case) -> bool:
    """Whether a crash came from a library window function given the channels-first map as it is."""
    frames = traceback.extract_tb(crash.error.__traceback__) if crash.error is not None else []
    return any(frame.filename.replace("\\", "/").endswith("swin_edu/windows.py") for frame in frames)


def _channels_last_hint(c: Case) -> str:
    B, C, H, W = c.x.shape
    return _(
        "x is channels-first, (B, C, H, W) = {first}; window_partition takes a channels-last map "
        "(B, H, W, C) = {last}: x.permute(0, 2, 3, 1) first"
    ).format(first=(B, C, H, W), last=(B, H, W, C))


WINDOW_TOKENS = Exercise(
    cases=_window_tokens_cases,
    reference=lambda c: _window_tokens(c.x, c.M),
    read=tensor_reader(N_("the windows")),
    compare=lambda got, expected, c: compare_tensors(_("the windows"), got, expected),
    what=N_("the windows"),
    success=N_("{name} gives the tokens of every window, ready for WindowAttention"),
    mistakes=[
        Mistake(
            "channels-first map as channels-last", _channels_last_hint, when=_read_x_as_channels_last, kinds=("crash",)
        ),
        Mistake(
            "plain reshape",
            N_(
                "a plain reshape takes M*M consecutive tokens of one row, not an M x M square: split H into "
                "(H/M, M) and W into (W/M, M) first, then bring the two window indices to the front"
            ),
            wrong=lambda c: c.x.permute(0, 2, 3, 1).reshape(-1, c.M * c.M, c.x.shape[1]),
            atol=1e-6,
        ),
        Mistake(
            "reshape instead of permute",
            N_(
                "you reshaped (B, C, H, W) to (B, H, W, C) without a permute, which mixes channels and positions: "
                "move the channels with permute(0, 2, 3, 1)"
            ),
            wrong=lambda c: window_partition(c.x.reshape(_windows_shape(c, "B", "H", "W", "C")), c.M).reshape(
                -1, c.M * c.M, c.x.shape[1]
            ),
            atol=1e-6,
        ),
        Mistake(
            "windows by column",
            N_("the windows come column by column; number them row by row: (B, H/M, W/M, ...) in that order"),
            wrong=lambda c: _six(c).permute(0, 3, 1, 2, 4, 5).reshape(-1, c.M * c.M, c.x.shape[1]),
            atol=1e-6,
        ),
        Mistake(
            "tokens by column",
            N_("inside each window the tokens run column by column; they should run row by row, (M rows, M columns)"),
            wrong=lambda c: _six(c).permute(0, 1, 3, 4, 2, 5).reshape(-1, c.M * c.M, c.x.shape[1]),
            atol=1e-6,
        ),
        Mistake(
            "tokens in the wrong places",
            N_("the tokens land in the wrong places: check the reshape to (B, H/M, M, W/M, M, C) and the permute"),
            when=lambda got, c: True,
        ),
        Mistake(
            "channels still first",
            N_("the channels are still first; a window's tokens must be (N, C), channels last"),
            when=lambda got, c: tuple(got.shape) == _windows_shape(c, "BnW", "C", "N"),
            kinds=("shape",),
        ),
        Mistake(
            "windows not flattened",
            N_("that is window_partition's shape; flatten each window's M x M tokens to N = M*M"),
            when=lambda got, c: tuple(got.shape) == _windows_shape(c, "BnW", "M", "M", "C"),
            kinds=("shape",),
        ),
        Mistake(
            "windows per image",
            N_("merge the image and window axes, B * nW windows make the batch"),
            when=lambda got, c: tuple(got.shape) == _windows_shape(c, "B", "nW", "N", "C"),
            kinds=("shape",),
        ),
    ],
)


def check_window_tokens(fn) -> ExerciseResult:
    """Check ``fn(x, M)``: a channels-first map ``(B, C, H, W)`` to window tokens ``(B * nW, M * M, C)``.

    The answer must equal ``window_partition(x.permute(0, 2, 3, 1), M).reshape(-1, M * M, C)``: windows of each
    image row by row, images one after the other, tokens of a window row by row, channels last (what
    :class:`swin_edu.swin.WindowAttention` takes). Cases include non-square maps. Names the channels-first map
    given to ``window_partition`` as it is, a plain reshape, a missing permute of the channels, windows or
    tokens in column order, channels left first and windows not flattened.
    """
    return WINDOW_TOKENS.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 2: the windows and the cost of one W-MSA layer on a stage's map


def _stage_cost_cases() -> list[Case]:
    swin_t_224 = [(56, 56, 96, 7), (28, 28, 192, 7), (14, 14, 384, 7), (7, 7, 768, 7)]
    detection = [(200, 334, 96, 7), (50, 84, 384, 7), (25, 42, 768, 7)]  # an 800x1333 image: padding needed
    cases = []
    for h, w, C, M in swin_t_224 + detection:
        grid = window_grid(h, w, M)
        cases.append(Case(h, w, C, M, h=h, w=w, C=C, M=M, Hp=grid.padded_height, Wp=grid.padded_width, grid=grid))
    return cases


def _compare_stage_cost(answer, expected, c: Case) -> Mismatch | None:
    (windows, macs), (n_windows, omega) = answer, expected
    if not same(windows, n_windows):
        message = _("{call} gives {got} windows, expected {expected}")
        return Mismatch("values", message.format(call=_call_text(c), got=shown(windows), expected=f"{n_windows:,}"))
    if not same(macs, omega):
        message = _("{call} gives {got} MACs, expected Omega(W-MSA) = {expected}")
        return Mismatch("values", message.format(call=_call_text(c), got=shown(macs), expected=f"{omega:,}"))
    return None


def _windows_mistake(name: str, hint, wrong) -> Mistake:
    return Mistake(name, hint, when=lambda got, c: not same(got[0], c.grid.n_windows) and same(got[0], wrong(c)))


def _macs_mistake(name: str, hint, wrong, only_padded: bool = False) -> Mistake:
    def when(got, c: Case) -> bool:
        return same(got[0], c.grid.n_windows) and (c.grid.padded or not only_padded) and same(got[1], wrong(c))

    return Mistake(name, hint, when=when)


def _round_up(c: Case) -> str:
    message = _("{h}x{w} is not a multiple of {M}: the block pads it to {Hp}x{Wp}, so round up")
    return message.format(h=c.h, w=c.w, M=c.M, Hp=c.Hp, Wp=c.Wp)


STAGE_COST = Exercise(
    cases=_stage_cost_cases,
    reference=lambda c: (c.grid.n_windows, window_attention_macs(c.h, c.w, c.C, c.M)),
    read=lambda answer, c, name: read_pair(answer, name, "(windows, macs)", _call_text(c)),
    compare=_compare_stage_cost,
    returns=N_("(windows, macs)"),
    success=N_("{name} gives the windows and Omega(W-MSA) = 4hwC² + 2M²hwC, padding included"),
    mistakes=[
        _windows_mistake(
            "M tokens per window",
            N_("a window holds M*M tokens, not M: there are (h/M) * (w/M) windows"),
            lambda c: c.h * c.w / c.M,
        ),
        _windows_mistake("tokens", N_("that is the number of tokens; a window holds M*M of them"), lambda c: c.h * c.w),
        _windows_mistake("no padding", _round_up, lambda c: c.h * c.w / c.M**2),
        _windows_mistake("no padding, floor", _round_up, lambda c: c.h * c.w // c.M**2),
        _windows_mistake(
            "rounded down",
            lambda c: _("rounding down drops tokens: the block pads the map to {Hp}x{Wp}").format(Hp=c.Hp, Wp=c.Wp),
            lambda c: (c.h // c.M) * (c.w // c.M),
        ),
        _macs_mistake(
            "Omega(MSA)",
            N_("that is Omega(MSA), global attention; in a window each query meets only M² keys"),
            lambda c: msa_macs(c.Hp, c.Wp, c.C),
        ),
        _macs_mistake(
            "M instead of M²",
            N_("the second term has M², the number of keys per query"),
            lambda c: 4 * c.Hp * c.Wp * c.C**2 + 2 * c.M * c.Hp * c.Wp * c.C,
        ),
        _macs_mistake(
            "one attention product",
            N_("Q Kᵀ and A V cost M²hwC each: the second term is 2M²hwC"),
            lambda c: 4 * c.Hp * c.Wp * c.C**2 + c.M**2 * c.Hp * c.Wp * c.C,
        ),
        _macs_mistake(
            "one window",
            N_("that is one window's cost; multiply by the number of windows"),
            lambda c: 4 * c.M**2 * c.C**2 + 2 * c.M**4 * c.C,
        ),
        _macs_mistake(
            "no projections",
            N_("you left out 4hwC², the projections q, k, v and the output"),
            lambda c: 2 * c.M**2 * c.Hp * c.Wp * c.C,
        ),
        _macs_mistake(
            "no attention products",
            N_("you left out 2M²hwC, the products Q Kᵀ and A V"),
            lambda c: 4 * c.Hp * c.Wp * c.C**2,
        ),
        _macs_mistake(
            "FLOPs",
            N_("you counted FLOPs (2 per multiply-accumulate); the paper counts MACs"),
            lambda c: 2 * window_attention_macs(c.h, c.w, c.C, c.M),
        ),
        _macs_mistake(
            "unpadded map",
            lambda c: _("the padded tokens are computed too: use the {Hp}x{Wp} map").format(Hp=c.Hp, Wp=c.Wp),
            lambda c: 4 * c.h * c.w * c.C**2 + 2 * c.M**2 * c.h * c.w * c.C,
            only_padded=True,
        ),
    ],
)


def check_stage_cost(fn) -> ExerciseResult:
    """Check ``fn(h, w, C, M) -> (windows, macs)`` for one W-MSA layer on an ``h x w`` map of width ``C``.

    A side that is not a multiple of ``M`` is first padded up to one, as a Swin block does
    (:func:`swin_edu.windows.window_grid`): ``windows = ceil(h / M) * ceil(w / M)`` and ``macs`` is
    Omega(W-MSA) = 4hwC^2 + 2M^2 hwC of the padded map (:func:`swin_edu.complexity.window_attention_macs`).
    Cases: Swin-T's four stages at 224², then a detection-sized map that needs padding. Numbers may be Python,
    numpy or one-element tensors. Names tokens or rows counted instead of windows, M instead of M^2,
    Omega(MSA), one window's cost, a missing term, FLOPs and a forgotten padding.
    """
    return STAGE_COST.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 3: the relative position index of a rectangular window


def _relative_index(Mh: int, Mw: int, row_radix: int | None = None, shift: bool = True, sign: int = 1):
    """The answer for an ``Mh x Mw`` window (and, with other arguments, typical mistakes)."""
    ys, xs = torch.meshgrid(torch.arange(Mh), torch.arange(Mw), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()  # (N,), (N,)
    dy = sign * (ys[:, None] - ys[None, :]) + (Mh - 1 if shift else 0)  # (N, N)
    dx = sign * (xs[:, None] - xs[None, :]) + (Mw - 1 if shift else 0)  # (N, N)
    return dy * (2 * Mw - 1 if row_radix is None else row_radix) + dx  # (N, N)


def _compare_index(got, expected: torch.Tensor, c: Case) -> Mismatch | None:
    mismatch = compare_tensors(_("the index"), got, expected, atol=0, rtol=0)
    if mismatch is None and (got.is_floating_point() or got.dtype == torch.bool):
        message = _("the index has dtype {dtype}; rows of a table are integers: use torch.long")
        return Mismatch("dtype", message.format(dtype=got.dtype))
    return mismatch


def _table_rows(c: Case) -> int:
    return (2 * c.Mh - 1) * (2 * c.Mw - 1)


def _radix_mistake(name: str, hint: str, radix) -> Mistake:
    return Mistake(name, hint, wrong=lambda c: _relative_index(c.Mh, c.Mw, row_radix=radix(c)), atol=0)


RELATIVE_INDEX = Exercise(
    cases=lambda: [
        Case(Mh, Mw, where=_("for {call}").format(call="{name}" + f"({Mh}, {Mw})"), Mh=Mh, Mw=Mw)
        for Mh, Mw in [(3, 3), (2, 4), (4, 3), (7, 7), (1, 5)]
    ],
    reference=lambda c: relative_position_index(c.Mh) if c.Mh == c.Mw else _relative_index(c.Mh, c.Mw),
    read=tensor_reader(N_("the index")),
    compare=_compare_index,
    what=N_("the index"),
    success=N_("{name} numbers the (2Mh − 1)(2Mw − 1) offsets as the library does for square windows"),
    mistakes=[
        Mistake(
            "not flattened",
            lambda c: _("flatten the query and key positions, reshape to ({N}, {N})").format(N=c.Mh * c.Mw),
            when=lambda got, c: tuple(got.shape) == (c.Mh, c.Mw, c.Mh, c.Mw),
            kinds=("shape",),
        ),
        Mistake(
            "not finite",
            N_("some entries are not finite numbers; every entry must be a row of the table"),
            when=lambda got, c: not bool(torch.isfinite(got.double()).all()),
        ),
        Mistake(
            "no shift",
            N_("some rows are negative; offsets run from −(M−1) to M−1, so add Mh − 1 and Mw − 1 first"),
            when=lambda got, c: bool(got.double().min() < 0),
        ),
        Mistake(
            "key minus query",
            N_("this is key − query; the convention is query − key (the transpose)"),
            wrong=lambda c: _relative_index(c.Mh, c.Mw, sign=-1),
            atol=0,
        ),
        _radix_mistake(
            "radix 2Mh − 1", N_("multiply the row offset by 2Mw − 1, the column offsets"), lambda c: 2 * c.Mh - 1
        ),
        _radix_mistake("radix Mw", N_("rows collide: multiply the row offset by 2Mw − 1, not Mw"), lambda c: c.Mw),
        _radix_mistake("radix Mh", N_("rows collide: multiply the row offset by 2Mw − 1, not Mh"), lambda c: c.Mh),
        Mistake(
            "rows beyond the table",
            lambda c, got: _("the largest row is {largest}, but the table has only {rows} rows").format(
                largest=int(got.max()), rows=_table_rows(c)
            ),
            when=lambda got, c: bool(got.double().max() >= _table_rows(c)),
        ),
    ],
)


def check_relative_index(fn) -> ExerciseResult:
    """Check ``fn(Mh, Mw)``: the relative position index of an ``Mh x Mw`` window, ``(N, N)`` with ``N = Mh * Mw``.

    Entry ``[i, j]`` is the row of the ``(2Mh - 1)(2Mw - 1)`` table for query ``i`` and key ``j`` (tokens row by
    row): with ``(dy, dx)`` = query minus key, ``(dy + Mh - 1) * (2Mw - 1) + (dx + Mw - 1)``. For a square window
    it must equal :func:`swin_edu.windows.relative_position_index`. Names negative rows (a missing shift), a
    row offset multiplied by ``M`` (offsets that collide) or by ``2Mh - 1`` (which only a rectangle shows), key
    minus query, a float index and an unflattened ``(Mh, Mw, Mh, Mw)`` shape.
    """
    return RELATIVE_INDEX.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 4: W-MSA as global attention with a mask


def _window_mask(H: int, W: int, M: int) -> torch.Tensor:
    """The answer, from the library's partition: ``(H*W, H*W)`` bool, True where two tokens share a window."""
    numbers = torch.arange(H * W).reshape(1, H, W, 1)
    windows = window_partition(numbers, M).reshape(-1, M * M)  # (nW, N): token numbers of each window
    expected = torch.zeros(H * W, H * W, dtype=torch.bool)
    for tokens in windows:
        expected[tokens[:, None], tokens[None, :]] = True
    return expected


def _compare_mask(got, expected: torch.Tensor, c: Case) -> Mismatch | None:
    mismatch = compare_tensors(_("the mask"), got, expected, atol=0, rtol=0)
    if mismatch is None and got.dtype != torch.bool:
        message = _("the mask has dtype {dtype}; give a bool tensor (True = may attend)")
        return Mismatch("dtype", message.format(dtype=got.dtype))
    return mismatch


def _blocks(c: Case) -> torch.Tensor:
    N = c.M * c.M
    return torch.block_diag(*[torch.ones(N, N)] * (c.H * c.W // N))


WINDOW_MASK = Exercise(
    cases=lambda: [
        Case(H, W, M, where=_("for {call}").format(call="{name}" + f"({H}, {W}, {M})"), H=H, W=W, M=M)
        for H, W, M in [(4, 6, 2), (6, 6, 3), (8, 4, 4), (3, 3, 3)]
    ],
    reference=lambda c: _window_mask(c.H, c.W, c.M),
    read=tensor_reader(N_("the mask")),
    compare=_compare_mask,
    what=N_("the mask"),
    success=N_("{name} allows exactly the pairs inside a window: global attention with it is W-MSA"),
    mistakes=[
        Mistake(
            "inverted",
            N_("it is inverted; True must mean that query i may attend to key j (the same window)"),
            wrong=lambda c: ~_window_mask(c.H, c.W, c.M),
            atol=0,
        ),
        Mistake(
            "additive 0/−100 mask",
            N_(
                "this is an additive mask, 0 and −100, the kind notebook 04 adds to the logits; here give a bool "
                "tensor, True where query i may attend to key j"
            ),
            when=lambda got, c: got.is_floating_point() and same(got, (~_window_mask(c.H, c.W, c.M)).double() * -100),
        ),
        Mistake(
            "consecutive blocks",
            N_(
                "these are blocks of M*M consecutive tokens, but the tokens are numbered row by row over the whole "
                "map; token t = (t // W, t % W) lies in window (row // M, column // M)"
            ),
            wrong=_blocks,
            atol=0,
        ),
        Mistake(
            "global attention",
            N_("every pair is allowed, that is global attention"),
            wrong=lambda c: torch.ones(c.H * c.W, c.H * c.W),
            atol=0,
        ),
        Mistake(
            "not flattened",
            lambda c: _("flatten queries and keys, reshape to ({N}, {N})").format(N=c.H * c.W),
            when=lambda got, c: tuple(got.shape) == (c.H, c.W, c.H, c.W),
            kinds=("shape",),
        ),
    ],
)


def check_window_mask(fn) -> ExerciseResult:
    """Check ``fn(H, W, M)``: which pairs of tokens of an ``H x W`` map window attention lets attend.

    The answer is a ``(H*W, H*W)`` bool tensor, tokens numbered row by row over the whole map, True where query
    ``i`` and key ``j`` lie in the same ``M x M`` window: global attention with this mask is W-MSA. The
    reference is built from :func:`swin_edu.windows.window_partition` of the token numbers. Names blocks of
    ``M*M`` consecutive tokens (true in window order, not in map order), an inverted mask, the additive 0/−100
    float mask of notebook 04 and a float 1/0 mask.
    """
    return WINDOW_MASK.check(fn)
