"""Scaled dot-product attention and multi-head self-attention (Vaswani et al. 2017, Sec. 3.2).

``Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + B) V``, where ``B`` is an optional additive bias:
Swin's relative position bias and its shifted-window mask both enter here.

:func:`scaled_dot_product_attention` is the explicit version that also returns the weights, for
teaching and for counting operations. :class:`MultiHeadSelfAttention` uses one fused ``qkv`` projection
(as the official Swin code does) and runs either the explicit path or PyTorch's fused kernel
``torch.nn.functional.scaled_dot_product_attention``; both give the same numbers.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ._checks import check_heads, check_probability

__all__ = ["scaled_dot_product_attention", "MultiHeadSelfAttention"]


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Explicit attention that also returns its weights.

    Args:
        q: ``(..., n_q, d_k)`` queries.
        k: ``(..., n_k, d_k)`` keys.
        v: ``(..., n_k, d_v)`` values.
        bias: optional additive bias broadcastable to ``(..., n_q, n_k)``: a relative position bias,
            a mask with large negative entries, or both summed.

    Returns:
        ``(out, weights)``: ``out`` is ``(..., n_q, d_v)``, ``weights`` is ``(..., n_q, n_k)`` and each of
        its rows sums to 1.
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor) or t.dim() < 2:
            what = f"shape {tuple(t.shape)}" if isinstance(t, torch.Tensor) else type(t).__name__
            raise TypeError(f"{name} must be a torch.Tensor of shape (..., n, d) (at least 2 dimensions), got {what}")
    if bias is not None and not isinstance(bias, torch.Tensor):
        raise TypeError(
            f"bias must be None or a torch.Tensor broadcastable to (..., n_q, n_k), got {type(bias).__name__}"
        )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"queries and keys must have the same width d_k, got q {tuple(q.shape)} and k {tuple(k.shape)}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"keys and values must come in the same number, got k {tuple(k.shape)} and v {tuple(v.shape)}")
    q = q * (1.0 / math.sqrt(q.shape[-1]))  # scale the queries first, as the official Swin code does
    logits = q @ k.transpose(-2, -1)  # (..., n_q, n_k)
    if bias is not None:
        logits = logits + bias
    weights = logits.softmax(dim=-1)  # (..., n_q, n_k)
    return weights @ v, weights  # (..., n_q, d_v), (..., n_q, n_k)


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention with one fused ``qkv`` projection.

    ``MSA(X) = Concat(head_1, ..., head_h) W_O`` with ``head_i = Attention(X W_Q^i, X W_K^i, X W_V^i)``.
    The three projections of all heads are one ``Linear(dim, 3 * dim)`` (parameter names ``qkv`` and
    ``proj``, as in the official Swin checkpoints).

    Args:
        dim: token width ``C``.
        num_heads: number of heads ``h``; must divide ``dim``.
        qkv_bias: whether ``qkv`` has a bias (Swin: yes).
        fused_attn: use ``F.scaled_dot_product_attention`` (fast) instead of the explicit path
            (returns weights, visible to ``torch.utils.flop_counter``).
        proj_drop: dropout after the output projection (training only).
    """

    def __init__(
        self, dim: int, num_heads: int, qkv_bias: bool = True, fused_attn: bool = True, proj_drop: float = 0.0
    ):
        super().__init__()
        check_heads(dim, num_heads)
        self.dim = dim
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.fused_attn = fused_attn
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(check_probability("proj_drop", proj_drop))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, num_heads={self.num_heads}, fused_attn={self.fused_attn}"

    def split_heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Project ``(B, n, C)`` tokens to queries, keys and values, each ``(B, h, n, C / h)``."""
        if x.dim() != 3 or x.shape[-1] != self.dim:
            raise ValueError(f"expected tokens of shape (B, n, {self.dim}) for dim={self.dim}, got {tuple(x.shape)}")
        B, n, _ = x.shape
        qkv = self.qkv(x).view(B, n, 3, self.num_heads, self.head_dim)  # (B, n, 3, h, d)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # 3 x (B, h, n, d)
        return q, k, v

    def merge_heads(self, out: torch.Tensor) -> torch.Tensor:
        """Concatenate heads ``(B, h, n, d)`` back to ``(B, n, C)`` and apply the output projection."""
        B, _, n, _ = out.shape
        out = out.transpose(1, 2).reshape(B, n, self.dim)  # (B, n, C)
        return self.proj_drop(self.proj(out))

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        """Attention of every head, by the fused kernel or the explicit path."""
        if self.fused_attn:
            return F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return scaled_dot_product_attention(q, k, v, bias)[0]

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        """Self-attention over ``(B, n, C)`` tokens; ``bias`` broadcasts to ``(B, h, n, n)``."""
        q, k, v = self.split_heads(x)  # 3 x (B, h, n, d)
        return self.merge_heads(self.attend(q, k, v, bias))  # (B, n, C)
