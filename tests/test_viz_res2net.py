"""The pictures of notebook 07 (Res2Net beside Swin): measured fields, costs and pyramids, drawn without pyplot."""

import inspect

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from swin_edu import complexity, viz
from swin_edu.swin import meta_model
from swin_edu.windows import receptive_field

NOTEBOOK_07 = [
    "group_reach",
    "multi_scale_figure",
    "multi_scale_picture",
    "group_dependency_figure",
    "receptive_growth_figure",
    "block_cost_figure",
    "two_pyramids_figure",
]


def test_the_new_functions_are_public():
    assert set(NOTEBOOK_07) <= set(viz.__all__)


@pytest.mark.parametrize("scale, blocks", [(1, 1), (2, 1), (4, 1), (4, 3), (8, 2), (3, 4)])
def test_group_reach_measures_the_rule_of_stacked_kernels(scale, blocks):
    """Group i of the last block: 1 + 2(s-1) per earlier block, plus 2i (the group passed through: plus 0); a
    square centred on the source."""
    side = 1 + 2 * max(1, scale - 1) * blocks + 4
    centre = side // 2
    reach = viz.group_reach(scale, blocks, side=side, source=(centre, centre))
    assert reach.shape == (scale, side, side) and reach.dtype == torch.bool
    before = 1 + 2 * max(1, scale - 1) * (blocks - 1)
    expected = [before + 2] if scale == 1 else [before + 2 * i for i in range(1, scale)] + [before]
    for seen, want in zip(reach, expected):
        rows = seen.any(dim=1).nonzero().flatten()
        cols = seen.any(dim=0).nonzero().flatten()
        assert len(rows) == len(cols) == want
        assert int(seen.sum()) == want * want  # a full square
        assert rows.min() + rows.max() == 2 * centre  # centred on the source


def test_group_reach_is_cut_by_the_border_and_keeps_the_global_seed():
    state = torch.random.get_rng_state()
    reach = viz.group_reach(4, 1, side=5, source=(0, 0))
    assert torch.equal(torch.random.get_rng_state(), state)
    assert [int(g.any(dim=1).sum()) for g in reach] == [2, 3, 4, 1]  # squares of 3, 5, 7 from a corner


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(scale=0), "scale"),
        (dict(scale=4, blocks=0), "blocks"),
        (dict(scale=4, side=0), "side"),
        (dict(scale=4, side=8, source=(8, 0)), "outside the 8x8 map"),
    ],
)
def test_group_reach_refuses_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        viz.group_reach(**kwargs)


def test_the_multi_scale_picture_is_its_figure_with_the_numbers_it_drew():
    args = (4, 2, 5)
    figure, data = viz.multi_scale_picture(*args)
    assert viz.png_bytes(figure) == viz.png_bytes(viz.multi_scale_figure(*args))
    bound = inspect.signature(viz.multi_scale_picture).bind(*args)
    for parameter, value in bound.arguments.items():
        assert data[parameter] == value
    assert [r for r, _ in data["extents"]] == [9, 11, 13, 7] and not any(data["clipped"])
    torch.testing.assert_close(data["swin"], receptive_field(56, 56, 5, (31, 31), 2, True))
    assert data["geometry"]["window"] == 5 and data["geometry"]["note"]  # 56 is not a multiple of 5: padded
    titles = [ax.get_title() for ax in figure.axes]
    assert "y1 9, y2 11, y3 13, x4 7" in titles[0] and "M = 5: 2 blocks" in titles[1]
    assert plt.get_fignums() == []


def test_the_multi_scale_picture_of_one_group_says_resnet():
    figure, data = viz.multi_scale_picture(1, 1, 7)
    assert data["labels"] == ["y1"] and data["extents"] == [(3, 3)]
    assert "ResNet bottleneck (s = 1)" in figure.axes[0].get_title() and "1 group " in figure.axes[0].get_title()
    assert "reach 7x7 tokens (49 of 3136)" in figure.axes[1].get_title()


@pytest.mark.parametrize("bad", [(0, 1, 7), (4, 0, 7), (4, 1, 0)])
def test_the_multi_scale_picture_refuses_bad_input(bad):
    with pytest.raises(ValueError):
        viz.multi_scale_picture(*bad)


def test_group_dependency_figure():
    depends = [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 1]]
    fig = viz.group_dependency_figure(depends, fields=[3, 5, 7, 1])
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), np.array(depends, dtype=bool))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["y1", "y2", "y3", "x4 (as is)"]
    assert sum(t.get_text() == "✓" for t in ax.texts) == 7 and any("7x7" in t.get_text() for t in ax.texts)
    assert [t.get_text() for t in viz.group_dependency_figure([[True]]).axes[0].get_yticklabels()] == ["y1"]
    with pytest.raises(ValueError, match="square"):
        viz.group_dependency_figure([[1, 0, 0]])


def test_receptive_growth_figure():
    by_block = {"ResNet": [3, 5, 7], "Res2Net": [7, 13, 19]}
    by_stage = {"ResNet-50": [7, 21, 65, 105], "Swin-T": [14, 42, 56, 56]}
    fig = viz.receptive_growth_figure(by_block, by_stage, map_side=56)
    a, b = fig.axes
    assert [list(line.get_ydata()) for line in a.lines[:2]] == [[3, 5, 7], [7, 13, 19]]
    assert [round(p.get_height()) for p in b.patches] == [7, 21, 65, 105, 14, 42, 56, 56]
    assert {t.get_text() for t in b.texts} >= {"105", "56"}
    assert isinstance(viz.receptive_growth_figure(by_block, by_stage), Figure)


def test_block_cost_figure():
    rows = [dict(label="ResNet", params=70_400, macs=218_365_952, kind="resnet"),
            dict(label="Res2Net 26w x 4s", params=72_376, macs=224_224_000, kind="res2net")]  # fmt: skip
    fig = viz.block_cost_figure(rows)
    params_ax, macs_ax = fig.axes
    assert [round(p.get_width(), 3) for p in params_ax.patches] == [70.4, 72.376]
    assert [t.get_text() for t in params_ax.get_yticklabels()] == ["ResNet", "Res2Net 26w x 4s"]
    assert any("224" in t.get_text() for t in macs_ax.texts)


def test_two_pyramids_figure_draws_each_stage_of_both():
    res2 = complexity.res2net_stage_summary()
    swin = complexity.stage_summary(meta_model("swin_t", 7))
    fig = viz.two_pyramids_figure(res2, swin)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [r["macs"] / 1e9 for r in res2] + [s["macs"] / 1e9 for s in swin])
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "56x56x256" in texts and "7x7x768" in texts
    assert "stride 32" in " ".join(t.get_text() for t in ax.get_xticklabels())


def test_gradient_reach_titles_say_one_input_token():
    reach = torch.zeros(5, 5)
    reach[2, 2] = 1.0
    fig = viz.gradient_reach_figure([reach], ["one"], window_size=5, target=(2, 2))
    assert "1 input token matters" in fig.axes[0].get_title()
