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

import io
import math
import pathlib
import sys

import matplotlib
import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from . import complexity, swin
from ._checks import check_positive_int
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
    "geometry",
    "png_bytes",
    "STILLS",
    "save_stills",
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
    notes = []
    if m != window_size:
        notes.append(
            f"the {height}x{width} map is no larger than a {window_size}x{window_size} window, so Swin uses "
            f"{m}x{m} windows and no shift"
        )
    elif s != shift_size:
        notes.append(
            f"the {height}x{width} map is exactly one {m}x{m} window: there is nothing to shift, so Swin uses no shift"
        )
    if grid.padded:
        notes.append(f"{height}x{width} is not a multiple of {m}: the block pads it to {Hp}x{Wp} (grey)")
    return dict(window=m, shift=s, Hp=Hp, Wp=Wp, n_windows=grid.n_windows, note="; ".join(notes))


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG bytes, compressed lightly: drawing speed matters more than size in a widget."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


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

    fig, (a, b, c) = _figure(11, 4.1, 3)
    _tokens(
        a, regular % 20, WINDOW_COLORS, 0, 19, f"layer l: regular windows (W-MSA)\n{g['n_windows']} windows of {m}x{m}"
    )
    _borders(a, regular)
    _tokens(b, naive % 20, WINDOW_COLORS, 0, 19, f"layer l+1: shifted by s={s}, naive\n{n_naive} windows, some smaller")
    _borders(b, naive)
    _tokens(
        c,
        labels,
        REGION_COLORS,
        0,
        8,
        f"cyclic shift (roll by -{s}): {g['n_windows']} windows\ncolour = region label, letter = naive window",
    )
    _borders(c, regular)
    _borders(c, labels, color="0.35", linewidth=0.8, linestyle="dashed")
    if n_naive <= 64:  # each naive window lettered, before and after the roll (it stays in one piece)
        _label_pieces(b, naive, _letter)
        _label_pieces(c, rolled_naive, _letter)
    for ax, pad in ((a, padded), (b, padded), (c, rolled_padded)):
        _shade_padding(ax, pad)
    fig.suptitle(
        f"{height}x{width} tokens, window M={m}, shift s={s}" + (f"  ({g['note']})" if g["note"] else ""), fontsize=9
    )
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.8, wspace=0.08)
    return fig


def mask_figure(
    height: int = 8, width: int = 8, window_size: int = 4, shift_size: int = 2, window: int | None = None
) -> Figure:
    """One window of a cyclically shifted map: its region labels and its ``N x N`` attention mask.

    ``window`` numbers the windows row by row (default: the last one, bottom right, which holds four
    regions). Mask entries are 0 where query and key come from the same region and -100 elsewhere
    (:func:`~swin_edu.windows.shifted_window_mask`).
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
    _tokens(a, labels, REGION_COLORS, 0, 8, f"shifted map: window {window} (row {row}, col {col})")
    _borders(a, _window_ids(Hp, Wp, m), linewidth=1.2)
    a.add_patch(Rectangle((col * m - 0.5, row * m - 0.5), m, m, fill=False, edgecolor="red", linewidth=3))
    _tokens(b, inside, REGION_COLORS, 0, 8, f"its {m}x{m} tokens by region label\n(token t = row * {m} + col)")
    _label_pieces(b, inside, fontsize=11)
    c.imshow(mask.numpy(), cmap=ListedColormap(["0.15", "white"]), vmin=-100, vmax=0, interpolation="nearest")
    for k in range(m, N, m):  # group queries and keys by the window row they sit in
        c.axhline(k - 0.5, color="tab:blue", linewidth=0.5)
        c.axvline(k - 0.5, color="tab:blue", linewidth=0.5)
    c.set_title(f"mask, {N}x{N}: white 0, black -100\n{int((mask == 0).sum())} of {N * N} pairs may attend", fontsize=9)
    c.set_xlabel("key token", fontsize=8)
    c.set_ylabel("query token", fontsize=8)
    c.tick_params(labelsize=7)
    fig.suptitle(f"{height}x{width} tokens, M={m}, s={s}" + (f"  ({g['note']})" if g["note"] else ""), fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.12, top=0.8, wspace=0.15)
    return fig


def complexity_figure(h: int = 56, w: int = 56, C: int = 96, M: int = 7) -> Figure:
    """Omega(MSA) and Omega(W-MSA) (Eq. 1 and 2) against the number of tokens, on log axes.

    The curves are for square maps with the given ``C`` and ``M``; the marked points are the ``h x w``
    map. The dotted line is the ``4hwC^2`` of the projections that both share: where the MSA curve leaves
    it, the ``(hw)^2`` term has taken over.
    """
    h, w, C, M = (check_positive_int(n, v) for n, v in (("h", h), ("w", w), ("C", C), ("M", M)))
    sides = np.unique(np.geomspace(1, max(4 * max(h, w), 256), 200).astype(int))
    n = sides**2
    msa = [complexity.msa_macs(int(x), int(x), C) for x in sides]
    wmsa = [complexity.wmsa_macs(int(x), int(x), C, M) for x in sides]
    here_msa, here_wmsa = complexity.msa_macs(h, w, C), complexity.wmsa_macs(h, w, C, M)

    fig, (ax,) = _figure(7.5, 4.2)
    ax.loglog(n, msa, color="tab:red", label="MSA: 4hwC² + 2(hw)²C")
    ax.loglog(n, wmsa, color="tab:blue", label=f"W-MSA: 4hwC² + 2M²hwC, M={M}")
    ax.loglog(n, 4 * n * C**2, color="0.5", linestyle="dotted", label="4hwC² (projections)")
    ax.plot([h * w], [here_msa], "o", color="tab:red")
    ax.plot([h * w], [here_wmsa], "o", color="tab:blue")
    ax.axvline(h * w, color="0.7", linewidth=0.8)
    for axis in (ax.xaxis, ax.yaxis):  # plain-text powers of ten (mathtext labels are slow to draw)
        axis.set_major_locator(LogLocator(base=10, numticks=8))
        axis.set_major_formatter(FuncFormatter(_power_of_ten))
        axis.set_minor_locator(NullLocator())
    ax.set_xlabel("tokens hw", fontsize=9)
    ax.set_ylabel("multiply-accumulates", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(
        f"{h}x{w} tokens, C={C}: MSA {here_msa / 1e9:.3g} G, W-MSA {here_wmsa / 1e9:.3g} G, "
        f"ratio {here_msa / here_wmsa:.3g}",
        fontsize=9,
    )
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.13, top=0.9)
    return fig


def relative_position_figure(window_size: int = 4, query: tuple[int, int] = (1, 2), bias_table=None) -> Figure:
    """Which rows of the relative position bias table (Eq. 4) one query reads.

    Left: the window, each key labelled with its row of the ``(2M-1)^2`` table
    (:func:`~swin_edu.windows.relative_position_index`), the query circled. Middle: the table as a
    ``(2M-1) x (2M-1)`` grid of offsets; the query uses the ``M x M`` block outlined in red (the window,
    mirrored). With ``bias_table`` (one head's ``((2M-1)^2,)`` learned biases) the grid shows the learned
    values, and a third panel the biases the query adds to its logits.
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
    fig, axes = _figure(4.0 * (3 if has_bias else 2), 4.2, 3 if has_bias else 2)
    a, b = axes[0], axes[1]
    _tokens(
        a,
        row,
        "viridis",
        0,
        side * side - 1,
        f"window {M}x{M}: table row of each key\nfor the query at (row {qy}, col {qx})",
    )
    if M <= 5:  # larger windows: the colour says it
        _label_tokens(a, row, fontsize=7)
    a.add_patch(Circle((qx, qy), 0.45, fill=False, edgecolor="red", linewidth=2))
    grid = (bias_table if has_bias else torch.arange(side * side)).reshape(side, side)
    extent = (-(M - 1) - 0.5, M - 1 + 0.5, M - 1 + 0.5, -(M - 1) - 0.5)
    b.imshow(grid.numpy(), cmap="coolwarm" if has_bias else "viridis", interpolation="nearest", extent=extent)
    b.add_patch(Rectangle((qx - M + 0.5, qy - M + 0.5), M, M, fill=False, edgecolor="red", linewidth=2.5))
    b.set_title(
        f"the {side}x{side} table ({'learned bias' if has_bias else 'row numbers'})\nred: the {M * M} rows this query reads",
        fontsize=9,
    )
    b.set_xlabel("x_query - x_key", fontsize=8)
    b.set_ylabel("y_query - y_key", fontsize=8)
    b.tick_params(labelsize=7)
    if has_bias:
        c = axes[2]
        values = bias_table[row.reshape(-1)].reshape(M, M)
        _tokens(c, values, "coolwarm", None, None, "bias added to the query's logits\n(one per key)")
        c.add_patch(Circle((qx, qy), 0.45, fill=False, edgecolor="black", linewidth=2))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.12, top=0.85, wspace=0.25)
    return fig


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
        f"after {blocks} block{'s' if blocks != 1 else ''} ({'W-MSA / SW-MSA' if shift else 'W-MSA only'}): "
        f"{reached} of {height * width} tokens\ncolour = block that reached it",
        fontsize=9,
    )
    bar = fig.colorbar(a.images[0], ax=a, ticks=range(max(blocks, 1) + 1), fraction=0.046)
    bar.ax.tick_params(labelsize=7)
    steps = range(depth + 1)
    b.plot(steps, counts[True], "o-", color="tab:purple", label="with shift (Swin)")
    b.plot(steps, counts[False], "s--", color="0.4", label="without shift")
    b.axvline(blocks, color="0.7", linewidth=0.8)
    b.axhline(height * width, color="0.8", linewidth=0.8)
    b.set_xlabel("blocks", fontsize=9)
    b.set_ylabel("tokens reached", fontsize=9)
    b.tick_params(labelsize=8)
    b.legend(fontsize=8)
    fig.suptitle(f"{height}x{width} tokens, M={g['window']}, source at {tuple(source)}", fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.97, bottom=0.12, top=0.84, wspace=0.2)
    return fig


def hierarchy_figure(variant: str = "swin_t", img_size: int | tuple[int, int] = 224, window_size: int = 7) -> Figure:
    """The hierarchy: each stage's MACs, and its feature map beside ResNet-50's (Fig. 3a).

    Left: MACs of the patch embedding, the four stages (merging included) and the head
    (:func:`~swin_edu.complexity.macs_by_part`). Right: the four feature maps as squares scaled to their
    side, Swin's beside ResNet-50's, labelled ``H x W x C``: the strides match, so Swin can replace
    ResNet under an FPN or a U-Net.
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
    a.set_ylabel("GMACs (paper: FLOPs)", fontsize=9)
    a.tick_params(labelsize=8)
    a.set_title(f"{variant.replace('_', '-').title()} at {img_size}: {sum(parts.values()) / 1e9:.2f} GMACs", fontsize=9)
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
    b.set_title("feature maps per stage: stride, H x W x C", fontsize=9)
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.1, top=0.9, wspace=0.1)
    return fig


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
    vit = [dict(label=f"after block {b}", stride=16, height=n, width=n, channels=768) for b in (3, 6, 9, 12)]
    pitch = resnet[0]["width"] * 1.2  # column spacing, in tokens
    cells = resnet[0]["width"] <= 64  # one cell per token where the lines can be told apart
    rows = (
        ("ViT-B/16", "one map, stride 16,\nin every block", vit, "tab:purple"),
        ("ResNet-50", "a pyramid: strides\n4, 8, 16, 32\n(FPN, U-Net use all)", resnet, "tab:orange"),
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
    title = f"feature maps of a {side}x{side} image, drawn to one scale" + (", one cell per token" if cells else "")
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
        ("01", "attention", "scaled dot-product,\nmulti-head self-attention", "tab:purple"),
        ("02", "ViT", "patches become tokens;\npre-norm block: LN, MLP, residual", "tab:green"),
        ("03", "window attention", "W-MSA: attention inside\nM×M windows, linear in hw", "tab:blue"),
        ("04", "shifted windows", "SW-MSA: cyclic shift + mask\nconnect neighbouring windows", "tab:orange"),
        ("05", "hierarchy", "patch merging: strides\n4, 8, 16, 32 as in a CNN", "tab:red"),
    )
    colors = {number: color for number, _, _, color in steps}
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
    ax.text(0.3, 7.3, "The course path: one notebook per step", fontsize=11, weight="bold", va="center")
    w, gap = 2.1, 0.45
    for i, (number, step, builds, _) in enumerate(steps):
        x = 0.35 + i * (w + gap)
        box(x, 6.0, w, 0.95, number)
        ax.text(x + w / 2, 6.74, f"{number}  {step}", ha="center", va="center", fontsize=10, weight="bold")
        ax.text(x + w / 2, 6.3, builds, ha="center", va="center", fontsize=8.5, linespacing=1.3)
        if i:
            arrow(x - gap + 0.05, 6.475, x - 0.05, 6.475)

    # middle: image -> embedding -> stages, with patch merging between them
    ax.text(0.3, 5.6, "Swin-T (Fig. 3a): where each step lives", fontsize=11, weight="bold", va="center")
    top, bottom = 5.25, 2.85
    mid, side = (top + bottom) / 2, 1.3
    ax.add_patch(Rectangle((0.3, mid - side / 2), side, side, facecolor="0.9", edgecolor="0.3"))
    for k in range(1, 8):  # a hint of the patch grid
        ax.plot([0.3 + k * side / 8] * 2, [mid - side / 2, mid + side / 2], color="0.6", lw=0.5)
        ax.plot([0.3, 0.3 + side], [mid - side / 2 + k * side / 8] * 2, color="0.6", lw=0.5)
    ax.text(0.3 + side / 2, mid - side / 2 - 0.1, f"image\n{img_h}×{img_w}×3", ha="center", va="top", fontsize=9)
    arrow(1.6, mid, 1.9, mid)
    embedding = f"patch partition {p}×{p}\n+ linear embedding\n→ C = {stages[0]['channels']}   (02)"
    box(1.9, bottom, 0.75, top - bottom, "02", embedding, rotation=90)
    arrow(2.65, mid, 2.95, mid)
    x, sw, mw = 2.95, 1.6, 0.55  # left edge, stage width, merging width
    centers = []
    for r, layer in zip(stages, model.layers):
        ax.add_patch(Rectangle((x, bottom), sw, top - bottom, facecolor="none", edgecolor="0.3", lw=1.2))
        ax.text(x + sw / 2, top - 0.25, f"stage {r['stage']}", ha="center", va="center", fontsize=10, weight="bold")
        box(x + 0.12, 4.15, sw - 0.24, 0.52, "03", "W-MSA block (03)")
        _, shift = layer.blocks[-1].window_and_shift(r["height"], r["width"])  # 0 where the map is one window
        box(x + 0.12, 3.55, sw - 0.24, 0.52, "04", "SW-MSA block (04)" + ("" if shift else "\nno shift: 1 window"))
        pairs = r["blocks"] // 2
        pairs_text = f"× {pairs} pair{'s' if pairs > 1 else ''}: {r['blocks']} blocks"
        ax.text(x + sw / 2, 3.15, pairs_text, ha="center", va="center", fontsize=8.5)
        centers.append(x + sw / 2)
        x += sw
        if r["stage"] < len(stages):
            arrow(x, mid, x + 0.2, mid)
            box(x + 0.2, bottom + 0.3, mw, top - bottom - 0.6, "05", "patch merging (05)", rotation=90)
            arrow(x + 0.2 + mw, mid, x + 0.4 + mw, mid)
            x += mw + 0.4

    # bottom: the feature maps, squares scaled to their side
    first = max(stages[0]["height"], stages[0]["width"])
    for cx, r in zip(centers, stages):
        s = 1.4 * max(r["height"], r["width"]) / first
        arrow(cx, bottom, cx, 2.55)
        ax.add_patch(Rectangle((cx - s / 2, 2.5 - s), s, s, facecolor=colors["05"], alpha=0.35, edgecolor="0.3"))
        n, m = r["windows"], r["window"]
        shape = f"stride {r['stride']}: {r['height']}×{r['width']}×{r['channels']}"
        windows = f"{n} window{'s' if n > 1 else ''} of {m}×{m}"
        ax.text(cx, 0.95, f"{shape}\n{windows}", ha="center", va="top", fontsize=9)
    feature_maps = "feature maps for FPN / U-Net heads (05)"
    ax.text(centers[-1] + 0.9, 0.2, feature_maps, ha="right", va="bottom", fontsize=9, style="italic")

    # bottom left: one block pair, Eq. 3, coloured by notebook
    ax.text(0.3, 2.25, "one block pair (Eq. 3):", fontsize=9.5, weight="bold")
    lines = (
        (r"$\hat z^{l}$ = W-MSA(LN($z^{l-1}$)) + $z^{l-1}$", "03"),
        (r"$z^{l}$ = MLP(LN($\hat z^{l}$)) + $\hat z^{l}$", "02"),
        (r"$\hat z^{l+1}$ = SW-MSA(LN($z^{l}$)) + $z^{l}$", "04"),
        (r"$z^{l+1}$ = MLP(LN($\hat z^{l+1}$)) + $\hat z^{l+1}$", "02"),
    )
    for k, (line, number) in enumerate(lines):
        ax.text(0.35, 1.9 - 0.34 * k, line, fontsize=10, color=colors[number], va="center")
    m = stages[0]["window"]
    attention = f"(S)W-MSA: multi-head self-\nattention (01) in {m}×{m} windows"
    ax.text(0.3, 0.2, attention, fontsize=9, va="bottom", color=colors["01"])
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
