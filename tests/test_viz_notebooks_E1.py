"""The figure functions of notebooks 01-03 draw the data they are given or compute, and refuse bad input."""

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from swin_edu import complexity, viz
from swin_edu.vit import patchify
from swin_edu.windows import window_partition


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def _is_pure(fig):
    # a pure figure: a Figure made without pyplot, so no pyplot manager holds it
    return isinstance(fig, Figure) and fig.canvas.manager is None


# ---- notebook 01


def test_softmax_scaling_figure_plots_the_given_columns():
    dims = [2**i for i in range(5)]
    raw = torch.arange(20.0).reshape(5, 4) / 20 + 0.01
    scaled = raw.flip(0)
    fig = viz.softmax_scaling_figure(dims, raw, scaled, n_keys=8)
    assert _is_pure(fig) and len(fig.axes) == 4
    for m, ax in enumerate(fig.axes):
        red, blue = ax.lines[0].get_ydata(), ax.lines[1].get_ydata()  # then the d_k = 32 marker
        assert np.allclose(red, raw[:, m]) and np.allclose(blue, scaled[:, m])
        assert np.allclose(ax.lines[0].get_xdata(), dims)
    assert "even: 1/8" in _texts(fig.axes[1]) and "even: ln 8" in _texts(fig.axes[2])


@pytest.mark.parametrize("shape", [(5, 3), (4, 4), (5,)])
def test_softmax_scaling_figure_refuses_wrong_shapes(shape):
    with pytest.raises(ValueError, match=r"\(len\(dims\), 4\)"):
        viz.softmax_scaling_figure([1, 2, 4, 8, 16], torch.ones(shape), torch.ones(5, 4))


@pytest.mark.parametrize("C", [16, 96])
def test_msa_cost_figure_marks_sit_on_the_formula(C):
    fig = viz.msa_cost_figure(C, marks=((196, "a"), (3136, "b")))
    assert _is_pure(fig)
    left, right = fig.axes
    points = [line for line in left.lines if line.get_marker() == "o"]
    assert [(float(p.get_xdata()[0]), float(p.get_ydata()[0])) for p in points] == [
        (196.0, float(complexity.msa_macs(196, 1, C))),
        (3136.0, float(complexity.msa_macs(3136, 1, C))),
    ]
    shares = [float(line.get_ydata()[0]) for line in right.lines if line.get_marker() == "o"]
    assert shares == pytest.approx([196 / (196 + 2 * C), 3136 / (3136 + 2 * C)])
    assert f"n = 2C = {2 * C}" in _texts(left)


# ---- notebook 02


def _image(H=32, W=48):
    return torch.rand(1, 3, H, W)


def test_patch_grid_figure_outlines_the_asked_patch():
    fig = viz.patch_grid_figure(_image(), patch_size=8, highlight=(2, 5))
    assert _is_pure(fig)
    a, b = fig.axes
    (red,) = [p for p in a.patches if isinstance(p, Rectangle)]
    assert red.get_xy() == (5 * 8 - 0.5, 2 * 8 - 0.5) and red.get_width() == 8
    apart = b.images[0].get_array()
    assert apart.shape[:2] == (4 * 10, 6 * 10)  # 4 x 6 patches, each with a 2-pixel frame
    assert "4×6 patches of 8×8 pixels" in a.get_title() and "24 patches" in b.get_title()


def test_token_sequence_figure_draws_patchify_rows():
    img = _image()
    fig = viz.token_sequence_figure(img, patch_size=8, token=7)
    assert _is_pure(fig)
    matrix = np.asarray(fig.axes[1].images[0].get_array())  # (N, p*p, 3)
    assert np.allclose(matrix, patchify(img, 8)[0].reshape(24, 64, 3).numpy())
    assert "(24, 192) matrix" in fig.axes[1].get_title()
    assert "token 7" in _texts(fig.axes[1])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: viz.patch_grid_figure(torch.rand(3, 30, 32), 8), "not divisible"),
        (lambda: viz.patch_grid_figure(torch.rand(3, 32, 32), 8, (4, 0)), "outside"),
        (lambda: viz.patch_grid_figure(torch.rand(2, 3, 32, 32), 8), r"\(3, H, W\)"),
        (lambda: viz.token_sequence_figure(torch.rand(3, 32, 32), 8, 16), "0..15"),
    ],
)
def test_patch_figures_refuse_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- notebook 03


def test_window_batch_figure_labels_are_the_partition():
    fig = viz.window_batch_figure(8, 12, 4)
    assert _is_pure(fig)
    a, b = fig.axes
    assert [int(t) for t in _texts(a)] == list(range(96))
    window_texts = [t for t in _texts(b) if t.startswith("window")]
    assert window_texts == [f"window {k}" for k in range(6)]
    windows = window_partition(torch.arange(96).reshape(1, 8, 12, 1), 4)[:, :, :, 0]  # (6, 4, 4)
    numbers = [t for t in b.texts if not t.get_text().startswith("window")]
    assert len(numbers) == 96
    for t in numbers:  # window k is drawn in columns 5k .. 5k + 3
        x, y = (int(v) for v in t.get_position())
        assert int(t.get_text()) == windows[x // 5, y, x % 5]
    colour = np.asarray(a.images[0].get_array())
    assert colour[0, 0] == 0 and colour[0, 4] == 1 and colour[4, 0] == 3 and colour[7, 11] == 5
    with pytest.raises(ValueError, match="multiples of window_size"):
        viz.window_batch_figure(8, 10, 4)


def test_locality_figure_counts_what_it_is_given():
    moved = torch.zeros(8, 12, dtype=torch.bool)
    moved[4:8, 4:8] = True
    fig = viz.locality_figure({"W-MSA": moved, "global": torch.ones(8, 12, dtype=torch.bool)}, (5, 6), 4)
    assert _is_pure(fig)
    assert [ax.get_title() for ax in fig.axes] == [
        "W-MSA: 16 of 96 outputs change",
        "global: 96 of 96 outputs change",
    ]
    assert np.array_equal(np.asarray(fig.axes[0].images[0].get_array()), moved.float().numpy())
    with pytest.raises(ValueError, match="same"):
        viz.locality_figure({"a": torch.ones(8, 12), "b": torch.ones(8, 8)}, (0, 0), 4)
    with pytest.raises(ValueError, match="outside"):
        viz.locality_figure({"a": moved}, (8, 0), 4)
    with pytest.raises(ValueError, match="at least one"):
        viz.locality_figure({}, (0, 0), 4)


def test_window_growth_figure_curves_are_the_formulas():
    sides = (16, 32, 64)
    fig = viz.window_growth_figure(sides, C=32, M=4, fraction=8)
    assert _is_pure(fig)
    msa, growing, fixed = (line.get_ydata() for line in fig.axes[0].lines)
    assert list(msa) == [complexity.msa_macs(s, s, 32) for s in sides]
    assert list(growing) == [complexity.wmsa_macs(s, s, 32, s // 8) for s in sides]
    assert list(fixed) == [complexity.wmsa_macs(s, s, 32, 4) for s in sides]
    # a fixed window: 4x the tokens, exactly 4x the cost
    assert all(math.isclose(b / a, 4) for a, b in zip(fixed, fixed[1:]))
    with pytest.raises(ValueError, match="at least"):
        viz.window_growth_figure((4, 16), M=7)


def test_key_sets_figure_shares_keys_only_in_fixed_windows():
    fig = viz.key_sets_figure(15, 5, ((7, 6), (7, 8)))
    assert _is_pure(fig)
    fixed, sliding = (np.asarray(ax.images[0].get_array()) for ax in fig.axes)
    assert set(np.unique(fixed)) == {0, 3} and (fixed == 3).sum() == 25  # one shared set of 25 keys
    assert (sliding == 3).sum() == 15 and (sliding == 1).sum() == 10 and (sliding == 2).sum() == 10
    assert "the same 25 keys" in fig.axes[0].get_title()


@pytest.mark.parametrize(
    "kwargs",
    [dict(window_size=4), dict(window_size=17), dict(queries=((7, 6), (7, 10))), dict(queries=((7, 6), (15, 6)))],
)
def test_key_sets_figure_refuses_bad_input(kwargs):
    with pytest.raises(ValueError):
        viz.key_sets_figure(**kwargs)
