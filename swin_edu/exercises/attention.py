"""Check functions for the exercises of ``notebooks/01_attention.ipynb``.

Each ``check_...`` function calls the learner's function on a few small inputs, compares the answer with
the library (:mod:`swin_edu.attention`, :mod:`swin_edu.complexity`) or with PyTorch, prints either a ✓ or
the first thing that is wrong, and returns ``True``/``False``. A wrong, unfinished or crashing answer never
raises. The inputs come from a private random generator, so a check does not move the notebook's seed.
"""

from __future__ import annotations

import math
import numbers

import torch
import torch.nn as nn

from ..attention import MultiHeadSelfAttention, scaled_dot_product_attention
from ..complexity import counted_macs
from ._feedback import ExerciseResult, compare_tensors, report
from ._feedback import answer_name as _name
from ._feedback import call_answer as _call

__all__ = ["check_attention", "check_split_heads", "check_msa", "check_msa_macs"]


def _shapes(**tensors) -> str:
    return ", ".join(f"{key} {tuple(t.shape)}" for key, t in tensors.items())


def _randn(generator: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=generator)


# ----------------------------------------------------------------------------------------------------------
# Exercise 1: scaled dot-product attention


def _attention_cases() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    return [
        (_randn(g, 2, 5, 8), _randn(g, 2, 5, 8), _randn(g, 2, 5, 16)),  # d_v != d_k
        (_randn(g, 3, 4, 6), _randn(g, 3, 7, 6), _randn(g, 3, 7, 2)),  # n_q != n_k
        (2.0 * _randn(g, 2, 3, 4, 8), 2.0 * _randn(g, 2, 3, 4, 8), _randn(g, 2, 3, 4, 8)),  # a heads axis
    ]


def _diagnose_weights(weights: torch.Tensor, q: torch.Tensor, k: torch.Tensor) -> str:
    """Why ``weights`` (right shape, rows summing to 1) differ from softmax(q k^T / sqrt(d_k))."""
    logits = q @ k.transpose(-2, -1)  # (..., n_q, n_k)
    d_k = q.shape[-1]
    if torch.allclose(weights, logits.softmax(-1), atol=1e-5):
        return f"you forgot to divide by sqrt(d_k): the logits q @ k^T must be scaled by 1 / sqrt({d_k})"
    if torch.allclose(weights, (logits / d_k).softmax(-1), atol=1e-5):
        return f"you divided the logits by d_k = {d_k}; the scale is 1 / sqrt(d_k) = 1 / {math.sqrt(d_k):.3g}"
    return "the weights sum to 1 but have wrong values: they should be softmax(q @ k^T / sqrt(d_k), dim=-1)"


def check_attention(fn) -> ExerciseResult:
    """Check ``fn(q, k, v) -> (out, weights)`` against :func:`swin_edu.attention.scaled_dot_product_attention`.

    ``q`` is ``(..., n_q, d_k)``, ``k`` is ``(..., n_k, d_k)``, ``v`` is ``(..., n_k, d_v)``; the answer must be
    ``out`` of shape ``(..., n_q, d_v)`` and ``weights`` of shape ``(..., n_q, n_k)``, each row summing to 1.
    Three cases: ``d_v != d_k``, ``n_q != n_k`` and an extra heads axis. Says what is wrong: a missing
    return, a weight matrix that does not sum to 1 over the keys, a missing or wrong scale, a shape.
    """
    name = _name(fn)
    for q, k, v in _attention_cases():
        where = f"for {_shapes(q=q, k=k, v=v)}"
        answer, crashed = _call(fn, q, k, v)
        if crashed:
            return report(False, f"{crashed} ({where})")
        if answer is None:
            return report(False, f"{name} returns nothing yet (a missing `return`?): it should return (out, weights)")
        if isinstance(answer, torch.Tensor) or not isinstance(answer, (tuple, list)) or len(answer) != 2:
            return report(False, f"{name} should return a pair (out, weights), got {type(answer).__name__}")
        out, weights = answer
        expected_out, expected_weights = scaled_dot_product_attention(q, k, v)
        if not isinstance(weights, torch.Tensor) or weights.shape != expected_weights.shape:
            return report(False, f"{compare_tensors('weights', weights, expected_weights)} ({where})")
        row_sums, column_sums = weights.float().sum(-1), weights.float().sum(-2)
        if not torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-4):
            if torch.allclose(column_sums, torch.ones_like(column_sums), atol=1e-4):
                hint = "they sum to 1 over the queries instead: take the softmax over the last axis, dim=-1"
            else:
                hint = "did you apply the softmax over the last axis (the keys)?"
            return report(False, f"your weights do not sum to 1 over the keys ({where}): {hint}")
        if compare_tensors("weights", weights, expected_weights):
            return report(False, f"{_diagnose_weights(weights.float(), q, k)} ({where})")
        why = compare_tensors("out", out, expected_out)
        if why:
            hint = "; out is weights @ v, so its last axis is v's width d_v" if "shape" in why else ""
            return report(False, f"{why} ({where}){hint}")
    return report(True, f"{name} matches swin_edu.attention.scaled_dot_product_attention (out and weights)")


# ----------------------------------------------------------------------------------------------------------
# Exercise 2: splitting the channels into heads


def check_split_heads(fn) -> ExerciseResult:
    """Check ``fn(x, num_heads)``: ``(B, N, C)`` tokens to ``(B, num_heads, N, C / num_heads)`` heads.

    Head ``i`` must hold channels ``i * d`` to ``(i + 1) * d`` of every token (``d = C / num_heads``), the split
    :meth:`swin_edu.attention.MultiHeadSelfAttention.split_heads` applies to queries, keys and values. Spots a
    forgotten transpose and a reshape straight to ``(B, h, N, d)``, which mixes tokens into heads.
    """
    name = _name(fn)
    g = torch.Generator().manual_seed(2)
    for shape, heads in [((2, 5, 12), 3), ((1, 7, 16), 4), ((3, 4, 8), 8)]:
        x = _randn(g, *shape)
        B, N, C = shape
        d = C // heads
        where = f"for x {shape} and num_heads={heads}"
        answer, crashed = _call(fn, x, heads)
        if crashed:
            return report(False, f"{crashed} ({where})")
        if answer is None:
            return report(False, f"{name} returns nothing yet (a missing `return`?)")
        expected = x.view(B, N, heads, d).transpose(1, 2)  # (B, h, N, d)
        if isinstance(answer, torch.Tensor) and tuple(answer.shape) == (B, N, heads, d) and N != heads:
            return report(
                False, f"shape {(B, N, heads, d)} is (B, N, h, d) ({where}): transpose(1, 2) to get (B, h, N, d)"
            )
        why = compare_tensors("the result", answer, expected)
        if why is None:
            continue
        if "wrong values" in why and torch.allclose(answer.float(), x.reshape(B, heads, N, d)):
            return report(
                False,
                f"{why} ({where}): a reshape straight to (B, h, N, d) mixes tokens into heads; "
                "reshape to (B, N, h, d) first, then transpose(1, 2)",
            )
        if "wrong values" in why:
            why += "; head i should hold channels i*d .. (i+1)*d - 1 of every token"
        return report(False, f"{why} ({where})")
    return report(True, f"{name} splits (B, N, C) into (B, h, N, C/h) as MultiHeadSelfAttention.split_heads does")


# ----------------------------------------------------------------------------------------------------------
# Exercise 3: multi-head self-attention from its weights


def _msa_variant(x, w_qkv, b_qkv, w_o, b_o, heads: int, scale: float, project: bool = True) -> torch.Tensor:
    """Multi-head self-attention with a chosen scale and optional output projection (to name mistakes)."""
    B, N, C = x.shape
    d = C // heads
    q, k, v = (x @ w_qkv.T + b_qkv).split(C, dim=-1)  # 3 x (B, N, C)
    q, k, v = (t.view(B, N, heads, d).transpose(1, 2) for t in (q, k, v))  # 3 x (B, h, N, d)
    weights = (scale * q @ k.transpose(-2, -1)).softmax(-1)  # (B, h, N, N)
    out = (weights @ v).transpose(1, 2).reshape(B, N, C)  # (B, N, C)
    return out @ w_o.T + b_o if project else out


def _torch_msa(x, w_qkv, b_qkv, w_o, b_o, heads: int) -> torch.Tensor:
    """PyTorch's ``nn.MultiheadAttention`` with the given weights: the reference answer."""
    C = x.shape[-1]
    mha = nn.MultiheadAttention(C, heads, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(w_qkv)  # (3C, C): q, k, v stacked, like the fused qkv
        mha.in_proj_bias.copy_(b_qkv)
        mha.out_proj.weight.copy_(w_o)
        mha.out_proj.bias.copy_(b_o)
        return mha(x, x, x, need_weights=False)[0]


def check_msa(fn) -> ExerciseResult:
    """Check ``fn(x, w_qkv, b_qkv, w_o, b_o, num_heads)`` against ``torch.nn.MultiheadAttention``.

    ``x`` is ``(B, N, C)``; ``w_qkv`` ``(3C, C)`` and ``b_qkv`` ``(3C,)`` hold the query, key and value
    projections stacked in that order (like ``MultiHeadSelfAttention.qkv`` and ``in_proj_weight``); ``w_o``
    ``(C, C)`` and ``b_o`` ``(C,)`` are the output projection. The answer is ``(B, N, C)``. Names a forgotten
    output projection, a single head instead of ``num_heads``, and a scale by ``sqrt(C)`` or none at all.
    """
    name = _name(fn)
    g = torch.Generator().manual_seed(3)
    for (B, N, C), heads in [((2, 5, 16), 4), ((1, 6, 12), 3), ((2, 4, 8), 1)]:
        x = _randn(g, B, N, C)
        params = (_randn(g, 3 * C, C) / math.sqrt(C), 0.1 * _randn(g, 3 * C), _randn(g, C, C) / math.sqrt(C))
        params = (*params, 0.1 * _randn(g, C))
        where = f"for x {(B, N, C)} and num_heads={heads}"
        answer, crashed = _call(fn, x, *params, heads)
        if crashed:
            return report(False, f"{crashed} ({where})")
        if answer is None:
            return report(False, f"{name} returns nothing yet (a missing `return`?)")
        with torch.no_grad():
            expected = _torch_msa(x, *params, heads)
        why = compare_tensors("the output", answer, expected, atol=1e-4, rtol=1e-4)
        if why is None:
            continue
        if "wrong values" in why:
            d = C // heads
            mistakes = [
                ((heads, 1 / math.sqrt(d), False), "you forgot the output projection w_o, b_o"),
                ((1, 1 / math.sqrt(C), True), f"this is one head of width C = {C}: split it into {heads} heads"),
                ((heads, 1 / math.sqrt(C), True), f"you scaled by 1 / sqrt(C); a head's d_k is C / num_heads = {d}"),
                ((heads, 1.0, True), "you forgot to divide the logits by sqrt(d_k)"),
            ]
            for (h, scale, project), hint in mistakes:
                wrong = _msa_variant(x, *params, h, scale, project)
                if torch.allclose(answer.float(), wrong, atol=1e-4, rtol=1e-4):
                    why += f": {hint}"
                    break
        return report(False, f"{why} ({where})")
    return report(True, f"{name} equals torch.nn.MultiheadAttention with the same weights")


# ----------------------------------------------------------------------------------------------------------
# Exercise 4: the cost of multi-head self-attention


def check_msa_macs(fn) -> ExerciseResult:
    """Check ``fn(n, C)``, the multiply-accumulates of multi-head self-attention on ``n`` tokens of width ``C``.

    The answer is compared with the MACs that ``torch.utils.flop_counter`` counts in a forward pass of
    :class:`swin_edu.attention.MultiHeadSelfAttention` (via :func:`swin_edu.complexity.counted_macs`), on
    sizes where either term dominates. Names a forgotten output projection, a single attention product, a
    missing term, and FLOPs (2 per MAC) given instead of MACs.
    """
    name = _name(fn)
    torch_state = torch.random.get_rng_state()  # building the modules draws weights: keep the caller's seed
    try:
        for n, C, heads in [(5, 16, 4), (49, 8, 2), (20, 12, 3)]:
            answer, crashed = _call(fn, n, C)
            if crashed:
                return report(False, f"{crashed} (for n={n}, C={C})")
            if answer is None:
                return report(False, f"{name} returns nothing yet (a missing `return`?)")
            if isinstance(answer, torch.Tensor) and answer.numel() == 1:
                answer = answer.item()
            if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
                return report(False, f"{name}({n}, {C}) should be a number, got {type(answer).__name__}")
            answer = int(answer) if isinstance(answer, numbers.Integral) else float(answer)  # numpy scalars too
            counted = counted_macs(MultiHeadSelfAttention(C, heads), torch.zeros(1, n, C))
            if answer == counted:
                continue
            why = f"{name}({n}, {C}) = {answer:,}, but the counted MACs are {counted:,}"
            mistakes = [
                (3 * n * C**2 + 2 * n**2 * C, "you left out the output projection, another n·C²"),
                (4 * n * C**2 + n**2 * C, "Q Kᵀ and the weighted sum A V cost n²C each: the second term is 2n²C"),
                (4 * n * C**2, "you left out the attention products Q Kᵀ and A V (2n²C)"),
                (2 * n**2 * C, "you left out the four projections q, k, v and the output (4nC²)"),
                (2 * counted, "you counted FLOPs (2 per multiply-accumulate); the paper counts MACs"),
            ]
            for wrong, hint in mistakes:
                if answer == wrong:
                    why += f": {hint}"
                    break
            return report(False, why)
    finally:
        torch.random.set_rng_state(torch_state)
    return report(True, f"{name} agrees with the multiply-accumulates counted by torch.utils.flop_counter")
