"""Check functions for the exercises of ``notebooks/01_attention.ipynb``.

Each exercise is declared as data (:class:`~swin_edu.exercises._feedback.Exercise`): its cases, the library
or PyTorch reference (:mod:`swin_edu.attention`, :mod:`swin_edu.complexity`), how an answer is read and the
typical mistakes with their hints. The shared runner calls the learner's function on its own copies of the
inputs, prints either a ✓ or the first thing that is wrong and returns ``True``/``False``; a wrong,
unfinished, crashing or endless answer never raises. The inputs come from a private random generator, so a
check does not move the notebook's seed.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn as nn

from ..attention import MultiHeadSelfAttention, scaled_dot_product_attention
from ..complexity import counted_macs
from ..language import N_, _
from ._feedback import (
    Case,
    Exercise,
    ExerciseResult,
    Mismatch,
    Mistake,
    compare_tensors,
    read_number,
    read_tensor,
    shown,
    tensor_reader,
)

__all__ = ["check_attention", "check_split_heads", "check_msa", "check_msa_macs"]


def _shapes(**tensors) -> str:
    return ", ".join(f"{key} {tuple(t.shape)}" for key, t in tensors.items())



def _randn(generator: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=generator)


# ----------------------------------------------------------------------------------------------------------
# Exercise 1: scaled dot-product attention


def _attention_cases() -> list[Case]:
    g = torch.Generator().manual_seed(1)
    inputs = [
        (_randn(g, 2, 5, 8), _randn(g, 2, 5, 8), _randn(g, 2, 5, 16)),  # d_v != d_k
        (_randn(g, 3, 4, 6), _randn(g, 3, 7, 6), _randn(g, 3, 7, 2)),  # n_q != n_k
        (2.0 * _randn(g, 2, 3, 4, 8), 2.0 * _randn(g, 2, 3, 4, 8), _randn(g, 2, 3, 4, 8)),  # a heads axis
    ]
    return [
        Case(q, k, v, where=_("for {shapes}").format(shapes=_shapes(q=q, k=k, v=v)), q=q, k=k, v=v)
        for q, k, v in inputs
    ]


def _attention_with(q, k, v, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    weights = (scale * q @ k.transpose(-2, -1)).softmax(-1)  # (..., n_q, n_k)
    return weights @ v, weights


def _read_attention(answer, case: Case, name: str):
    if isinstance(answer, torch.Tensor) or not isinstance(answer, (tuple, list)) or len(answer) != 2:
        message = _("{name} should return a pair (out, weights), got {type}")
        return Mismatch("type", message.format(name=name, type=type(answer).__name__))
    out, weights = answer
    weights = read_tensor(weights, "weights")
    if isinstance(weights, Mismatch):
        return weights
    return out, weights


def _compare_attention(answer, expected, case: Case) -> Mismatch | None:
    """Weights first (shape, rows summing to 1 over the keys, values), then ``out``."""
    (out, weights), (expected_out, expected_weights) = answer, expected
    if weights.shape != expected_weights.shape:
        return compare_tensors("weights", weights, expected_weights)
    row_sums = weights.double().sum(-1)
    if not torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-4):
        return Mismatch(
            "values",
            _("your weights do not sum to 1 over the keys"),
            _("did you apply the softmax over the last axis (the keys)?"),
        )
    if compare_tensors("weights", weights, expected_weights):
        return Mismatch(
            "values",
            _("the weights sum to 1 but have wrong values"),
            _("they should be softmax(q @ k^T / sqrt(d_k), dim=-1)"),
        )
    return compare_tensors("out", out, expected_out)


def _sums_over_queries(answer, case: Case) -> bool:
    column_sums = answer[1].double().sum(-2)
    return bool(torch.allclose(column_sums, torch.ones_like(column_sums), atol=1e-4))


ATTENTION = Exercise(
    cases=_attention_cases,
    reference=lambda c: scaled_dot_product_attention(c.q, c.k, c.v),
    read=_read_attention,
    compare=_compare_attention,
    returns=N_("(out, weights)"),
    success=N_("{name} matches swin_edu.attention.scaled_dot_product_attention (out and weights)"),
    mistakes=[
        Mistake(
            "softmax over the queries",
            N_("they sum to 1 over the queries instead: take the softmax over the last axis, dim=-1"),
            when=_sums_over_queries,
        ),
        Mistake(
            "no scale",
            lambda c: _(
                "you forgot to divide by sqrt(d_k): the logits q @ k^T must be scaled by 1 / sqrt({d_k})"
            ).format(d_k=c.q.shape[-1]),
            wrong=lambda c: _attention_with(c.q, c.k, c.v, 1.0),
        ),
        Mistake(
            "scale 1/d_k",
            lambda c: _("you divided the logits by d_k = {d_k}; the scale is 1 / sqrt(d_k) = 1 / {root}").format(
                d_k=c.q.shape[-1], root=f"{math.sqrt(c.q.shape[-1]):.3g}"
            ),
            wrong=lambda c: _attention_with(c.q, c.k, c.v, 1 / c.q.shape[-1]),
        ),
        Mistake(
            "q and k swapped",
            N_("q and k are swapped: the weights are softmax(q @ k^T), one row per query, one column per key"),
            wrong=lambda c: _attention_with(c.k, c.q, c.v, 1 / math.sqrt(c.q.shape[-1])),
            kinds=("values", "shape"),
        ),
        Mistake(
            "out from another tensor",
            N_("out is weights @ v, so its last axis is v's width d_v"),
            when=lambda a, c: isinstance(a[0], torch.Tensor) and a[0].shape[-1] != c.v.shape[-1],
            kinds=("shape",),
        ),
    ],
)


def check_attention(fn) -> ExerciseResult:
    """Check ``fn(q, k, v) -> (out, weights)`` against :func:`swin_edu.attention.scaled_dot_product_attention`.

    ``q`` is ``(..., n_q, d_k)``, ``k`` is ``(..., n_k, d_k)``, ``v`` is ``(..., n_k, d_v)``; the answer must be
    ``out`` of shape ``(..., n_q, d_v)`` and ``weights`` of shape ``(..., n_q, n_k)``, each row summing to 1.
    Three cases: ``d_v != d_k``, ``n_q != n_k`` and an extra heads axis. Says what is wrong: a missing
    return, a weight matrix that does not sum to 1 over the keys, a missing or wrong scale, ``q`` and ``k``
    swapped, a shape.
    """
    return ATTENTION.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 2: splitting the channels into heads


def _split_cases() -> list[Case]:
    g = torch.Generator().manual_seed(2)
    cases = []
    for shape, heads in [((2, 5, 12), 3), ((1, 7, 16), 4), ((3, 4, 8), 8)]:
        x = _randn(g, *shape)
        where = _("for x {shape} and num_heads={heads}").format(shape=shape, heads=heads)
        cases.append(Case(x, heads, where=where, x=x, heads=heads))
    return cases


def _split(x: torch.Tensor, heads: int) -> torch.Tensor:
    B, N, C = x.shape
    return x.view(B, N, heads, C // heads).transpose(1, 2)  # (B, h, N, d)


def _bhnd(c: Case) -> tuple[int, int, int, int]:
    B, N, C = c.x.shape
    return B, N, c.heads, C // c.heads


SPLIT_HEADS = Exercise(
    cases=_split_cases,
    reference=lambda c: _split(c.x, c.heads),
    read=tensor_reader(N_("the result")),
    compare=lambda got, expected, c: compare_tensors(_("the result"), got, expected),
    success=N_("{name} splits (B, N, C) into (B, h, N, C/h) as MultiHeadSelfAttention.split_heads does"),
    mistakes=[
        Mistake(
            "no transpose",
            lambda c: _("shape {shape} is (B, N, h, d): transpose(1, 2) to get (B, h, N, d)").format(shape=_bhnd(c)),
            when=lambda a, c: tuple(a.shape) == _bhnd(c) and c.x.shape[1] != c.heads,
            kinds=("shape",),
        ),
        Mistake(
            "reshape straight to (B, h, N, d)",
            N_(
                "a reshape straight to (B, h, N, d) mixes tokens into heads; reshape to (B, N, h, d) first, "
                "then transpose(1, 2)"
            ),
            wrong=lambda c: c.x.reshape(c.x.shape[0], c.heads, c.x.shape[1], -1),
        ),
        Mistake(
            "other channels",
            N_("head i should hold channels i*d .. (i+1)*d - 1 of every token"),
            when=lambda a, c: True,
        ),
    ],
)


def check_split_heads(fn) -> ExerciseResult:
    """Check ``fn(x, num_heads)``: ``(B, N, C)`` tokens to ``(B, num_heads, N, C / num_heads)`` heads.

    Head ``i`` must hold channels ``i * d`` to ``(i + 1) * d`` of every token (``d = C / num_heads``), the split
    :meth:`swin_edu.attention.MultiHeadSelfAttention.split_heads` applies to queries, keys and values. Spots a
    forgotten transpose and a reshape straight to ``(B, h, N, d)``, which mixes tokens into heads.
    """
    return SPLIT_HEADS.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 3: multi-head self-attention from its weights


def _msa_variant(
    x, w_qkv, b_qkv, w_o, b_o, heads: int, scale: float, project: bool = True, swap_qk: bool = False
) -> torch.Tensor:
    """Multi-head self-attention with a chosen scale, optional output projection, and q and k optionally
    swapped (to name mistakes)."""
    B, N, C = x.shape
    d = C // heads
    q, k, v = (x @ w_qkv.T + b_qkv).split(C, dim=-1)  # 3 x (B, N, C)
    if swap_qk:
        q, k = k, q
    q, k, v = (t.view(B, N, heads, d).transpose(1, 2) for t in (q, k, v))  # 3 x (B, h, N, d)
    weights = (scale * q @ k.transpose(-2, -1)).softmax(-1)  # (B, h, N, N)
    out = (weights @ v).transpose(1, 2).reshape(B, N, C)  # (B, N, C)
    return out @ w_o.T + b_o if project else out


@torch.no_grad()
def _torch_msa(x, w_qkv, b_qkv, w_o, b_o, heads: int) -> torch.Tensor:
    """PyTorch's ``nn.MultiheadAttention`` with the given weights: the reference answer."""
    C = x.shape[-1]
    mha = nn.MultiheadAttention(C, heads, batch_first=True)
    mha.in_proj_weight.copy_(w_qkv)  # (3C, C): q, k, v stacked, like the fused qkv
    mha.in_proj_bias.copy_(b_qkv)
    mha.out_proj.weight.copy_(w_o)
    mha.out_proj.bias.copy_(b_o)
    return mha(x, x, x, need_weights=False)[0]


def _msa_cases() -> list[Case]:
    g = torch.Generator().manual_seed(3)
    cases = []
    for (B, N, C), heads in [((2, 5, 16), 4), ((1, 6, 12), 3), ((2, 4, 8), 1)]:
        x = _randn(g, B, N, C)
        params = (_randn(g, 3 * C, C) / math.sqrt(C), 0.1 * _randn(g, 3 * C), _randn(g, C, C) / math.sqrt(C))
        params = (*params, 0.1 * _randn(g, C))
        where = _("for x {shape} and num_heads={heads}").format(shape=(B, N, C), heads=heads)
        cases.append(Case(x, *params, heads, where=where, inputs=(x, *params), heads=heads, C=C))
    return cases


def _msa_mistake(name: str, hint, heads, scale, project=True, swap_qk=False) -> Mistake:
    """A mistake that is multi-head attention with other heads, scale or projection, or q and k swapped."""
    return Mistake(
        name,
        hint,
        wrong=lambda c: _msa_variant(*c.inputs, heads(c), scale(c), project, swap_qk),
        atol=1e-4,
    )


MSA = Exercise(
    cases=_msa_cases,
    reference=lambda c: _torch_msa(*c.inputs, c.heads),
    read=tensor_reader(N_("the output")),
    compare=lambda got, expected, c: compare_tensors(_("the output"), got, expected, atol=1e-4, rtol=1e-4),
    success=N_("{name} equals torch.nn.MultiheadAttention with the same weights"),
    mistakes=[
        _msa_mistake(
            "no output projection",
            N_("you forgot the output projection w_o, b_o"),
            lambda c: c.heads,
            lambda c: 1 / math.sqrt(c.C // c.heads),
            project=False,
        ),
        _msa_mistake(
            "one head",
            lambda c: _("this is one head of width C = {C}: split it into {heads} heads").format(C=c.C, heads=c.heads),
            lambda c: 1,
            lambda c: 1 / math.sqrt(c.C),
        ),
        _msa_mistake(
            "scale by sqrt(C)",
            lambda c: _("you scaled by 1 / sqrt(C); a head's d_k is C / num_heads = {d_k}").format(d_k=c.C // c.heads),
            lambda c: c.heads,
            lambda c: 1 / math.sqrt(c.C),
        ),
        _msa_mistake("no scale", N_("you forgot to divide the logits by sqrt(d_k)"), lambda c: c.heads, lambda c: 1.0),
        _msa_mistake(
            "q and k swapped",
            N_(
                "q and k are swapped: w_qkv stacks the query, key and value projections in that order, so the first "
                "C rows make q; with k @ q^T each query's weights run down a column instead of along a row"
            ),
            lambda c: c.heads,
            lambda c: 1 / math.sqrt(c.C // c.heads),
            swap_qk=True,
        ),
    ],
)


def check_msa(fn) -> ExerciseResult:
    """Check ``fn(x, w_qkv, b_qkv, w_o, b_o, num_heads)`` against ``torch.nn.MultiheadAttention``.

    ``x`` is ``(B, N, C)``; ``w_qkv`` ``(3C, C)`` and ``b_qkv`` ``(3C,)`` hold the query, key and value
    projections stacked in that order (like ``MultiHeadSelfAttention.qkv`` and ``in_proj_weight``); ``w_o``
    ``(C, C)`` and ``b_o`` ``(C,)`` are the output projection. The answer is ``(B, N, C)``. Names a forgotten
    output projection, a single head instead of ``num_heads``, a scale by ``sqrt(C)`` or none at all, and
    ``q`` and ``k`` swapped.
    """
    return MSA.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 4: the cost of multi-head self-attention


def _macs_cases() -> list[Case]:
    return [
        Case(n, C, where=_("for n={n}, C={C}").format(n=n, C=C), n=n, C=C, heads=heads)
        for n, C, heads in [(5, 16, 4), (49, 8, 2), (20, 12, 3)]
    ]


def _counted(c: Case) -> int:
    return _counted_macs(c.n, c.C, c.heads)


@functools.lru_cache(maxsize=8)
def _counted_macs(n: int, C: int, heads: int) -> int:
    """The MACs ``torch.utils.flop_counter`` counts in a forward pass (the module's weights do not matter)."""
    with torch.random.fork_rng(devices=[]):  # building the module draws its weights
        return counted_macs(MultiHeadSelfAttention(C, heads), torch.zeros(1, n, C))


def _compare_macs(got, counted: int, c: Case) -> Mismatch | None:
    if got == counted:
        return None
    message = _("{call} = {got}, but the counted MACs are {counted}")
    return Mismatch("values", message.format(call=f"{c.name}({c.n}, {c.C})", got=shown(got), counted=f"{counted:,}"))


MSA_MACS = Exercise(
    cases=_macs_cases,
    reference=_counted,
    read=lambda answer, c, name: read_number(answer, f"{name}({c.n}, {c.C})"),
    compare=_compare_macs,
    success=N_("{name} agrees with the multiply-accumulates counted by torch.utils.flop_counter"),
    mistakes=[
        Mistake(
            "no output projection",
            N_("you left out the output projection, another n·C²"),
            wrong=lambda c: 3 * c.n * c.C**2 + 2 * c.n**2 * c.C,
        ),
        Mistake(
            "one attention product",
            N_("Q Kᵀ and the weighted sum A V cost n²C each: the second term is 2n²C"),
            wrong=lambda c: 4 * c.n * c.C**2 + c.n**2 * c.C,
        ),
        Mistake(
            "no attention products",
            N_("you left out the attention products Q Kᵀ and A V (2n²C)"),
            wrong=lambda c: 4 * c.n * c.C**2,
        ),
        Mistake(
            "no projections",
            N_("you left out the four projections q, k, v and the output (4nC²)"),
            wrong=lambda c: 2 * c.n**2 * c.C,
        ),
        Mistake(
            "FLOPs",
            N_("you counted FLOPs (2 per multiply-accumulate); the paper counts MACs"),
            wrong=lambda c: 2 * (4 * c.n * c.C**2 + 2 * c.n**2 * c.C),
        ),
    ],
)


def check_msa_macs(fn) -> ExerciseResult:
    """Check ``fn(n, C)``, the multiply-accumulates of multi-head self-attention on ``n`` tokens of width ``C``.

    The answer is compared with the MACs that ``torch.utils.flop_counter`` counts in a forward pass of
    :class:`swin_edu.attention.MultiHeadSelfAttention` (via :func:`swin_edu.complexity.counted_macs`), on
    sizes where either term dominates. Names a forgotten output projection, a single attention product, a
    missing term, and FLOPs (2 per MAC) given instead of MACs.
    """
    return MSA_MACS.check(fn)
