"""The explorers: every control changes the picture, and what is drawn is what the library computes."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import event, given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.text import Text

import swin_edu
from swin_edu import complexity, viz
from swin_edu.widgets import (
    ComplexityExplorer,
    Explorer,
    HierarchyExplorer,
    MaskExplorer,
    ReceptiveFieldExplorer,
    RelativePositionExplorer,
    ShiftExplorer,
    Slider,
)
from swin_edu.windows import (
    cyclic_shift,
    receptive_field,
    region_labels,
    relative_position_index,
    shifted_partition,
    shifted_window_mask,
    window_grid,
)

EXPLORERS = [
    ShiftExplorer,
    MaskExplorer,
    ComplexityExplorer,
    RelativePositionExplorer,
    ReceptiveFieldExplorer,
    HierarchyExplorer,
]


def drawn(figure: Figure, axes: int, image: int = 0) -> np.ndarray:
    """The array shown by an image of one of the figure's axes."""
    return np.asarray(figure.axes[axes].images[image].get_array())


def change(explorer, name, value):
    """Set a control; return whether the figure, its PNG and the caption were all replaced."""
    before = (explorer.figure, explorer.image.value, explorer.caption.value)
    explorer.controls[name].value = value
    assert explorer.controls[name].value == value, f"{name} did not take {value!r}"
    return explorer.figure is not before[0] and bytes(explorer.image.value) != bytes(before[1])


@pytest.mark.parametrize("cls", EXPLORERS)
def test_every_explorer_has_controls_a_figure_and_a_caption(cls):
    explorer = cls()
    assert explorer.controls and all(hasattr(c, "value") for c in explorer.controls.values())
    assert isinstance(explorer.figure, Figure)
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    assert explorer.caption.value and explorer.data
    assert plt.get_fignums() == []  # figures are made without pyplot: nothing piles up


def assert_rolled_pieces_are_regions(colours, H, W, M, s):
    """The rolled panel colours each naive piece as the naive panel does (the roll of its partition), and
    inside every regular window two tokens share a colour exactly when they share a region label."""
    naive = shifted_partition(H, W, M, s)
    np.testing.assert_array_equal(colours, cyclic_shift(naive[None, :, :, None], s)[0, :, :, 0] % 20)
    labels = region_labels(H, W, M, s)
    for top in range(0, H, M):
        for left in range(0, W, M):
            c = torch.as_tensor(colours[top : top + M, left : left + M]).flatten()
            r = labels[top : top + M, left : left + M].flatten()
            assert torch.equal(c[:, None] == c[None, :], r[:, None] == r[None, :])


def test_shift_explorer():
    e = ShiftExplorer()
    assert (e.data["n_naive"], e.data["n_cyclic"]) == (9, 4)  # Fig. 2 against Fig. 4
    np.testing.assert_array_equal(drawn(e.figure, 1), shifted_partition(8, 8, 4, 2) % 20)
    assert_rolled_pieces_are_regions(drawn(e.figure, 2), 8, 8, 4, 2)
    assert change(e, "shift_size", 1)
    assert_rolled_pieces_are_regions(drawn(e.figure, 2), 8, 8, 4, 1)
    assert change(e, "shift_size", 0)
    assert e.data["n_naive"] == e.data["n_cyclic"] == 4 and "No shift" in e.caption.value
    assert change(e, "window_size", 8)
    assert e.controls["shift_size"].max == 7
    e.controls["shift_size"].value = 7
    assert change(e, "window_size", 2)  # the shift is clamped below the new window
    assert e.values["shift_size"] == 1 and e.data["shift"] == 1
    assert change(e, "height", 3)  # not a multiple of 2: padded and said so
    assert "pads it to 4x8" in e.caption.value
    assert change(e, "window_size", 5)  # larger than the 3x8 map: one 3x3 window per step, no shift
    assert e.data["window"] == 3 and e.data["shift"] == 0
    assert "shorter side 3 is smaller than the window M=5, so Swin uses 3x3 windows and no shift" in e.caption.value


def test_mask_explorer():
    e = MaskExplorer()
    assert e.values["window"] == 3 and e.values["preset"] == "8x8 map, M=4 (teaching)"
    torch.testing.assert_close(e.data["mask"], shifted_window_mask(8, 8, 4, 2)[3], rtol=0, atol=0)
    np.testing.assert_array_equal(drawn(e.figure, 2), shifted_window_mask(8, 8, 4, 2)[3])
    assert "regions 4 (4 tokens), 5 (4 tokens), 7 (4 tokens), 8 (4 tokens)" in e.caption.value
    assert change(e, "window", 0)
    assert (e.data["mask"] == 0).all() and "one region" in e.caption.value
    assert change(e, "preset", "Swin-T stage 1: 56x56, M=7")
    assert (e.values["height"], e.values["window_size"], e.values["shift_size"], e.values["window"]) == (56, 7, 3, 63)
    torch.testing.assert_close(e.data["mask"], shifted_window_mask(56, 56, 7, 3)[63], rtol=0, atol=0)
    assert e.data["mask"].shape == (49, 49)
    assert change(e, "height", 14)  # the window number follows the smaller map, the preset is left
    assert e.values["preset"] is None and e.controls["window"].max == 2 * 8 - 1 and e.values["window"] == 15
    torch.testing.assert_close(e.data["mask"], shifted_window_mask(14, 56, 7, 3)[15], rtol=0, atol=0)
    assert change(e, "shift_size", 1)
    torch.testing.assert_close(e.data["mask"], shifted_window_mask(14, 56, 7, 1)[15], rtol=0, atol=0)


def test_complexity_explorer():
    e = ComplexityExplorer()
    assert e.values["preset"].startswith("Swin-T stage 1")  # the defaults are stage 1's
    assert e.data["msa"] == complexity.msa_macs(56, 56, 96) and e.data["wmsa"] == complexity.wmsa_macs(56, 56, 96, 7)
    stage3 = [name for name in e.controls["preset"].options if name.startswith("Swin-T stage 3")][0]
    assert change(e, "preset", stage3)
    assert (e.values["h"], e.values["w"], e.values["C"], e.values["M"]) == (14, 14, 384, 7)
    assert e.data["ratio"] == pytest.approx((4 * 384 + 2 * 196) / (4 * 384 + 2 * 49))
    assert change(e, "C", 64)
    assert e.values["preset"] is None and e.data["msa"] == complexity.msa_macs(14, 14, 64)
    assert change(e, "M", 2)
    assert e.data["wmsa"] == complexity.wmsa_macs(14, 14, 64, 2)
    assert change(e, "M", 20) and "larger than the map's shorter side 14" in e.caption.value
    assert e.data["window"] == 14 and e.data["wmsa"] == complexity.wmsa_macs(14, 14, 64, 14) == e.data["msa"]
    line = e.figure.axes[0].lines[0]  # the MSA curve is the formula
    n, macs = line.get_data()
    side = np.sqrt(n).astype(int)
    np.testing.assert_array_equal(macs, [complexity.msa_macs(int(x), int(x), 64) for x in side])


def test_relative_position_explorer():
    e = RelativePositionExplorer()
    np.testing.assert_array_equal(e.data["index"], relative_position_index(4)[1 * 4 + 2].reshape(4, 4))
    np.testing.assert_array_equal(drawn(e.figure, 0), e.data["index"])
    assert change(e, "query_col", 0)
    np.testing.assert_array_equal(e.data["index"], relative_position_index(4)[4].reshape(4, 4))
    e.controls["query_row"].value = 3
    assert change(e, "window_size", 2)  # the query is kept inside the smaller window
    assert (e.values["query_row"], e.values["query_col"]) == (1, 0)
    np.testing.assert_array_equal(e.data["index"], relative_position_index(2)[2].reshape(2, 2))


def test_relative_position_explorer_shows_a_models_bias():
    torch.manual_seed(0)
    model = swin_edu.swin_t(num_classes=0)
    e = RelativePositionExplorer(window_size=7, query=(3, 4), model=model)
    assert e.controls["window_size"].disabled
    assert change(e, "head", 2)
    attn = model.layers[0].blocks[0].attn
    with torch.no_grad():
        expected = attn.relative_position_bias()[1, 3 * 7 + 4].reshape(7, 7)  # the module's own path
    torch.testing.assert_close(e.data["bias"], expected, rtol=0, atol=0)
    assert change(e, "stage", 4)
    assert e.controls["head"].max == 24 and e.controls["block"].max == 2


def test_receptive_field_explorer():
    e = ReceptiveFieldExplorer(blocks=1)
    reached = e.data["reached"]
    assert int(reached.sum()) == 16 and reached[4:8, 4:8].all()  # one W-MSA block: exactly the window
    np.testing.assert_array_equal(e.data["first_reached"], receptive_field(16, 16, 4, (5, 6), 1, True))
    assert change(e, "blocks", 3)
    grown = int(e.data["reached"].sum())
    assert grown > 16
    assert change(e, "shift", False)
    assert int(e.data["reached"].sum()) == 16  # without the shift it never leaves the window
    assert change(e, "height", 6)  # the source row is kept on the map
    assert e.values["source_row"] == 5 and e.controls["source_row"].max == 5
    e.controls["source_row"].value = 5
    assert change(e, "height", 4)
    assert e.values["source_row"] == 3


def test_hierarchy_explorer():
    e = HierarchyExplorer()
    assert [s["channels"] for s in e.data["stages"]] == [96, 192, 384, 768]
    assert [(s["height"], s["width"]) for s in e.data["stages"]] == [(56, 56), (28, 28), (14, 14), (7, 7)]
    assert [s["height"] for s in e.data["resnet"]] == [56, 28, 14, 7]
    assert sum(e.data["macs"].values()) == complexity.model_macs(swin_edu.swin_t())
    assert "4.49 GMACs" in e.caption.value
    assert change(e, "variant", "swin_b")
    assert [s["channels"] for s in e.data["stages"]] == [128, 256, 512, 1024]
    assert change(e, "img_size", 384)
    assert e.data["stages"][0]["height"] == 96 and e.data["stages"][0]["windows"] == 14 * 14  # 96 padded to 98
    assert change(e, "window_size", 12)
    assert round(sum(e.data["macs"].values()) / 1e9, 1) == 47.1  # Swin-B at 384 (official count)


def test_a_refused_combination_is_explained_in_the_caption():
    class Refusing(Explorer):
        def __init__(self):
            import ipywidgets

            super().__init__(dict(n=ipywidgets.IntSlider(value=1, min=0, max=3)))

        def draw(self, n):
            if n == 0:
                raise ValueError("n must be positive")
            return viz.complexity_figure(8, 8, 16, 4), {"n": n}, f"n = {n}"

    e = Refusing()
    figure = e.figure
    e.controls["n"].value = 0
    assert "n must be positive" in e.caption.value and e.figure is figure and e.data == {"n": 1}
    assert e.values["n"] == 1 and e.drawn == {"n": 1}  # the slider went back to the picture's value
    assert "back at the values of the picture" in e.caption.value
    e.controls["n"].value = 2
    assert e.caption.value == "n = 2"


def test_hold_redraws_once():
    e = ShiftExplorer()
    calls = []
    original = e.draw
    e.draw = lambda **values: calls.append(values) or original(**values)
    with e.hold():
        e.controls["height"].value = 12
        e.controls["width"].value = 12
    assert len(calls) == 1 and calls[0]["height"] == calls[0]["width"] == 12


# ---------------------------------------------------------------------- the picture always matches the controls

#: how a control's value is read back from the data its picture was drawn from (default: data[name])
READ_BACK = {
    "query_row": lambda data: data["query"][0],
    "query_col": lambda data: data["query"][1],
    "source_row": lambda data: data["source"][0],
    "source_col": lambda data: data["source"][1],
}

ONE_PLURAL = re.compile(r"(?<![\d.,x×])1 (windows|tokens|pairs|rows|regions|blocks)\b")


def texts(explorer) -> list[str]:
    """The caption and every text drawn in the figure."""
    return [explorer.caption.value] + [t.get_text() for t in explorer.figure.findobj(Text)]


def agrees_with_library(e) -> None:
    """The explorer's data is what the library computes for the values it names."""
    d = e.data
    if isinstance(e, ShiftExplorer):
        g = d["geometry"]
        torch.testing.assert_close(d["labels"], region_labels(g["Hp"], g["Wp"], d["window"], d["shift"]))
        assert d["n_cyclic"] == window_grid(d["height"], d["width"], d["window_size"], d["shift_size"]).n_windows
    elif isinstance(e, MaskExplorer):
        g = d["geometry"]
        expected = shifted_window_mask(g["Hp"], g["Wp"], g["window"], g["shift"])[d["window"]]
        torch.testing.assert_close(d["mask"], expected, rtol=0, atol=0)
    elif isinstance(e, ComplexityExplorer):
        assert d["msa"] == complexity.msa_macs(d["h"], d["w"], d["C"])
        assert d["window"] == window_grid(d["h"], d["w"], d["M"]).window
        assert d["wmsa"] == complexity.wmsa_macs(d["h"], d["w"], d["C"], d["window"])
    elif isinstance(e, RelativePositionExplorer):
        M, (r, c) = d["window_size"], d["query"]
        np.testing.assert_array_equal(d["index"], relative_position_index(M)[r * M + c].reshape(M, M))
    elif isinstance(e, ReceptiveFieldExplorer):
        expected = receptive_field(d["height"], d["width"], d["window_size"], d["source"], d["blocks"], d["shift"])
        np.testing.assert_array_equal(d["first_reached"], expected)
    elif isinstance(e, HierarchyExplorer):
        assert d["stages"][0]["height"] == d["img_size"] // 4
        assert d["stages"][0]["channels"] == swin_edu.swin.CONFIGS[d["variant"]]["embed_dim"]


def assert_consistent(e) -> None:
    """Picture, data, caption and controls all describe the same configuration."""
    values = e.values
    assert e.drawn == values
    for name, value in values.items():
        if name != "preset":
            read = READ_BACK.get(name)
            assert (read(e.data) if read else e.data[name]) == value, name
    if "preset" in values:
        matching = [n for n, p in e.presets.items() if all(values[k] == v for k, v in p.items())]
        assert values["preset"] in (matching or [None]), (values["preset"], matching)
    assert "color:#b00" not in e.caption.value, e.caption.value
    bad = [s for s in texts(e) if ONE_PLURAL.search(s)]
    assert not bad, bad
    agrees_with_library(e)


def a_value(data, control):
    """A value the control offers now, drawn by hypothesis."""
    if hasattr(control, "options"):
        return data.draw(st.sampled_from([o[1] if isinstance(o, tuple) else o for o in control.options]))
    if isinstance(control.value, bool):
        return data.draw(st.booleans())
    return control.min + control.step * data.draw(st.integers(0, (control.max - control.min) // control.step))


@settings(max_examples=6, deadline=None, derandomize=True)  # the same examples on every run
@given(st.data())
@pytest.mark.parametrize("cls", EXPLORERS)
def test_any_sequence_of_changes_ends_with_a_picture_of_the_controls(cls, data):
    """Random changes: one at a time, several in hold(), values a slider cannot show; after each, the
    picture's data names the controls' values, the presets are pressed exactly when they match, and no
    caption or figure text says "1 windows"."""
    e = cls()
    assert_consistent(e)
    names = list(e.controls)
    for _ in range(data.draw(st.integers(1, 3))):
        action = data.draw(st.sampled_from(["set", "hold", "refused"]))
        event(action)
        if action == "set":
            name = data.draw(st.sampled_from(names))
            e.controls[name].value = a_value(data, e.controls[name])
        elif action == "hold":
            with e.hold():
                for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)):
                    e.controls[name].value = a_value(data, e.controls[name])
        else:
            sliders = [n for n, c in e.controls.items() if isinstance(c, Slider)]
            name = data.draw(st.sampled_from(sliders))
            slider, before = e.controls[name], e.values
            off_step = [slider.min + 1] if slider.step > 1 else []
            bad = data.draw(st.sampled_from([slider.max + slider.step, slider.min - 1, *off_step]))
            with pytest.raises(ValueError, match=f"{name} must be an integer from {slider.min} to {slider.max}"):
                slider.value = bad
            assert e.values == before
        assert_consistent(e)


def test_each_picture_is_computed_once(monkeypatch):
    """The explorer shows the data its figure was drawn from: no second computation of the geometry or costs."""
    calls = []
    geometry, stage_summary = viz.geometry, complexity.stage_summary
    monkeypatch.setattr(viz, "geometry", lambda *a: calls.append("geometry") or geometry(*a))
    monkeypatch.setattr(complexity, "stage_summary", lambda *a: calls.append("stages") or stage_summary(*a))
    for build, name, value, computed in (
        (ShiftExplorer, "height", 12, "geometry"),
        (MaskExplorer, "height", 12, "geometry"),
        (ReceptiveFieldExplorer, "height", 12, "geometry"),
        (HierarchyExplorer, "img_size", 256, "stages"),
    ):
        e = build()
        calls.clear()
        e.controls[name].value = value
        assert calls == [computed], (build.__name__, calls)


def test_a_preset_is_pressed_exactly_while_its_values_are_shown():
    e = MaskExplorer()
    assert e.values["preset"] == "8x8 map, M=4 (teaching)"
    with e.hold():  # hold() used to skip the re-matching: the button stayed pressed for a 12x8 map
        e.controls["height"].value = 12
    assert e.values["preset"] is None and e.data["height"] == 12
    with e.hold():
        e.controls["height"].value = 8
    assert e.values["preset"] == "8x8 map, M=4 (teaching)"
    e.controls["window_size"].value = 2  # the shift's range is now 0..1
    assert e.values["preset"] is None and e.values["shift_size"] == 1
    e.controls["preset"].value = "8x8 map, M=4 (teaching)"  # sets the window before the shift: s=2 fits again
    assert (e.values["window_size"], e.values["shift_size"]) == (4, 2) and e.data["shift_size"] == 2
    assert e.values["preset"] == "8x8 map, M=4 (teaching)"
    e.controls["preset"].value = None  # unpressed from code while the values still match: pressed again
    assert e.values["preset"] == "8x8 map, M=4 (teaching)"
    c = ComplexityExplorer()
    stage2 = next(n for n in c.presets if n.startswith("Swin-T stage 2"))
    with c.hold():  # a preset's values set one by one press its button
        c.controls["h"].value, c.controls["w"].value, c.controls["C"].value = 28, 28, 192
    assert c.values["preset"] == stage2
    assert_consistent(c)


def test_hold_lets_dependent_controls_follow_and_always_redraws():
    e = ShiftExplorer()
    with e.hold():  # the shift's range follows the window at once, inside the block
        e.controls["window_size"].value = 8
        e.controls["shift_size"].value = 7
    assert (e.data["window_size"], e.data["shift_size"]) == (8, 7)
    with pytest.raises(ValueError, match="shift_size must be an integer from 0 to 7, got 9"), e.hold():
        e.controls["height"].value = 16
        e.controls["shift_size"].value = 9
    assert e.data["height"] == 16  # the change made before the error is drawn
    assert_consistent(e)


def test_a_map_of_exactly_one_window_says_why_there_is_no_shift():
    for e in (ShiftExplorer(4, 4, 4, 2), MaskExplorer(4, 4, 4, 2)):
        g = e.data["geometry"]
        assert (g["window"], g["shift"], g["n_windows"]) == (4, 0, 1)
        assert "exactly one 4x4 window: there is nothing to shift, so Swin uses no shift" in e.caption.value
        assert_consistent(e)
    e = ShiftExplorer(4, 4, 4, 2)
    assert "No shift: 1 window of 4x4" in e.caption.value
    assert "1 window of 4x4" in e.figure.axes[0].get_title()
    assert change(e, "width", 8)  # two windows side by side, but the shorter side is still one window
    assert e.data["shift"] == 0 and "shorter side equals the window M=4, so Swin uses no shift" in e.caption.value
    assert change(e, "height", 8)  # 2 x 2 windows: the shift is back
    assert e.data["shift"] == 2 and "no shift" not in e.caption.value.lower()
    r = ReceptiveFieldExplorer(height=4, width=4, window_size=4, source=(0, 0), blocks=1)
    assert "exactly one 4x4 window" in r.caption.value and "After 1 block, 16 of 16 tokens" in r.caption.value


def test_a_value_a_slider_cannot_show_is_refused():
    with pytest.raises(ValueError, match=r"img_size must be an integer from 32 to 1024 in steps of 32 \(32, 64"):
        HierarchyExplorer(img_size=230)
    with pytest.raises(ValueError, match="C must be an integer from 8 to 1536 in steps of 8"):
        ComplexityExplorer(C=100)
    with pytest.raises(ValueError, match="height must be an integer from 1 to 32, got 40"):
        ShiftExplorer(height=40)
    with pytest.raises(ValueError, match="shift_size must be an integer from 0 to 3, got 5"):
        ShiftExplorer(window_size=4, shift_size=5)
    e = HierarchyExplorer()
    image = bytes(e.image.value)
    for bad in (230, 2048, 0):  # set from code: refused, and the picture and slider stay at 224
        with pytest.raises(ValueError, match="img_size must be"):
            e.controls["img_size"].value = bad
        assert e.values["img_size"] == e.data["img_size"] == 224 and bytes(e.image.value) == image
    assert change(e, "img_size", 256)  # a value on the slider's steps is drawn
    assert e.data["stages"][0]["height"] == 64


def test_a_refused_first_picture_raises():
    class Refusing(Explorer):
        def __init__(self):
            import ipywidgets

            super().__init__(dict(n=ipywidgets.IntSlider(value=0, min=0, max=3)))

        def draw(self, n):
            raise ValueError("n must be positive")

    with pytest.raises(ValueError, match="n must be positive"):
        Refusing()


def test_counts_of_one_are_singular():
    assert viz.plural(1, "window") == "1 window" and viz.plural(0, "window") == "0 windows"
    assert viz.plural(2, "window") == "2 windows"
    e = ShiftExplorer(height=1, width=1, window_size=1, shift_size=0)
    m = MaskExplorer(height=1, width=1, window_size=1, shift_size=0)
    r = RelativePositionExplorer(window_size=1, query=(0, 0))
    for explorer in (e, m, r):
        bad = [s for s in texts(explorer) if ONE_PLURAL.search(s)]
        assert not bad, bad
    assert "all 1 token, the mask is all 0 (1 of 1 pair open)" in m.caption.value
    assert "reads 1 row of the 1-row table" in r.caption.value
