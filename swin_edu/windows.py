"""Pure tensor geometry of (shifted) windows: Section 3.2 of the Swin paper.

Everything here is a plain function on tensors or sizes; no module holds state. Feature maps are
channels-last, ``(B, H, W, C)``, as in the official code, and a window of side ``M`` holds
``N = M * M`` tokens.

* :func:`window_partition` / :func:`window_reverse` cut a map into non-overlapping ``M x M`` windows
  and glue them back ("windows become the batch").
* :func:`cyclic_shift` / :func:`reverse_cyclic_shift` roll the map by ``-s`` / ``+s`` on both axes, the
  paper's "efficient batch computation for shifted configuration" (Fig. 4).
* :func:`region_labels` and :func:`shifted_window_mask` say which tokens of a window of the rolled map
  were neighbours before the roll; tokens from different regions get ``-100`` added to their
  attention logits, which after the softmax is a weight of about ``e^-100``, i.e. zero.
* :func:`relative_position_index` maps each (query, key) pair of a window to its row in the
  ``(2M-1)^2`` relative position bias table (Eq. 4).
* :func:`pad_to_window` zero-pads a map whose sides are not multiples of ``M``.
* :func:`effective_window` is the rule for maps no larger than a window (one window, no shift), and
  :func:`window_grid` the whole grid a block really uses on a map: window, shift, padded size, windows.
* :func:`shifted_partition` is the naive shifted partition (Fig. 2, right) that the cyclic shift
  replaces, and :func:`receptive_field` follows how far a token's information travels through a
  stack of (shifted) window attention blocks; both are here for the course's pictures and checks.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from ._checks import _as_int, check_map, check_positive_int, check_shift

__all__ = [
    "window_partition",
    "window_reverse",
    "cyclic_shift",
    "reverse_cyclic_shift",
    "region_labels",
    "shifted_window_mask",
    "relative_position_index",
    "pad_to_window",
    "effective_window",
    "window_grid",
    "WindowGrid",
    "shifted_partition",
    "receptive_field",
    "MASK_VALUE",
    "MAX_INDEX_BYTES",
]

#: What the official code adds to the logits of token pairs from different regions.
MASK_VALUE = -100.0

#: The largest relative position index :func:`relative_position_index` builds: its ``(M^2, M^2)`` int64
#: tensor grows as ``8 M^4`` bytes (M = 7: 19 KB, M = 12: 166 KB, M = 76: 254 MiB, M = 120: 1.66 GB).
MAX_INDEX_BYTES = 256 * 2**20


def _check_window_fits(height: int, width: int, window_size: int) -> None:
    check_positive_int("window_size", window_size)
    if window_size > min(height, width):
        raise ValueError(
            f"window_size={window_size} is larger than the {height}x{width} map; "
            f"the window must fit inside the map (at most {min(height, width)})"
        )
    if height % window_size or width % window_size:
        raise ValueError(
            f"a {height}x{width} map cannot be cut into {window_size}x{window_size} windows: "
            f"height and width must be multiples of window_size "
            f"(pad first, e.g. with swin_edu.windows.pad_to_window)"
        )


def _check_shift_amount(shift_size) -> int:
    if shift_size == 0:
        return 0
    return check_positive_int("shift_size (a number of tokens)", shift_size)


def window_partition(x: torch.Tensor, window_size: int) -> torch.Tensor:
    """Cut a map into non-overlapping windows.

    Args:
        x: ``(B, H, W, C)`` with ``H`` and ``W`` multiples of ``window_size``.
        window_size: the window side ``M``.

    Returns:
        ``(B * nW, M, M, C)`` with ``nW = (H / M) * (W / M)``; windows are ordered row by row within
        each image, images one after the other (the official order).
    """
    check_map(x)
    B, H, W, C = x.shape
    M = window_size
    _check_window_fits(H, W, M)
    x = x.reshape(B, H // M, M, W // M, M, C)  # (B, H/M, M, W/M, M, C), a view when x is contiguous
    x = x.permute(0, 1, 3, 2, 4, 5)  # (B, H/M, W/M, M, M, C)
    return x.reshape(-1, M, M, C)  # (B * nW, M, M, C)


def window_reverse(windows: torch.Tensor, window_size: int, height: int, width: int) -> torch.Tensor:
    """Glue windows back into maps: the inverse of :func:`window_partition`.

    Args:
        windows: ``(B * nW, M, M, C)``.
        window_size: the window side ``M``.
        height, width: the size ``H, W`` of the map they were cut from.

    Returns:
        ``(B, H, W, C)``.
    """
    M = window_size
    check_positive_int("height", height)
    check_positive_int("width", width)
    _check_window_fits(height, width, M)
    if not isinstance(windows, torch.Tensor) or windows.dim() != 4 or windows.shape[1] != M or windows.shape[2] != M:
        shape = tuple(windows.shape) if isinstance(windows, torch.Tensor) else type(windows).__name__
        raise ValueError(f"windows must be a tensor of shape (B * nW, {M}, {M}, C) for window_size={M}, got {shape}")
    n_windows = (height // M) * (width // M)
    if windows.shape[0] % n_windows:
        raise ValueError(
            f"a {height}x{width} map holds {n_windows} windows of {M}x{M}, but {windows.shape[0]} windows "
            f"were given; their number must be a multiple of {n_windows} (one set per image)"
        )
    C = windows.shape[-1]
    x = windows.reshape(-1, height // M, width // M, M, M, C)  # (B, H/M, W/M, M, M, C)
    x = x.permute(0, 1, 3, 2, 4, 5)  # (B, H/M, M, W/M, M, C)
    return x.reshape(-1, height, width, C)  # (B, H, W, C)


def cyclic_shift(x: torch.Tensor, shift_size: int) -> torch.Tensor:
    """Roll a ``(B, H, W, C)`` map up and left by ``shift_size`` (the official ``torch.roll(x, -s)``).

    The token at ``(i, j)`` moves to ``(i - s) mod H, (j - s) mod W``; the first ``s`` rows and
    columns wrap around to the bottom and right.
    """
    check_map(x)
    shift_size = _check_shift_amount(shift_size)
    if shift_size == 0:
        return x
    return torch.roll(x, shifts=(-shift_size, -shift_size), dims=(1, 2))


def reverse_cyclic_shift(x: torch.Tensor, shift_size: int) -> torch.Tensor:
    """Undo :func:`cyclic_shift`: roll down and right by ``shift_size``."""
    check_map(x)
    shift_size = _check_shift_amount(shift_size)
    if shift_size == 0:
        return x
    return torch.roll(x, shifts=(shift_size, shift_size), dims=(1, 2))


def _axis_regions(length: int, window_size: int, shift_size: int) -> torch.Tensor:
    """Region of each position along one axis of the rolled map: 0, 1 or 2.

    Region 0 is ``[0, L - M)``, region 1 ``[L - M, L - s)``, region 2 ``[L - s, L)``. The last window
    along the axis holds region 1 (tokens that were at the far end) and region 2 (tokens that wrapped
    around from the start).
    """
    pos = torch.arange(length)
    if shift_size == 0:
        return torch.zeros(length, dtype=torch.long)
    return (pos >= length - window_size).long() + (pos >= length - shift_size).long()


def region_labels(height: int, width: int, window_size: int, shift_size: int) -> torch.Tensor:
    """Label every token of the cyclically shifted map with its region, 0..8.

    Tokens share a label exactly when they were contiguous before the roll, so that attention between
    them is what the naive shifted partition would compute. With ``shift_size == 0`` every label is 0.

    Returns:
        ``(H, W)`` long tensor; label = 3 * row region + column region.
    """
    check_positive_int("height", height)
    check_positive_int("width", width)
    _check_window_fits(height, width, window_size)
    check_shift(window_size, shift_size)
    rows = _axis_regions(height, window_size, shift_size)  # (H,)
    cols = _axis_regions(width, window_size, shift_size)  # (W,)
    return 3 * rows[:, None] + cols[None, :]  # (H, W)


def shifted_window_mask(
    height: int, width: int, window_size: int, shift_size: int, mask_value: float = MASK_VALUE
) -> torch.Tensor:
    """The additive attention mask of SW-MSA for a ``height x width`` map (padded size if padded).

    Returns:
        ``(nW, N, N)`` float tensor, ``N = M * M``: entry ``[w, i, j]`` is 0 when query ``i`` and key
        ``j`` of window ``w`` lie in the same region, and ``mask_value`` (-100) otherwise.
    """
    labels = region_labels(height, width, window_size, shift_size)  # (H, W)
    M = window_size
    windows = window_partition(labels[None, :, :, None], M)  # (nW, M, M, 1)
    windows = windows.reshape(-1, M * M)  # (nW, N)
    same_region = windows[:, :, None] == windows[:, None, :]  # (nW, N, N)
    mask = torch.zeros(same_region.shape, dtype=torch.float32)
    return mask.masked_fill(~same_region, mask_value)


def relative_position_index(window_size: int) -> torch.Tensor:
    """Row of the relative position bias table for each (query, key) pair of a window (Eq. 4).

    Tokens are numbered row by row. For query ``(y1, x1)`` and key ``(y2, x2)`` the offset
    ``(y1 - y2, x1 - x2)`` lies in ``[-(M-1), M-1]^2``; shifting both by ``M - 1`` and reading them as
    the digits of a base ``2M - 1`` number gives the row, from 0 to ``(2M-1)^2 - 1``.

    Returns:
        ``(N, N)`` long tensor, ``N = M * M``.

    Raises:
        ValueError: if the index would take more than :data:`MAX_INDEX_BYTES` (256 MiB, ``M > 76``);
            Swin uses ``M = 7`` (224-pixel images) and ``M = 12`` (384).
    """
    M = check_positive_int("window_size", window_size)
    N = M * M
    size = N * N * 8  # bytes of an (N, N) int64 tensor
    if size > MAX_INDEX_BYTES:
        largest = int((MAX_INDEX_BYTES / 8) ** 0.25) + 1  # then step down past any rounding of the root
        while 8 * largest**4 > MAX_INDEX_BYTES:
            largest -= 1
        raise ValueError(
            f"relative_position_index({M}) would be a {N} x {N} int64 tensor of {size / 1e9:.3g} GB (every "
            f"(query, key) pair of a {M}x{M} window); windows above {largest} (an index over "
            f"{MAX_INDEX_BYTES // 2**20} MiB) are refused. Swin uses M = 7 (224-pixel images) and M = 12 (384)"
        )
    ys, xs = torch.meshgrid(torch.arange(M), torch.arange(M), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()  # (N,), (N,)
    dy = ys[:, None] - ys[None, :] + (M - 1)  # (N, N), in [0, 2M-2]
    dx = xs[:, None] - xs[None, :] + (M - 1)  # (N, N)
    return dy.mul_(2 * M - 1).add_(dx)  # (N, N), in place: two (N, N) tensors at most


def pad_to_window(x: torch.Tensor, window_size: int) -> torch.Tensor:
    """Zero-pad a ``(B, H, W, C)`` map at the bottom and right to multiples of ``window_size``.

    This is what the official detection backbone does before (shifted) window attention; the caller
    crops back to ``H x W`` afterwards.
    """
    check_map(x)
    check_positive_int("window_size", window_size)
    H, W = x.shape[1], x.shape[2]
    pad_bottom = (-H) % window_size
    pad_right = (-W) % window_size
    if pad_bottom == 0 and pad_right == 0:
        return x
    return F.pad(x, (0, 0, 0, pad_right, 0, pad_bottom))  # pads C, then W, then H


def effective_window(height: int, width: int, window_size: int, shift_size: int) -> tuple[int, int]:
    """The window side and shift that a Swin block really uses on a ``height x width`` map.

    The official rule: if the map's shorter side is at most ``window_size``, the window shrinks to that
    side and the shift is 0 (a square map is then one window, and there is nothing to shift);
    otherwise ``(window_size, shift_size)``. A side that is not a multiple of the window is padded
    (:func:`pad_to_window`).
    """
    height = check_positive_int("height", height)
    width = check_positive_int("width", width)
    window_size = check_positive_int("window_size", window_size)
    shift_size = check_shift(window_size, shift_size)
    if min(height, width) <= window_size:
        return min(height, width), 0
    return window_size, shift_size


class WindowGrid(NamedTuple):
    """The windows a Swin block really uses on a ``height x width`` map (see :func:`window_grid`)."""

    window: int  #: the window side really used (smaller than asked on a map no larger than the window)
    shift: int  #: the shift really used (0 on such a map)
    height: int  #: the map as given
    width: int
    padded_height: int  #: the map after zero-padding to multiples of ``window``
    padded_width: int
    rows: int  #: windows per column and per row of the padded map
    cols: int

    @property
    def n_windows(self) -> int:
        """The number of windows of the padded map, ``rows * cols``."""
        return self.rows * self.cols

    @property
    def padded(self) -> bool:
        """Whether the map needs padding."""
        return (self.padded_height, self.padded_width) != (self.height, self.width)


def window_grid(height: int, width: int, window_size: int, shift_size: int = 0) -> WindowGrid:
    """The window grid of a Swin block on a ``height x width`` token map: the one home of this fact.

    Applies :func:`effective_window` (a map no larger than the window becomes one window, unshifted),
    then pads each side up to a multiple of the window, as :func:`pad_to_window` does to the tensor.

    >>> window_grid(56, 56, 7, 3)
    WindowGrid(window=7, shift=3, height=56, width=56, padded_height=56, padded_width=56, rows=8, cols=8)
    >>> window_grid(50, 84, 7, 3).n_windows  # 50 rows pad to 56: 8 x 12 windows
    96
    """
    m, s = effective_window(height, width, window_size, shift_size)
    rows, cols = -(-height // m), -(-width // m)  # ceil
    return WindowGrid(m, s, height, width, rows * m, cols * m, rows, cols)


def _axis_pieces(length: int, window_size: int, shift_size: int) -> torch.Tensor:
    """Which piece of the naive shifted partition each position along one axis falls in."""
    offset = (window_size - shift_size) % window_size  # the first piece is s long (a whole M when s = 0)
    return (torch.arange(length) + offset) // window_size


def shifted_partition(height: int, width: int, window_size: int, shift_size: int) -> torch.Tensor:
    """The naive shifted partition of an (unrolled) ``height x width`` map: Fig. 2, right.

    The regular grid of ``M x M`` windows is displaced by ``shift_size`` tokens down and right, so
    windows start at rows and columns ``s, s + M, ...``; the pieces cut off at the borders become
    windows of their own, smaller than ``M x M``. For ``s > 0`` an ``8 x 8`` map with ``M = 4`` thus
    needs 3 x 3 = 9 windows instead of 4. The cyclic shift (:func:`cyclic_shift` plus
    :func:`shifted_window_mask`) computes the same attention with the regular number of windows.

    Returns:
        ``(H, W)`` long tensor: the index of each token's window, numbered row by row.
    """
    height = check_positive_int("height", height)
    width = check_positive_int("width", width)
    window_size = check_positive_int("window_size", window_size)
    shift_size = check_shift(window_size, shift_size)
    rows = _axis_pieces(height, window_size, shift_size)  # (H,)
    cols = _axis_pieces(width, window_size, shift_size)  # (W,)
    n_cols = int(cols[-1]) + 1
    return rows[:, None] * n_cols + cols[None, :]  # (H, W)


def receptive_field(
    height: int, width: int, window_size: int, source: tuple[int, int], blocks: int, shift: bool = True
) -> torch.Tensor:
    """After how many blocks each token of a map has received information from ``source``.

    Follows a stack of Swin blocks on a ``height x width`` map, built from the real geometry: blocks
    1, 3, 5, ... use regular windows (W-MSA); with ``shift`` on, blocks 2, 4, ... roll the map and use
    :func:`shifted_window_mask` (SW-MSA), as in :class:`~swin_edu.swin.SwinBlock`, padding and the
    rule of :func:`effective_window` included. In one block a token receives from every token it
    attends to, that is every token of its window that the mask lets through; the MLP works token
    by token and spreads nothing.

    Args:
        source: ``(row, col)`` of the token whose information is followed.
        blocks: number of blocks ``k >= 0``.
        shift: alternate W-MSA and SW-MSA (Swin) or use W-MSA in every block.

    Returns:
        ``(H, W)`` long tensor: 0 at the source, ``b`` where the information first arrives after block
        ``b``, and -1 where it has not arrived after ``blocks`` blocks.
    """
    height = check_positive_int("height", height)
    width = check_positive_int("width", width)
    window_size = check_positive_int("window_size", window_size)
    if _as_int(blocks) is None or blocks < 0:
        raise ValueError(f"blocks must be a non-negative integer, got {blocks!r}")
    if not isinstance(source, (tuple, list)) or len(source) != 2 or any(_as_int(v) is None for v in source):
        raise ValueError(f"source must be a pair (row, col) of integers, got {source!r}")
    row, col = (_as_int(v) for v in source)
    if not (0 <= row < height and 0 <= col < width):
        raise ValueError(
            f"source {tuple(source)} lies outside the {height}x{width} map (rows 0..{height - 1}, "
            f"columns 0..{width - 1})"
        )
    first = torch.full((height, width), -1, dtype=torch.long)
    first[row, col] = 0
    for b in range(1, blocks + 1):
        shifted = shift and b % 2 == 0
        m, s = effective_window(height, width, window_size, window_size // 2 if shifted else 0)
        reached = (first >= 0).float()[None, :, :, None]  # (1, H, W, 1)
        reached = cyclic_shift(pad_to_window(reached, m), s)  # (1, Hp, Wp, 1), padding never reached
        Hp, Wp = reached.shape[1], reached.shape[2]
        windows = window_partition(reached, m).reshape(-1, m * m, 1)  # (nW, N, 1)
        if s > 0:
            sees = (shifted_window_mask(Hp, Wp, m, s) == 0).float()  # (nW, N, N): query i may attend to key j
        else:
            sees = torch.ones(windows.shape[0], m * m, m * m)
        received = (sees @ windows) > 0  # (nW, N, 1): some key of the query's view is reached
        received = window_reverse(received.reshape(-1, m, m, 1).float(), m, Hp, Wp)  # (1, Hp, Wp, 1)
        received = reverse_cyclic_shift(received, s)[0, :height, :width, 0] > 0  # (H, W)
        first[received & (first < 0)] = b
    return first
