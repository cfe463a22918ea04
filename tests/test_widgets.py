"""The explorers: every control changes the picture, and what is drawn is what the library computes."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

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
)
from swin_edu.windows import (
    receptive_field,
    region_labels,
    relative_position_index,
    shifted_partition,
    shifted_window_mask,
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


def test_shift_explorer():
    e = ShiftExplorer()
    assert (e.data["n_naive"], e.data["n_cyclic"]) == (9, 4)  # Fig. 2 against Fig. 4
    np.testing.assert_array_equal(drawn(e.figure, 1), shifted_partition(8, 8, 4, 2) % 20)
    np.testing.assert_array_equal(drawn(e.figure, 2), region_labels(8, 8, 4, 2))
    assert change(e, "shift_size", 1)
    np.testing.assert_array_equal(drawn(e.figure, 2), region_labels(8, 8, 4, 1))
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
    assert e.data["window"] == 3 and e.data["shift"] == 0 and "no larger than a 5x5 window" in e.caption.value


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
    assert change(e, "M", 20) and "larger than the map" in e.caption.value
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


@settings(max_examples=5)
@given(st.data())
@pytest.mark.parametrize("cls", EXPLORERS)
def test_no_setting_of_the_controls_raises(cls, data):
    """Any value a control offers, in any order: a picture and a caption, never an exception."""
    e = cls()
    names = list(e.controls)
    for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)):
        control = e.controls[name]
        if hasattr(control, "options"):
            options = [o[1] if isinstance(o, tuple) else o for o in control.options]
            value = data.draw(st.sampled_from(options))
        elif isinstance(control.value, bool):
            value = data.draw(st.booleans())
        else:
            value = control.min + control.step * data.draw(st.integers(0, (control.max - control.min) // control.step))
        control.value = value
        assert "color:#b00" not in e.caption.value, e.caption.value
        assert isinstance(e.figure, Figure)
