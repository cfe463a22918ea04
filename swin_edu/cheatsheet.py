"""The one-page cheat sheet of the course (``make cheatsheet``): the paper on one A4 landscape page.

What is on it, and where each number comes from:

* the cost formulas Ω(MSA) and Ω(W-MSA) (Eq. 1, 2), with Swin-T's first stage worked out by
  :func:`swin_edu.complexity.msa_macs` and :func:`~swin_edu.complexity.wmsa_macs`;
* the block pair of Eq. 3 and the attention of Eq. 4, with the size of the bias table read from
  :func:`swin_edu.windows.relative_position_index`;
* the shift and the mask in one small picture, drawn from :func:`~swin_edu.windows.shifted_partition`,
  :func:`~swin_edu.windows.cyclic_shift` and :func:`~swin_edu.windows.shifted_window_mask`;
* the four variants: configuration from :data:`swin_edu.swin.CONFIGS`, parameters counted on the model built on
  the ``meta`` device (:func:`swin_edu.meta_model`), MACs from :func:`swin_edu.complexity.model_macs`, stage
  shapes from :func:`swin_edu.complexity.stage_summary`;
* the paper's Tables 4, 5 and 6, quoted: Table 4 is :data:`swin_edu.ablation.TABLE_4`, Tables 5 and 6 are
  :data:`TABLE_5` and :data:`TABLE_6` here, and the FLOPs of Table 1 are :data:`TABLE_1_FLOPS`.

:func:`cheatsheet_picture` returns the figure together with every number it drew, so a test can check that
they are the library's. ``python -m swin_edu.cheatsheet [FOLDER] [PNG ...]`` writes ``cheatsheet.pdf`` and
``cheatsheet.png`` into FOLDER (default ``build/present``) and the PNG also to each further path given.
"""

from __future__ import annotations

import pathlib
import sys

import matplotlib
import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from . import __version__, ablation, complexity, swin
from .viz import Picture
from .windows import cyclic_shift, region_labels, relative_position_index, shifted_partition, shifted_window_mask

__all__ = [
    "TABLE_1_FLOPS",
    "TABLE_5",
    "TABLE_6",
    "VARIANTS",
    "cheatsheet_data",
    "cheatsheet_figure",
    "cheatsheet_picture",
    "save",
]

PAPER = "Liu et al., Swin Transformer, ICCV 2021 (arXiv 2103.14030v2)"

#: The FLOPs column of the paper's Table 1 for the rows of :data:`VARIANTS`, in G (they are MACs): (a) for
#: ImageNet-1K models, (b) for ImageNet-22K pre-trained ones. Swin-L at 224x224 has no row in Table 1; its 34.5G
#: is from the model table of the official repository (github.com/microsoft/Swin-Transformer).
TABLE_1_FLOPS: dict[tuple[str, int], tuple[float, str]] = {
    ("swin_t", 224): (4.5, "Table 1a"),
    ("swin_s", 224): (8.7, "Table 1a"),
    ("swin_b", 224): (15.4, "Table 1a"),
    ("swin_b", 384): (47.0, "Table 1a"),
    ("swin_l", 224): (34.5, "official repo"),
    ("swin_l", 384): (103.9, "Table 1b"),
}

#: The paper's Table 5: real speed of self-attention methods on a V100 GPU. Per row: the time of the
#: self-attention of each stage of Swin-T in ms (S1..S4), and the throughput of Swin-T, -S, -B in images/s.
TABLE_5: dict[str, dict[str, tuple[float, ...]]] = {
    "sliding window (naive)": {"ms": (122.5, 38.3, 12.1, 7.6), "fps": (183, 109, 77)},
    "sliding window (kernel)": {"ms": (7.6, 4.7, 2.7, 1.8), "fps": (488, 283, 187)},
    "Performer": {"ms": (4.8, 2.8, 1.8, 1.5), "fps": (638, 370, 241)},
    "window (w/o shifting)": {"ms": (2.8, 1.7, 1.2, 0.9), "fps": (770, 444, 280)},
    "shifted window (padding)": {"ms": (3.3, 2.3, 1.9, 2.2), "fps": (670, 371, 236)},
    "shifted window (cyclic)": {"ms": (3.0, 1.9, 1.3, 1.0), "fps": (755, 437, 278)},
}

#: The paper's Table 6: accuracy of Swin-T with each self-attention method (ImageNet-1K top-1 and top-5 %,
#: COCO box and mask AP with Cascade Mask R-CNN, ADE20K mIoU with UperNet); None where the paper has "-".
TABLE_6: dict[str, dict[str, float | None]] = {
    "sliding window": {"top-1": 81.4, "top-5": 95.6, "box AP": 50.2, "mask AP": 43.5, "mIoU": 45.8},
    "Performer": {"top-1": 79.0, "top-5": 94.2, "box AP": None, "mask AP": None, "mIoU": None},
    "shifted window": {"top-1": 81.3, "top-5": 95.6, "box AP": 50.5, "mask AP": 43.7, "mIoU": 46.1},
}

#: The rows of the variants table: (builder name, image side); the window is 7 at 224 and 12 at 384.
VARIANTS: tuple[tuple[str, int], ...] = (
    ("swin_t", 224),
    ("swin_s", 224),
    ("swin_b", 224),
    ("swin_l", 224),
    ("swin_b", 384),
    ("swin_l", 384),
)

#: The worked example of Eq. 1-2: Swin-T's first stage (56x56 tokens, C = 96, M = 7)
EXAMPLE = dict(h=56, w=56, C=96, M=7)
#: The small picture of the shift and the mask: an 8x8 map, windows of 4, shift 2, the last window's mask
PICTURE = dict(height=8, width=8, window_size=4, shift_size=2)

WIDTH, HEIGHT = 11.69, 8.27  # inches: A4 landscape
DPI = 150  # of the PNG
INK, QUOTED, ACCENT = "black", "0.35", "#1f5fa8"  # computed numbers, numbers quoted from the paper, headings
PIECE_COLORS = ListedColormap(matplotlib.colormaps["tab20"].colors)


def _name(variant: str, img_size: int) -> str:
    return f"Swin-{variant[-1].upper()}" + ("" if img_size == 224 else f" {img_size}²")


def _window(img_size: int) -> int:
    return 12 if img_size == 384 else 7


def _variant_row(variant: str, img_size: int) -> dict:
    """One variant as the library builds it: configuration, parameters and MACs for one image."""
    window = _window(img_size)
    model = swin.meta_model(variant, window, img_size)  # the real structure, no weights
    config = swin.CONFIGS[variant]
    stages = complexity.stage_summary(model, img_size)
    flops, source = TABLE_1_FLOPS[(variant, img_size)]
    return dict(
        variant=variant,
        name=_name(variant, img_size),
        img_size=img_size,
        window=window,
        windows_used=tuple(s["window"] for s in stages),
        C=config["embed_dim"],
        depths=tuple(config["depths"]),
        heads=tuple(config["num_heads"]),
        params=sum(p.numel() for p in model.parameters()),
        macs=complexity.model_macs(model, img_size),
        paper_gflops=flops,
        paper_source=source,
    )


def _shift_and_mask(height: int, width: int, window_size: int, shift_size: int) -> dict:
    """The numbers of the small picture: the naive shifted windows, the same pieces after the roll, the
    rolled map's region labels and the mask of its last window (the one where four regions meet)."""
    naive = shifted_partition(height, width, window_size, shift_size)  # (H, W) window of each token
    rolled = cyclic_shift(naive[None, :, :, None], shift_size)[0, :, :, 0]  # (H, W): the pieces after the roll
    regular = shifted_partition(height, width, window_size, 0)  # (H, W): the regular windows
    labels = region_labels(height, width, window_size, shift_size)  # (H, W)
    masks = shifted_window_mask(height, width, window_size, shift_size)  # (nW, N, N)
    window = masks.shape[0] - 1
    mask = masks[window]  # (N, N)
    return dict(
        **dict(height=height, width=width, window_size=window_size, shift_size=shift_size),
        naive=naive,
        rolled=rolled,
        regular=regular,
        labels=labels,
        window=window,
        mask=mask,
        n_naive=int(naive.max()) + 1,
        n_windows=masks.shape[0],
        open=int((mask == 0).sum()),
        pairs=mask.numel(),
        mask_value=float(mask.min()),
    )


def cheatsheet_data() -> dict:
    """Every number the cheat sheet shows, computed by the library or quoted from the paper.

    Keys: ``example`` (Eq. 1-2 at Swin-T's stage 1: ``msa``, ``wmsa``, ``ratio``), ``bias_rows`` (rows of the
    relative position bias table for M = 7 and M = 12), ``variants`` (one row per entry of :data:`VARIANTS`),
    ``head_dims`` (the width of a head, C_i / heads_i, over all variants and stages), ``mlp_ratio``, ``windows``
    (the window per image side),
    ``stages`` (Swin-T's four stages at 224x224), ``picture`` (the shift and the mask), ``table4``, ``table5``,
    ``table6`` (the paper's), ``version``.
    """
    h, w, C, M = EXAMPLE["h"], EXAMPLE["w"], EXAMPLE["C"], EXAMPLE["M"]
    msa, wmsa = complexity.msa_macs(h, w, C), complexity.wmsa_macs(h, w, C, M)
    stages = complexity.stage_summary(swin.meta_model("swin_t"), 224)
    variants = [_variant_row(v, s) for v, s in VARIANTS]
    return dict(
        example=dict(**EXAMPLE, msa=msa, wmsa=wmsa, ratio=msa / wmsa, projections=4 * h * w * C**2),
        bias_rows={m: int(relative_position_index(m).max()) + 1 for m in (7, 12)},
        variants=variants,
        head_dims=sorted({v["C"] * 2**i // h for v in variants for i, h in enumerate(v["heads"])}),
        mlp_ratio=swin.meta_model("swin_t").mlp_ratio,
        windows={v["img_size"]: v["window"] for v in variants},
        stages=stages,
        picture=_shift_and_mask(**PICTURE),
        table4=ablation.TABLE_4,
        table5=TABLE_5,
        table6=TABLE_6,
        version=__version__,
    )


# ------------------------------------------------------------------------------------------------- drawing


def _heading(fig: Figure, x: float, y: float, text: str) -> None:
    fig.text(x, y, text, fontsize=11.5, weight="bold", color=ACCENT, va="top")


def _table(fig: Figure, x: float, y: float, widths, rows, *, header_rows: int = 1, size: float = 8.2,
           line: float = 0.0205, colors=None, aligns=None) -> float:
    """Text in columns at figure coordinates from (x, y) downwards; a rule under the header. Returns the y below."""
    aligns = aligns or ["left"] + ["right"] * (len(widths) - 1)
    for r, row in enumerate(rows):
        cx = x
        for c, (cell, width) in enumerate(zip(row, widths)):
            color = INK if colors is None else colors[r][c]
            weight = "bold" if r < header_rows else "normal"
            anchor = cx if aligns[c] == "left" else cx + width
            fig.text(anchor, y, str(cell), fontsize=size, ha=aligns[c], va="top", color=color, weight=weight)
            cx += width
        y -= line
        if r == header_rows - 1:
            fig.add_artist(matplotlib.lines.Line2D([x, x + sum(widths)], [y + 0.004, y + 0.004], color="0.6",
                                                   linewidth=0.6, transform=fig.transFigure))
            y -= 0.004
    return y


def _grid(ax, values, cmap, vmin, vmax, title: str) -> None:
    values = np.asarray(values)
    H, W = values.shape
    ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.add_collection(LineCollection(
        [[(j - 0.5, -0.5), (j - 0.5, H - 0.5)] for j in range(1, W)]
        + [[(-0.5, i - 0.5), (W - 0.5, i - 0.5)] for i in range(1, H)], colors="white", linewidths=0.4))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=7.8, pad=3)


def _outline(ax, ids, color="black", linewidth=1.8, linestyle="solid") -> None:
    """A line wherever neighbouring entries of the (H, W) array ``ids`` differ, and around the map."""
    ids = np.asarray(ids)
    H, W = ids.shape
    rows, cols = np.nonzero(ids[:, 1:] != ids[:, :-1])
    segments = [[(c + 0.5, r - 0.5), (c + 0.5, r + 0.5)] for r, c in zip(rows, cols)]
    rows, cols = np.nonzero(ids[1:, :] != ids[:-1, :])
    segments += [[(c - 0.5, r + 0.5), (c + 0.5, r + 0.5)] for r, c in zip(rows, cols)]
    ax.add_collection(LineCollection(segments, colors=color, linewidths=linewidth, linestyles=linestyle))
    ax.add_patch(Rectangle((-0.5, -0.5), W, H, fill=False, edgecolor=color, linewidth=linewidth))


def _letters(ax, ids, fontsize=7) -> None:
    ids = np.asarray(ids)
    for i in np.unique(ids):
        rows, cols = np.nonzero(ids == i)
        ax.text(cols.mean(), rows.mean(), chr(ord("A") + int(i)), ha="center", va="center", fontsize=fontsize,
                weight="bold")


def _draw_picture(fig: Figure, p: dict, left: float, bottom: float, width: float, height: float) -> None:
    """Three small panels: the naive shifted windows, the same pieces rolled into the regular windows, the mask."""
    m, s, n = p["window_size"], p["shift_size"], p["window"]
    gap = 0.014
    side = (width - 2 * gap) / 3
    axes = [fig.add_axes((left + i * (side + gap), bottom, side, height)) for i in range(3)]
    a, b, c = axes
    _grid(a, p["naive"] % 20, PIECE_COLORS, 0, 19, f"shifted by s = {s}:\n{p['n_naive']} windows, some small")
    _outline(a, p["naive"])
    _letters(a, p["naive"])
    _grid(b, p["rolled"] % 20, PIECE_COLORS, 0, 19, f"rolled by −s:\n{p['n_windows']} windows of {m}×{m}")
    _outline(b, p["regular"])
    _outline(b, p["labels"], color="0.25", linewidth=0.7, linestyle="dashed")
    _letters(b, p["rolled"])
    N = m * m
    c.imshow(p["mask"].numpy(), cmap=ListedColormap(["0.15", "white"]), vmin=p["mask_value"], vmax=0,
             interpolation="nearest")
    for k in range(m, N, m):
        c.axhline(k - 0.5, color=ACCENT, linewidth=0.4)
        c.axvline(k - 0.5, color=ACCENT, linewidth=0.4)
    c.set_xticks([])
    c.set_yticks([])
    c.set_title(f"mask, window {n}:\nwhite 0, black {p['mask_value']:.0f}", fontsize=7.8, pad=3)
    c.set_xlabel(f"{p['open']} of {p['pairs']} pairs attend", fontsize=7.5, labelpad=2)


def _draw(data: dict) -> Figure:
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    fig.patch.set_facecolor("white")
    ex, pic = data["example"], data["picture"]

    # ---- title
    fig.text(0.025, 0.975, "Swin Transformer · cheat sheet", fontsize=18, weight="bold", va="top")
    fig.text(0.975, 0.972, f"{PAPER}\nswin-edu {data['version']}: black numbers computed by the library; "
             "grey numbers quoted from the paper's tables", fontsize=7.8, ha="right", va="top", color=QUOTED,
             linespacing=1.4)

    # ---- column 1: cost (Eq. 1-2)
    x0, top = 0.025, 0.905
    _heading(fig, x0, top, "Cost of attention (MACs)")
    fig.text(x0, top - 0.045, r"Eq. 1   Ω(MSA) = $4hwC^2 + 2(hw)^2C$", fontsize=11, va="top")
    fig.text(x0, top - 0.085, r"Eq. 2   Ω(W-MSA) = $4hwC^2 + 2M^2hwC$", fontsize=11, va="top")
    lines = [
        r"On $h \times w$ tokens of $C$ channels.  $4hwC^2$: the qkv and",
        r"output projections.  $2n \cdot hwC$: $QK^\top$ and $AV$, each query",
        r"meeting $n$ keys: all $hw$ in MSA, the $M^2$ of its window in W-MSA.",
        f"M = {ex['M']} in every stage ({data['windows'][384]} at 384²): the window is fixed,",
        "so W-MSA is linear in hw; it is quadratic only in M.",
        f"Swin-T, stage 1 ({ex['h']}×{ex['w']} tokens, C = {ex['C']}, M = {ex['M']}):",
        f"    Ω(MSA) = {ex['msa']:,}",
        f"    Ω(W-MSA) = {ex['wmsa']:,}   ({ex['ratio']:.1f}× less)",
    ]
    y = top - 0.128
    for text in lines:
        fig.text(x0, y, text, fontsize=8.6, va="top")
        y -= 0.0245

    # ---- column 2: Eq. 3 and Eq. 4
    (head_dim,) = data["head_dims"]
    ratio = f"{data['mlp_ratio']:g}"
    x1 = 0.355
    _heading(fig, x1, top, "Two successive blocks (Eq. 3)")
    eq3 = [
        r"$\hat{z}^{l} = $ W-MSA(LN($z^{l-1}$)) + $z^{l-1}$",
        r"$z^{l} = $ MLP(LN($\hat{z}^{l}$)) + $\hat{z}^{l}$",
        r"$\hat{z}^{l+1} = $ SW-MSA(LN($z^{l}$)) + $z^{l}$",
        r"$z^{l+1} = $ MLP(LN($\hat{z}^{l+1}$)) + $\hat{z}^{l+1}$",
    ]
    y = top - 0.04
    for text in eq3:
        fig.text(x1 + 0.01, y, text, fontsize=10.5, va="top")
        y -= 0.033
    notes = [
        "W-MSA: SwinBlock(shift_size=0); SW-MSA: shift_size=⌊M/2⌋.",
        "SW-MSA rolls the map by −⌊M/2⌋, runs masked W-MSA, rolls",
        "back: in every forward pass, training too (fixed, not learned).",
        f"LN: LayerNorm; MLP: C → {ratio}C → C with GELU.",
        r"Eq. 4   Attention = SoftMax($QK^\top/\sqrt{d} + B$) $V$," + f"  d = {head_dim} per head",
        f"B: (2M−1)² rows per head: {data['bias_rows'][7]} for M = 7, {data['bias_rows'][12]} for M = 12.",
    ]
    y -= 0.004
    for text in notes:
        fig.text(x1, y, text, fontsize=8.3, va="top")
        y -= 0.0245

    # ---- column 3: the shift and the mask
    x2 = 0.67
    _heading(fig, x2, top, "Shift and mask (Fig. 2, 4)")
    fig.text(x2, top - 0.036, f"{pic['height']}×{pic['width']} tokens, M = {pic['window_size']}, "
             f"s = {pic['shift_size']}; letters: the windows wanted", fontsize=8.2, va="top")
    _draw_picture(fig, pic, x2, 0.645, 0.305, 0.165)
    fig.text(x2, 0.612, "After the roll, pieces of different windows share a window;\n"
             f"the mask ({pic['mask_value']:.0f} between regions, dashed) keeps them apart.", fontsize=8.2,
             va="top", linespacing=1.35)

    # ---- the variants
    y = 0.525
    _heading(fig, x0, y, "The four variants, as swin_edu builds them (1000 classes)")
    header = ["model", "C", "blocks per stage", "heads per stage", "M", "parameters", "GMACs",
              "paper (Table 1)"]
    rows, colors = [header], [[INK] * len(header)]
    for v in data["variants"]:
        rows.append([v["name"], v["C"], "-".join(map(str, v["depths"])), "-".join(map(str, v["heads"])),
                     v["window"], f"{v['params']:,}", f"{v['macs'] / 1e9:.2f}",
                     f"{v['paper_gflops']:.1f}G ({v['paper_source']})"])
        colors.append([INK] * 7 + [QUOTED])
    widths = [0.08, 0.045, 0.105, 0.11, 0.03, 0.1, 0.065, 0.155]
    y_end = _table(fig, x0, y - 0.035, widths, rows, colors=colors, size=8.6, line=0.022)
    st = data["stages"]
    shapes = " → ".join(f"{s['height']}²×{s['channels']}" for s in st)
    fig.text(x0, y_end - 0.006, f"Stages at strides {', '.join(str(s['stride']) for s in st)}, channels C, 2C, 4C, "
             f"8C, patch merging between them; Swin-T at 224²: {shapes}.", fontsize=8.3, va="top")
    fig.text(x0, y_end - 0.03, "The paper's \"FLOPs\" are multiply-accumulates, counted here as the official code "
             "counts them (attention, MLP, LayerNorms,\nembedding, merging, head).", fontsize=8.3, va="top",
             linespacing=1.45)

    # ---- Table 4 (right of the variants)
    x3 = 0.745
    _heading(fig, x3, y, "Table 4 · ablation, Swin-T")
    t4 = data["table4"]
    keys = ["ImageNet-1K top-1", "COCO box AP", "ADE20K mIoU"]
    rows = [["", "top-1", "box AP", "mIoU"]]
    rows += [[name] + [f"{t4[name][k]:.1f}" for k in keys] for name in t4]
    colors = [[INK] * 4] + [[INK] + [QUOTED] * 3 for _ in t4]
    _table(fig, x3, y - 0.035, [0.115, 0.035, 0.045, 0.04], rows, colors=colors, size=7.9, line=0.021)
    fig.text(x3, y - 0.185, "ImageNet-1K %, COCO (Cascade Mask R-CNN),\nADE20K (UperNet)", fontsize=7.2,
             color=QUOTED, va="top", linespacing=1.3)

    # ---- Table 5 and Table 6 (bottom row)
    y = 0.225
    _heading(fig, x0, y, "Table 5 · real speed on a V100 GPU")
    t5 = data["table5"]
    rows = [["self-attention", "S1", "S2", "S3", "S4", "T", "S", "B"]]
    rows += [[name] + [f"{t:.1f}" for t in r["ms"]] + [str(f) for f in r["fps"]] for name, r in t5.items()]
    colors = [[INK] * 8] + [[INK] + [QUOTED] * 7 for _ in t5]
    y5 = _table(fig, x0, y - 0.033, [0.16, 0.04, 0.035, 0.035, 0.035, 0.04, 0.035, 0.035], rows, colors=colors,
                size=7.9, line=0.0195)
    fig.text(x0, y5 - 0.002, "ms of the self-attention in Swin-T's stages S1-S4; images/s of Swin-T, -S, -B",
             fontsize=7.2, color=QUOTED, va="top")

    x4 = 0.47
    _heading(fig, x4, y, "Table 6 · accuracy, Swin-T")
    t6 = data["table6"]
    cols = ["top-1", "top-5", "box AP", "mask AP", "mIoU"]
    rows = [["self-attention"] + cols]
    rows += [[name] + ["–" if r[k] is None else f"{r[k]:.1f}" for k in cols] for name, r in t6.items()]
    colors = [[INK] * 6] + [[INK] + [QUOTED] * 5 for _ in t6]
    y6 = _table(fig, x4, y - 0.033, [0.1, 0.04, 0.04, 0.05, 0.055, 0.045], rows, colors=colors, size=7.9,
                line=0.0195)
    fig.text(x4, y6 - 0.002, "Sliding windows: as accurate, but slower (Table 5);\n"
             "shifted windows give up nothing for their speed.", fontsize=7.2, color=QUOTED, va="top",
             linespacing=1.35)

    # ---- where to read more
    x5 = 0.82
    _heading(fig, x5, y, "In the course")
    course = ["01 attention, no recurrence", "02 ViT, Linear Embedding", "03 W-MSA, cost, sliding",
              "04 shift, mask, Eq. 3", "05 hierarchy, Table 1", "06 training, Table 4", "07 Res2Net, scales",
              "our_note_corrected"]
    yy = y - 0.035
    for text in course:
        fig.text(x5, yy, text, fontsize=7.9, va="top")
        yy -= 0.0195
    return fig


def cheatsheet_picture() -> Picture:
    """The cheat sheet and every number it shows (:func:`cheatsheet_data`), computed once."""
    data = cheatsheet_data()
    return Picture(_draw(data), data)


def cheatsheet_figure() -> Figure:
    """The cheat sheet: one A4 landscape page."""
    return cheatsheet_picture().figure


def save(folder: str | pathlib.Path = "build/present", extra_png=()) -> list[pathlib.Path]:
    """Write ``cheatsheet.pdf`` and ``cheatsheet.png`` into ``folder``, and the PNG to each path of ``extra_png``;
    return the paths written. Both files carry no time stamp, so the same library writes the same bytes."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fig = cheatsheet_figure()
    pdf, png = folder / "cheatsheet.pdf", folder / "cheatsheet.png"
    fig.savefig(pdf, metadata={"Creator": None, "Producer": None, "CreationDate": None})
    written = [pdf]
    for path in [png, *map(pathlib.Path, extra_png)]:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI, metadata={"Software": None})
        written.append(path)
    return written


if __name__ == "__main__":
    for written in save(sys.argv[1] if len(sys.argv) > 1 else "build/present", sys.argv[2:]):
        print(f"wrote {written}")
