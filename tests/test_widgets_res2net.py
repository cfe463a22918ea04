"""The multi-scale explorer (notebook 07): Res2Net's groups beside Swin's reach, drawn from measured fields."""

import matplotlib.pyplot as plt
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from swin_edu import viz
from swin_edu.widgets import MultiScaleExplorer, Slider
from swin_edu.windows import receptive_field
from tests.test_widgets import a_value, assert_consistent, change


def expected_sides(scale, blocks):
    """1 + 2(s-1) per earlier block (conv3 gives every channel the widest group), then 2i for group i of the
    last block; the group passed through keeps the field the block received."""
    before = 1 + 2 * max(1, scale - 1) * (blocks - 1)
    if scale == 1:
        return [before + 2]
    return [before + 2 * i for i in range(1, scale)] + [before]


def agrees_with_library(e):
    d = e.data
    side, source = d["side"], d["source"]
    for (rows, cols), want, clipped in zip(d["extents"], expected_sides(d["scale"], d["blocks"]), d["clipped"]):
        assert rows == cols
        if not clipped:
            assert rows == want
        else:  # clipped by the border: the square runs from the border to the source's side at most
            assert rows < want
    torch.testing.assert_close(d["swin"], receptive_field(side, side, d["window_size"], source, d["blocks"], True))
    assert d["swin_reached"] == int((d["swin"] >= 0).sum())


def test_the_explorer_has_controls_a_figure_and_a_caption():
    e = MultiScaleExplorer()
    assert set(e.controls) == {"scale", "blocks", "window_size"}
    assert isinstance(e.figure, Figure) and bytes(e.image.value).startswith(b"\x89PNG")
    assert e.caption.value and e.data
    assert plt.get_fignums() == []
    assert "swin-edu-multiscaleexplorer" in e._dom_classes and "swin-edu-explorer" in e._dom_classes


def test_the_groups_of_one_block_see_3_5_7_and_1():
    e = MultiScaleExplorer(scale=4, blocks=1, window_size=7)
    assert [r for r, _ in e.data["extents"]] == [3, 5, 7, 1]
    assert e.data["labels"] == ["y1", "y2", "y3", "x4"]
    assert "y1 3x3, y2 5x5, y3 7x7, x4 1x1" in e.caption.value and "4 sizes in one block" in e.caption.value
    assert "reaches 7x7 tokens (49 of 3136) after 1 block: one window" in e.caption.value
    agrees_with_library(e)


def test_every_control_redraws_and_the_data_follows():
    e = MultiScaleExplorer()
    assert change(e, "blocks", 3)
    assert [r for r, _ in e.data["extents"]] == expected_sides(4, 3) == [15, 17, 19, 13]
    assert change(e, "scale", 1)
    assert e.data["labels"] == ["y1"] and "ResNet bottleneck" in e.caption.value
    assert "the same 7x7 square" in e.caption.value
    assert change(e, "window_size", 14)
    assert e.data["geometry"]["window"] == 14 and e.data["swin_extent"] == (42, 42)
    assert change(e, "window_size", 5)  # 56 is not a multiple of 5: the blocks pad the map, and the caption says so
    assert "pads it to 60x60." in e.caption.value and "grey" not in e.caption.value
    agrees_with_library(e)


def test_squares_larger_than_the_map_are_clipped_and_said_so():
    e = MultiScaleExplorer(scale=8, blocks=5)
    assert all(e.data["clipped"]) and "each group sees all of it" in e.caption.value
    e.controls["blocks"].value = 4  # 1 + 14 * 3 = 43 .. 57: the widest groups only
    assert any(e.data["clipped"]) and not all(e.data["clipped"]) and "the largest are clipped" in e.caption.value
    agrees_with_library(e)


def test_values_a_slider_cannot_show_are_refused():
    with pytest.raises(ValueError, match="scale must be an integer from 1 to 8, got 9"):
        MultiScaleExplorer(scale=9)
    e = MultiScaleExplorer()
    image = bytes(e.image.value)
    with pytest.raises(ValueError, match="blocks must be an integer from 1 to 6"):
        e.controls["blocks"].value = 0
    assert e.values["blocks"] == e.data["blocks"] == 1 and bytes(e.image.value) == image


def test_each_picture_is_measured_once(monkeypatch):
    calls = []
    original = viz.group_reach
    monkeypatch.setattr(viz, "group_reach", lambda *a, **k: calls.append(a) or original(*a, **k))
    e = MultiScaleExplorer()
    calls.clear()
    e.controls["scale"].value = 6
    assert len(calls) == 1


@settings(max_examples=8, deadline=None, derandomize=True)
@given(st.data())
def test_any_sequence_of_changes_ends_with_a_picture_of_the_controls(data):
    e = MultiScaleExplorer()
    assert_consistent(e)
    names = list(e.controls)
    for _ in range(data.draw(st.integers(1, 3))):
        if data.draw(st.booleans()):
            name = data.draw(st.sampled_from(names))
            e.controls[name].value = a_value(data, e.controls[name])
        else:
            with e.hold():
                for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)):
                    e.controls[name].value = a_value(data, e.controls[name])
        assert all(isinstance(c, Slider) for c in e.controls.values())
        assert_consistent(e)
        agrees_with_library(e)
