"""The explorers: sliders over the pictures of :mod:`swin_edu.viz`, for JupyterLab and reading groups.

Each explorer is an :class:`ipywidgets.VBox` with

* ``.controls``: its input widgets by name (set ``explorer.controls["shift_size"].value = 1`` in code,
  or move the slider);
* ``.figure``: the :class:`matplotlib.figure.Figure` it shows now, redrawn on every change;
* ``.data``: the numbers under the picture, computed by the library (a mask, a count, a table);
* ``.caption``: an HTML line that says what the picture shows and explains any adjustment.

Controls depend on each other (a shift must stay below the window, a window number below the number of
windows): such limits follow the other controls, and a size the model would treat specially (padding, a
map smaller than the window) is drawn as the model treats it and explained in the caption. Nothing a
reader can set ends in a traceback: an error is shown in the caption instead.
"""

from __future__ import annotations

import contextlib
import html

import ipywidgets as widgets
import torch

from . import complexity, swin, viz
from .windows import (
    receptive_field,
    region_labels,
    relative_position_index,
    shifted_partition,
    shifted_window_mask,
)

__all__ = [
    "ShiftExplorer",
    "MaskExplorer",
    "ComplexityExplorer",
    "RelativePositionExplorer",
    "ReceptiveFieldExplorer",
    "HierarchyExplorer",
]

_STYLE = {"description_width": "initial"}


def _slider(description: str, value: int, lo: int, hi: int, step: int = 1) -> widgets.IntSlider:
    return widgets.IntSlider(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=description,
        style=_STYLE,
        continuous_update=False,
        layout=widgets.Layout(width="260px"),
    )


class Explorer(widgets.VBox):
    """Common machinery: a row of controls, a caption, and the figure as a PNG image.

    Subclasses build their controls, then call ``super().__init__(controls)``; they implement
    :meth:`draw`, which returns ``(figure, data, caption)`` for the current values, and may implement
    :meth:`limit` to keep controls consistent with each other before drawing.

    An explorer with ``presets`` (name -> values of some controls) gets a ``preset`` row of buttons: a
    click sets those controls at once (then :meth:`preset_applied` runs), and the button stays pressed only
    while the controls still hold the preset's values.
    """

    presets: dict[str, dict] = {}  # noqa: RUF012 (read-only; subclasses replace it)

    def __init__(self, controls: dict[str, widgets.Widget]):
        if self.presets:
            buttons = widgets.ToggleButtons(options=list(self.presets), value=None, style={"button_width": "auto"})
            controls = {"preset": buttons, **controls}
        self.controls = dict(controls)
        self.caption = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.figure = None
        self.data: dict = {}
        self._holding = False
        row = widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([row, self.caption, self.image])
        self.add_class("swin-edu-explorer")
        self.add_class(f"swin-edu-{type(self).__name__.lower()}")
        for control in self.controls.values():
            control.observe(self._changed, names="value")
        self._match_preset()
        self.redraw()

    @property
    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    @contextlib.contextmanager
    def quiet(self):
        """Change controls without redrawing."""
        holding, self._holding = self._holding, True
        try:
            yield self
        finally:
            self._holding = holding

    @contextlib.contextmanager
    def hold(self):
        """Change several controls at once, with one redraw at the end."""
        outermost = not self._holding
        with self.quiet():
            yield self
        if outermost:
            self.redraw()

    def _changed(self, change) -> None:
        if self._holding:
            return
        if change["owner"] is self.controls.get("preset"):
            if change["new"] is not None:
                with self.hold():  # one redraw for all the controls the preset sets
                    for name, value in self.presets[change["new"]].items():
                        self.controls[name].value = value
                    self.limit()
                    self.preset_applied(change["new"])
            return
        self._match_preset()
        self.redraw()

    def _match_preset(self) -> None:
        if "preset" in self.controls:
            values = self.values
            matching = [name for name, p in self.presets.items() if all(values[k] == v for k, v in p.items())]
            with self.quiet():
                self.controls["preset"].value = matching[0] if matching else None

    def preset_applied(self, name: str) -> None:
        """Called after a preset has set its controls (and :meth:`limit` has run), before the redraw."""

    def limit(self) -> None:
        """Adjust the ranges of controls that depend on others (called without redraws)."""

    def draw(self, **values):
        raise NotImplementedError

    def redraw(self) -> None:
        """Recompute and redraw from the current control values."""
        with self.quiet():
            self.limit()
        try:
            figure, data, caption = self.draw(**self.values)
        except ValueError as error:  # a combination the library refuses: say so, keep the last picture
            self.caption.value = f"<span style='color:#b00'>{html.escape(str(error))}</span>"
            return
        png = viz.png_bytes(figure)
        self.figure, self.data, self.caption.value = figure, data, caption
        self.image.width = str(round(figure.get_figwidth() * viz.DPI))  # its own size: sharp, not stretched
        self.image.value = png


def _map_sliders(height: int, width: int, window_size: int, shift_size: int, largest: int) -> dict:
    """Sliders for a token map's size, its window and its shift (kept below the window by ``limit``)."""
    return {
        "height": _slider("height H", height, 1, largest),
        "width": _slider("width W", width, 1, largest),
        "window_size": _slider("window M", window_size, 1, 12),
        "shift_size": _slider("shift s", shift_size, 0, max(window_size - 1, 0)),
    }


def _table(header: list, rows: list[list]) -> str:
    """A small HTML table, numbers right-aligned."""
    cell = "<{tag} style='padding: 1px 10px; text-align: right'>{value}</{tag}>"
    lines = ["".join(cell.format(tag="th", value=h) for h in header)]
    lines += ["".join(cell.format(tag="td", value=html.escape(str(v))) for v in row) for row in rows]
    return "<table style='border-collapse: collapse'>" + "".join(f"<tr>{line}</tr>" for line in lines) + "</table>"


def _note(geometry: dict) -> str:
    return f"<br><i>{html.escape(geometry['note'])}.</i>" if geometry["note"] else ""


class ShiftExplorer(Explorer):
    """Regular windows, the displaced partition, and the cyclic shift with its regions (Fig. 2 and 4).

    Controls: ``height`` and ``width`` of the token map, ``window_size`` M, ``shift_size`` s (kept below M).
    ``data``: the effective ``window`` and ``shift``, ``naive`` (the displaced partition's window of each
    token), ``labels`` (region labels of the rolled map), and the window counts ``n_naive`` and ``n_cyclic``.
    """

    def __init__(self, height: int = 8, width: int = 8, window_size: int = 4, shift_size: int = 2):
        super().__init__(_map_sliders(height, width, window_size, shift_size, largest=32))

    def limit(self) -> None:
        self.controls["shift_size"].max = self.controls["window_size"].value - 1

    def draw(self, height, width, window_size, shift_size):
        g = viz.geometry(height, width, window_size, shift_size)
        m, s = g["window"], g["shift"]
        naive = shifted_partition(g["Hp"], g["Wp"], m, s)
        data = dict(
            window=m,
            shift=s,
            naive=naive,
            labels=region_labels(g["Hp"], g["Wp"], m, s),
            n_naive=int(naive.max()) + 1,
            n_cyclic=g["n_windows"],
        )
        if s == 0:
            caption = f"No shift: {data['n_cyclic']} windows of {m}x{m}, no regions, no mask."
        else:
            caption = (
                f"Displacing the windows by s={s} cuts the map into <b>{data['n_naive']}</b> windows, some smaller "
                f"than {m}x{m}; after the cyclic shift the same attention takes <b>{data['n_cyclic']}</b> windows "
                f"of {m}x{m}, with a mask between the {len(data['labels'].unique())} regions."
            )
        return viz.shift_figure(height, width, window_size, shift_size), data, caption + _note(g)


class MaskExplorer(Explorer):
    """The regions inside one window of a shifted map and its ``N x N`` attention mask.

    Controls: ``preset`` (a small teaching map or Swin-T's stage 1), ``height``, ``width``,
    ``window_size``, ``shift_size`` and ``window`` (numbered row by row; its range follows the map).
    ``data``: ``mask`` (``(N, N)``, the window's slice of :func:`~swin_edu.windows.shifted_window_mask`),
    ``labels`` (the window's ``(M, M)`` region labels), ``window``.
    """

    presets = {  # noqa: RUF012
        "8x8 map, M=4 (teaching)": dict(height=8, width=8, window_size=4, shift_size=2),
        "Swin-T stage 1: 56x56, M=7": dict(height=56, width=56, window_size=7, shift_size=3),
    }

    def __init__(
        self, height: int = 8, width: int = 8, window_size: int = 4, shift_size: int = 2, window: int | None = None
    ):
        g = viz.geometry(height, width, window_size, shift_size)
        window = g["n_windows"] - 1 if window is None else window
        controls = _map_sliders(height, width, window_size, shift_size, largest=64)
        super().__init__({**controls, "window": _slider("window #", window, 0, g["n_windows"] - 1)})

    def preset_applied(self, name: str) -> None:
        self.controls["window"].value = self.controls["window"].max  # the last window holds four regions

    def limit(self) -> None:
        self.controls["shift_size"].max = self.controls["window_size"].value - 1
        v = self.values
        g = viz.geometry(v["height"], v["width"], v["window_size"], v["shift_size"])
        self.controls["window"].max = g["n_windows"] - 1

    def draw(self, preset, height, width, window_size, shift_size, window):
        g = viz.geometry(height, width, window_size, shift_size)
        m, s = g["window"], g["shift"]
        mask = shifted_window_mask(g["Hp"], g["Wp"], m, s)[window]  # (N, N)
        row, col = divmod(window, g["Wp"] // m)
        labels = region_labels(g["Hp"], g["Wp"], m, s)[row * m : (row + 1) * m, col * m : (col + 1) * m]
        regions, sizes = labels.unique(return_counts=True)
        data = dict(mask=mask, labels=labels, window=window)
        allowed = int((mask == 0).sum())
        if len(regions) == 1:
            caption = (
                f"Window {window} holds one region ({regions[0].item()}): every token sees all {m * m} tokens, "
                f"the mask is all 0 ({allowed} of {m * m * m * m} pairs open)."
            )
        else:
            held = ", ".join(f"{r} ({n} tokens)" for r, n in zip(regions.tolist(), sizes.tolist()))
            caption = (
                f"Window {window} holds regions {held}. Each token attends only to tokens of its own region: "
                f"{allowed} of {m * m * m * m} pairs are open (0); the others get -100, "
                f"a weight of about e<sup>-100</sup> after the softmax."
            )
        figure = viz.mask_figure(height, width, window_size, shift_size, window)
        return figure, data, caption + _note(g)


def _swin_t_stages() -> dict[str, dict]:
    """Swin-T's four stages at 224x224 as (h, w, C, M) presets, read off the model's structure."""
    presets = {}
    for row in complexity.stage_summary(swin.meta_model("swin_t", 7)):
        label = f"Swin-T stage {row['stage']}: {row['height']}x{row['width']}, C={row['channels']}"
        presets[label] = dict(h=row["height"], w=row["width"], C=row["channels"], M=row["window"])
    return presets


class ComplexityExplorer(Explorer):
    """Omega(MSA) against Omega(W-MSA) (Eq. 1 and 2) on log axes, for a chosen map, width and window.

    Controls: ``preset`` (one of Swin-T's four stages), ``h``, ``w``, ``C``, ``M``.
    ``data``: ``msa``, ``wmsa`` (MACs, from :mod:`swin_edu.complexity`) and their ``ratio``.
    """

    def __init__(self, h: int = 56, w: int = 56, C: int = 96, M: int = 7):
        self.presets = _swin_t_stages()
        super().__init__(
            dict(
                h=_slider("h (tokens)", h, 1, 256),
                w=_slider("w (tokens)", w, 1, 256),
                C=_slider("C", C, 8, 1536, 8),
                M=_slider("M", M, 1, 32),
            )
        )

    def draw(self, preset, h, w, C, M):
        msa, wmsa = complexity.msa_macs(h, w, C), complexity.wmsa_macs(h, w, C, M)
        data = dict(msa=msa, wmsa=wmsa, ratio=msa / wmsa)
        caption = (
            f"On {h}x{w} = {h * w} tokens of width {C}: Ω(MSA) = {msa:,} and Ω(W-MSA) = {wmsa:,} "
            f"multiply-accumulates, <b>{data['ratio']:.3g}x</b> less with {M}x{M} windows. "
            f"The ratio is (4C + 2hw) / (4C + 2M²): it grows with the number of tokens."
        )
        if min(h, w) < M:
            caption += f"<br><i>M={M} is larger than the map: a Swin block would use one window of the map's size.</i>"
        elif h % M or w % M:
            caption += (
                f"<br><i>{h}x{w} is not a multiple of M={M}: a Swin block pads the map first, and costs more.</i>"
            )
        return viz.complexity_figure(h, w, C, M), data, caption


class RelativePositionExplorer(Explorer):
    """The relative position index of one query (Eq. 4) and, given a model, its learned bias.

    Controls: ``window_size`` M, ``query_row`` and ``query_col`` (kept inside the window). With a
    ``model`` (a :class:`~swin_edu.swin.SwinTransformer`), also ``stage``, ``block`` and ``head``; the
    window is then that block's and the slider for M is locked to it.
    ``data``: ``index`` (the query's ``(M, M)`` table rows) and, with a model, ``bias`` (``(M, M)``).
    """

    def __init__(self, window_size: int = 4, query: tuple[int, int] = (1, 2), model=None):
        self.model = model
        controls = dict(
            window_size=_slider("window M", window_size, 1, 12),
            query_row=_slider("query row", query[0], 0, window_size - 1),
            query_col=_slider("query col", query[1], 0, window_size - 1),
        )
        if model is not None:
            controls["window_size"].disabled = True
            controls.update(
                stage=_slider("stage", 1, 1, len(model.layers)),
                block=_slider("block", 1, 1, len(model.layers[0].blocks)),
                head=_slider("head", 1, 1, model.layers[0].blocks[0].attn.num_heads),
            )
        super().__init__(controls)

    def _attention(self):
        stage = self.model.layers[self.controls["stage"].value - 1]
        return stage, stage.blocks[min(self.controls["block"].value, len(stage.blocks)) - 1].attn

    def limit(self) -> None:
        c = self.controls
        if self.model is not None:
            stage, attn = self._attention()
            c["block"].max = len(stage.blocks)
            c["head"].max = attn.num_heads
            c["window_size"].max = max(c["window_size"].max, attn.window_size)
            c["window_size"].value = attn.window_size
        c["query_row"].max = c["query_col"].max = c["window_size"].value - 1

    def draw(self, window_size, query_row, query_col, stage=None, block=None, head=None):
        M, q = window_size, query_row * window_size + query_col
        data = dict(index=relative_position_index(M)[q].reshape(M, M))
        table = None
        caption = (
            f"The query at (row {query_row}, col {query_col}) of a {M}x{M} window reads {M * M} of the "
            f"{(2 * M - 1) ** 2} rows of the table, one per key; the rows depend only on the offset query − key, "
            f"so every window and every position share the same table."
        )
        if self.model is not None:
            _, attn = self._attention()
            with torch.no_grad():
                table = attn.relative_position_bias_table[:, head - 1].detach().float().cpu()
            data["bias"] = table[data["index"].reshape(-1)].reshape(M, M)
            caption += f" Shown: the learned bias of stage {stage}, block {block}, head {head}."
        return viz.relative_position_figure(M, (query_row, query_col), table), data, caption


class ReceptiveFieldExplorer(Explorer):
    """How far a token's information travels through k Swin blocks, with and without the shift.

    Controls: ``height``, ``width``, ``window_size``, ``blocks`` k, ``shift`` (alternate W-MSA and SW-MSA
    or not), ``source_row`` and ``source_col`` (kept inside the map).
    ``data``: ``first_reached`` (:func:`~swin_edu.windows.receptive_field`: after which block each token
    first holds the source's information, -1 if not yet) and ``reached`` (a boolean map).
    """

    def __init__(
        self,
        height: int = 16,
        width: int = 16,
        window_size: int = 4,
        source: tuple[int, int] = (5, 6),
        blocks: int = 2,
        shift: bool = True,
    ):
        super().__init__(
            dict(
                height=_slider("height H", height, 2, 40),
                width=_slider("width W", width, 2, 40),
                window_size=_slider("window M", window_size, 1, 12),
                blocks=_slider("blocks k", blocks, 0, 12),
                shift=widgets.Checkbox(value=shift, description="shift every other block", style=_STYLE),
                source_row=_slider("source row", source[0], 0, height - 1),
                source_col=_slider("source col", source[1], 0, width - 1),
            )
        )

    def limit(self) -> None:
        self.controls["source_row"].max = self.controls["height"].value - 1
        self.controls["source_col"].max = self.controls["width"].value - 1

    def draw(self, height, width, window_size, blocks, shift, source_row, source_col):
        source = (source_row, source_col)
        first = receptive_field(height, width, window_size, source, blocks, shift)
        data = dict(first_reached=first, reached=first >= 0)
        n = int(data["reached"].sum())
        caption = f"After {blocks} block(s), {n} of {height * width} tokens hold information from token {source}."
        if not shift:
            caption += " Without the shift it never leaves its first window."
        g = viz.geometry(height, width, window_size, window_size // 2)
        figure = viz.receptive_field_figure(height, width, window_size, source, blocks, shift)
        return figure, data, caption + _note(g)


class HierarchyExplorer(Explorer):
    """The four stages of Swin-T/S/B/L for an image size: resolution, channels, windows and MACs.

    Controls: ``variant`` (``swin_t`` .. ``swin_l``), ``img_size`` (pixels, square), ``window_size``.
    ``data``: ``stages`` (:func:`~swin_edu.complexity.stage_summary`), ``resnet``
    (:func:`~swin_edu.complexity.resnet50_stages`) and ``macs`` (:func:`~swin_edu.complexity.macs_by_part`).
    The table is part of the caption.
    """

    VARIANTS = {"Swin-T": "swin_t", "Swin-S": "swin_s", "Swin-B": "swin_b", "Swin-L": "swin_l"}

    def __init__(self, variant: str = "swin_t", img_size: int = 224, window_size: int = 7):
        super().__init__(
            dict(
                variant=widgets.ToggleButtons(options=list(self.VARIANTS.items()), value=variant, style=_STYLE),
                img_size=_slider("image side (pixels)", img_size, 32, 1024, 32),
                window_size=widgets.Dropdown(options=[7, 12], value=window_size, description="window M", style=_STYLE),
            )
        )

    def draw(self, variant, img_size, window_size):
        model = swin.meta_model(variant, window_size, img_size)
        stages = complexity.stage_summary(model, img_size)
        resnet = complexity.resnet50_stages(img_size)
        macs = complexity.macs_by_part(model, img_size)
        data = dict(stages=stages, resnet=resnet, macs=macs)
        header = ["stage", "stride", "H x W", "C", "blocks", "M", "windows", "GMACs", "ResNet-50 H x W x C"]
        rows = [
            [s["stage"], f"1/{s['stride']}", f"{s['height']}x{s['width']}", s["channels"], s["blocks"], s["window"],
             s["windows"], f"{s['macs'] / 1e9:.2f}", f"{r['height']}x{r['width']}x{r['channels']}"]
            for s, r in zip(stages, resnet)
        ]  # fmt: skip
        caption = (
            _table(header, rows) + f"Total {sum(macs.values()) / 1e9:.2f} GMACs for a {img_size}x{img_size} image."
        )
        return viz.hierarchy_figure(variant, img_size, window_size), data, caption
