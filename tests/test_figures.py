"""The committed still pictures in figures/ are what `make figures` draws now."""

import inspect
import pathlib

import numpy as np
import pytest
import torch
from matplotlib.testing.compare import compare_images

from swin_edu import complexity, swin, viz
from swin_edu.windows import receptive_field, shifted_partition, shifted_window_mask

FIGURES = pathlib.Path(__file__).resolve().parent.parent / "figures"


@pytest.mark.parametrize("name", sorted(viz.STILLS))
def test_committed_figure_is_current(name, tmp_path):
    committed = FIGURES / name
    assert committed.exists(), f"figures/{name} is missing: run `make figures` and commit it"
    (fresh,) = viz.save_stills(tmp_path, [name])
    difference = compare_images(str(committed), str(fresh), tol=2)
    assert difference is None, f"figures/{name} is out of date ({difference}): run `make figures` and commit it"


def test_every_committed_figure_has_a_maker():
    # cheatsheet.png is made by swin_edu.cheatsheet (`make cheatsheet`) and checked in tests/test_cheatsheet.py
    assert sorted(p.name for p in FIGURES.glob("*.png")) == sorted([*viz.STILLS, "cheatsheet.png"])


# ---------------------------------------------------------------------- each picture computes its data once

PICTURES = {
    "shift": (viz.shift_figure, viz.shift_picture, (8, 12, 4, 2)),
    "mask": (viz.mask_figure, viz.mask_picture, (8, 8, 4, 2, 1)),
    "complexity": (viz.complexity_figure, viz.complexity_picture, (28, 28, 192, 7)),
    "relative_position": (viz.relative_position_figure, viz.relative_position_picture, (3, (0, 2))),
    "receptive_field": (viz.receptive_field_figure, viz.receptive_field_picture, (12, 12, 4, (5, 6), 3, False)),
    "hierarchy": (viz.hierarchy_figure, viz.hierarchy_picture, ("swin_s", 256, 7)),
}


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_a_picture_is_its_figure_with_the_numbers_it_drew(name):
    figure_of, picture_of, args = PICTURES[name]
    figure, data = picture_of(*args)
    assert viz.png_bytes(figure) == viz.png_bytes(figure_of(*args))  # the same drawing
    bound = inspect.signature(picture_of).bind(*args)
    for parameter, value in bound.arguments.items():  # the data names what it was drawn for
        assert data[parameter] == value, parameter


def test_the_picture_data_is_the_librarys():
    _, data = viz.shift_picture(8, 12, 4, 2)
    torch.testing.assert_close(data["naive"], shifted_partition(8, 12, 4, 2))
    assert (data["n_naive"], data["n_cyclic"]) == (12, 6)
    _, data = viz.mask_picture(8, 8, 4, 2, 1)
    torch.testing.assert_close(data["mask"], shifted_window_mask(8, 8, 4, 2)[1], rtol=0, atol=0)
    assert data["open"] == int((data["mask"] == 0).sum()) == 2 * 8 * 8
    _, data = viz.receptive_field_picture(12, 12, 4, (5, 6), 3, False)
    torch.testing.assert_close(data["first_reached"], receptive_field(12, 12, 4, (5, 6), 3, False))
    assert data["counts"]["without shift"][3] == 16 and data["counts"]["with shift"][3] > 16
    _, data = viz.hierarchy_picture("swin_s", 256, 7)
    assert sum(data["macs"].values()) == complexity.model_macs(swin.meta_model("swin_s", 7, 256), 256)


def test_the_cost_plot_draws_eq_2_only_where_a_window_fits():
    """Below hw = M^2 a Swin block uses one window of the map's size: Eq. 2 is not drawn there, the band says so."""
    figure, data = viz.complexity_picture(14, 14, 64, 20)
    wmsa_line = figure.axes[0].lines[1]  # after the MSA curve
    tokens, macs = wmsa_line.get_data()
    assert tokens.min() >= 20 * 20
    np.testing.assert_array_equal(macs, [complexity.wmsa_macs(int(s), int(s), 64, 20) for s in np.sqrt(tokens)])
    assert data["window"] == 14 and data["wmsa"] == data["msa"] == complexity.msa_macs(14, 14, 64)
    assert any("hw < M²" in t.get_text() for t in figure.axes[0].texts)
    assert not viz.complexity_figure(8, 8, 16, 1).axes[0].patches  # M = 1: every map holds a window, no band


def test_the_table_of_row_numbers_shows_them():
    small = viz.relative_position_figure(3, (0, 2)).axes[1]
    numbers = sorted(int(t.get_text()) for t in small.texts)
    assert numbers == list(range(25)) and "(row numbers)" in small.get_title()
    large = viz.relative_position_figure(7, (3, 3)).axes[1]
    assert not large.texts and "(colour = row number)" in large.get_title()


def test_counts_are_singular_for_one():
    assert viz.plural(1, "window") == "1 window" and viz.plural(3, "window") == "3 windows"
    assert viz.plural(1, "patch", "patches") == "1 patch" and viz.plural(2, "patch", "patches") == "2 patches"
    titles = [ax.get_title() for ax in viz.shift_figure(4, 4, 4, 2).axes]
    assert "layer l: regular windows (W-MSA)\n1 window of 4x4" in titles
    assert "layer l+1: no shift (s=0)\nthe same 1 window" in titles
