"""Pictures of the Swin geometry and costs, drawn from the library's own functions.

Every function returns a :class:`matplotlib.figure.Figure` and never calls ``plt.show()``: in a notebook
the figure shows itself as a cell's result, and the explorers in :mod:`swin_edu.widgets` turn it into an
image. Figures are made without ``pyplot``, so nothing accumulates in pyplot's figure list.

What is drawn is what the model computes: partitions come from :mod:`swin_edu.windows`, costs from
:mod:`swin_edu.complexity`, and sizes the model would pad (a side that is not a multiple of the window)
are drawn padded, with the padding in grey.

``python -m swin_edu.viz FOLDER`` (``make figures``) writes the still pictures of :data:`STILLS` as PNG.
"""

from __future__ import annotations

import contextlib
import io
import math
import pathlib
import sys
from typing import NamedTuple

import matplotlib
import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from . import complexity, res2net, swin
from ._checks import check_positive_int
from .language import N_, _, count
from .windows import (
    cyclic_shift,
    receptive_field,
    region_labels,
    relative_position_index,
    shifted_partition,
    shifted_window_mask,
    window_grid,
)

__all__ = [
    "shift_figure",
    "mask_figure",
    "complexity_figure",
    "relative_position_figure",
    "receptive_field_figure",
    "hierarchy_figure",
    "roadmap_figure",
    "pyramid_figure",
    "Picture",
    "shift_picture",
    "mask_picture",
    "complexity_picture",
    "relative_position_picture",
    "receptive_field_picture",
    "hierarchy_picture",
    "geometry",
    "plural",
    "png_bytes",
    "STILLS",
    "save_stills",
    "softmax_scaling_figure",
    "msa_cost_figure",
    "patch_grid_figure",
    "token_sequence_figure",
    "window_batch_figure",
    "locality_figure",
    "window_growth_figure",
    "key_sets_figure",
    "gradient_reach_figure",
    "merge_figure",
    "stage_maps_figure",
    "loglog_figure",
    "task_figure",
    "curves_figure",
    "ablation_figure",
    "attention_figure",
    "group_reach",
    "multi_scale_figure",
    "multi_scale_picture",
    "group_dependency_figure",
    "receptive_growth_figure",
    "block_cost_figure",
    "two_pyramids_figure",
]

DPI = 100
#: 20 distinct colours for window numbers, 9 for the regions of a shifted map.
WINDOW_COLORS = ListedColormap(matplotlib.colormaps["tab20"].colors)
REGION_COLORS = ListedColormap([matplotlib.colormaps["Set3"](i) for i in range(9)])


def geometry(height: int, width: int, window_size: int, shift_size: int) -> dict:
    """The block's :func:`~swin_edu.windows.window_grid` as the pictures use it, plus a caption.

    Returns a dict with the effective ``window`` and ``shift``, the padded size ``Hp``, ``Wp``, the number
    of windows ``n_windows``, and ``note``: an empty string, or a sentence saying what the block does
    differently from what was asked (a smaller window, no shift, padding).
    """
    grid = window_grid(height, width, window_size, shift_size)
    m, s, Hp, Wp = grid.window, grid.shift, grid.padded_height, grid.padded_width
    notes, square = [], height == width
    if m != window_size and square:
        notes.append(
            _("the {height}x{width} map is smaller than a {window_size}x{window_size} window, so Swin uses "
              "one {m}x{m} window and no shift").format(height=height, width=width, window_size=window_size, m=m)
        )
    elif m != window_size:
        notes.append(
            _("the {height}x{width} map's shorter side {m} is smaller than the window M={window_size}, so Swin uses "
              "{m}x{m} windows and no shift").format(height=height, width=width, window_size=window_size, m=m)
        )
    elif s != shift_size and square:
        notes.append(
            _("the {height}x{width} map is exactly one {m}x{m} window: there is nothing to shift, so Swin uses no "
              "shift").format(height=height, width=width, m=m)
        )
    elif s != shift_size:
        notes.append(
            _("the {height}x{width} map's shorter side equals the window M={m}, so Swin uses no shift "
              "(the official rule for a map no larger than the window)").format(height=height, width=width, m=m)
        )
    if grid.padded:
        notes.append(  # " (grey)" apart, so that a caption without the picture can drop it
            _("{height}x{width} is not a multiple of {m}: the block pads it to {Hp}x{Wp}").format(
                height=height, width=width, m=m, Hp=Hp, Wp=Wp
            )
            + _(" (grey)")
        )
    return dict(window=m, shift=s, Hp=Hp, Wp=Wp, n_windows=grid.n_windows, note=_("; ").join(notes))


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG bytes, compressed lightly: drawing speed matters more than size in a widget."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


class Picture(NamedTuple):
    """A figure and the numbers it was drawn from, computed once (the explorers show both)."""

    figure: Figure
    data: dict


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``n`` and the noun in the right number: ``plural(1, "window") == "1 window"``, else ``"n windows"``."""
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"


# ----------------------------------------------------------------------------------------------- helpers


def _figure(width: float, height: float, ncols: int = 1, **subplot_kw) -> tuple[Figure, list]:
    fig = Figure(figsize=(width, height), dpi=DPI)
    axes = fig.subplots(1, ncols, squeeze=False, **subplot_kw)[0]
    return fig, list(axes)


def _tokens(ax, values, cmap, vmin=None, vmax=None, title: str = ""):
    """Show an (H, W) array as a grid of coloured tokens, row 0 at the top."""
    values = np.asarray(values)
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    H, W = values.shape
    ax.set_xticks([])
    ax.set_yticks([])
    if max(H, W) <= 32:  # thin lines between tokens where they can be told apart
        ax.add_collection(
            LineCollection(
                [[(j - 0.5, -0.5), (j - 0.5, H - 0.5)] for j in range(1, W)]
                + [[(-0.5, i - 0.5), (W - 0.5, i - 0.5)] for i in range(1, H)],
                colors="white",
                linewidths=0.5,
            )
        )
    ax.set_title(title, fontsize=9)
    return image


def _borders(ax, ids, color="black", linewidth=2.0, linestyle="solid"):
    """Draw a line wherever two neighbouring tokens of the (H, W) array ``ids`` differ, and around it."""
    ids = np.asarray(ids)
    H, W = ids.shape
    segments = []
    rows, cols = np.nonzero(ids[:, 1:] != ids[:, :-1])  # a border right of column c
    segments += [[(c + 0.5, r - 0.5), (c + 0.5, r + 0.5)] for r, c in zip(rows, cols)]
    rows, cols = np.nonzero(ids[1:, :] != ids[:-1, :])  # a border below row r
    segments += [[(c - 0.5, r + 0.5), (c + 0.5, r + 0.5)] for r, c in zip(rows, cols)]
    ax.add_collection(LineCollection(segments, colors=color, linewidths=linewidth, linestyles=linestyle))
    ax.add_patch(Rectangle((-0.5, -0.5), W, H, fill=False, edgecolor=color, linewidth=linewidth))


def _shade_padding(ax, padded):
    """Grey out the padding tokens (True in the (H, W) array ``padded``), in one image layer."""
    padded = np.asarray(padded)
    if padded.any():
        overlay = np.zeros(padded.shape + (4,))
        overlay[padded] = (0.55, 0.55, 0.55, 0.85)
        ax.imshow(overlay, interpolation="nearest")


def _label_tokens(ax, labels, fmt=str, fontsize=7):
    labels = np.asarray(labels)
    for (r, c), value in np.ndenumerate(labels):
        ax.text(c, r, fmt(value), ha="center", va="center", fontsize=fontsize)


def _label_pieces(ax, ids, fmt=str, fontsize=8):
    """Write ``fmt(i)`` once at the centre of the tokens where the (H, W) array ``ids`` equals ``i``."""
    ids = np.asarray(ids)
    for i in np.unique(ids):
        rows, cols = np.nonzero(ids == i)
        ax.text(cols.mean(), rows.mean(), fmt(i), ha="center", va="center", fontsize=fontsize, weight="bold")


def _window_ids(Hp: int, Wp: int, m: int) -> torch.Tensor:
    """Number of each token's window in the regular partition of a padded map, row by row."""
    return shifted_partition(Hp, Wp, m, 0)


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float, pos=None) -> str:
    exponent = round(math.log10(value)) if value > 0 else 0
    return f"10{str(exponent).translate(_SUPERSCRIPTS)}" if math.isclose(value, 10.0**exponent) else ""


def _letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else str(i)


# ----------------------------------------------------------------------------------------------- figures


def shift_figure(height: int = 8, width: int = 8, window_size: int = 4, shift_size: int = 2) -> Figure:
    """Regular windows, the displaced (naive shifted) partition, and the cyclic shift that replaces it.

    Three panels on a ``height x width`` token map (Fig. 2 and Fig. 4 of the paper):

    1. layer l: the regular partition into ``M x M`` windows (W-MSA), coloured by window;
    2. layer l+1: the same grid displaced by ``s`` tokens; the cut-off pieces become extra, smaller
       windows (lettered, as in :func:`~swin_edu.windows.shifted_partition`);
    3. the map after the cyclic roll by ``-s``: the regular window grid again, each token coloured by its
       region label (:func:`~swin_edu.windows.region_labels`) and lettered with the naive window it came
       from. Tokens of one window but different regions are kept apart by the mask.
    """
    return shift_picture(height, width, window_size, shift_size).figure


def shift_picture(height: int = 8, width: int = 8, window_size: int = 4, shift_size: int = 2) -> Picture:
    """:func:`shift_figure` with the numbers it draws, computed once.

    ``data``: the map and window as asked (``height``, ``width``, ``window_size``, ``shift_size``), the
    ``geometry`` a block really uses (:func:`geometry`) with its ``window`` and ``shift``, ``naive`` (the
    displaced partition's window of each token), ``labels`` (region labels of the rolled map) and the
    window counts ``n_naive`` (displaced partition) and ``n_cyclic`` (after the cyclic shift).
    """
    g = geometry(height, width, window_size, shift_size)
    m, s, Hp, Wp = g["window"], g["shift"], g["Hp"], g["Wp"]
    padded = np.zeros((Hp, Wp), dtype=bool)
    padded[height:, :] = True
    padded[:, width:] = True
    regular = _window_ids(Hp, Wp, m)
    naive = shifted_partition(Hp, Wp, m, s)
    rolled_naive = cyclic_shift(naive[None, :, :, None], s)[0, :, :, 0]
    rolled_padded = cyclic_shift(torch.from_numpy(padded)[None, :, :, None], s)[0, :, :, 0].numpy()
    labels = region_labels(Hp, Wp, m, s)
    n_naive = int(naive.max()) + 1

    n_windows = count(g["n_windows"], N_("{n} window"), N_("{n} windows"))
    naive_windows = count(n_naive, N_("{n} window"), N_("{n} windows"))
    if s:
        naive_title = _("layer l+1: shifted by s={s}, naive\n{windows}, some smaller").format(
            s=s, windows=naive_windows
        )
    else:
        naive_title = _("layer l+1: no shift (s=0)\nthe same {windows}").format(windows=naive_windows)

    fig, (a, b, c) = _figure(11, 4.1, 3)
    regular_title = _("layer l: regular windows (W-MSA)\n{windows} of {m}x{m}").format(windows=n_windows, m=m)
    _tokens(a, regular % 20, WINDOW_COLORS, 0, 19, regular_title)
    _borders(a, regular)
    _tokens(b, naive % 20, WINDOW_COLORS, 0, 19, naive_title)
    _borders(b, naive)
    _tokens(  # coloured by naive window as in panel 2, so each piece keeps its colour and letter when rolled
        c,
        rolled_naive % 20,
        WINDOW_COLORS,
        0,
        19,
        _("cyclic shift (roll by -{s}): {windows}\npieces keep colour and letter; dashed: regions").format(
            s=s, windows=n_windows
        ),
    )
    _borders(c, regular)
    _borders(c, labels, color="0.35", linewidth=0.8, linestyle="dashed")
    if n_naive <= 64:  # each naive window lettered, before and after the roll (it stays in one piece)
        _label_pieces(b, naive, _letter)
        _label_pieces(c, rolled_naive, _letter)
    for ax, pad in ((a, padded), (b, padded), (c, rolled_padded)):
        _shade_padding(ax, pad)
    fig.suptitle(
        _("{height}x{width} tokens, window M={m}, shift s={s}").format(height=height, width=width, m=m, s=s)
        + (_("  ({note})").format(note=g["note"]) if g["note"] else ""),
        fontsize=9,
    )
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.8, wspace=0.08)
    data = dict(
        height=height,
        width=width,
        window_size=window_size,
        shift_size=shift_size,
        geometry=g,
        window=m,
        shift=s,
        naive=naive,
        labels=labels,
        n_naive=n_naive,
        n_cyclic=g["n_windows"],
    )
    return Picture(fig, data)


def mask_figure(
    height: int = 8, width: int = 8, window_size: int = 4, shift_size: int = 2, window: int | None = None
) -> Figure:
    """One window of a cyclically shifted map: its region labels and its ``N x N`` attention mask.

    ``window`` numbers the windows row by row (default: the last one, bottom right, which holds four
    regions). Mask entries are 0 where query and key come from the same region and -100 elsewhere
    (:func:`~swin_edu.windows.shifted_window_mask`).
    """
    return mask_picture(height, width, window_size, shift_size, window).figure


def mask_picture(
    height: int = 8, width: int = 8, window_size: int = 4, shift_size: int = 2, window: int | None = None
) -> Picture:
    """:func:`mask_figure` with the numbers it draws, computed once.

    ``data``: the map as asked (``height``, ``width``, ``window_size``, ``shift_size``), ``window`` (the
    window's number), the ``geometry`` a block really uses (:func:`geometry`), ``mask`` (the window's
    ``(N, N)`` slice of :func:`~swin_edu.windows.shifted_window_mask`), ``labels`` (its ``(M, M)`` region
    labels) and ``open`` (how many query-key pairs the mask lets attend).
    """
    g = geometry(height, width, window_size, shift_size)
    m, s, Hp, Wp = g["window"], g["shift"], g["Hp"], g["Wp"]
    window = g["n_windows"] - 1 if window is None else window
    if not 0 <= window < g["n_windows"]:
        raise ValueError(
            f"window must be in 0..{g['n_windows'] - 1} for a {Hp}x{Wp} map of {m}x{m} windows, got {window}"
        )
    labels = region_labels(Hp, Wp, m, s)
    mask = shifted_window_mask(Hp, Wp, m, s)[window]  # (N, N)
    row, col = divmod(window, Wp // m)
    inside = labels[row * m : (row + 1) * m, col * m : (col + 1) * m]
    N = m * m

    fig, (a, b, c) = _figure(11, 4.1, 3)
    _tokens(a, labels, REGION_COLORS, 0, 8, _("shifted map: window {window} (row {row}, col {col})").format(
        window=window, row=row, col=col))
    _borders(a, _window_ids(Hp, Wp, m), linewidth=1.2)
    a.add_patch(Rectangle((col * m - 0.5, row * m - 0.5), m, m, fill=False, edgecolor="red", linewidth=3))
    inside_title = _("its {m}x{m} tokens by region label\n(token t = row * {m} + col)").format(m=m)
    _tokens(b, inside, REGION_COLORS, 0, 8, inside_title)
    _label_pieces(b, inside, fontsize=11)
    c.imshow(mask.numpy(), cmap=ListedColormap(["0.15", "white"]), vmin=-100, vmax=0, interpolation="nearest")
    for k in range(m, N, m):  # group queries and keys by the window row they sit in
        c.axhline(k - 0.5, color="tab:blue", linewidth=0.5)
        c.axvline(k - 0.5, color="tab:blue", linewidth=0.5)
    allowed = int((mask == 0).sum())
    pairs = count(N * N, N_("{n} pair"), N_("{n} pairs"))
    c.set_title(
        _("mask, {N}x{N}: white 0, black -100\n{allowed} of {pairs} may attend").format(
            N=N, allowed=allowed, pairs=pairs
        ),
        fontsize=9,
    )
    c.set_xlabel(_("key token"), fontsize=8)
    c.set_ylabel(_("query token"), fontsize=8)
    c.tick_params(labelsize=7)
    fig.suptitle(
        _("{height}x{width} tokens, M={m}, s={s}").format(height=height, width=width, m=m, s=s)
        + (_("  ({note})").format(note=g["note"]) if g["note"] else ""),
        fontsize=9,
    )
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.12, top=0.8, wspace=0.15)
    data = dict(
        height=height,
        width=width,
        window_size=window_size,
        shift_size=shift_size,
        window=window,
        geometry=g,
        mask=mask,
        labels=inside,
        open=allowed,
    )
    return Picture(fig, data)


def complexity_figure(h: int = 56, w: int = 56, C: int = 96, M: int = 7) -> Figure:
    """Omega(MSA) and Omega(W-MSA) (Eq. 1 and 2) against the number of tokens, on log axes.

    The curves are for square maps with the given ``C`` and ``M``; the marked points are the ``h x w``
    map. The dotted line is the ``4hwC^2`` of the projections that both share: where the MSA curve leaves
    it, the ``(hw)^2`` term has taken over. Eq. 2 needs a map of at least ``M x M``: on a smaller one (the
    grey band, ``hw < M^2``) a Swin block uses one window of the map's size, and W-MSA costs what MSA costs.
    """
    return complexity_picture(h, w, C, M).figure


def complexity_picture(h: int = 56, w: int = 56, C: int = 96, M: int = 7) -> Picture:
    """:func:`complexity_figure` with the numbers it draws, computed once.

    ``data``: ``h``, ``w``, ``C``, ``M`` as given, ``window`` (the window side a Swin block uses on this
    map: ``M``, or the shorter side of a map no larger than ``M x M``), ``msa`` and ``wmsa`` (MACs of the
    ``h x w`` map by Eq. 1 and by Eq. 2 with that window, from :mod:`swin_edu.complexity`) and their ``ratio``.
    """
    h, w, C, M = (check_positive_int(n, v) for n, v in (("h", h), ("w", w), ("C", C), ("M", M)))
    m = window_grid(h, w, M).window
    sides = np.unique(np.geomspace(1, max(4 * max(h, w), 256), 200).astype(int))
    n = sides**2
    fits = sides >= M  # Eq. 2 holds where an M x M window fits in the map
    msa = [complexity.msa_macs(int(x), int(x), C) for x in sides]
    wmsa = [complexity.wmsa_macs(int(x), int(x), C, M) for x in sides[fits]]
    here_msa, here_wmsa = complexity.msa_macs(h, w, C), complexity.wmsa_macs(h, w, C, m)

    fig, (ax,) = _figure(7.5, 4.2)
    if M > 1:
        ax.axvspan(n[0], M * M, color="0.93", linewidth=0)
        ax.text(
            math.sqrt(M * M * n[0]),
            0.97,
            _("hw < M²: one window,\nW-MSA = MSA"),
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="top",
            fontsize=7.5,
            color="0.3",
        )
    ax.loglog(n, msa, color="tab:red", label="MSA: 4hwC² + 2(hw)²C")
    ax.loglog(n[fits], wmsa, color="tab:blue", label=f"W-MSA: 4hwC² + 2M²hwC, M={M}")
    ax.loglog(n, 4 * n * C**2, color="0.5", linestyle="dotted", label=_("4hwC² (projections)"))
    ax.plot([h * w], [here_msa], "o", color="tab:red")
    ax.plot([h * w], [here_wmsa], "o", color="tab:blue")
    ax.axvline(h * w, color="0.7", linewidth=0.8)
    for axis in (ax.xaxis, ax.yaxis):  # plain-text powers of ten (mathtext labels are slow to draw)
        axis.set_major_locator(LogLocator(base=10, numticks=8))
        axis.set_major_formatter(FuncFormatter(_power_of_ten))
        axis.set_minor_locator(NullLocator())
    ax.set_xlabel(_("tokens hw"), fontsize=9)
    ax.set_ylabel(_("multiply-accumulates"), fontsize=9)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(
        _("{h}x{w} tokens, C={C}: MSA {msa} G, W-MSA {wmsa} G, ratio {ratio}").format(
            h=h,
            w=w,
            C=C,
            msa=f"{here_msa / 1e9:.3g}",
            wmsa=f"{here_wmsa / 1e9:.3g}",
            ratio=f"{here_msa / here_wmsa:.3g}",
        ),
        fontsize=9,
    )
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.13, top=0.9)
    data = dict(h=h, w=w, C=C, M=M, window=m, msa=here_msa, wmsa=here_wmsa, ratio=here_msa / here_wmsa)
    return Picture(fig, data)


def relative_position_figure(window_size: int = 4, query: tuple[int, int] = (1, 2), bias_table=None) -> Figure:
    """Which rows of the relative position bias table (Eq. 4) one query reads.

    Left: the window, each key labelled with its row of the ``(2M-1)^2`` table
    (:func:`~swin_edu.windows.relative_position_index`), the query circled. Middle: the table as a
    ``(2M-1) x (2M-1)`` grid of offsets; the query uses the ``M x M`` block outlined in red (the window,
    mirrored). With ``bias_table`` (one head's ``((2M-1)^2,)`` learned biases) the grid shows the learned
    values, and a third panel the biases the query adds to its logits.
    """
    return relative_position_picture(window_size, query, bias_table).figure


def relative_position_picture(window_size: int = 4, query: tuple[int, int] = (1, 2), bias_table=None) -> Picture:
    """:func:`relative_position_figure` with the numbers it draws, computed once.

    ``data``: ``window_size`` and ``query`` as given, ``index`` (the ``(M, M)`` table row of each key for
    this query) and, with ``bias_table``, ``bias`` (the ``(M, M)`` biases the query adds to its logits).
    """
    M = check_positive_int("window_size", window_size)
    qy, qx = query
    if not (0 <= qy < M and 0 <= qx < M):
        raise ValueError(f"query {tuple(query)} lies outside the {M}x{M} window (rows and columns 0..{M - 1})")
    side = 2 * M - 1
    row = relative_position_index(M)[qy * M + qx].reshape(M, M)  # (M, M): table row of each key
    has_bias = bias_table is not None
    if has_bias:
        bias_table = torch.as_tensor(bias_table).detach().float().cpu().reshape(-1)
        if bias_table.numel() != side * side:
            raise ValueError(
                f"bias_table must hold (2M-1)^2 = {side * side} values for M={M}, got {bias_table.numel()}"
            )
    data = dict(window_size=M, query=(qy, qx), index=row)
    fig, axes = _figure(4.0 * (3 if has_bias else 2), 4.2, 3 if has_bias else 2)
    a, b = axes[0], axes[1]
    _tokens(
        a,
        row,
        "viridis",
        0,
        side * side - 1,
        _("window {M}x{M}: table row of each key\nfor the query at (row {row}, col {col})").format(M=M, row=qy, col=qx),
    )
    if M <= 5:  # larger windows: the colour says it
        _label_tokens(a, row, fontsize=7)
    a.add_patch(Circle((qx, qy), 0.45, fill=False, edgecolor="red", linewidth=2))
    grid = (bias_table if has_bias else torch.arange(side * side)).reshape(side, side)
    extent = (-(M - 1) - 0.5, M - 1 + 0.5, M - 1 + 0.5, -(M - 1) - 0.5)
    b.imshow(grid.numpy(), cmap="coolwarm" if has_bias else "viridis", interpolation="nearest", extent=extent)
    b.add_patch(Rectangle((qx - M + 0.5, qy - M + 0.5), M, M, fill=False, edgecolor="red", linewidth=2.5))
    numbered = not has_bias and M <= 5  # each cell's row number written in it; larger tables: the colour says it
    if numbered:
        for (i, j), number in np.ndenumerate(grid.numpy()):
            color = "black" if number > 0.6 * side * side else "white"  # readable on viridis' light end
            b.text(j - (M - 1), i - (M - 1), str(number), ha="center", va="center", fontsize=6, color=color)
    shown = _("learned bias") if has_bias else (_("row numbers") if numbered else _("colour = row number"))
    b.set_title(
        _("the {side}x{side} table ({shown})\nred: the {rows} this query reads").format(
            side=side, shown=shown, rows=count(M * M, N_("{n} row"), N_("{n} rows"))
        ),
        fontsize=9,
    )
    b.set_xlabel("x_query - x_key", fontsize=8)
    b.set_ylabel("y_query - y_key", fontsize=8)
    b.tick_params(labelsize=7)
    if has_bias:
        c = axes[2]
        values = bias_table[row.reshape(-1)].reshape(M, M)
        _tokens(c, values, "coolwarm", None, None, _("bias added to the query's logits\n(one per key)"))
        c.add_patch(Circle((qx, qy), 0.45, fill=False, edgecolor="black", linewidth=2))
        data["bias"] = values
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.12, top=0.85, wspace=0.25)
    return Picture(fig, data)


def receptive_field_figure(
    height: int = 16,
    width: int = 16,
    window_size: int = 4,
    source: tuple[int, int] = (5, 6),
    blocks: int = 2,
    shift: bool = True,
) -> Figure:
    """How far a token's information has travelled after ``blocks`` Swin blocks, from the real geometry.

    Left: each token coloured by the block after which it first holds information from ``source``
    (:func:`~swin_edu.windows.receptive_field`), grey where none has arrived; regular windows outlined in
    black, the shifted ones dashed. Right: the number of tokens reached after each block, with and without
    the shift.
    """
    return receptive_field_picture(height, width, window_size, source, blocks, shift).figure


def receptive_field_picture(
    height: int = 16,
    width: int = 16,
    window_size: int = 4,
    source: tuple[int, int] = (5, 6),
    blocks: int = 2,
    shift: bool = True,
) -> Picture:
    """:func:`receptive_field_figure` with the numbers it draws, computed once.

    ``data``: the arguments as given (``source`` as a tuple), the ``geometry`` of the shifted blocks
    (:func:`geometry` with ``s = M // 2``), ``first_reached`` (after which block each token first holds
    the source's information, -1 if not within ``blocks``; :func:`~swin_edu.windows.receptive_field`),
    ``reached`` (a boolean map) and ``counts`` (tokens reached after 0, 1, ... blocks, by shift on/off).
    """
    g = geometry(height, width, window_size, window_size // 2)
    depth = max(blocks, 8)
    counts, first = {}, None
    for flag in (True, False):
        reach = receptive_field(height, width, window_size, source, depth, flag)
        counts[flag] = [int(((reach >= 0) & (reach <= b)).sum()) for b in range(depth + 1)]
        if flag == shift:  # the first `blocks` blocks of a deeper stack are the same blocks
            first = torch.where(reach <= blocks, reach, -1)

    fig, (a, b) = _figure(10, 4.4, 2, gridspec_kw=dict(width_ratios=[1.1, 1]))
    cmap = matplotlib.colormaps["viridis"].resampled(max(blocks, 1) + 1).with_extremes(under="0.9")
    values = first.numpy().astype(float)
    values[values < 0] = -1
    _tokens(a, values, cmap, -0.5, max(blocks, 1) + 0.5, "")
    _borders(a, shifted_partition(height, width, g["window"], 0), linewidth=1.5)
    if shift and g["shift"]:
        _borders(
            a,
            shifted_partition(height, width, g["window"], g["shift"]),
            color="tab:cyan",
            linewidth=1.5,
            linestyle="dashed",
        )
    a.plot([source[1]], [source[0]], marker="*", color="tab:green", markersize=12)
    reached = int((first >= 0).sum())
    a.set_title(
        _("after {blocks} ({kind}): {reached} of {tokens}\ncolour = block that reached it").format(
            blocks=count(blocks, N_("{n} block"), N_("{n} blocks")),
            kind="W-MSA / SW-MSA" if shift else _("W-MSA only"),
            reached=reached,
            tokens=count(height * width, N_("{n} token"), N_("{n} tokens")),
        ),
        fontsize=9,
    )
    bar = fig.colorbar(a.images[0], ax=a, ticks=range(max(blocks, 1) + 1), fraction=0.046)
    bar.ax.tick_params(labelsize=7)
    steps = range(depth + 1)
    b.plot(steps, counts[True], "o-", color="tab:purple", label=_("with shift (Swin)"))
    b.plot(steps, counts[False], "s--", color="0.4", label=_("without shift"))
    b.axvline(blocks, color="0.7", linewidth=0.8)
    b.axhline(height * width, color="0.8", linewidth=0.8)
    b.set_xlabel(_("blocks"), fontsize=9)
    b.set_ylabel(_("tokens reached"), fontsize=9)
    b.tick_params(labelsize=8)
    b.legend(fontsize=8)
    fig.suptitle(
        _("{height}x{width} tokens, M={M}, source at {source}").format(
            height=height, width=width, M=g["window"], source=tuple(source)
        ),
        fontsize=9,
    )
    fig.subplots_adjust(left=0.01, right=0.97, bottom=0.12, top=0.84, wspace=0.2)
    data = dict(
        height=height,
        width=width,
        window_size=window_size,
        source=tuple(source),
        blocks=blocks,
        shift=shift,
        geometry=g,
        first_reached=first,
        reached=first >= 0,
        counts={"with shift": counts[True], "without shift": counts[False]},
    )
    return Picture(fig, data)


def hierarchy_figure(variant: str = "swin_t", img_size: int | tuple[int, int] = 224, window_size: int = 7) -> Figure:
    """The hierarchy: each stage's MACs, and its feature map beside ResNet-50's (Fig. 3a).

    Left: MACs of the patch embedding, the four stages (merging included) and the head
    (:func:`~swin_edu.complexity.macs_by_part`). Right: the four feature maps as squares scaled to their
    side, Swin's beside ResNet-50's, labelled ``H x W x C``: the strides match, so Swin can replace
    ResNet under an FPN or a U-Net.
    """
    return hierarchy_picture(variant, img_size, window_size).figure


def hierarchy_picture(variant: str = "swin_t", img_size: int | tuple[int, int] = 224, window_size: int = 7) -> Picture:
    """:func:`hierarchy_figure` with the numbers it draws, computed once.

    ``data``: ``variant``, ``img_size`` and ``window_size`` as given, ``stages``
    (:func:`~swin_edu.complexity.stage_summary`), ``resnet`` (:func:`~swin_edu.complexity.resnet50_stages`)
    and ``macs`` (:func:`~swin_edu.complexity.macs_by_part`).
    """
    model = swin.meta_model(variant, window_size, img_size)
    parts = complexity.macs_by_part(model, img_size)
    stages = complexity.stage_summary(model, img_size)
    resnet = complexity.resnet50_stages(img_size)

    fig, (a, b) = _figure(11, 4.2, 2, gridspec_kw=dict(width_ratios=[1, 1.2]))
    names = list(parts)
    a.bar(names, [parts[k] / 1e9 for k in names], color=["0.6", *["tab:blue"] * (len(names) - 2), "0.6"])
    for x, k in enumerate(names):
        a.text(x, parts[k] / 1e9, f"{parts[k] / 1e9:.2f}", ha="center", va="bottom", fontsize=8)
    a.set_ylabel(_("GMACs (paper: FLOPs)"), fontsize=9)
    a.tick_params(labelsize=8)
    a.set_title(
        _("{model} at {size}: {macs} GMACs").format(
            model=variant.replace("_", "-").title(), size=img_size, macs=f"{sum(parts.values()) / 1e9:.2f}"
        ),
        fontsize=9,
    )
    top = max(stages[0]["height"], stages[0]["width"])
    for column, (name, rows) in enumerate((("Swin", stages), ("ResNet-50", resnet))):
        for r in rows:
            y = -1.2 * (r["stage"] - 1)
            size = max(r["height"], r["width"]) / top
            b.add_patch(
                Rectangle(
                    (column * 2.7 - size / 2, y - size / 2),
                    size,
                    size,
                    color="tab:blue" if column == 0 else "tab:orange",
                    alpha=0.6,
                )
            )
            b.text(
                column * 2.7 + 0.6,
                y,
                f"1/{r['stride']}: {r['height']}x{r['width']}x{r['channels']}",
                va="center",
                fontsize=8,
            )
        b.text(column * 2.7, 0.75, name, ha="center", fontsize=9, weight="bold")
    b.set_xlim(-0.7, 4.9)
    b.set_ylim(-4.3, 1.0)
    b.set_aspect("equal")
    b.axis("off")
    b.set_title(_("feature maps per stage: stride, H x W x C"), fontsize=9)
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.1, top=0.9, wspace=0.1)
    data = dict(variant=variant, img_size=img_size, window_size=window_size, stages=stages, resnet=resnet, macs=parts)
    return Picture(fig, data)


def pyramid_figure(img_size: int = 224) -> Figure:
    """ViT's single resolution beside a CNN's pyramid: the feature maps a detector or a segmenter gets.

    Top row: ViT-B/16 cuts the image into 16x16 patches and keeps that one map of ``img_size / 16``
    tokens a side, 768 channels, through all 12 blocks (drawn after blocks 3, 6, 9 and 12). Bottom row:
    ResNet-50's four stages (:func:`~swin_edu.complexity.resnet50_stages`), strides 4, 8, 16 and 32: the
    maps that an FPN or a U-Net combines. Every map is drawn as its grid of tokens at one common scale,
    so the area of a map shows how many tokens it has, and its label gives stride and ``H x W x C``.
    """
    side = check_positive_int("img_size", img_size)
    if side % 16:
        raise ValueError(
            f"img_size must be a multiple of ViT's patch size 16, got {side} (e.g. {max(16, side // 16 * 16)})"
        )
    n = side // 16
    resnet = [dict(r, label=f"conv{r['stage'] + 1}_x") for r in complexity.resnet50_stages(side)]
    vit = [
        dict(label=_("after block {b}").format(b=b), stride=16, height=n, width=n, channels=768) for b in (3, 6, 9, 12)
    ]
    pitch = resnet[0]["width"] * 1.2  # column spacing, in tokens
    cells = resnet[0]["width"] <= 64  # one cell per token where the lines can be told apart
    rows = (
        ("ViT-B/16", _("one map, stride 16,\nin every block"), vit, "tab:purple"),
        ("ResNet-50", _("a pyramid: strides\n4, 8, 16, 32\n(FPN, U-Net use all)"), resnet, "tab:orange"),
    )
    top = 0.0
    fig, (ax,) = _figure(11, 4.4)
    for name, note, maps, color in rows:
        tallest = max(m["height"] for m in maps)
        base = top - tallest  # the maps of a row stand on one line
        ax.text(-0.08 * pitch, base + tallest / 2, f"{name}\n{note}", ha="right", va="center", fontsize=9)
        for k, m in enumerate(maps):
            H, W = m["height"], m["width"]
            x0 = k * pitch + (pitch - W) / 2 - 0.1 * pitch
            ax.add_patch(Rectangle((x0, base), W, H, facecolor=color, alpha=0.55, edgecolor=color, linewidth=1.2))
            if cells:
                ax.add_collection(
                    LineCollection(
                        [[(x0 + j, base), (x0 + j, base + H)] for j in range(1, W)]
                        + [[(x0, base + i), (x0 + W, base + i)] for i in range(1, H)],
                        colors="white",
                        linewidths=0.4,
                    )
                )
            ax.text(
                x0 + W / 2,
                base - 0.06 * pitch,
                f"{m['label']}\n1/{m['stride']}: {H}x{W}x{m['channels']}",
                ha="center",
                va="top",
                fontsize=8,
            )
        top = base - 0.35 * pitch
    ax.set_xlim(-0.75 * pitch, 4 * pitch)
    ax.set_ylim(top + 0.2 * pitch, 0.02 * pitch)
    ax.set_aspect("equal")
    ax.axis("off")
    title = _("feature maps of a {side}x{side} image, drawn to one scale").format(side=side) + (
        _(", one cell per token") if cells else ""
    )
    ax.set_title(title, fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.92)
    return fig


def roadmap_figure() -> Figure:
    """The paper in one picture: the course's five steps and where each lives in Swin-T (Fig. 3).

    Top: the path attention -> ViT -> W-MSA -> SW-MSA -> hierarchy, one box per notebook (01-05).
    Middle: Swin-T's architecture (Fig. 3a): patch partition and linear embedding, four stages of
    W-MSA/SW-MSA block pairs, patch merging between them, each part coloured and numbered by the notebook
    that builds it; a stage whose map is a single window does not shift (stage 4 at 224). Bottom: each
    stage's feature map, a square scaled to its side and labelled with its stride, ``H x W x C`` and
    windows; left: one block pair as Eq. 3. The shapes come from
    :func:`~swin_edu.complexity.stage_summary` and the blocks of a Swin-T built on the ``meta`` device.
    """
    steps = (  # notebook, step, what it builds, colour
        ("01", _("attention"), _("scaled dot-product,\nmulti-head self-attention"), "tab:purple"),
        ("02", "ViT", _("patches become tokens;\npre-norm block: LN, MLP, residual"), "tab:green"),
        ("03", _("window attention"), _("W-MSA: attention inside\nM×M windows, linear in hw"), "tab:blue"),
        ("04", _("shifted windows"), _("SW-MSA: cyclic shift + mask\nconnect neighbouring windows"), "tab:orange"),
        ("05", _("hierarchy"), _("patch merging: strides\n4, 8, 16, 32 as in a CNN"), "tab:red"),
    )
    colors = {step[0]: step[3] for step in steps}
    model = swin.meta_model("swin_t")
    stages = complexity.stage_summary(model)
    (img_h, img_w), p = model.img_size, model.patch_size

    fig, (ax,) = _figure(13, 7.6)
    ax.set_xlim(0, 13)
    ax.set_ylim(0, 7.6)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)

    def box(x, y, w, h, number, text="", rotation=0):
        color = colors[number]
        ax.add_patch(Rectangle((x, y), w, h, facecolor=color, alpha=0.18, edgecolor="none"))
        ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor=color, linewidth=1.5))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8.5, rotation=rotation)

    def arrow(x0, y0, x1, y1):
        style = dict(arrowstyle="-|>", color="0.3", lw=1.2, shrinkA=0, shrinkB=0)
        ax.annotate("", (x1, y1), (x0, y0), arrowprops=style)

    # top: the course path
    ax.text(0.3, 7.3, _("The course path: one notebook per step"), fontsize=11, weight="bold", va="center")
    w, gap = 2.1, 0.45
    for i, (number, step, builds, _color) in enumerate(steps):
        x = 0.35 + i * (w + gap)
        box(x, 6.0, w, 0.95, number)
        ax.text(x + w / 2, 6.74, f"{number}  {step}", ha="center", va="center", fontsize=10, weight="bold")
        ax.text(x + w / 2, 6.3, builds, ha="center", va="center", fontsize=8.5, linespacing=1.3)
        if i:
            arrow(x - gap + 0.05, 6.475, x - 0.05, 6.475)

    # middle: image -> embedding -> stages, with patch merging between them
    ax.text(0.3, 5.6, _("Swin-T (Fig. 3a): where each step lives"), fontsize=11, weight="bold", va="center")
    top, bottom = 5.25, 2.85
    mid, side = (top + bottom) / 2, 1.3
    ax.add_patch(Rectangle((0.3, mid - side / 2), side, side, facecolor="0.9", edgecolor="0.3"))
    for k in range(1, 8):  # a hint of the patch grid
        ax.plot([0.3 + k * side / 8] * 2, [mid - side / 2, mid + side / 2], color="0.6", lw=0.5)
        ax.plot([0.3, 0.3 + side], [mid - side / 2 + k * side / 8] * 2, color="0.6", lw=0.5)
    image = _("image\n{h}×{w}×3").format(h=img_h, w=img_w)
    ax.text(0.3 + side / 2, mid - side / 2 - 0.1, image, ha="center", va="top", fontsize=9)
    arrow(1.6, mid, 1.9, mid)
    embedding = _("patch partition {p}×{p}\n+ linear embedding\n→ C = {C}   (02)").format(
        p=p, C=stages[0]["channels"]
    )
    box(1.9, bottom, 0.75, top - bottom, "02", embedding, rotation=90)
    arrow(2.65, mid, 2.95, mid)
    x, sw, mw = 2.95, 1.6, 0.55  # left edge, stage width, merging width
    centers = []
    for r, layer in zip(stages, model.layers):
        ax.add_patch(Rectangle((x, bottom), sw, top - bottom, facecolor="none", edgecolor="0.3", lw=1.2))
        stage = _("stage {stage}").format(stage=r["stage"])
        ax.text(x + sw / 2, top - 0.25, stage, ha="center", va="center", fontsize=10, weight="bold")
        box(x + 0.12, 4.15, sw - 0.24, 0.52, "03", _("W-MSA block (03)"))
        _window, shift = layer.blocks[-1].window_and_shift(r["height"], r["width"])  # 0 where the map is one window
        shifted = _("SW-MSA block (04)") + ("" if shift else _("\nno shift: 1 window"))
        box(x + 0.12, 3.55, sw - 0.24, 0.52, "04", shifted)
        pairs = r["blocks"] // 2
        pairs_text = _("× {pairs} pairs: {blocks} blocks") if pairs > 1 else _("× {pairs} pair: {blocks} blocks")
        pairs_text = pairs_text.format(pairs=pairs, blocks=r["blocks"])
        ax.text(x + sw / 2, 3.15, pairs_text, ha="center", va="center", fontsize=8.5)
        centers.append(x + sw / 2)
        x += sw
        if r["stage"] < len(stages):
            arrow(x, mid, x + 0.2, mid)
            box(x + 0.2, bottom + 0.3, mw, top - bottom - 0.6, "05", _("patch merging (05)"), rotation=90)
            arrow(x + 0.2 + mw, mid, x + 0.4 + mw, mid)
            x += mw + 0.4

    # bottom: the feature maps, squares scaled to their side
    first = max(stages[0]["height"], stages[0]["width"])
    for cx, r in zip(centers, stages):
        s = 1.4 * max(r["height"], r["width"]) / first
        arrow(cx, bottom, cx, 2.55)
        ax.add_patch(Rectangle((cx - s / 2, 2.5 - s), s, s, facecolor=colors["05"], alpha=0.35, edgecolor="0.3"))
        n, m = r["windows"], r["window"]
        shape = _("stride {stride}: {h}×{w}×{c}").format(
            stride=r["stride"], h=r["height"], w=r["width"], c=r["channels"]
        )
        windows = (_("{n} windows of {m}×{m}") if n > 1 else _("{n} window of {m}×{m}")).format(n=n, m=m)
        ax.text(cx, 0.95, f"{shape}\n{windows}", ha="center", va="top", fontsize=9)
    feature_maps = _("feature maps for FPN / U-Net heads (05)")
    ax.text(centers[-1] + 0.9, 0.2, feature_maps, ha="right", va="bottom", fontsize=9, style="italic")

    # bottom left: one block pair, Eq. 3, coloured by notebook
    ax.text(0.3, 2.25, _("one block pair (Eq. 3):"), fontsize=9.5, weight="bold")
    lines = (
        (r"$\hat z^{l}$ = W-MSA(LN($z^{l-1}$)) + $z^{l-1}$", "03"),
        (r"$z^{l}$ = MLP(LN($\hat z^{l}$)) + $\hat z^{l}$", "02"),
        (r"$\hat z^{l+1}$ = SW-MSA(LN($z^{l}$)) + $z^{l}$", "04"),
        (r"$z^{l+1}$ = MLP(LN($\hat z^{l+1}$)) + $\hat z^{l+1}$", "02"),
    )
    for k, (line, number) in enumerate(lines):
        ax.text(0.35, 1.9 - 0.34 * k, line, fontsize=10, color=colors[number], va="center")
    m = stages[0]["window"]
    attention = _("(S)W-MSA: multi-head self-\nattention (01) in {m}×{m} windows").format(m=m)
    ax.text(0.3, 0.2, attention, fontsize=9, va="bottom", color=colors["01"])
    return fig


# ---- figures of notebook 01


def softmax_scaling_figure(dims, raw, scaled, n_keys: int = 16) -> Figure:
    """What the ``1/sqrt(d_k)`` of scaled dot-product attention does (Vaswani et al. 2017, Sec. 3.2.1).

    ``dims`` are head widths ``d_k``; ``raw`` and ``scaled`` are ``(len(dims), 4)`` arrays holding, per
    width, the spread of the logits, the largest weight of a row, the entropy of a row (nats) and the
    softmax's slope ``||diag(p) - pp^T||``, for logits ``q.k`` and ``q.k / sqrt(d_k)``, over rows of
    ``n_keys`` keys. The dotted line marks ``d_k = 32``, the head width of every Swin model.
    """
    dims = np.asarray(dims, dtype=float)
    raw, scaled = np.asarray(raw, dtype=float), np.asarray(scaled, dtype=float)
    if raw.shape != (len(dims), 4) or scaled.shape != raw.shape:
        raise ValueError(
            f"raw and scaled must both have shape (len(dims), 4) = ({len(dims)}, 4), "
            f"got {raw.shape} and {scaled.shape}"
        )
    n_keys = check_positive_int("n_keys", n_keys)
    fig, axes = _figure(13, 3.2, 4)
    titles = [_("std of the logits"), _("largest weight in a row"), _("entropy of a row (nats)")]
    titles.append(_("softmax slope ‖diag(p) − ppᵀ‖"))
    for m, (ax, title) in enumerate(zip(axes, titles)):
        ax.plot(dims, raw[:, m], "o-", color="tab:red", label=_("q·k (no scaling)"))
        ax.plot(dims, scaled[:, m], "o-", color="tab:blue", label="q·k / √d_k")
        ax.axvline(32, color="grey", linestyle=":")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("d_k")
        ax.set_title(title, fontsize=10)
    axes[0].plot(dims, np.sqrt(dims), "--", color="grey", label="√d_k")
    axes[0].set_yscale("log", base=2)
    axes[1].axhline(1 / n_keys, color="grey", linestyle="--", linewidth=1)
    axes[1].text(dims[0], 1 / n_keys + 0.02, _("even: 1/{n}").format(n=n_keys), fontsize=8, color="grey")
    axes[2].axhline(math.log(n_keys), color="grey", linestyle="--", linewidth=1)
    axes[2].text(dims[0], math.log(n_keys) - 0.22, _("even: ln {n}").format(n=n_keys), fontsize=8, color="grey")
    axes[1].set_ylim(0, 1.05)
    axes[2].set_ylim(0, math.log(n_keys) + 0.25)
    axes[3].set_ylim(0, 1.3 * max(raw[:, 3].max(), scaled[:, 3].max()))
    axes[3].text(32 * 1.15, 0.02, _("Swin's d_k = 32"), fontsize=8, color="grey")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def msa_cost_figure(
    C: int = 96, marks=((196, N_("ViT, 14×14 patches")), (3136, N_("Swin, 56×56 patches")))
) -> Figure:
    """Where the ``n^2`` term of Omega(MSA) = 4nC^2 + 2n^2C (Eq. 1) takes over, for ``n`` tokens of width ``C``.

    Left: both terms and their sum on log axes. Right: the share of the quadratic term, ``n / (n + 2C)``.
    The dotted line is ``n = 2C``, where the two terms are equal; ``marks`` are ``(n, label)`` points.
    """
    C = check_positive_int("C", C)
    n = np.logspace(1, 4.5, 200)  # 10 to about 31,600 tokens
    linear, quadratic = 4 * n * C**2, 2 * n**2 * C
    fig, axes = _figure(11, 3.8, 2)
    axes[0].loglog(n, linear, color="tab:blue", label=_("4nC²  (projections)"))
    axes[0].loglog(n, quadratic, color="tab:red", label=_("2n²C  (QKᵀ and AV)"))
    axes[0].loglog(n, linear + quadratic, color="black", linestyle="--", label=_("total"))
    axes[0].set_ylabel(_("multiply-accumulates"))
    axes[1].semilogx(n, quadratic / (linear + quadratic), color="tab:red")
    axes[1].axhline(0.5, color="grey", linewidth=1)
    axes[1].set_ylabel(_("share of the n² term"))
    axes[1].set_ylim(0, 1)
    for tokens, label in marks:
        tokens = check_positive_int("a marked n", tokens)
        total, share = complexity.msa_macs(tokens, 1, C), tokens / (tokens + 2 * C)
        label = _(label)  # the default marks are marked N_
        axes[0].plot(tokens, total, "o", color="tab:green")
        axes[0].annotate(label, (tokens, total), xytext=(-8, 8), textcoords="offset points", ha="right", fontsize=8)
        axes[1].plot(tokens, share, "o", color="tab:green")
        axes[1].annotate(
            f"{label}: {share:.0%}", (tokens, share), xytext=(8, -12), textcoords="offset points", fontsize=8
        )
    for ax in axes:
        ax.axvline(2 * C, color="grey", linestyle=":")
        ax.text(2 * C / 1.08, 0.92, f"n = 2C = {2 * C}", transform=ax.get_xaxis_transform(), ha="right", fontsize=8)
        ax.set_xlabel(_("number of tokens n"))
    axes[0].legend(fontsize=8)
    fig.suptitle(_("cost of global multi-head self-attention, C = {C}").format(C=C), fontsize=11)
    fig.tight_layout()
    return fig


# ---- figures of notebook 02


def _image_hwc(image) -> torch.Tensor:
    """An RGB image ``(3, H, W)`` or ``(1, 3, H, W)`` as ``(H, W, 3)`` for ``imshow``."""
    image = torch.as_tensor(image).detach().float().cpu()
    if image.dim() == 4 and image.shape[0] == 1:
        image = image[0]
    if image.dim() != 3 or image.shape[0] != 3:
        raise ValueError(f"image must have shape (3, H, W) or (1, 3, H, W), got {tuple(image.shape)}")
    return image.permute(1, 2, 0)


def _patches_apart(picture: torch.Tensor, p: int) -> torch.Tensor:
    """``(H, W, 3)`` -> ``(h, p + 2, w * (p + 2), 3)``: every patch with a 2-pixel white frame, rows of patches."""
    H, W, _channels = picture.shape
    if H % p or W % p:
        raise ValueError(f"image size {H}x{W} is not divisible by the patch size {p}")
    h, w = H // p, W // p
    grid = picture.reshape(h, p, w, p, 3).permute(0, 2, 1, 3, 4)  # (h, w, p, p, 3)
    apart = torch.ones(h, w, p + 2, p + 2, 3)
    apart[:, :, 1:-1, 1:-1] = grid
    return apart.permute(0, 2, 1, 3, 4).reshape(h, p + 2, w * (p + 2), 3)


def patch_grid_figure(image, patch_size: int = 16, highlight: tuple[int, int] = (3, 5)) -> Figure:
    """ViT's patch partition (Sec. 3.1 of the ViT paper): the image with its grid of ``p x p`` patches, the
    ``highlight`` patch (grid row, column) in red, and the same patches pulled apart."""
    picture = _image_hwc(image)
    p = check_positive_int("patch_size", patch_size)
    apart = _patches_apart(picture, p)  # (h, p + 2, w (p + 2), 3)
    H, W, _channels = picture.shape
    h, w = H // p, W // p
    row, col = highlight
    if not (0 <= row < h and 0 <= col < w):
        raise ValueError(f"highlight {tuple(highlight)} lies outside the {h}x{w} grid of patches")
    fig, (a, b) = _figure(10, 5, 2)
    a.imshow(picture.clamp(0, 1).numpy(), interpolation="nearest")
    for t in range(p, max(H, W), p):
        if t < H:
            a.axhline(t - 0.5, color="white", linewidth=0.6)
        if t < W:
            a.axvline(t - 0.5, color="white", linewidth=0.6)
    a.add_patch(Rectangle((col * p - 0.5, row * p - 0.5), p, p, fill=False, edgecolor="red", linewidth=2))
    a.set_title(_("{H}×{W} photo, {h}×{w} patches of {p}×{p} pixels").format(H=H, W=W, h=h, w=w, p=p), fontsize=10)
    b.imshow(apart.reshape(h * (p + 2), w * (p + 2), 3).clamp(0, 1).numpy(), interpolation="nearest")
    b.add_patch(Rectangle((col * (p + 2), row * (p + 2)), p + 2, p + 2, fill=False, edgecolor="red", linewidth=2))
    b.set_title(_("the same {n} patches, pulled apart").format(n=h * w), fontsize=10)
    for ax in (a, b):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def token_sequence_figure(image, patch_size: int = 16, token: int = 47) -> Figure:
    """The sequence a ViT reads: top, the first two rows of patches in reading order; bottom, the tokens
    of :func:`~swin_edu.vit.patchify` as an ``(N, p*p*3)`` matrix, each row drawn as its ``p*p`` RGB pixels,
    with ``token`` outlined."""
    picture = _image_hwc(image)
    p = check_positive_int("patch_size", patch_size)
    apart = _patches_apart(picture, p)  # (h, p + 2, w (p + 2), 3)
    h, w = apart.shape[0], apart.shape[2] // (p + 2)
    n = h * w
    if not 0 <= token < n:
        raise ValueError(f"token must lie in 0..{n - 1} for a {h}x{w} grid of patches, got {token}")
    rows = min(2, h)
    strip = torch.cat(list(apart[:rows]), dim=1)  # (p + 2, rows * w * (p + 2), 3): tokens 0.. in one line
    from .vit import patchify  # noqa: PLC0415 (viz's imports are shared; the library's patchify)

    tokens = patchify(picture.permute(2, 0, 1)[None], p)[0]  # (N, p*p*3), (row, column, channel) order

    fig = Figure(figsize=(10, 6.5), dpi=DPI)
    a, b = fig.subplots(2, 1, height_ratios=[1, 4])
    a.imshow(strip.clamp(0, 1).numpy(), interpolation="nearest")
    a.set_xticks([(t + 0.5) * (p + 2) for t in range(rows * w)], [str(t) for t in range(rows * w)], fontsize=7)
    a.set_yticks([])
    a.set_title(
        _("the sequence: token 0, 1, 2, … (row 0 of the grid is tokens 0-{last}, row 1 is {w}-{last_2})").format(
            last=w - 1, w=w, last_2=2 * w - 1
        ),
        fontsize=10,
    )
    b.imshow(tokens.reshape(n, p * p, 3).clamp(0, 1).numpy(), aspect="auto", interpolation="nearest")
    b.add_patch(Rectangle((-0.5, token - 0.5), p * p, 1, fill=False, edgecolor="lime", linewidth=1.5))
    b.annotate(
        _("token {token}").format(token=token),
        xy=(p * p - 0.5, token),
        xytext=(p * p + 6, token),
        va="center",
        fontsize=9,
        color="green",
        annotation_clip=False,
        arrowprops=dict(arrowstyle="->", color="green"),
    )
    b.set_yticks(range(0, n, w))  # a new row of the patch grid starts every w tokens
    b.set_xticks(range(0, p * p, p))  # a new pixel row of the patch starts every p pixels
    b.set_xlabel(_("pixel inside the patch, row by row (each pixel is 3 numbers: R, G, B)"), fontsize=9)
    b.set_ylabel(_("token"), fontsize=9)
    b.set_title(
        _("tokens as a ({n}, {d}) matrix: a row per patch, its {d} numbers drawn as {pixels} RGB pixels").format(
            n=n, d=3 * p * p, pixels=p * p
        ),
        fontsize=10,
    )
    fig.tight_layout()
    return fig


# ---- figures of notebook 03


def _numbered_tokens(ax, colour, labels, cmap, title):
    """A grid of tokens: each cell coloured by ``colour`` (NaN: empty) and labelled with ``labels`` (-1: none)."""
    colour, labels = np.asarray(colour, dtype=float), np.asarray(labels)
    ax.imshow(colour, cmap=cmap, vmin=0, vmax=cmap.N - 1, interpolation="nearest")
    for (i, j), value in np.ndenumerate(labels):
        if value >= 0:
            ax.text(j, i, str(int(value)), ha="center", va="center", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)


def _grid_lines(ax, height, width, step, color="black", linewidth=2.0):
    for t in range(step, height, step):
        ax.axhline(t - 0.5, color=color, linewidth=linewidth)
    for t in range(step, width, step):
        ax.axvline(t - 0.5, color=color, linewidth=linewidth)


def window_batch_figure(height: int = 8, width: int = 12, window_size: int = 4) -> Figure:
    """Window partition (Sec. 3.2): the ``height x width`` map, every token numbered row by row and coloured
    by its window, beside the batch of windows :func:`~swin_edu.windows.window_partition` makes of it.

    The window colours are glued back onto the map by :func:`~swin_edu.windows.window_reverse`, so the
    picture is drawn by the two functions it shows. Sides must be multiples of the window.
    """
    H, W = check_positive_int("height", height), check_positive_int("width", width)
    M = check_positive_int("window_size", window_size)
    if H % M or W % M:
        raise ValueError(f"height x width = {H}x{W} must be multiples of window_size {M} (this picture does not pad)")
    from .windows import window_partition, window_reverse  # noqa: PLC0415

    grid = torch.arange(H * W).reshape(1, H, W, 1)  # (B, H, W, C) = (1, H, W, 1): token t holds t
    windows = window_partition(grid, M)  # (nW, M, M, 1)
    nW = windows.shape[0]
    window_of = window_reverse(torch.arange(nW).reshape(-1, 1, 1, 1).expand(-1, M, M, 1), M, H, W)[0, :, :, 0]
    colours = ListedColormap([matplotlib.colormaps["tab20"](2 * k % 20 + 1) for k in range(nW)]).with_extremes(
        bad="white"
    )
    batch_colour = np.full((M, nW * (M + 1) - 1), np.nan)  # the windows side by side, one column apart
    batch_labels = np.full(batch_colour.shape, -1)
    for k in range(nW):
        batch_colour[:, k * (M + 1) : k * (M + 1) + M] = k
        batch_labels[:, k * (M + 1) : k * (M + 1) + M] = windows[k, :, :, 0].numpy()
    fig = Figure(figsize=(13, 3.4), dpi=DPI)
    a, b = fig.subplots(1, 2, width_ratios=[W, batch_colour.shape[1]])
    map_title = _("the map (B, H, W, C) = (1, {H}, {W}, 1)").format(H=H, W=W)
    _numbered_tokens(a, window_of.numpy(), grid[0, :, :, 0].numpy(), colours, map_title)
    _grid_lines(a, H, W, M)
    batch_title = _("after partition: (B·nW, M, M, C) = {shape}").format(shape=tuple(windows.shape))
    _numbered_tokens(b, batch_colour, batch_labels, colours, batch_title)
    for k in range(nW):
        b.text(k * (M + 1) + (M - 1) / 2, M - 0.3, _("window {k}").format(k=k), ha="center", va="top", fontsize=9)
    b.set_ylim(M + 0.4, -0.5)
    for spine in b.spines.values():
        spine.set_visible(False)
    fig.tight_layout()
    return fig


def locality_figure(changed: dict, token: tuple[int, int], window_size: int) -> Figure:
    """Which outputs move when one input token changes: one panel per layer.

    ``changed`` maps a layer's name to an ``(H, W)`` bool array (True: that output changed); ``token`` is
    the changed input (row, column), outlined; thin lines are the window borders of side ``window_size``.
    """
    if not changed:
        raise ValueError("changed must map at least one layer name to an (H, W) bool array")
    maps = {name: np.asarray(value, dtype=bool) for name, value in changed.items()}
    shapes = {m.shape for m in maps.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"every changed map must have the same (H, W) shape, got {sorted(shapes)}")
    H, W = next(iter(shapes))
    M = check_positive_int("window_size", window_size)
    row, col = token
    if not (0 <= row < H and 0 <= col < W):
        raise ValueError(f"token {tuple(token)} lies outside the {H}x{W} map")
    numbers = np.arange(H * W).reshape(H, W)
    cmap = ListedColormap(["white", "#fdb863"])  # unchanged, changed
    fig, axes = _figure(5 * len(maps), 3.4, len(maps))
    for ax, (name, moved) in zip(axes, maps.items()):
        title = _("{name}: {changed} of {total} outputs change").format(
            name=name, changed=int(moved.sum()), total=H * W
        )
        _numbered_tokens(ax, moved, numbers, cmap, title)
        ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2.5))
        _grid_lines(ax, H, W, M, color="0.3", linewidth=1)
    fig.tight_layout()
    return fig


def window_growth_figure(sides=(16, 32, 56, 112, 224, 448), C: int = 96, M: int = 7, fraction: int = 8) -> Figure:
    """Omega(MSA) against Omega(W-MSA) (Eq. 1 and 2) on square maps of the given ``sides``, with a fixed
    window ``M`` (Swin) and with a window that grows with the map, ``M = side // fraction``."""
    C, M, fraction = (check_positive_int(n, v) for n, v in (("C", C), ("M", M), ("fraction", fraction)))
    sides = [check_positive_int("a side", s) for s in sides]
    if min(sides) < max(M, fraction):
        raise ValueError(f"every side must be at least M = {M} and fraction = {fraction}, got {min(sides)}")
    n = np.array([s * s for s in sides], dtype=float)
    fig, (ax,) = _figure(7, 4)
    ax.loglog(n, [complexity.msa_macs(s, s, C) for s in sides], "o-", color="tab:red", label="MSA")
    ax.loglog(
        n,
        [complexity.wmsa_macs(s, s, C, s // fraction) for s in sides],
        "s-",
        color="tab:purple",
        label=_("W-MSA, M = h/{fraction} (window grows)").format(fraction=fraction),
    )
    fixed = [complexity.wmsa_macs(s, s, C, M) for s in sides]
    ax.loglog(n, fixed, "^-", color="tab:blue", label=f"W-MSA, M = {M} (Swin)")
    ax.set_xlabel(_("tokens hw (C = {C})").format(C=C))
    ax.set_ylabel(_("multiply-accumulates"))
    ax.set_title(_("a window that grows with the image brings the quadratic term back"), fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def key_sets_figure(size: int = 15, window_size: int = 5, queries=((7, 6), (7, 8))) -> Figure:
    """Which keys two queries A and B read: in fixed ``M x M`` windows (left) they share one key set; with
    sliding neighbourhoods centred on each query (right, ``M`` odd) each reads its own."""
    S, M = check_positive_int("size", size), check_positive_int("window_size", window_size)
    if M % 2 == 0 or M > S:
        raise ValueError(f"window_size must be odd (so a neighbourhood can be centred) and at most size {S}, got {M}")
    (ya, xa), (yb, xb) = queries
    if not all(0 <= t < S for t in (ya, xa, yb, xb)) or (ya // M, xa // M) != (yb // M, xb // M):
        raise ValueError(f"queries {tuple(queries)} must lie on the {S}x{S} map, in the same {M}x{M} window")
    ys, xs = np.meshgrid(np.arange(S), np.arange(S), indexing="ij")  # (S, S) each

    def around(y, x):  # (S, S) bool: the sliding neighbourhood centred on (y, x)
        return (np.abs(ys - y) <= M // 2) & (np.abs(xs - x) <= M // 2)

    in_window = (ys // M == ya // M) & (xs // M == xa // M)
    key_sets = [3 * in_window, around(ya, xa) + 2 * around(yb, xb)]  # 0 none, 1 A only, 2 B only, 3 both
    colours = ListedColormap(["white", "tab:blue", "tab:orange", "tab:purple"])
    titles = [
        _("fixed windows: A and B read the same {n} keys").format(n=M * M),
        _("sliding windows: A and B read different keys"),
    ]
    fig, axes = _figure(10, 5, 2)
    for ax, keys, title in zip(axes, key_sets, titles):
        ax.imshow(keys, cmap=colours, vmin=0, vmax=3, alpha=0.55, interpolation="nearest")
        for (y, x), name in zip(queries, "AB"):
            ax.text(x, y, name, ha="center", va="center", fontsize=13, fontweight="bold")
        _grid_lines(ax, S, S, 1, color="0.85", linewidth=0.5)  # thin lines between tokens
        _grid_lines(ax, S, S, M, color="black", linewidth=1.5)  # the fixed window grid, for reference
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=10)
    axes[1].legend(
        handles=[Rectangle((0, 0), 1, 1, color=colours(i), alpha=0.55) for i in (1, 2, 3)],
        labels=[_("only A's"), _("only B's"), _("both")],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=3,
        fontsize=9,
    )
    fig.tight_layout()
    return fig


# ---- figures of notebook 04


def gradient_reach_figure(reaches, titles, window_size: int, target, shift_size: int = 0, shifted=None, tiny=1e-30):
    """Which input tokens one output token depends on, shown as gradient sizes (notebook 04, section 1).

    ``reaches`` holds ``(H, W)`` tensors of ``|d output[target] / d input|`` (largest over the channels), one
    panel each, titled by ``titles``. Colour: log10 of the gradient from 1e-5 to 1; grey where it is exactly
    zero, pink where it is not zero but at most ``tiny``. Black lines: the regular windows of side
    ``window_size``; red dashed lines, on the panels where ``shifted`` is true: the windows displaced by
    ``shift_size`` (Fig. 2 of the paper). The star marks the output token ``target``.
    """
    reaches = [torch.as_tensor(r).detach().double() for r in reaches]
    shifted = [False] * len(reaches) if shifted is None else list(shifted)
    if not reaches or len(titles) != len(reaches) or len(shifted) != len(reaches):
        raise ValueError(f"need one title and one shifted flag per map, got {len(reaches)} maps, {len(titles)} titles")
    M = check_positive_int("window_size", window_size)
    colours = matplotlib.colormaps["viridis"].with_extremes(bad="0.85", under="pink")
    fig, axes = _figure(4 * len(reaches), 4.3, len(reaches))
    for ax, reach, title, shift in zip(axes, reaches, titles, shifted):
        H, W = reach.shape
        shown = reach.clamp_min(1e-300).log10()  # (H, W); exact zeros become NaN: drawn grey
        shown[reach == 0] = float("nan")
        image = ax.imshow(shown.numpy(), cmap=colours, vmin=-5, vmax=0, interpolation="nearest")
        _borders(ax, shifted_partition(H, W, M, 0))
        if shift:
            _borders(ax, shifted_partition(H, W, M, shift_size), color="tab:red", linewidth=1.5, linestyle="dashed")
        ax.plot(target[1], target[0], "*", color="white", markeredgecolor="black", markersize=15)
        ax.set_xticks(range(W))
        ax.set_yticks(range(H))
        ax.tick_params(labelsize=7)
        small = reach[(reach > 0) & (reach <= tiny)]
        note = ""
        if small.numel():
            note = _(" (+ {count} tiny, up to {largest})").format(count=small.numel(), largest=f"{small.max():.0e}")
        n = int((reach > tiny).sum())
        matter = count(n, N_("{n} input token matters"), N_("{n} input tokens matter"))
        ax.set_title(f"{title}\n{matter}{note}", fontsize=10)
    fig.colorbar(image, ax=axes, fraction=0.02, extend="min", label=_("log10 |gradient|"))
    return fig


# ---- figures of notebook 05

_MERGE_ROLES = (N_("x0: top-left"), N_("x1: bottom-left"), N_("x2: top-right"), N_("x3: bottom-right"))
_MERGE_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red")


def merge_figure(ids, merged) -> Figure:
    """Patch merging's gather on a small map of numbered tokens (Sec. 3.1; notebook 05, section 1).

    ``ids`` is the ``(H, W)`` map of token numbers (``H``, ``W`` even), ``merged`` the ``(H/2, W/2, 4)`` result
    of the gather on it (one channel, ``C = 1``). Left: the map, each token coloured by its role in its 2x2
    group (x0 top-left, x1 bottom-left, x2 top-right, x3 bottom-right, the official order), groups outlined.
    Right: each new token as its ``4C`` numbers in that order, then ``LN, Linear`` down to ``2C``.
    """
    ids, merged = np.asarray(ids), np.asarray(merged)
    H, W = ids.shape
    if H % 2 or W % 2 or merged.shape != (H // 2, W // 2, 4):
        raise ValueError(
            f"need an (H, W) map with even sides and its (H/2, W/2, 4) gather, got {ids.shape} and {merged.shape}"
        )
    role = np.zeros((H, W), dtype=int)  # which of x0..x3 each token is
    role[1::2, 0::2], role[0::2, 1::2], role[1::2, 1::2] = 1, 2, 3
    fig, (a, b) = _figure(10.5, 3.8, 2, gridspec_kw=dict(width_ratios=[1, 2]))
    for (i, j), value in np.ndenumerate(ids):
        a.add_patch(Rectangle((j, i), 1, 1, facecolor=_MERGE_COLORS[role[i, j]], alpha=0.5, edgecolor="white"))
        a.text(j + 0.5, i + 0.5, str(value), ha="center", va="center", fontsize=11)
    a.add_collection(
        LineCollection([[(t, 0), (t, H)] for t in range(0, W + 1, 2)] + [[(0, t), (W, t)] for t in range(0, H + 1, 2)],
                       colors="black", linewidths=2.5)
    )
    a.set_xlim(-0.1, W + 0.1)
    a.set_ylim(H + 0.1, -0.1)  # row 0 at the top
    a.set_aspect("equal")
    a.axis("off")
    a.set_title(_("input (1, {H}, {W}, C), here C = 1: 2×2 groups").format(H=H, W=W), fontsize=10)
    for t, (r, c) in enumerate(np.ndindex(H // 2, W // 2)):  # the new tokens, row by row
        y = 1.2 * t
        b.text(-0.2, y + 0.5, _("new token ({row}, {col})").format(row=r, col=c), ha="right", va="center", fontsize=10)
        for k in range(4):
            b.add_patch(Rectangle((k, y), 1, 1, facecolor=_MERGE_COLORS[k], alpha=0.5, edgecolor="white"))
            b.text(k + 0.5, y + 0.5, str(merged[r, c, k]), ha="center", va="center", fontsize=11)
        b.annotate("", xy=(5.4, y + 0.5), xytext=(4.15, y + 0.5), arrowprops=dict(arrowstyle="->"))
        b.add_patch(Rectangle((5.5, y), 2, 1, facecolor="0.6", alpha=0.7, edgecolor="white"))  # half as long
    for x, text in ((2, "4C = [x0; x1; x2; x3]"), (4.75, "LN, Linear"), (6.5, "2C")):
        b.text(x, -0.35, text, ha="center", fontsize=9)
    b.set_xlim(-2.6, 7.6)
    b.set_ylim(1.2 * (H // 2) * (W // 2) + 0.0, -0.8)
    b.set_aspect("equal")
    b.axis("off")
    b.set_title(_("output (1, {H}, {W}, 2C): each token made from one group").format(H=H // 2, W=W // 2), fontsize=10)
    handles = [Rectangle((0, 0), 1, 1, facecolor=c, alpha=0.5) for c in _MERGE_COLORS]
    roles = [_(role) for role in _MERGE_ROLES]
    b.legend(handles, roles, loc="lower center", bbox_to_anchor=(0.45, -0.22), ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def _principal_rgb(fmap: torch.Tensor) -> np.ndarray:
    """``(C, h, w)`` -> ``(h, w, 3)``: the map's three main directions over the channels, each scaled to [0, 1]."""
    f = fmap.detach().float().flatten(1).T  # (hw, C): one row per token
    f = f - f.mean(dim=0)
    *_us, v = torch.linalg.svd(f, full_matrices=False)  # rows of v: directions, strongest first
    p = (f @ v[:3].T).T.reshape(3, *fmap.shape[1:])  # (3, h, w)
    low, high = p.amin(dim=(1, 2), keepdim=True), p.amax(dim=(1, 2), keepdim=True)
    return ((p - low) / (high - low).clamp_min(1e-12)).permute(1, 2, 0).numpy()


def stage_maps_figure(image, maps) -> Figure:
    """An image and the feature maps of its stages (notebook 05, section 2).

    ``image`` is ``(3, H, W)`` with values in [0, 1]; ``maps`` are the stage outputs ``(1, C_i, H_i, W_i)``
    (``forward_features``). Top row: each map's mean over its channels. Bottom row: its three strongest
    directions of variation over the channels (a principal component analysis) as red, green and blue.
    """
    maps = [torch.as_tensor(m).detach() for m in maps]
    fig = Figure(figsize=(2.6 * (len(maps) + 1), 5.4), dpi=DPI)
    axes = fig.subplots(2, len(maps) + 1, squeeze=False)
    axes[0, 0].imshow(torch.as_tensor(image).detach().permute(1, 2, 0).clamp(0, 1).numpy())
    axes[0, 0].set_title(_("photo {shape}").format(shape=tuple(torch.as_tensor(image).shape)), fontsize=9)
    legend = _("top: mean over channels\n\nbottom: 3 principal\ncomponents as RGB")
    axes[1, 0].text(0.5, 0.5, legend, ha="center", va="center", fontsize=9)
    for i, m in enumerate(maps):
        axes[0, i + 1].imshow(m[0].mean(dim=0).float().numpy(), cmap="gray", interpolation="nearest")
        axes[0, i + 1].set_title(_("stage {stage}: {shape}").format(stage=i + 1, shape=tuple(m.shape)), fontsize=9)
        axes[1, i + 1].imshow(_principal_rgb(m[0]), interpolation="nearest")
        stride = torch.as_tensor(image).shape[-1] // m.shape[-1]
        axes[1, i + 1].set_title(
            _("stride {stride}: {h}×{w} tokens").format(stride=stride, h=m.shape[2], w=m.shape[3]), fontsize=9
        )
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[1, 0].axis("off")
    fig.tight_layout(h_pad=1.5)
    return fig


def loglog_figure(x, curves, xlabel: str, ylabel: str, title: str) -> Figure:
    """Curves on log-log axes against ``x`` (tokens), with ``x`` itself as the ticks (notebook 05, section 4).

    ``curves`` is a list of dicts: ``y`` (values, one per ``x``), and optional ``label`` (none: not in the legend),
    ``style`` (a matplotlib format string, default ``"o-"``), ``color``, ``alpha`` and ``notes`` (one text per
    point, written beside it).
    On log-log axes a cost ``y ~ x^k`` is a straight line of slope ``k``.
    """
    x = np.asarray(x, dtype=float)
    fig, (ax,) = _figure(7, 4.2)
    for curve in curves:
        y = np.asarray(curve["y"], dtype=float)
        if y.shape != x.shape:
            raise ValueError(f"each curve needs one value per x ({x.size}), got {y.size} for {curve.get('label')!r}")
        style = dict(color=curve.get("color"), alpha=curve.get("alpha", 1.0), label=curve.get("label"))
        ax.loglog(x, y, curve.get("style", "o-"), **style)
        for xi, yi, note in zip(x, y, curve.get("notes") or []):
            ax.annotate(note, (xi, yi), textcoords="offset points", xytext=(-6, 6), fontsize=8, ha="right")
    ax.minorticks_off()
    ax.set_xticks(x, [f"{int(n):,}" for n in x], fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig



# -------------------------------------------------------------------------------------- notebook 06: training


def _window_lines(ax, size: int, pixels: int, window_size: int, shift_size: int, color, linestyle) -> None:
    """Window borders of a ``size x size`` token map drawn on an image of ``pixels`` per token side."""
    for t in range(-shift_size, size, window_size):  # a border before token t (t - shift for the shifted grid)
        if 0 < t < size:
            ax.axvline(t * pixels - 0.5, color=color, linestyle=linestyle, linewidth=1.4)
            ax.axhline(t * pixels - 0.5, color=color, linestyle=linestyle, linewidth=1.4)


def task_figure(task, indices=(0, 1, 2, 3)) -> Figure:
    """Examples of a :class:`~swin_edu.data.SyntheticWindowsTask` with the windows of stage 1 drawn on them.

    Solid white lines: the regular windows (W-MSA); dashed yellow: the shifted windows (SW-MSA, shift
    ``window_size // 2``), whose cyclic wrap-around is not drawn. The pair (the only two touching marks) is
    ringed; the title gives the label. Tokens are ``task.patch_size`` pixels wide.
    """
    indices = [int(i) for i in indices]
    fig, axes = _figure(2.9 * len(indices), 3.3, ncols=len(indices))
    p, g, M = task.patch_size, task.grid, task.window_size
    for ax, i in zip(axes, indices):
        image, label = task[i]
        ax.imshow(image.permute(1, 2, 0).numpy(), interpolation="nearest")
        _window_lines(ax, g, p, M, 0, "white", "solid")
        _window_lines(ax, g, p, M, M // 2, "gold", (0, (3, 2)))
        (r0, c0), (r1, c1) = task.pairs[i]
        centre = ((c0 + c1 + 1) * p / 2 - 0.5, (r0 + r1 + 1) * p / 2 - 0.5)
        ax.add_patch(Circle(centre, 1.35 * p, fill=False, edgecolor="white", linewidth=1.2))
        apart = task.window_of(r0, c0) != task.window_of(r1, c1)
        together = task.window_of(r0, c0, shifted=True) == task.window_of(r1, c1, shifted=True)
        if task.rule == "red-blue":
            verdict = _("red touches blue") if label else _("red and blue apart")
        else:
            verdict = _("the pair has one colour") if label else _("the pair differs")
        where = (_("two windows") if apart else _("one window")) + (_(", one shifted window") if together else "")
        ax.set_title(
            _("#{i}: label {label}, {verdict}\nringed pair: {where}").format(
                i=i, label=label, verdict=verdict, where=where
            ),
            fontsize=8,
        )
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(
        _("{g}×{g} tokens of {p}×{p} pixels; {M}×{M}-token windows: regular (white), "
          "shifted by {s} (dashed yellow)").format(g=task.grid, p=p, M=M, s=M // 2),
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.93))  # room for the suptitle
    return fig


def _band(ax, x, runs, label, color, style="-"):
    """Mean over runs (rows) as a line, the min-max over runs as a band."""
    runs = np.atleast_2d(np.asarray(runs, dtype=float))
    mean = runs.mean(axis=0)
    seeds = _(" ({n} seeds)").format(n=len(runs)) if len(runs) > 1 else ""
    (line,) = ax.plot(x, mean, style, color=color, label=label + seeds)
    if len(runs) > 1:
        ax.fill_between(x, runs.min(axis=0), runs.max(axis=0), color=line.get_color(), alpha=0.2, linewidth=0)
    return line


def curves_figure(runs: dict, chance: float | None = None, title: str = "") -> Figure:
    """Training loss and held-out accuracy per epoch of several runs (notebook 06).

    ``runs`` maps a label to a :class:`~swin_edu.train.History`, or to a dict with ``train_loss`` and
    ``val_accuracy``, each a list of numbers (one run) or a list of such lists (one per seed: drawn as the
    mean with a band from the lowest to the highest seed). Optional ``style`` and ``color`` per dict.
    ``chance`` draws the accuracy of guessing as a dotted line.
    """
    fig, (loss_ax, acc_ax) = _figure(10, 3.6, ncols=2)
    for k, (label, run) in enumerate(runs.items()):
        data = run.to_dict() if hasattr(run, "to_dict") else dict(run)
        loss = np.atleast_2d(np.asarray(data["train_loss"], dtype=float))
        accuracy = np.atleast_2d(np.asarray(data["val_accuracy"], dtype=float))
        epochs = np.arange(1, loss.shape[1] + 1)
        color = data.get("color", f"C{k}")
        _band(loss_ax, epochs, loss, label, color, data.get("style", "-"))
        _band(acc_ax, np.arange(1, accuracy.shape[1] + 1), accuracy, label, color, data.get("style", "-"))
    if chance is not None:
        label = _("chance ({chance})").format(chance=f"{chance:.0%}")
        acc_ax.axhline(chance, color="grey", linestyle=":", linewidth=1, label=label)
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel(_("epoch"))
    loss_ax.set_ylabel(_("training loss (log scale)"))
    acc_ax.set_xlabel(_("epoch"))
    acc_ax.set_ylabel(_("held-out accuracy"))
    acc_ax.set_ylim(0, 1.02)
    acc_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, pos: f"{v:.0%}"))
    acc_ax.legend(fontsize=8, loc="lower right")
    loss_ax.set_title(_("training loss per epoch"), fontsize=9)
    acc_ax.set_title(_("held-out accuracy after each epoch"), fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def ablation_figure(rows, paper: dict | None = None, title: str = "") -> Figure:
    """Our ablation beside the paper's (notebook 06): one horizontal bar per variant.

    ``rows``: a list of dicts with ``variant`` (a label), ``mean`` and ``low``/``high`` (the spread over
    seeds, drawn as an error bar) and ``seeds``; ``paper``: variant label -> the paper's number (Table 4,
    ImageNet-1K top-1), drawn in a second panel when given.
    """
    rows = list(rows)
    labels = [r["variant"] for r in rows]
    y = np.arange(len(rows))[::-1]
    ncols = 2 if paper else 1
    fig, axes = _figure(10 if paper else 6, 0.55 * len(rows) + 1.4, ncols=ncols)
    ax = axes[0]
    means = np.array([r["mean"] for r in rows])
    errors = np.array([[r["mean"] - r["low"], r["high"] - r["mean"]] for r in rows]).T
    ax.barh(y, means, xerr=errors, color="tab:blue", alpha=0.8, capsize=3)
    for yi, r in zip(y, rows):
        spread = _("{mean} ({low}–{high}, {seeds} seeds)").format(
            mean=f"{r['mean']:.1%}", low=f"{r['low']:.1%}", high=f"{r['high']:.1%}", seeds=r["seeds"]
        )
        ax.text(0.01, yi, spread,
                va="center", fontsize=8, color="white", weight="bold")
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, pos: f"{v:.0%}"))
    ax.set_xlabel(_("held-out accuracy (mean; bar: lowest to highest seed)"))
    ax.set_title(title or _("ours"), fontsize=9)
    if paper:
        pax = axes[1]
        values = [paper.get(label) for label in labels]
        shown = [v if v is not None else 0.0 for v in values]
        pax.barh(y, shown, color="tab:orange", alpha=0.8)
        for yi, v in zip(y, values):
            pax.text(78.05, yi, _("not in Table 4") if v is None else f"{v:.1f}", va="center", fontsize=8)
        pax.set_xlim(78, 82)
        pax.set_yticks(y, [""] * len(y))
        pax.set_xlabel(_("ImageNet-1K top-1 (%), axis from 78"))
        pax.set_title(_("the paper, Table 4 (Swin-T)"), fontsize=9)
    fig.tight_layout()
    return fig


def attention_figure(image, maps: dict, query: tuple[int, int], patch_size: int, window_size: int) -> Figure:
    """Where one query token attends, on the input image (notebook 06).

    ``image``: ``(3, H, W)`` in [0, 1]. ``maps``: title -> ``(shift_size, weights)`` with ``weights`` a
    ``(h, w)`` array (the query's attention over the token map, e.g. a row of
    :func:`swin_edu.swin.attention_maps` averaged over heads). The query is ringed; the windows of the block
    (shifted by ``shift_size``) are drawn.
    """
    picture = torch.as_tensor(image).detach().permute(1, 2, 0).clamp(0, 1).numpy()
    fig, axes = _figure(3.0 * (len(maps) + 1), 3.3, ncols=len(maps) + 1)
    r, c = query
    p = patch_size
    axes[0].imshow(picture, interpolation="nearest")
    axes[0].add_patch(Rectangle((c * p - 0.5, r * p - 0.5), p, p, fill=False, edgecolor="white", linewidth=2))
    axes[0].set_title(_("input; query token ({row}, {col}) boxed").format(row=r, col=c), fontsize=9)
    for ax, (title, (shift, weights)) in zip(axes[1:], maps.items()):
        weights = np.asarray(weights, dtype=float)
        grid = weights.shape[0]
        ax.imshow(picture * 0.35, interpolation="nearest")
        heat = np.kron(weights / max(weights.max(), 1e-12), np.ones((p, p)))  # token weights at pixel size
        overlay = np.zeros(heat.shape + (4,))
        overlay[..., :3] = (1.0, 1.0, 1.0)
        overlay[..., 3] = heat * 0.9
        ax.imshow(overlay, interpolation="nearest")
        _window_lines(ax, grid, p, window_size, shift, "gold" if shift else "deepskyblue", (0, (3, 2)) if shift else "solid")
        ax.add_patch(Rectangle((c * p - 0.5, r * p - 0.5), p, p, fill=False, edgecolor="red", linewidth=1.5))
        ax.set_title(title, fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig

# ---------------------------------------------------------------------------------------- notebook 07: Res2Net

#: the token map of the multi-scale pictures: Swin-T's stage-1 map of a 224x224 image (stride 4, like
#: Res2Net-50's stage 1), and the followed token: near the map's centre, at the centre of a 7x7 window
MULTI_SCALE_SIDE = 56
MULTI_SCALE_SOURCE = (31, 31)


@contextlib.contextmanager
def _one_thread():
    """Small tensors on one thread: on a busy 2-core machine two threads wait on each other (measured 10x)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@torch.no_grad()
def _positive_(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Positive convolution weights and eval mode: every path carries a positive gradient, so the gradient
    reach of an output is its whole receptive field, with no cancellation and no closed ReLU."""
    generator = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.weight.copy_(torch.rand(m.weight.shape, generator=generator) + 0.1)
    return module.eval()


def _extent(seen: torch.Tensor) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` of the True entries of an (H, W) map (inclusive)."""
    rows = seen.any(dim=1).nonzero().flatten()
    cols = seen.any(dim=0).nonzero().flatten()
    return int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())


def _partition_lines(ax, side: int, window: int, shift: int, **style) -> None:
    """The window borders of a ``side x side`` map (windows of ``window`` displaced by ``shift``) as straight
    lines, and the map's outline: what :func:`_borders` draws, fast enough for a 56x56 map in an explorer."""
    cuts = [k for k in range(1, side) if (k - shift) % window == 0]
    lines = [[(k - 0.5, -0.5), (k - 0.5, side - 0.5)] for k in cuts]
    lines += [[(-0.5, k - 0.5), (side - 0.5, k - 0.5)] for k in cuts]
    ax.add_collection(LineCollection(lines, colors=style.get("color", "black"), linewidths=style.get("linewidth", 1.0),
                                     linestyles=style.get("linestyle", "solid")))
    ax.add_patch(Rectangle((-0.5, -0.5), side, side, fill=False, edgecolor="black", linewidth=1.0))


def group_reach(scale: int, blocks: int = 1, side: int = MULTI_SCALE_SIDE, source=MULTI_SCALE_SOURCE) -> torch.Tensor:
    """Which tokens of a ``side x side`` map each output group of the last of ``blocks`` Res2Net blocks sees,
    **measured** by gradients (notebook 07, section 3).

    The blocks are :class:`~swin_edu.res2net.Bottle2neck` s of the library (``"normal"``, stride 1, as inside a
    stage) with one channel per group and positive weights: geometry only, the real code path. For group ``i`` of
    the last block's :meth:`~swin_edu.res2net.Bottle2neck.multi_scale` outputs (official order: ``y_1 .. y_n``,
    then the group passed through), the gradient of its value at ``source`` is taken with respect to the stack's
    input. Returns a bool tensor ``(scale, side, side)``: True where that gradient is not zero.
    """
    scale = check_positive_int("scale", scale)
    blocks = check_positive_int("blocks", blocks)
    side = check_positive_int("side", side)
    r, c = source
    if not (0 <= r < side and 0 <= c < side):
        raise ValueError(f"source {tuple(source)} lies outside the {side}x{side} map")
    with _one_thread(), torch.random.fork_rng(devices=[]):
        stack = [
            _positive_(res2net.Bottle2neck(4, 1, base_width=64, scale=scale), seed=k) for k in range(blocks)
        ]  # 4 -> 4 channels, groups of w = 1 * 64 // 64 = 1 channel
        x = torch.ones(scale, 4, side, side, requires_grad=True)  # one copy of the map per group
        y = x
        for block in stack[:-1]:
            y = block(y)  # (s, 4, side, side)
        last = stack[-1]
        out = last.relu(last.bn1(last.conv1(y)))  # (s, s, side, side): s groups of one channel
        groups = last.multi_scale(res2net.split_scales(out, scale))  # s x (s, 1, side, side)
        picked = sum(g[i, :, r, c].sum() for i, g in enumerate(groups))  # copy i follows group i
        (grad,) = torch.autograd.grad(picked, x)
    return grad.abs().sum(dim=1) > 0  # (s, side, side)


def multi_scale_figure(scale: int = 4, blocks: int = 1, window_size: int = 7) -> Figure:
    """Multi-scale inside one block (Res2Net) beside a hierarchy of windows (Swin), on one token map.

    Left: the receptive field of each output group of the ``blocks``-th Res2Net block, measured by
    :func:`group_reach` on a 56x56 map (Swin-T's stage 1 at 224x224, stride 4 like Res2Net-50's stage 1): each
    token coloured by how many groups see it, each group's square outlined and named. Right: Swin's reach after
    as many blocks (:func:`~swin_edu.windows.receptive_field`, W-MSA and SW-MSA in turn, windows of
    ``window_size``): each token coloured by the block that first brought the source's information.
    """
    return multi_scale_picture(scale, blocks, window_size).figure


def multi_scale_picture(scale: int = 4, blocks: int = 1, window_size: int = 7) -> Picture:
    """:func:`multi_scale_figure` with the numbers it draws, computed once.

    ``data``: ``scale``, ``blocks`` and ``window_size`` as given, ``side`` and ``source`` (the map and the
    followed token), ``groups`` (``(scale, side, side)`` bool, :func:`group_reach`), ``extents`` (per group
    ``(rows, cols)`` of the square it sees), ``labels`` (the groups' names, ``y1 ..``, ``x4`` for the one passed
    through), ``clipped`` (per group: whether the map's border cuts its square short), ``swin`` (after which
    block each token first holds the source's information, -1 if not yet), ``swin_extent`` (``(rows, cols)`` of
    the tokens reached), ``swin_reached`` (their number) and the ``geometry`` of Swin's shifted blocks.
    """
    scale = check_positive_int("scale", scale)
    blocks = check_positive_int("blocks", blocks)
    window_size = check_positive_int("window_size", window_size)
    side, source = MULTI_SCALE_SIDE, MULTI_SCALE_SOURCE
    with _one_thread():  # the geometry of small maps: one thread is ten times faster on a busy machine
        groups = group_reach(scale, blocks, side, source)  # (s, side, side)
        swin_first = receptive_field(side, side, window_size, source, blocks, True)
    bounds = [_extent(g) for g in groups]
    extents = [(b - t + 1, r - l + 1) for t, b, l, r in bounds]
    row, col = source
    clipped = [row - t != b - row or col - l != r - col for t, b, l, r in bounds]  # a centred square, cut short
    labels = [f"y{i + 1}" for i in range(max(1, scale - 1))] + ([f"x{scale}"] if scale > 1 else [])
    g = geometry(side, side, window_size, window_size // 2)
    reached = swin_first >= 0
    t, b, l, r = _extent(reached)

    fig, (a, s_ax) = _figure(10.5, 5.0, 2)
    seen = groups.sum(dim=0).numpy().astype(float)  # (side, side): how many groups see each token
    cmap = matplotlib.colormaps["viridis"].resampled(scale + 1).with_extremes(under="0.93")
    seen[seen == 0] = -1
    a.imshow(seen, cmap=cmap, vmin=0.5, vmax=scale + 0.5, interpolation="nearest")
    order = sorted(range(scale), key=lambda i: extents[i][0])
    for rank, i in enumerate(order):
        top, bottom, left, right = bounds[i]
        colour = "white" if rank < scale - 1 else "black"
        a.add_patch(Rectangle((left - 0.5, top - 0.5), right - left + 1, bottom - top + 1, fill=False,
                              edgecolor=colour, linewidth=1.0))
    a.plot([source[1]], [source[0]], marker="*", color="tab:red", markersize=9)
    a.set_xticks([])
    a.set_yticks([])
    what = _("ResNet bottleneck (s = 1)") if scale == 1 else f"Res2Net, s = {scale}"
    biggest = max(e[0] for e in extents)
    a.set_title(
        _("{what}: the receptive fields of the {groups} of block {block}").format(
            what=what, groups=count(scale, N_("{n} group"), N_("{n} groups")), block=blocks
        )
        + "\n"
        + ", ".join(f"{name} {e[0]}" for name, e in zip(labels, extents))
        + (_(" (clipped by the map)") if any(clipped) else _("; largest {side}x{side}").format(side=biggest)),
        fontsize=9,
    )
    swin_values = torch.where(reached, swin_first, -1).numpy().astype(float)
    swin_cmap = matplotlib.colormaps["plasma"].resampled(blocks + 1).with_extremes(under="0.93")
    s_ax.imshow(swin_values, cmap=swin_cmap, vmin=-0.5, vmax=blocks + 0.5, interpolation="nearest")
    _partition_lines(s_ax, side, g["window"], 0, color="black", linewidth=0.8, linestyle="solid")
    if g["shift"]:
        _partition_lines(s_ax, side, g["window"], g["shift"], color="tab:cyan", linewidth=0.8, linestyle="dashed")
    s_ax.plot([source[1]], [source[0]], marker="*", color="tab:red", markersize=9)
    s_ax.set_xticks([])
    s_ax.set_yticks([])
    s_ax.set_title(
        _("Swin, M = {M}: {blocks} (W-MSA / SW-MSA)\n"
          "reach {rows}x{cols} tokens ({reached} of {total}); colour = block").format(
            M=g["window"],
            blocks=count(blocks, N_("{n} block"), N_("{n} blocks")),
            rows=b - t + 1,
            cols=r - l + 1,
            reached=int(reached.sum()),
            total=side * side,
        ),
        fontsize=9,
    )
    fig.suptitle(
        _("one token of a {side}x{side} map (stride 4: Swin-T's stage 1 at 224x224, like Res2Net-50's stage 1), "
          "measured").format(side=side), fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.86, wspace=0.05)
    data = dict(
        scale=scale,
        blocks=blocks,
        window_size=window_size,
        side=side,
        source=source,
        groups=groups,
        extents=extents,
        labels=labels,
        clipped=clipped,
        swin=swin_first,
        swin_extent=(b - t + 1, r - l + 1),
        swin_reached=int(reached.sum()),
        geometry=g,
    )
    return Picture(fig, data)


def group_dependency_figure(depends, fields=None) -> Figure:
    """Which input group each output group of one Res2Net block depends on (notebook 07, section 2).

    ``depends``: an ``(s, s)`` array of booleans, row ``i`` = output group ``i`` (in concatenation order), column
    ``j`` = input group ``x_j``; ``fields`` (optional): each output group's receptive field side, written on
    the right.
    """
    depends = np.asarray(depends, dtype=bool)
    s = depends.shape[0]
    if depends.shape != (s, s):
        raise ValueError(f"depends must be a square (s, s) array, got shape {depends.shape}")
    fig, (ax,) = _figure(1.2 + 0.55 * s + (1.2 if fields is not None else 0), 1.3 + 0.5 * s)
    ax.imshow(depends, cmap=ListedColormap(["0.93", "tab:blue"]), vmin=0, vmax=1, interpolation="nearest")
    for (i, j), v in np.ndenumerate(depends):
        ax.text(j, i, "✓" if v else "", ha="center", va="center", color="white", fontsize=10)
    names = [f"y{i + 1}" for i in range(s - 1)] + [_("x{s} (as is)").format(s=s)] if s > 1 else ["y1"]
    ax.set_xticks(range(s), [f"x{j + 1}" for j in range(s)], fontsize=8)
    ax.set_yticks(range(s), names, fontsize=8)
    ax.set_xlabel(_("input group"), fontsize=9)
    ax.set_ylabel(_("output group"), fontsize=9)
    if fields is not None:
        for i, f in enumerate(fields):
            ax.text(s - 0.3, i, f"  {f}x{f}", va="center", ha="left", fontsize=8)
    ax.set_title(_("depends on (measured by gradients)"), fontsize=9)
    fig.tight_layout()
    return fig


def receptive_growth_figure(by_block: dict, by_stage: dict,
                            stage_names=(N_("stage 1"), N_("stage 2"), N_("stage 3"), N_("stage 4")),
                            map_side: int | None = None) -> Figure:
    """Receptive fields growing with depth (notebook 07, section 3): two panels.

    ``by_block``: label -> sides (in tokens) after 1, 2, ... blocks at one stride; ``by_stage``: label -> the side
    after each stage. Sides are in stage-1 tokens (stride 4). ``map_side``, if given, draws the side of the
    map (everything beyond it is the whole image).
    """
    fig, (a, b) = _figure(11, 4.0, 2)
    styles = ["o-", "s-", "^-", "D--", "v:"]
    for k, (label, sides) in enumerate(by_block.items()):
        a.plot(range(1, len(sides) + 1), sides, styles[k % len(styles)], label=label, color=f"C{k}")
    a.set_xlabel(_("blocks"), fontsize=9)
    a.set_ylabel(_("receptive field side (tokens)"), fontsize=9)
    a.set_title(_("inside one stage (stride 1)"), fontsize=9)
    a.legend(fontsize=8)
    width = 0.8 / max(len(by_stage), 1)
    x = np.arange(len(stage_names))
    for k, (label, sides) in enumerate(by_stage.items()):
        bars = b.bar(x + (k - (len(by_stage) - 1) / 2) * width, sides, width, label=label, color=f"C{k}")
        for bar, v in zip(bars, sides):
            b.text(bar.get_x() + bar.get_width() / 2, v, str(v), ha="center", va="bottom", fontsize=7)
    b.set_xticks(x, [_(name) for name in stage_names], fontsize=8)  # the default names are marked N_
    b.set_title(_("at the end of each stage (whole networks)"), fontsize=9)
    if map_side is not None:
        for ax in (a, b):
            ax.axhline(map_side, color="0.5", linestyle=":", linewidth=1)
        image = _(" {side}: a 224x224 image").format(side=map_side)
        b.text(-0.45, map_side, image, fontsize=7, va="bottom", color="0.3")
    b.legend(fontsize=8)
    for ax in (a, b):
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    return fig


def block_cost_figure(rows) -> Figure:
    """Parameters and MACs of bottleneck blocks (notebook 07, section 4): ``rows`` of dicts with ``label``,
    ``params``, ``macs`` and ``kind`` (``"resnet"`` or ``"res2net"``), in the order drawn."""
    rows = list(rows)
    fig, axes = _figure(11, 0.42 * len(rows) + 1.3, 2)
    y = np.arange(len(rows))[::-1]
    colours = ["tab:orange" if r["kind"] == "resnet" else "tab:blue" for r in rows]
    for ax, key, unit, scale in ((axes[0], "params", _("thousand parameters"), 1e3), (axes[1], "macs", "MMACs", 1e6)):
        values = [r[key] / scale for r in rows]
        ax.barh(y, values, color=colours, alpha=0.85)
        for yi, v in zip(y, values):
            ax.text(v, yi, f" {v:,.0f}", va="center", fontsize=7)
        ax.set_xlabel(unit, fontsize=9)
        ax.set_xlim(0, max(values) * 1.18)
        ax.tick_params(labelsize=8)
    axes[0].set_yticks(y, [r["label"] for r in rows], fontsize=8)
    axes[1].set_yticks(y, [""] * len(rows))
    axes[0].set_title(_("parameters of one block"), fontsize=9)
    axes[1].set_title(_("MACs of one block on a 56x56 map"), fontsize=9)
    fig.tight_layout()
    return fig


def two_pyramids_figure(res2net_rows, swin_rows, names=("Res2Net-50", "Swin-T")) -> Figure:
    """Two feature pyramids stage by stage (notebook 07, section 5): MACs per stage side by side, and the
    maps (``H x W x C``, stride) under the bars. ``res2net_rows`` from
    :func:`~swin_edu.complexity.res2net_stage_summary`, ``swin_rows`` from
    :func:`~swin_edu.complexity.stage_summary`."""
    fig, (ax,) = _figure(10, 4.2)
    x = np.arange(len(res2net_rows))
    pyramids = ((res2net_rows, names[0], "tab:blue"), (swin_rows, names[1], "tab:purple"))
    for k, (rows, name, colour) in enumerate(pyramids):
        values = [r["macs"] / 1e9 for r in rows]
        bars = ax.bar(x + (k - 0.5) * 0.38, values, 0.36, color=colour, alpha=0.85,
                      label=_("{name}: {macs} GMACs in the stages").format(name=name, macs=f"{sum(values):.2f}"))
        for bar, v, r in zip(bars, values, rows):
            ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v:.2f}\n{r['height']}x{r['width']}x{r['channels']}",
                    ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, [_("stage {stage}\nstride {stride}").format(stage=r["stage"], stride=r["stride"])
                      for r in res2net_rows], fontsize=8)
    ax.set_ylabel(_("GMACs per stage"), fontsize=9)
    ax.set_ylim(0, max(r["macs"] for r in [*res2net_rows, *swin_rows]) / 1e9 * 1.3)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(_("two pyramids at 224x224: the same strides, different widths and costs"), fontsize=10)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------------------------- stills

#: The still pictures the README and the notebooks use: file name -> function making it.
STILLS = {
    "roadmap.png": roadmap_figure,
    "vit_vs_pyramid.png": lambda: pyramid_figure(224),
    "shifted_windows.png": lambda: shift_figure(8, 8, 4, 2),
    "attention_mask.png": lambda: mask_figure(8, 8, 4, 2),
    "msa_vs_wmsa.png": lambda: complexity_figure(56, 56, 96, 7),
    "relative_position.png": lambda: relative_position_figure(4, (1, 2)),
    "receptive_field.png": lambda: receptive_field_figure(16, 16, 4, (5, 6), 3, True),
    "hierarchy.png": lambda: hierarchy_figure("swin_t", 224),
}


def save_stills(folder: str | pathlib.Path, names=None) -> list[pathlib.Path]:
    """Write the figures of :data:`STILLS` (or only ``names``) as PNG into ``folder``; return their paths."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names or STILLS:
        path = folder / name
        STILLS[name]().savefig(path, dpi=DPI, metadata={"Software": None})
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in save_stills(sys.argv[1] if len(sys.argv) > 1 else "figures"):
        print(f"wrote {written}")
