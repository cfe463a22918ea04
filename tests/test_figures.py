"""The committed still pictures in figures/ are what `make figures` draws now."""

import pathlib

import pytest
from matplotlib.testing.compare import compare_images

from swin_edu import viz

FIGURES = pathlib.Path(__file__).resolve().parent.parent / "figures"


@pytest.mark.parametrize("name", sorted(viz.STILLS))
def test_committed_figure_is_current(name, tmp_path):
    committed = FIGURES / name
    assert committed.exists(), f"figures/{name} is missing: run `make figures` and commit it"
    (fresh,) = viz.save_stills(tmp_path, [name])
    difference = compare_images(str(committed), str(fresh), tol=2)
    assert difference is None, f"figures/{name} is out of date ({difference}): run `make figures` and commit it"


def test_every_committed_figure_has_a_maker():
    assert sorted(p.name for p in FIGURES.glob("*.png")) == sorted(viz.STILLS)
