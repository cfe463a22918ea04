"""The figure functions of notebooks 04 and 05 draw what they are given, and nothing else."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from swin_edu import viz
from swin_edu.windows import cyclic_shift, shifted_partition


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_figures_of_04_and_05_stay_out_of_pyplot():
    before = plt.get_fignums()
    reach = torch.ones(8, 8)
    figures = [
        viz.gradient_reach_figure([reach], ["one"], 4, (5, 6)),
        viz.shift_figure(8, 8, 4, 2),
        viz.merge_figure(np.arange(16).reshape(4, 4), np.zeros((2, 2, 4), dtype=int)),
        viz.stage_maps_figure(torch.rand(3, 32, 32), [torch.randn(1, 4, 8, 8)]),
        viz.loglog_figure([1, 10], [dict(y=[1, 10], label="line")], "x", "y", "t"),
    ]
    assert all(isinstance(f, Figure) for f in figures)
    assert plt.get_fignums() == before


def test_gradient_reach_counts_what_matters_and_the_tiny_rest():
    reach = torch.zeros(8, 8)
    reach[4:, 4:] = 0.5  # 16 tokens that matter
    reach[2:6, :2] = 4e-45  # 8 tiny ones
    fig = viz.gradient_reach_figure([reach, reach], ["plain", "shifted"], 4, (5, 6), 2, [False, True], tiny=1e-30)
    panels = fig.axes[:2]
    assert "16 input tokens matter (+ 8 tiny, up to 4e-45)" in panels[0].get_title()
    shown = panels[0].images[0].get_array()
    assert np.ma.getmaskarray(shown)[0, 0] and shown[5, 5] == pytest.approx(np.log10(0.5))  # exact zeros: grey
    dashed = [c for ax in panels for c in ax.collections if c.get_linestyle()[0][1] is not None]
    assert len(dashed) == 1 and dashed[0].axes is panels[1]  # the shifted windows only where asked


def test_gradient_reach_needs_one_title_per_map():
    with pytest.raises(ValueError, match="one title"):
        viz.gradient_reach_figure([torch.ones(4, 4)] * 2, ["only one"], 2, (0, 0))


@pytest.mark.parametrize("height, width, m, s", [(8, 8, 4, 2), (8, 12, 4, 1), (14, 14, 7, 3), (10, 13, 4, 2)])
def test_shifted_pieces_keep_colour_and_letter_through_the_roll(height, width, m, s):
    fig = viz.shift_figure(height, width, m, s)
    _, naive_ax, rolled_ax = fig.axes
    naive = naive_ax.images[0].get_array()
    rolled = rolled_ax.images[0].get_array()
    expected = cyclic_shift(torch.as_tensor(np.asarray(naive))[None, :, :, None], s)[0, :, :, 0].numpy()
    assert np.array_equal(rolled, expected)  # each token keeps its piece's colour after the roll
    n_pieces = int(shifted_partition(naive.shape[0], naive.shape[1], m, s).max()) + 1
    assert sorted(_texts(naive_ax)) == sorted(_texts(rolled_ax)) and len(_texts(naive_ax)) == n_pieces


def test_shifted_pieces_shade_the_padding_only_when_there_is_some():
    assert len(viz.shift_figure(8, 8, 4, 2).axes[1].images) == 1
    assert len(viz.shift_figure(10, 13, 4, 2).axes[1].images) == 2  # tokens + grey padding layer


def test_merge_figure_writes_the_gather_in_order():
    x = torch.arange(16).reshape(1, 4, 4, 1)
    gathered = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)[0]
    fig = viz.merge_figure(x[0, :, :, 0], gathered)
    left, right = fig.axes
    assert sorted(int(t) for t in _texts(left)) == list(range(16))
    numbers = [int(t) for t in _texts(right) if t.isdigit()]
    assert numbers == gathered.reshape(-1).tolist()  # new tokens row by row, each as x0, x1, x2, x3
    with pytest.raises(ValueError, match="even sides"):
        viz.merge_figure(np.zeros((3, 4)), np.zeros((1, 2, 4)))


def test_stage_maps_show_every_map_with_its_stride():
    torch.manual_seed(0)
    maps = [torch.randn(1, 8 * 2**i, 16 // 2**i, 16 // 2**i) for i in range(3)]
    fig = viz.stage_maps_figure(torch.rand(3, 64, 64), maps)
    assert len(fig.axes) == 2 * (len(maps) + 1)
    titles = " ".join(ax.get_title() for ax in fig.axes)
    for stride, m in zip((4, 8, 16), maps):
        assert f"stride {stride}: {m.shape[2]}×{m.shape[3]} tokens" in titles


def test_principal_rgb_puts_the_strongest_direction_first():
    ramp = torch.linspace(-1, 1, 16).reshape(1, 4, 4)
    fmap = torch.cat([3 * ramp, ramp, 0.01 * torch.randn(2, 4, 4)])  # (C, h, w): one strong direction
    rgb = viz._principal_rgb(fmap)
    assert rgb.shape == (4, 4, 3) and rgb.min() >= 0 and rgb.max() <= 1
    red = rgb[..., 0].reshape(-1)
    assert abs(np.corrcoef(red, ramp.reshape(-1).numpy())[0, 1]) > 0.99


def test_loglog_figure_draws_each_curve_on_log_axes():
    x = [196, 784, 3136]
    fig = viz.loglog_figure(
        x,
        [dict(y=[1, 4, 16], label="linear", notes=["a", "b", "c"]), dict(y=[1, 16, 256], style="--")],
        "tokens",
        "ms",
        "title",
    )
    (ax,) = fig.axes
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert [line.get_ydata().tolist() for line in ax.get_lines()] == [[1, 4, 16], [1, 16, 256]]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["linear"]  # no label, no legend entry
    assert [t.get_text() for t in ax.texts] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["196", "784", "3,136"]
    with pytest.raises(ValueError, match="one value per x"):
        viz.loglog_figure(x, [dict(y=[1, 2], label="short")], "x", "y", "t")
