"""The Swin Transformer (Liu et al., ICCV 2021), equal number for number to the official code.

Reading order, as in the paper (Sec. 3):

* :class:`WindowAttention`: multi-head self-attention inside ``M x M`` windows plus the relative
  position bias ``B`` of Eq. 4, ``softmax(Q K^T / sqrt(d) + B) V``.
* :class:`SwinBlock`: LayerNorm, (shifted) window attention, LayerNorm, MLP, with residuals; two
  consecutive blocks, the first with W-MSA and the second with SW-MSA, are Eq. 3 of the paper.
* :func:`merge_neighbours` and :class:`PatchMerging`: concatenate each 2x2 group of neighbours (4C),
  LayerNorm, Linear to 2C.
* :class:`SwinStage`: a run of blocks followed by patch merging.
* :class:`SwinTransformer`: patch embedding, four stages, LayerNorm, average pool, linear head;
  :func:`swin_t`, :func:`swin_s`, :func:`swin_b`, :func:`swin_l` build the paper's four variants.

The ablations of the paper's Table 4 are keyword switches of :class:`SwinTransformer` (defaults: the
paper's model): ``shift=False`` (every block W-MSA), ``rel_pos_bias=False`` (no bias ``B``) and
``abs_pos_embed=True`` (a learned absolute position embedding after the patch embedding, alone or with
the relative bias).

Parameter and buffer names are those of the official checkpoints (``layers.0.blocks.1.attn.qkv.weight``
and so on), so ``model.state_dict()`` is already in the official layout.

Inputs may have any height and width divisible by the patch size. As in the official detection
backbone, a map whose sides are not multiples of the window is zero-padded after the block's first
LayerNorm and cropped after attention, and the shifted-window mask is built on the padded map. As in
the official classification code, a map whose shorter side is at most the window uses windows of that
side, unshifted; a model built for images so small that a stage's map is smaller than the window
builds that stage's blocks (and their bias tables) for the smaller window, as the official code does.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch
import torch.nn as nn

from ._checks import (
    check_count,
    check_heads,
    check_hidden_width,
    check_map,
    check_pair,
    check_positive_int,
    check_probability,
    check_ratio,
    check_shift,
)
from .attention import MultiHeadSelfAttention
from .vit import DropPath, Mlp, PatchEmbed
from .windows import (
    cyclic_shift,
    effective_window,
    pad_to_window,
    relative_position_index,
    reverse_cyclic_shift,
    shifted_window_mask,
    window_grid,
    window_partition,
    window_reverse,
)

__all__ = [
    "attention_maps",
    "WindowAttention",
    "SwinBlock",
    "merge_neighbours",
    "PatchMerging",
    "SwinStage",
    "SwinTransformer",
    "swin_t",
    "swin_s",
    "swin_b",
    "swin_l",
    "CONFIGS",
    "meta_model",
]


def check_switch(name: str, value) -> bool:
    """Check that an ablation switch (``shift``, ``rel_pos_bias``, ``abs_pos_embed``) is a bool."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} is an on/off switch and must be True or False, got {value!r}")
    return value


class WindowAttention(MultiHeadSelfAttention):
    """W-MSA: multi-head self-attention on a batch of windows, with relative position bias (Eq. 4).

    Windows are simply the batch: ``(B * nW, N, C)`` tokens, ``N = M * M``. Every head has its own
    bias for each of the ``(2M - 1)^2`` possible offsets between two tokens of a window.

    Args:
        dim: token width ``C``.
        num_heads: heads ``h``; must divide ``dim``.
        window_size: window side ``M``; the bias table has ``(2M - 1)^2`` rows.
        qkv_bias, fused_attn, proj_drop: as in :class:`~swin_edu.attention.MultiHeadSelfAttention`.
        rel_pos_bias: the relative position bias ``B`` of Eq. 4 (default). False is the paper's ablation
            without it (Table 4, "no pos." and "abs. pos." rows): no ``relative_position_bias_table``
            parameter and no ``relative_position_index`` buffer at all, and the logits are ``Q K^T / sqrt(d)``
            (plus the shifted-window mask, if any).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        window_size: int,
        qkv_bias: bool = True,
        fused_attn: bool = True,
        proj_drop: float = 0.0,
        rel_pos_bias: bool = True,
    ):
        super().__init__(dim, num_heads, qkv_bias=qkv_bias, fused_attn=fused_attn, proj_drop=proj_drop)
        self.window_size = check_positive_int("window_size", window_size)
        self.rel_pos_bias = check_switch("rel_pos_bias", rel_pos_bias)
        if self.rel_pos_bias:
            table = torch.empty((2 * window_size - 1) ** 2, num_heads)
            self.relative_position_bias_table = nn.Parameter(nn.init.trunc_normal_(table, std=0.02))
            self.register_buffer("relative_position_index", relative_position_index(window_size))
        else:  # nothing registered: the state dict has neither name
            self.register_parameter("relative_position_bias_table", None)
            self.register_buffer("relative_position_index", None)

    def extra_repr(self) -> str:
        switch = "" if self.rel_pos_bias else ", rel_pos_bias=False"
        return super().extra_repr() + f", window_size={self.window_size}" + switch

    def relative_position_bias(self, window_size: int | None = None) -> torch.Tensor | None:
        """The bias ``B`` for every head and (query, key) pair: ``(h, N, N)``; None if the module was
        built with ``rel_pos_bias=False``.

        A window smaller than the table's (``window_size < M``, used when a map smaller than the
        window comes at run time) takes the rows of the offsets it can have: those of the top-left
        ``window_size x window_size`` corner of the ``M x M`` window.
        """
        M = self.window_size
        m = M if window_size is None else check_positive_int("window_size", window_size)
        if m > M:
            raise ValueError(f"window_size must be between 1 and the table's window {M}, got {m}")
        if not self.rel_pos_bias:
            return None
        index = self.relative_position_index  # (M*M, M*M)
        if m < M:
            rows = torch.arange(m, device=index.device)
            corner = (rows[:, None] * M + rows[None, :]).flatten()  # token numbers of the m x m corner
            index = index[corner][:, corner]  # (m*m, m*m)
        N = m * m
        bias = self.relative_position_bias_table[index.reshape(-1)]  # (N*N, h)
        return bias.view(N, N, self.num_heads).permute(2, 0, 1)  # (h, N, N)

    @staticmethod
    def check_mask(mask, n_windows: int, N: int) -> None:
        """Raise a ``ValueError`` unless ``mask`` is an additive float mask ``(nW, N, N)`` that fits."""
        if not isinstance(mask, torch.Tensor) or not mask.is_floating_point():
            kind = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
            raise ValueError(
                f"mask must be an additive float tensor (0 where a query may attend, -100 where not), as "
                f"swin_edu.windows.shifted_window_mask makes it; got {kind}"
            )
        if mask.dim() != 3 or mask.shape[0] < 1 or tuple(mask.shape[1:]) != (N, N) or n_windows % mask.shape[0]:
            raise ValueError(
                f"mask must have shape (nW, {N}, {N}) for windows of {N} tokens, with nW the windows of one "
                f"image dividing the {n_windows} windows given; got {tuple(mask.shape)}"
            )

    def forward(
        self, windows: torch.Tensor, mask: torch.Tensor | None = None, window_size: int | None = None
    ) -> torch.Tensor:
        """Attention inside each window.

        Args:
            windows: ``(B * nW, N, C)``, windows of each image consecutive (as ``window_partition`` gives).
            mask: ``(nW, N, N)`` additive shifted-window mask, or None for W-MSA.
            window_size: the side ``m`` of these windows if smaller than the table's ``M``.
        """
        bias = self.relative_position_bias(window_size)  # (h, N, N), or None without the bias
        m = self.window_size if window_size is None else window_size
        N = m * m
        if windows.dim() != 3 or windows.shape[1] != N:
            raise ValueError(f"expected windows of shape (B * nW, {N}, {self.dim}), got {tuple(windows.shape)}")
        q, k, v = self.split_heads(windows)  # 3 x (B*nW, h, N, d)
        n_windows = windows.shape[0]
        if mask is not None:
            self.check_mask(mask, n_windows, N)
            nW = mask.shape[0]
            # window w of every image gets mask[w]: add the mask per window, then repeat per image
            mask = mask.unsqueeze(1).to(q.dtype if bias is None else bias.dtype)  # (nW, 1, N, N): every head
            bias = mask if bias is None else bias.unsqueeze(0) + mask  # (nW, h or 1, N, N)
            bias = bias.expand(n_windows // nW, -1, -1, -1, -1).reshape(n_windows, *bias.shape[1:])  # (B*nW, h|1, N, N)
        elif bias is not None:
            bias = bias.unsqueeze(0)  # (1, h, N, N): the same for every window
        # (a 4-d bias lets F.scaled_dot_product_attention use its fused CPU kernel; 3-d falls back to slow math)
        return self.merge_heads(self.attend(q, k, v, bias))  # (B*nW, N, C)


class SwinBlock(nn.Module):
    """One Swin Transformer block (Fig. 3b) on a channels-last map ``(B, H, W, C)``.

    With ``shift_size = 0`` it computes Eq. 3's first two lines (W-MSA), with ``shift_size = M // 2`` the
    last two (SW-MSA)::

        z_hat = (S)W-MSA(LN(z)) + z
        z_out = MLP(LN(z_hat)) + z_hat

    Args:
        dim: channels ``C``.
        num_heads: attention heads; must divide ``dim``.
        window_size: window side ``M``.
        shift_size: ``0`` for W-MSA, ``M // 2`` for SW-MSA; the map is rolled by ``-shift_size`` before
            the partition and back after, in every forward pass.
        input_resolution: the ``(H, W)`` this block is built for; if it is shifted, its attention mask
            is stored as the ``attn_mask`` buffer (as in the official checkpoints). Other sizes get their
            mask computed when they come. If this map is smaller than the window, the block is built
            for windows of the map's shorter side without shift, as the official code does.
        mlp_ratio: MLP hidden width over ``dim``.
        qkv_bias, fused_attn: as in :class:`WindowAttention`.
        drop: dropout after the attention projection and in the MLP (training only).
        drop_path: stochastic depth probability of both residual branches.
        rel_pos_bias: the relative position bias in the attention (see :class:`WindowAttention`).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        window_size: int = 7,
        shift_size: int = 0,
        input_resolution: tuple[int, int] | None = None,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        drop_path: float = 0.0,
        fused_attn: bool = True,
        rel_pos_bias: bool = True,
    ):
        super().__init__()
        check_heads(dim, num_heads)
        window_size = check_positive_int("window_size", window_size)
        shift_size = check_shift(window_size, shift_size)
        hidden = check_hidden_width(dim, mlp_ratio)
        if input_resolution is not None:
            input_resolution = check_pair("input_resolution", input_resolution)
            # Only a map smaller than the window needs a smaller window (and bias table) at build time. A map
            # of exactly one window keeps its nominal shift_size, which larger inputs use; on that map itself
            # window_and_shift() gives shift 0, so nothing rolls (and no mask is stored), as in the official code.
            if min(input_resolution) < window_size:
                window_size, shift_size = min(input_resolution), 0
        self.dim = dim
        self.window_size = window_size
        self.shift_size = shift_size
        self.input_resolution = input_resolution
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(
            dim,
            num_heads,
            window_size,
            qkv_bias=qkv_bias,
            fused_attn=fused_attn,
            proj_drop=drop,
            rel_pos_bias=rel_pos_bias,
        )
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, hidden, drop=check_probability("drop", drop))

        mask = None
        self._mask_size: tuple[int, int] | None = None
        if input_resolution is not None:
            H, W = input_resolution
            grid = window_grid(H, W, self.window_size, self.shift_size)
            if grid.shift > 0:
                self._mask_size = (grid.padded_height, grid.padded_width)
                mask = shifted_window_mask(*self._mask_size, grid.window, grid.shift)  # (nW, N, N)
        self.register_buffer("attn_mask", mask)  # None registers nothing, as in the official code

    def extra_repr(self) -> str:
        return f"window_size={self.window_size}, shift_size={self.shift_size}, input_resolution={self.input_resolution}"

    def window_and_shift(self, height: int, width: int) -> tuple[int, int]:
        """The window side and shift used on a ``height x width`` map.

        If the map's shorter side is at most ``M``, windows of that side, unshifted (the official rule:
        a square map is then one window); otherwise ``(M, shift_size)``.
        """
        return effective_window(height, width, self.window_size, self.shift_size)

    def attention_mask(self, height: int, width: int, window_size: int, shift_size: int) -> torch.Tensor | None:
        """The ``(nW, N, N)`` SW-MSA mask for a padded ``height x width`` map, or None without shift."""
        if shift_size == 0:
            return None
        if self.attn_mask is not None and self._mask_size == (height, width):
            return self.attn_mask
        mask = shifted_window_mask(height, width, window_size, shift_size)
        return mask.to(self.norm1.weight.device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_map(x, channels=self.dim)
        B, H, W, C = x.shape
        m, s = self.window_and_shift(H, W)
        shortcut = x
        x = pad_to_window(self.norm1(x), m)  # (B, Hp, Wp, C), zeros at the bottom and right
        Hp, Wp = x.shape[1], x.shape[2]
        x = cyclic_shift(x, s)  # roll by -s (no-op for W-MSA)
        windows = window_partition(x, m).reshape(-1, m * m, C)  # (B * nW, N, C)
        windows = self.attn(windows, self.attention_mask(Hp, Wp, m, s), window_size=m)  # (B * nW, N, C)
        x = window_reverse(windows.reshape(-1, m, m, C), m, Hp, Wp)  # (B, Hp, Wp, C)
        x = reverse_cyclic_shift(x, s)[:, :H, :W]  # roll back by +s, crop the padding
        x = shortcut + self.drop_path(x)  # z_hat = (S)W-MSA(LN(z)) + z
        return x + self.drop_path(self.mlp(self.norm2(x)))  # z_out = MLP(LN(z_hat)) + z_hat


    @torch.no_grad()
    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """Where each token of this block's map attends: ``(B, heads, H*W, H*W)`` softmax weights.

        Row ``q`` of head ``h`` holds query token ``q``'s weights over every token of the ``H x W`` map
        (row-major), zero outside its window; a row sums to 1. It repeats the forward pass's steps up to the
        softmax (norm, padding, cyclic shift, partition, bias and mask), on the explicit path, and maps each
        window slot back to the map position it came from, so a shifted block's windows appear where they
        really lie: straddling the regular windows' borders. Queries and keys in the padding are dropped.

        Args:
            x: the block's input ``(B, H, W, C)``, as its ``forward`` receives it.
        """
        check_map(x, channels=self.dim)
        B, H, W, C = x.shape
        m, s = self.window_and_shift(H, W)
        x = cyclic_shift(pad_to_window(self.norm1(x), m), s)  # (B, Hp, Wp, C)
        Hp, Wp = x.shape[1], x.shape[2]
        windows = window_partition(x, m).reshape(-1, m * m, C)  # (B * nW, N, C)
        q, k, _ = self.attn.split_heads(windows)  # 2 x (B * nW, h, N, d)
        logits = (q * self.attn.head_dim**-0.5) @ k.transpose(-2, -1)  # (B * nW, h, N, N)
        bias = self.attn.relative_position_bias(m)
        if bias is not None:
            logits = logits + bias  # (h, N, N) for every window
        mask = self.attention_mask(Hp, Wp, m, s)
        if mask is not None:
            logits = (logits.view(B, -1, *logits.shape[1:]) + mask[None, :, None]).flatten(0, 1)
        weights = logits.softmax(dim=-1).view(B, -1, self.attn.num_heads, m * m, m * m)  # (B, nW, h, N, N)
        # the map position of each window slot: number the padded map, shift and partition the numbers alike
        position = torch.arange(Hp * Wp, device=x.device).view(1, Hp, Wp, 1)
        slots = window_partition(cyclic_shift(position, s), m).reshape(-1, m * m)  # (nW, N) positions
        dense = x.new_zeros(B, self.attn.num_heads, Hp * Wp, Hp * Wp)
        rows = slots[:, :, None].expand(-1, -1, m * m)  # (nW, N, N): the query's position
        cols = slots[:, None, :].expand(-1, m * m, -1)  # (nW, N, N): the key's position
        dense[:, :, rows, cols] = weights.permute(0, 2, 1, 3, 4)  # (B, h, nW, N, N) into place
        keep = (torch.arange(Hp, device=x.device)[:, None] < H) & (torch.arange(Wp, device=x.device)[None, :] < W)
        keep = keep.flatten()  # the map's own tokens, not the padding
        return dense[:, :, keep][:, :, :, keep]

def merge_neighbours(x: torch.Tensor) -> torch.Tensor:
    """Concatenate the channels of each 2x2 group of neighbouring tokens (Sec. 3.1, patch merging).

    Args:
        x: ``(B, H, W, C)`` with ``H`` and ``W`` even (:class:`PatchMerging` pads odd sides first).

    Returns:
        ``(B, H/2, W/2, 4C)``: at each position the four tokens in the official order, top-left ``x0``,
        bottom-left ``x1``, top-right ``x2``, bottom-right ``x3``.
    """
    check_map(x)
    H, W = x.shape[1], x.shape[2]
    if H % 2 or W % 2:
        raise ValueError(
            f"merge_neighbours groups tokens 2x2, so H and W must be even, got a {H}x{W} map "
            f"(pad odd sides by one row or column first, as PatchMerging does)"
        )
    x0 = x[:, 0::2, 0::2]  # (B, H/2, W/2, C) top-left of each 2x2 group
    x1 = x[:, 1::2, 0::2]  # bottom-left
    x2 = x[:, 0::2, 1::2]  # top-right
    x3 = x[:, 1::2, 1::2]  # bottom-right
    return torch.cat([x0, x1, x2, x3], dim=-1)  # (B, H/2, W/2, 4C)


class PatchMerging(nn.Module):
    """Patch merging (Sec. 3.1): ``(B, H, W, C)`` to ``(B, ceil(H/2), ceil(W/2), 2C)``.

    The four tokens of each 2x2 group are concatenated in the official order (top-left, bottom-left,
    top-right, bottom-right), normalized, and projected linearly from 4C to 2C without bias. A map
    with an odd side is zero-padded by one row or column first, as in the detection backbone.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_positive_int("dim", dim)
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_map(x, channels=self.dim)
        H, W = x.shape[1], x.shape[2]
        if H % 2 or W % 2:
            x = nn.functional.pad(x, (0, 0, 0, W % 2, 0, H % 2))  # one zero row / column at the bottom / right
        x = merge_neighbours(x)  # (B, H/2, W/2, 4C)
        return self.reduction(self.norm(x))  # (B, H/2, W/2, 2C)


class SwinStage(nn.Module):
    """One stage (the official ``BasicLayer``): ``depth`` blocks alternating W-MSA and SW-MSA, then an
    optional :class:`PatchMerging`.

    With ``shift=False`` (the paper's Table 4 ablation "w/o shifting") every block is W-MSA: all have
    ``shift_size = 0``, so nothing is rolled and no attention mask is stored. ``rel_pos_bias`` goes to
    every block's :class:`WindowAttention`.

    ``forward`` returns two maps: the stage's output (the feature map of this stride) and the input of
    the next stage (after merging; the same map if there is no merging).
    """

    def __init__(
        self,
        dim: int,
        depth: int,
        num_heads: int,
        window_size: int,
        input_resolution: tuple[int, int] | None = None,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        drop_path: Sequence[float] | float = 0.0,
        downsample: bool = True,
        fused_attn: bool = True,
        shift: bool = True,
        rel_pos_bias: bool = True,
    ):
        super().__init__()
        depth = check_positive_int("depth", depth)
        shift = check_switch("shift", shift)
        rates = [drop_path] * depth if isinstance(drop_path, (int, float)) else list(drop_path)
        if len(rates) != depth:
            raise ValueError(f"drop_path needs one rate per block ({depth}), got {drop_path!r}")
        rates = [check_probability("drop_path", rate) for rate in rates]
        self.blocks = nn.ModuleList(
            SwinBlock(
                dim,
                num_heads,
                window_size,
                shift_size=window_size // 2 if shift and i % 2 == 1 else 0,
                input_resolution=input_resolution,
                mlp_ratio=mlp_ratio,
                qkv_bias=qkv_bias,
                drop=drop,
                drop_path=rates[i],
                fused_attn=fused_attn,
                rel_pos_bias=rel_pos_bias,
            )
            for i in range(depth)
        )
        self.downsample = PatchMerging(dim) if downsample else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for block in self.blocks:
            x = block(x)  # (B, H, W, C)
        return x, (x if self.downsample is None else self.downsample(x))


#: The paper's variants (Sec. 3.3), with the stochastic depth rates of the official configs (ImageNet-1K
#: training for T, S and B; Swin-L, trained on ImageNet-22K only, takes that of its fine-tuning config).
CONFIGS: dict[str, dict] = {
    "swin_t": dict(embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), drop_path_rate=0.2),
    "swin_s": dict(embed_dim=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24), drop_path_rate=0.3),
    "swin_b": dict(embed_dim=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32), drop_path_rate=0.5),
    "swin_l": dict(embed_dim=192, depths=(2, 2, 18, 2), num_heads=(6, 12, 24, 48), drop_path_rate=0.2),
}


class SwinTransformer(nn.Module):
    """The Swin Transformer (Fig. 3a): patch embedding, four stages, LayerNorm, average pool, head.

    Args:
        img_size: the ``(H, W)`` (or side) the model is built for. It fixes the attention masks stored
            as buffers and the default size for MAC counts; inputs of any size divisible by
            ``patch_size`` are accepted.
        patch_size: side of the patches (4: each token starts as a 4x4 pixel patch).
        in_chans: image channels.
        num_classes: classes of the linear head; 0 for no head (``forward`` then returns features).
        embed_dim: channels ``C`` of stage 1; stage ``i`` has ``C * 2**i``.
        depths: blocks per stage.
        num_heads: heads per stage.
        window_size: window side ``M`` (7 for 224-pixel models, 12 for 384).
        mlp_ratio: MLP hidden width over the channels.
        qkv_bias: bias in the ``qkv`` projections.
        drop_rate: dropout rate after the embedding and in the MLPs.
        drop_path_rate: stochastic depth, rising linearly from 0 to this over all blocks.
        fused_attn: use ``torch.nn.functional.scaled_dot_product_attention``; False runs the explicit
            path (same numbers; visible to ``torch.utils.flop_counter``).

    Ablation switches (the paper's Table 4); the defaults are the paper's Swin:

        shift: shifted windows in every second block (Sec. 3.2). False: every block is W-MSA, no roll,
            no stored ``attn_mask`` (Table 4, "w/o shifting").
        rel_pos_bias: the relative position bias ``B`` of Eq. 4 in every block. False: no
            ``relative_position_bias_table`` and no ``relative_position_index`` anywhere.
        abs_pos_embed: a learned absolute position embedding added once to the tokens right after the
            patch embedding (and its LayerNorm), before ``pos_drop``, as the official code's ``ape=True``
            (Table 4, "abs. pos." and "abs.+rel. pos."). It is the parameter ``absolute_pos_embed`` of the
            official layout, ``(1, H/p * W/p, C)`` for the built ``img_size`` (tokens in row-major order),
            initialized truncated normal with std 0.02; ``forward`` adds it viewed as the map
            ``(1, H/p, W/p, C)`` (:meth:`absolute_position_embedding`). Such a model takes only inputs of
            its ``img_size``, as the official one does.
    """

    def __init__(
        self,
        img_size: int | tuple[int, int] = 224,
        patch_size: int = 4,
        in_chans: int = 3,
        num_classes: int = 1000,
        embed_dim: int = 96,
        depths: Sequence[int] = (2, 2, 6, 2),
        num_heads: Sequence[int] = (3, 6, 12, 24),
        window_size: int = 7,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.1,
        fused_attn: bool = True,
        *,
        shift: bool = True,
        rel_pos_bias: bool = True,
        abs_pos_embed: bool = False,
    ):
        super().__init__()
        self.shift = check_switch("shift", shift)
        self.rel_pos_bias = check_switch("rel_pos_bias", rel_pos_bias)
        self.abs_pos_embed = check_switch("abs_pos_embed", abs_pos_embed)
        self.img_size = check_pair("img_size", img_size)
        self.patch_size = check_positive_int("patch_size", patch_size)
        if (
            not isinstance(depths, Sequence)
            or not isinstance(num_heads, Sequence)
            or not depths
            or len(depths) != len(num_heads)
        ):
            raise ValueError(
                f"depths and num_heads need one entry per stage (at least one), got {depths!r} and {num_heads!r}"
            )
        depths = [check_positive_int(f"depths[{i}]", d) for i, d in enumerate(depths)]
        num_heads = [check_positive_int(f"num_heads[{i}]", h) for i, h in enumerate(num_heads)]
        embed_dim = check_positive_int("embed_dim", embed_dim)
        drop_path_rate = check_probability("drop_path_rate", drop_path_rate)
        drop_rate = check_probability("drop_rate", drop_rate)
        mlp_ratio = check_ratio("mlp_ratio", mlp_ratio)
        if self.img_size[0] % patch_size or self.img_size[1] % patch_size:
            raise ValueError(f"img_size {self.img_size} must be divisible by patch_size={patch_size}")
        num_classes = check_count("num_classes (0: no head)", num_classes)
        for i, heads in enumerate(num_heads):
            dim = embed_dim * 2**i
            if dim % heads:
                raise ValueError(
                    f"stage {i} has {dim} channels, which num_heads[{i}]={heads} does not divide; "
                    f"the heads of each stage must divide its width (embed_dim * 2**stage)"
                )
        self.num_classes = num_classes
        self.embed_dim = embed_dim
        self.depths = tuple(depths)
        self.num_heads = tuple(num_heads)
        self.window_size = check_positive_int("window_size", window_size)
        self.mlp_ratio = mlp_ratio
        self.num_features = embed_dim * 2 ** (len(depths) - 1)

        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim, norm=True)
        H, W = self.img_size[0] // patch_size, self.img_size[1] // patch_size
        if self.abs_pos_embed:  # the official layout: (1, num_patches, C), tokens in row-major order
            table = torch.empty(1, H * W, embed_dim)
            self.absolute_pos_embed = nn.Parameter(nn.init.trunc_normal_(table, std=0.02))
        else:
            self.register_parameter("absolute_pos_embed", None)  # nothing in the state dict
        self.pos_drop = nn.Dropout(drop_rate)
        n_blocks = sum(depths)
        rates = [drop_path_rate * i / max(n_blocks - 1, 1) for i in range(n_blocks)]  # linear, 0 to max
        self.layers = nn.ModuleList()
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            first = sum(depths[:i])
            self.layers.append(
                SwinStage(
                    embed_dim * 2**i,
                    depth,
                    heads,
                    window_size,
                    input_resolution=(H, W),
                    mlp_ratio=mlp_ratio,
                    qkv_bias=qkv_bias,
                    drop=drop_rate,
                    drop_path=rates[first : first + depth],
                    downsample=i < len(depths) - 1,
                    fused_attn=fused_attn,
                    shift=self.shift,
                    rel_pos_bias=self.rel_pos_bias,
                )
            )
            H, W = (H + 1) // 2, (W + 1) // 2
        self.norm = nn.LayerNorm(self.num_features)
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        """The official initialization: truncated normal (std 0.02) for linear weights, zero biases."""
        if isinstance(module, nn.Linear):
            nn.init.trunc_normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    @property
    def fused_attn(self) -> bool:
        """Whether attention runs through ``F.scaled_dot_product_attention``; settable."""
        return all(m.fused_attn for m in self.modules() if isinstance(m, MultiHeadSelfAttention))

    @fused_attn.setter
    def fused_attn(self, value: bool) -> None:
        for m in self.modules():
            if isinstance(m, MultiHeadSelfAttention):
                m.fused_attn = bool(value)

    def absolute_position_embedding(self) -> torch.Tensor | None:
        """The absolute position embedding as a map ``(1, H/p, W/p, C)`` (a view of the parameter
        ``absolute_pos_embed``, stored ``(1, H/p * W/p, C)`` as in the official layout); None without it."""
        if self.absolute_pos_embed is None:
            return None
        H, W = self.img_size[0] // self.patch_size, self.img_size[1] // self.patch_size
        return self.absolute_pos_embed.view(1, H, W, self.embed_dim)  # (1, H/p, W/p, C)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Patch embedding, the absolute position embedding if the model has one, and ``pos_drop``:
        images ``(B, 3, H, W)`` to tokens ``(B, H/p, W/p, C)``."""
        x = self.patch_embed(x)  # (B, H/p, W/p, C)
        position = self.absolute_position_embedding()  # (1, H/p, W/p, C) or None
        if position is not None:
            if x.shape[1:3] != position.shape[1:3]:
                raise ValueError(
                    f"this model has an absolute position embedding for {tuple(self.img_size)} images "
                    f"({position.shape[1]}x{position.shape[2]} tokens), so it takes only images of that size; "
                    f"got a {x.shape[1] * self.patch_size}x{x.shape[2] * self.patch_size} image. Build it with "
                    "that img_size, or with abs_pos_embed=False for any size"
                )
            x = x + position  # added once, right after the patch embedding (official ape=True)
        return self.pos_drop(x)

    def stage_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The four stages' outputs, channels last: ``(B, H_i, W_i, C_i)`` with ``H_i = H / 2**(i+2)``."""
        x = self.embed(x)  # (B, H/4, W/4, C)
        maps = []
        for layer in self.layers:
            out, x = layer(x)
            maps.append(out)
        return maps

    def forward_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The four stage maps as ``(B, C_i, H_i, W_i)``: strides 4, 8, 16, 32 and channels C, 2C, 4C, 8C,
        like ResNet's C2-C5, ready for FPN or U-Net. Each is a stage's output before patch merging
        (and before the final LayerNorm); the tensors are channels-last in memory. (The official
        detection backbone adds a LayerNorm per stage, ``norm0``..``norm3``, before its FPN; those are
        a detector's weights, not part of this classification model.)"""
        return [m.permute(0, 3, 1, 2) for m in self.stage_maps(x)]

    def forward_head(self, last_map: torch.Tensor) -> torch.Tensor:
        """LayerNorm, global average pool and classifier on the last stage's ``(B, H, W, 8C)`` map."""
        x = self.norm(last_map).mean(dim=(1, 2))  # (B, 8C)
        return self.head(x)  # (B, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(B, num_classes)`` of images ``(B, 3, H, W)``."""
        return self.forward_head(self.stage_maps(x)[-1])


def attention_maps(model: "SwinTransformer", images: torch.Tensor, stage: int = 0, block: int = 0) -> torch.Tensor:
    """The attention weights of one block of ``model`` on ``images``: ``(B, heads, L, L)`` with ``L = H * W``
    the tokens of that stage's map (see :meth:`SwinBlock.attention_weights`; a row sums to 1).

    Runs the model up to that block (eval mode, no gradient) and returns where every query token looks.
    ``stage`` and ``block`` count from 0: block 0 of a stage is W-MSA, block 1 SW-MSA (when the model shifts).
    """
    if not isinstance(model, SwinTransformer):
        raise ValueError(f"model must be a swin_edu SwinTransformer, got {type(model).__name__}")
    stage = check_count("stage", stage)
    block = check_count("block", block)
    if stage >= len(model.layers):
        raise ValueError(f"stage must be in [0, {len(model.layers) - 1}] for this model, got {stage}")
    blocks = model.layers[stage].blocks
    if block >= len(blocks):
        raise ValueError(f"block must be in [0, {len(blocks) - 1}] for stage {stage}, got {block}")
    target = blocks[block]
    seen: list[torch.Tensor] = []

    class _Enough(Exception):
        pass

    def grab(module, inputs):
        seen.append(inputs[0])
        raise _Enough  # nothing after this block is needed

    handle = target.register_forward_pre_hook(grab)
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(images)
    except _Enough:
        pass
    finally:
        handle.remove()
        model.train(was_training)
    return target.attention_weights(seen[0])

def _build(name: str, img_size, window_size, num_classes, fused_attn, kwargs) -> SwinTransformer:
    config = dict(CONFIGS[name])
    config.update(kwargs)
    if window_size is None:
        window_size = 12 if check_pair("img_size", img_size) == (384, 384) else 7
    return SwinTransformer(
        img_size=img_size, window_size=window_size, num_classes=num_classes, fused_attn=fused_attn, **config
    )


def swin_t(*, img_size=224, window_size=None, num_classes=1000, fused_attn=True, **kwargs) -> SwinTransformer:
    """Swin-T: C=96, depths 2-2-6-2, heads 3-6-12-24; 28,288,354 parameters with 1000 classes.

    ``window_size`` defaults to 7, or to 12 when ``img_size`` is 384 (the paper's 384-pixel models);
    other keywords go to :class:`SwinTransformer`.
    """
    return _build("swin_t", img_size, window_size, num_classes, fused_attn, kwargs)


def swin_s(*, img_size=224, window_size=None, num_classes=1000, fused_attn=True, **kwargs) -> SwinTransformer:
    """Swin-S: C=96, depths 2-2-18-2, heads 3-6-12-24; 49,606,258 parameters. Keywords as :func:`swin_t`."""
    return _build("swin_s", img_size, window_size, num_classes, fused_attn, kwargs)


def swin_b(*, img_size=224, window_size=None, num_classes=1000, fused_attn=True, **kwargs) -> SwinTransformer:
    """Swin-B: C=128, depths 2-2-18-2, heads 4-8-16-32; 87,768,224 parameters. Keywords as :func:`swin_t`."""
    return _build("swin_b", img_size, window_size, num_classes, fused_attn, kwargs)


def swin_l(*, img_size=224, window_size=None, num_classes=1000, fused_attn=True, **kwargs) -> SwinTransformer:
    """Swin-L: C=192, depths 2-2-18-2, heads 6-12-24-48; 196,532,476 parameters. Keywords as :func:`swin_t`."""
    return _build("swin_l", img_size, window_size, num_classes, fused_attn, kwargs)


@functools.lru_cache(maxsize=64)
def meta_model(variant: str = "swin_t", window_size: int = 7, img_size: int | tuple[int, int] = 224) -> SwinTransformer:
    """One of the paper's variants built for ``img_size`` on the ``meta`` device: its structure (sizes,
    windows, parameter shapes), no weights and no memory; cached. For counting and drawing, not running.

    The image size matters: a stage whose map is smaller than the window is built with a smaller window
    (as the official code does), so Swin-B with M=12 built for 224 is not Swin-B built for 384.
    """
    if variant not in CONFIGS:
        raise ValueError(f"variant must be one of {sorted(CONFIGS)}, got {variant!r}")
    with torch.device("meta"):
        return SwinTransformer(img_size=img_size, window_size=window_size, **CONFIGS[variant])
