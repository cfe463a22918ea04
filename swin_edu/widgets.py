"""The explorers: sliders over the pictures of :mod:`swin_edu.viz`, for JupyterLab and reading groups.

Each explorer is an :class:`ipywidgets.VBox` with

* ``.controls``: its input widgets by name (set ``explorer.controls["shift_size"].value = 1`` in code,
  or move the slider);
* ``.figure``: the :class:`matplotlib.figure.Figure` it shows now, redrawn on every change;
* ``.data``: the numbers under the picture, computed once by the figure's ``viz.*_picture`` function
  together with the figure (a mask, a count, a table), including the control values it was drawn for;
* ``.caption``: an HTML line that says what the picture shows and explains any adjustment;
* ``.drawn``: the control values the picture shows (always the current ones).

The picture always matches the controls. Controls depend on each other (a shift must stay below the
window, a window number below the number of windows): such limits follow the other controls, and a size
the model would treat specially (padding, a map no larger than the window) is drawn as the model treats it
and explained in the caption. A value a slider cannot show (off its range or between its steps) is refused
with a :class:`ValueError` when set from code. A combination the library refuses is explained in the
caption and the controls go back to the values of the picture: nothing a reader can set ends in a
traceback or under a stale picture.
"""

from __future__ import annotations

import contextlib
import html

import ipywidgets as widgets
import torch
import traitlets

from . import complexity, swin, viz
from .language import N_, _, count
from .windows import window_grid

__all__ = [
    "ShiftExplorer",
    "MaskExplorer",
    "ComplexityExplorer",
    "RelativePositionExplorer",
    "ReceptiveFieldExplorer",
    "HierarchyExplorer",
    "MultiScaleExplorer",
    "Slider",
]

_STYLE = {"description_width": "initial"}


class Slider(widgets.IntSlider):
    """An integer slider that refuses a value it cannot show, instead of showing another one.

    A plain :class:`ipywidgets.IntSlider` quietly clamps a value set from code into its range and leaves
    a value between its steps to the browser, which draws the handle at a step: the slider then shows one
    value while the kernel holds another. This one raises a :class:`ValueError` naming the allowed values.
    (Lowering ``max`` below the value still moves the value down to it, as the explorers' limits need.)
    """

    name = traitlets.Unicode("").tag(sync=False)  # the control's name in ``explorer.controls``, for errors

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        value = proposal["value"]
        lo, hi, step = self.min, self.max, self.step
        if not (lo <= value <= hi and (value - lo) % step == 0):
            allowed = f"an integer from {lo} to {hi}"
            if step != 1:
                allowed += f" in steps of {step} ({lo}, {lo + step}, {lo + 2 * step}, ...)"
            raise ValueError(f"{self.name or self.description} must be {allowed}, got {value!r}")
        return value


def _slider(name: str, description: str, value: int, lo: int, hi: int, step: int = 1) -> Slider:
    slider = Slider(
        value=lo,
        min=lo,
        max=hi,
        step=step,
        name=name,
        description=description,
        style=_STYLE,
        continuous_update=False,
        layout=widgets.Layout(width="260px"),
    )
    slider.value = value  # checked against the whole range (while the widget is built, a value is clamped)
    return slider


class Explorer(widgets.VBox):
    """Common machinery: a row of controls, a caption, and the figure as a PNG image.

    Subclasses build their controls, then call ``super().__init__(controls)``; they implement
    :meth:`draw`, which returns ``(figure, data, caption)`` for the current values (figure and data from
    one ``viz.*_picture`` call), and may implement :meth:`limit` to keep controls consistent with each
    other before drawing.

    An explorer with ``presets`` (name -> values of some controls) gets a ``preset`` row of buttons: a
    click sets those controls at once (then :meth:`preset_applied` runs). After every change, however it
    was made (a slider, code, :meth:`hold`), a button is pressed exactly when the controls hold its values.
    """

    presets: dict[str, dict] = {}  # noqa: RUF012 (read-only; subclasses replace it)

    def preset_label(self, name: str) -> str:
        """The text of a preset's button (its name, translated); the button's value stays the name."""
        return _(name)

    def __init__(self, controls: dict[str, widgets.Widget]):
        if self.presets:
            labels = [(self.preset_label(name), name) for name in self.presets]
            options = list(self.presets) if all(label == name for label, name in labels) else labels
            buttons = widgets.ToggleButtons(options=options, value=None, style={"button_width": "auto"})
            controls = {"preset": buttons, **controls}
        self.controls = dict(controls)
        self.caption = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.figure = None
        self.data: dict = {}
        self.drawn: dict | None = None  # the control values the picture shows
        self._holding = False  # inside hold(): limits follow each change, the redraw waits
        self._quieted = False  # the explorer adjusting its own controls: no reaction at all
        row = widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([row, self.caption, self.image])
        self.add_class("swin-edu-explorer")
        self.add_class(f"swin-edu-{type(self).__name__.lower()}")
        for control in self.controls.values():
            control.observe(self._changed, names="value")
        self.redraw()  # a refused first combination raises: there is no picture to fall back on

    @property
    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    @contextlib.contextmanager
    def hold(self):
        """Change several controls at once, with one redraw at the end (also if the block raises).

        Ranges that follow other controls (the shift below the window, ...) are updated after each change.
        """
        outermost = not self._holding
        self._holding = True
        try:
            yield self
        finally:
            if outermost:
                self._holding = False
                self.redraw()

    @contextlib.contextmanager
    def _quiet(self):
        """The explorer changes its own controls: no limits, no redraw."""
        quieted, self._quieted = self._quieted, True
        try:
            yield
        finally:
            self._quieted = quieted

    def _changed(self, change) -> None:
        if self._quieted:
            return
        if change["owner"] is self.controls.get("preset"):
            if change["new"] is not None:
                self._apply_preset(change["new"])
            else:  # unpressed from code: press whichever preset the controls still hold
                with self._quiet():
                    self._match_preset()
            return
        if self._holding:
            with self._quiet():
                self.limit()
            return
        self.redraw()

    def _apply_preset(self, name: str) -> None:
        with self.hold(), self._quiet():  # one redraw for all the controls the preset sets
            for control, value in self.presets[name].items():
                self.controls[control].value = value
                self.limit()  # the next control's range follows this one (a shift after its window)
            self.preset_applied(name)

    def _match_preset(self) -> None:
        """Press the preset whose values the controls hold (the one pressed, if it still matches), or none."""
        if "preset" in self.controls:
            values, pressed = self.values, self.controls["preset"].value
            matching = [name for name, p in self.presets.items() if all(values[k] == v for k, v in p.items())]
            self.controls["preset"].value = pressed if pressed in matching else (matching[0] if matching else None)

    def _restore(self, values: dict) -> None:
        """Set the controls back to ``values`` (those of the picture), ranges included."""
        with self._quiet():
            for _ in range(3):  # a range that follows another control is right once that control is back
                for name, value in values.items():
                    with contextlib.suppress(ValueError):
                        self.controls[name].value = value
                self.limit()

    def preset_applied(self, name: str) -> None:
        """Called after a preset has set its controls (and :meth:`limit` has run), before the redraw."""

    def limit(self) -> None:
        """Adjust the ranges of controls that depend on others (called without redraws)."""

    def draw(self, **values):
        raise NotImplementedError

    def redraw(self) -> None:
        """Recompute and redraw from the current control values.

        If the library refuses the combination, the caption says why and the controls go back to the
        values of the picture shown (on the first draw, when there is none, the error is raised).
        """
        with self._quiet():
            self.limit()
            self._match_preset()
        values = self.values
        try:
            figure, data, caption = self.draw(**values)
        except ValueError as error:
            if self.drawn is None:
                raise
            self._restore(self.drawn)
            self.caption.value = (
                f"<span style='color:#b00'>{html.escape(str(error))}</span><br>"
                "<i>" + _("The controls are back at the values of the picture.") + "</i>"
            )
            return
        png = viz.png_bytes(figure)
        self.figure, self.data, self.caption.value, self.drawn = figure, data, caption, values
        self.image.width = str(round(figure.get_figwidth() * viz.DPI))  # its own size: sharp, not stretched
        self.image.value = png


def _map_sliders(height: int, width: int, window_size: int, shift_size: int, largest: int) -> dict:
    """Sliders for a token map's size, its window and its shift (kept below the window by ``limit``)."""
    return {
        "height": _slider("height", _("height H"), height, 1, largest),
        "width": _slider("width", _("width W"), width, 1, largest),
        "window_size": _slider("window_size", _("window M"), window_size, 1, 12),
        "shift_size": _slider("shift_size", _("shift s"), shift_size, 0, max(window_size - 1, 0)),
    }


def _table(header: list, rows: list[list]) -> str:
    """A small HTML table, numbers right-aligned."""
    cell = "<{tag} style='padding: 1px 10px; text-align: right'>{value}</{tag}>"
    lines = ["".join(cell.format(tag="th", value=h) for h in header)]
    lines += ["".join(cell.format(tag="td", value=html.escape(str(v))) for v in row) for row in rows]
    return "<table style='border-collapse: collapse'>" + "".join(f"<tr>{line}</tr>" for line in lines) + "</table>"


def _note(geometry: dict) -> str:
    return "<br><i>" + _("{note}.").format(note=html.escape(geometry["note"])) + "</i>" if geometry["note"] else ""


class ShiftExplorer(Explorer):
    """Regular windows, the displaced partition, and the cyclic shift with its regions (Fig. 2 and 4).

    Controls: ``height`` and ``width`` of the token map, ``window_size`` M, ``shift_size`` s (kept below M).
    ``data`` (:func:`~swin_edu.viz.shift_picture`): the values drawn, the effective ``window`` and ``shift``,
    ``naive`` (the displaced partition's window of each token), ``labels`` (region labels of the rolled
    map), and the window counts ``n_naive`` and ``n_cyclic``.
    """

    def __init__(self, height: int = 8, width: int = 8, window_size: int = 4, shift_size: int = 2):
        super().__init__(_map_sliders(height, width, window_size, shift_size, largest=32))

    def limit(self) -> None:
        self.controls["shift_size"].max = self.controls["window_size"].value - 1

    def draw(self, height, width, window_size, shift_size):
        figure, data = viz.shift_picture(height, width, window_size, shift_size)
        m, s = data["window"], data["shift"]
        if s == 0:
            caption = _("No shift: {windows} of {m}x{m}, no regions, no mask.").format(
                windows=count(data["n_cyclic"], N_("{n} window"), N_("{n} windows")), m=m
            )
        else:
            caption = _(
                "Displacing the windows by s={s} cuts the map into <b>{naive}</b>, "
                "some smaller than {m}x{m}; after the cyclic shift the same attention takes "
                "<b>{cyclic}</b> of {m}x{m}, with a mask between the {regions}."
            ).format(
                s=s,
                m=m,
                naive=count(data["n_naive"], N_("{n} window"), N_("{n} windows")),
                cyclic=count(data["n_cyclic"], N_("{n} window"), N_("{n} windows")),
                regions=count(len(data["labels"].unique()), N_("{n} region"), N_("{n} regions")),
            )
        return figure, data, caption + _note(data["geometry"])


class MaskExplorer(Explorer):
    """The regions inside one window of a shifted map and its ``N x N`` attention mask.

    Controls: ``preset`` (a small teaching map or Swin-T's stage 1), ``height``, ``width``,
    ``window_size``, ``shift_size`` and ``window`` (numbered row by row; its range follows the map).
    ``data`` (:func:`~swin_edu.viz.mask_picture`): the values drawn, ``mask`` (``(N, N)``, the window's
    slice of :func:`~swin_edu.windows.shifted_window_mask`), ``labels`` (the window's ``(M, M)`` region
    labels), ``open`` (pairs allowed to attend) and the ``geometry`` used.
    """

    presets = {  # noqa: RUF012 (the names are the buttons' values; their labels are translated)
        N_("8x8 map, M=4 (teaching)"): dict(height=8, width=8, window_size=4, shift_size=2),
        N_("Swin-T stage 1: 56x56, M=7"): dict(height=56, width=56, window_size=7, shift_size=3),
    }

    def __init__(
        self, height: int = 8, width: int = 8, window_size: int = 4, shift_size: int = 2, window: int | None = None
    ):
        controls = _map_sliders(height, width, window_size, shift_size, largest=64)  # checks the values first
        last = window_grid(height, width, window_size, shift_size).n_windows - 1
        window = last if window is None else window
        super().__init__({**controls, "window": _slider("window", _("window #"), window, 0, last)})

    def preset_applied(self, name: str) -> None:
        self.controls["window"].value = self.controls["window"].max  # the last window holds four regions

    def limit(self) -> None:
        self.controls["shift_size"].max = self.controls["window_size"].value - 1
        v = self.values
        grid = window_grid(v["height"], v["width"], v["window_size"], v["shift_size"])
        self.controls["window"].max = grid.n_windows - 1

    def draw(self, preset, height, width, window_size, shift_size, window):
        figure, data = viz.mask_picture(height, width, window_size, shift_size, window)
        m = data["geometry"]["window"]
        regions, sizes = data["labels"].unique(return_counts=True)
        pairs = count(m**4, N_("{n} pair"), N_("{n} pairs"))
        if len(regions) == 1:
            caption = _(
                "Window {window} holds one region ({region}): every token sees all "
                "{tokens}, the mask is all 0 ({open} of {pairs} open)."
            ).format(
                window=window,
                region=regions[0].item(),
                tokens=count(m * m, N_("{n} token"), N_("{n} tokens")),
                open=data["open"],
                pairs=pairs,
            )
        else:
            held = _(", ").join(
                _("{region} ({tokens})").format(region=r, tokens=count(n, N_("{n} token"), N_("{n} tokens")))
                for r, n in zip(regions.tolist(), sizes.tolist())
            )
            caption = _(
                "Window {window} holds regions {held}. Each token attends only to tokens of its own region: "
                "{open} of {pairs} are open (0); the others get -100, "
                "a weight of about e<sup>-100</sup> after the softmax."
            ).format(window=window, held=held, open=data["open"], pairs=pairs)
        return figure, data, caption + _note(data["geometry"])


def _swin_t_stages() -> tuple[dict[str, dict], dict[str, str]]:
    """Swin-T's four stages at 224x224 as (h, w, C, M) presets, read off the model's structure, and the
    labels of their buttons in the current language (the names, the buttons' values, stay English)."""
    presets, labels = {}, {}
    for row in complexity.stage_summary(swin.meta_model("swin_t", 7)):
        fields = dict(stage=row["stage"], h=row["height"], w=row["width"], C=row["channels"])
        name = "Swin-T stage {stage}: {h}x{w}, C={C}".format(**fields)
        labels[name] = _("Swin-T stage {stage}: {h}x{w}, C={C}").format(**fields)
        presets[name] = dict(h=row["height"], w=row["width"], C=row["channels"], M=row["window"])
    return presets, labels


class ComplexityExplorer(Explorer):
    """Omega(MSA) against Omega(W-MSA) (Eq. 1 and 2) on log axes, for a chosen map, width and window.

    Controls: ``preset`` (one of Swin-T's four stages), ``h``, ``w``, ``C``, ``M``.
    ``data`` (:func:`~swin_edu.viz.complexity_picture`): the values drawn, ``msa``, ``wmsa`` (MACs, from
    :mod:`swin_edu.complexity`) and their ``ratio``.
    """

    def __init__(self, h: int = 56, w: int = 56, C: int = 96, M: int = 7):
        self.presets, self._labels = _swin_t_stages()
        super().__init__(
            dict(
                h=_slider("h", _("h (tokens)"), h, 1, 256),
                w=_slider("w", _("w (tokens)"), w, 1, 256),
                C=_slider("C", "C", C, 8, 1536, 8),
                M=_slider("M", "M", M, 1, 32),
            )
        )

    def preset_label(self, name: str) -> str:
        return self._labels[name]

    def draw(self, preset, h, w, C, M):
        figure, data = viz.complexity_picture(h, w, C, M)
        caption = _(
            "On {h}x{w} = {tokens} of width {C}: Ω(MSA) = {msa} and "
            "Ω(W-MSA) = {wmsa} multiply-accumulates, <b>{ratio}x</b> less with {M}x{M} "
            "windows. The ratio is (4C + 2hw) / (4C + 2M²): it grows with the number of tokens."
        ).format(
            h=h,
            w=w,
            C=C,
            M=M,
            tokens=count(h * w, N_("{n} token"), N_("{n} tokens")),
            msa=f"{data['msa']:,}",
            wmsa=f"{data['wmsa']:,}",
            ratio=f"{data['ratio']:.3g}",
        )
        m = data["window"]
        if m != M:
            windows = (_("one {m}x{m} window") if h == w else _("{m}x{m} windows")).format(m=m)
            caption += (
                "<br><i>"
                + _(
                    "M={M} is larger than the map's shorter side {m}: a Swin block uses {windows} there "
                    "(and no shift), so Ω(W-MSA) is counted with M={m}."
                ).format(M=M, m=m, windows=windows)
                + "</i>"
            )
        elif h % M or w % M:
            caption += (
                "<br><i>"
                + _("{h}x{w} is not a multiple of M={M}: a Swin block pads the map first, and costs more.").format(
                    h=h, w=w, M=M
                )
                + "</i>"
            )
        return figure, data, caption


class RelativePositionExplorer(Explorer):
    """The relative position index of one query (Eq. 4) and, given a model, its learned bias.

    Controls: ``window_size`` M, ``query_row`` and ``query_col`` (kept inside the window). With a
    ``model`` (a :class:`~swin_edu.swin.SwinTransformer`), also ``stage``, ``block`` and ``head``; the
    window is then that block's and the slider for M is locked to it.
    ``data`` (:func:`~swin_edu.viz.relative_position_picture`): the values drawn, ``index`` (the query's
    ``(M, M)`` table rows) and, with a model, ``stage``, ``block``, ``head`` and ``bias`` (``(M, M)``).
    """

    def __init__(self, window_size: int = 4, query: tuple[int, int] = (1, 2), model=None):
        self.model = model
        controls = dict(
            window_size=_slider("window_size", _("window M"), window_size, 1, 12),
            query_row=_slider("query_row", _("query row"), query[0], 0, window_size - 1),
            query_col=_slider("query_col", _("query col"), query[1], 0, window_size - 1),
        )
        if model is not None:
            controls["window_size"].disabled = True
            controls.update(
                stage=_slider("stage", _("stage"), 1, 1, len(model.layers)),
                block=_slider("block", _("block"), 1, 1, len(model.layers[0].blocks)),
                head=_slider("head", _("head"), 1, 1, model.layers[0].blocks[0].attn.num_heads),
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
        M, table = window_size, None
        if self.model is not None:
            attn = self._attention()[1]
            with torch.no_grad():
                table = attn.relative_position_bias_table[:, head - 1].detach().float().cpu()
        figure, data = viz.relative_position_picture(M, (query_row, query_col), table)
        caption = _(
            "The query at (row {row}, col {col}) of a {M}x{M} window reads "
            "{rows} of the {table}-row table, one per key; the rows depend only on "
            "the offset query − key, so every window and every position share the same table."
        ).format(
            row=query_row,
            col=query_col,
            M=M,
            rows=count(M * M, N_("{n} row"), N_("{n} rows")),
            table=(2 * M - 1) ** 2,
        )
        if self.model is not None:
            data.update(stage=stage, block=block, head=head)
            caption += _(" Shown: the learned bias of stage {stage}, block {block}, head {head}.").format(
                stage=stage, block=block, head=head
            )
        return figure, data, caption


class ReceptiveFieldExplorer(Explorer):
    """How far a token's information travels through k Swin blocks, with and without the shift.

    Controls: ``height``, ``width``, ``window_size``, ``blocks`` k, ``shift`` (alternate W-MSA and SW-MSA
    or not), ``source_row`` and ``source_col`` (kept inside the map).
    ``data`` (:func:`~swin_edu.viz.receptive_field_picture`): the values drawn, ``first_reached``
    (:func:`~swin_edu.windows.receptive_field`: after which block each token first holds the source's
    information, -1 if not yet), ``reached`` (a boolean map) and ``counts`` (tokens reached per block).
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
                height=_slider("height", _("height H"), height, 2, 40),
                width=_slider("width", _("width W"), width, 2, 40),
                window_size=_slider("window_size", _("window M"), window_size, 1, 12),
                blocks=_slider("blocks", _("blocks k"), blocks, 0, 12),
                shift=widgets.Checkbox(value=shift, description=_("shift every other block"), style=_STYLE),
                source_row=_slider("source_row", _("source row"), source[0], 0, height - 1),
                source_col=_slider("source_col", _("source col"), source[1], 0, width - 1),
            )
        )

    def limit(self) -> None:
        self.controls["source_row"].max = self.controls["height"].value - 1
        self.controls["source_col"].max = self.controls["width"].value - 1

    def draw(self, height, width, window_size, blocks, shift, source_row, source_col):
        source = (source_row, source_col)
        figure, data = viz.receptive_field_picture(height, width, window_size, source, blocks, shift)
        n = int(data["reached"].sum())
        caption = _("After {blocks}, {n} of {tokens} hold information from token {source}.").format(
            blocks=count(blocks, N_("{n} block"), N_("{n} blocks")),
            n=n,
            tokens=count(height * width, N_("{n} token"), N_("{n} tokens")),
            source=source,
        )
        if not shift:
            caption += _(" Without the shift it never leaves its first window.")
        return figure, data, caption + _note(data["geometry"])


class HierarchyExplorer(Explorer):
    """The four stages of Swin-T/S/B/L for an image size: resolution, channels, windows and MACs.

    Controls: ``variant`` (``swin_t`` .. ``swin_l``), ``img_size`` (pixels, square, a multiple of 32),
    ``window_size``.
    ``data`` (:func:`~swin_edu.viz.hierarchy_picture`): the values drawn, ``stages``
    (:func:`~swin_edu.complexity.stage_summary`), ``resnet`` (:func:`~swin_edu.complexity.resnet50_stages`)
    and ``macs`` (:func:`~swin_edu.complexity.macs_by_part`). The table is part of the caption.
    """

    VARIANTS = {"Swin-T": "swin_t", "Swin-S": "swin_s", "Swin-B": "swin_b", "Swin-L": "swin_l"}

    def __init__(self, variant: str = "swin_t", img_size: int = 224, window_size: int = 7):
        super().__init__(
            dict(
                variant=widgets.ToggleButtons(options=list(self.VARIANTS.items()), value=variant, style=_STYLE),
                img_size=_slider("img_size", _("image side (pixels)"), img_size, 32, 1024, 32),
                window_size=widgets.Dropdown(
                    options=[7, 12], value=window_size, description=_("window M"), style=_STYLE
                ),
            )
        )

    def draw(self, variant, img_size, window_size):
        figure, data = viz.hierarchy_picture(variant, img_size, window_size)
        stages, resnet, macs = data["stages"], data["resnet"], data["macs"]
        header = [_("stage"), _("stride"), "H x W", "C", _("blocks"), "M", _("windows"), "GMACs", "ResNet-50 H x W x C"]
        rows = [
            [s["stage"], f"1/{s['stride']}", f"{s['height']}x{s['width']}", s["channels"], s["blocks"], s["window"],
             s["windows"], f"{s['macs'] / 1e9:.2f}", f"{r['height']}x{r['width']}x{r['channels']}"]
            for s, r in zip(stages, resnet)
        ]  # fmt: skip
        caption = _table(header, rows) + _("Total {gmacs} GMACs for a {size}x{size} image.").format(
            gmacs=f"{sum(macs.values()) / 1e9:.2f}", size=img_size
        )
        return figure, data, caption


class MultiScaleExplorer(Explorer):
    """Multi-scale inside one block (Res2Net) beside multi-scale across blocks (Swin), measured on one map.

    Controls: ``scale`` s (the groups of a Res2Net block; 1 is a ResNet bottleneck), ``blocks`` (the depth:
    Res2Net blocks at one stride, and as many Swin blocks, W-MSA and SW-MSA in turn) and ``window_size`` M of
    the Swin blocks.
    ``data`` (:func:`~swin_edu.viz.multi_scale_picture`): the values drawn, ``groups`` (which tokens each
    output group of the last Res2Net block sees, measured by gradients), ``extents`` (the side of each group's
    square), ``labels``, ``clipped``, ``swin`` (:func:`~swin_edu.windows.receptive_field`), ``swin_extent``,
    ``swin_reached`` and the Swin blocks' ``geometry``; ``side`` and ``source`` name the map and the token.
    """

    def __init__(self, scale: int = 4, blocks: int = 1, window_size: int = 7):
        super().__init__(
            dict(
                scale=_slider("scale", _("scale s (groups)"), scale, 1, 8),
                blocks=_slider("blocks", _("blocks"), blocks, 1, 6),
                window_size=_slider("window_size", _("Swin window M"), window_size, 2, 14),
            )
        )

    def draw(self, scale, blocks, window_size):
        figure, data = viz.multi_scale_picture(scale, blocks, window_size)
        extents = [e[0] for e in data["extents"]]
        side = data["side"]
        after = count(blocks, N_("{n} block"), N_("{n} blocks"))
        if scale == 1:
            res2net = _(
                "A ResNet bottleneck (s = 1) has one 3x3 convolution: after {blocks} every "
                "channel sees the same {e}x{e} square"
            ).format(blocks=after, e=extents[0])
        else:
            sides = _(", ").join(f"{name} {e}x{e}" for name, e in zip(data["labels"], extents))
            res2net = _(
                "Res2Net with s = {scale}: the groups of block {block} see squares of {sides}, "
                "<b>{sizes} in one block</b>"
            ).format(
                scale=scale,
                block=blocks,
                sides=sides,
                sizes=count(len(set(extents)), N_("{n} size"), N_("{n} sizes")),
            )
        if all(data["clipped"]):
            res2net += _(" (every square is clipped by the {side}x{side} map: each group sees all of it)").format(
                side=side
            )
        elif any(data["clipped"]):
            res2net += _(" (the largest are clipped by the {side}x{side} map)").format(side=side)
        rows, cols = data["swin_extent"]
        swin = _("Swin with M = {m} reaches {rows}x{cols} tokens ({reached} of {total}) after {blocks}").format(
            m=data["geometry"]["window"],
            rows=rows,
            cols=cols,
            reached=data["swin_reached"],
            total=side * side,
            blocks=after,
        )
        if blocks == 1:
            swin += _(": one window")
        g = data["geometry"]  # the picture shows the map itself, not the padding the blocks add
        note = g["note"].replace(" (grey)", "").replace(_(" (grey)"), "")  # the note of viz, in either language
        caption = _("{res2net}. {swin}.").format(res2net=res2net, swin=swin) + _note(dict(g, note=note))
        return figure, data, caption
