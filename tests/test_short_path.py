"""The presenter's short path and the slide metadata (tools/short_path.py), on every notebook.

Every cell says whether it is on the short path or in a deep dive, and a reader sees the same thing: a deep
dive starts with a heading that carries the badge ``🔍 Deep dive ·``, no heading on the short path carries it,
and the short path resumes at a heading. Every cell has a slide type, and deep dives never become slides.
Every notebook is a fixed point of the tool, so its metadata is exactly what the rules in one place say.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import short_path  # noqa: E402  (tools/short_path.py)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
BADGE = short_path.BADGE


def _read(path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_cell_has_its_path_and_slide_type(path):
    for i, cell in enumerate(_read(path).cells):
        assert cell.metadata.get("swin_edu", {}).get("path") in ("short", "deep"), f"cell {i} has no path"
        slide = cell.metadata.get("slideshow", {}).get("slide_type")
        assert slide in SLIDE_TYPES, f"cell {i} has slide type {slide!r}"
        if cell.metadata["swin_edu"]["path"] == "deep":
            assert slide in ("skip", "notes"), f"deep-dive cell {i} would be shown as a slide ({slide!r})"
        if "solution" in cell.metadata.get("tags", []):
            assert slide in ("skip", "notes"), f"solution cell {i} would be a slide"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_deep_dives_are_visible_where_they_start_and_end(path):
    cells = _read(path).cells
    deep = [c.metadata["swin_edu"]["path"] == "deep" for c in cells]
    assert not deep[0], "the title is on the short path"
    for i, cell in enumerate(cells):
        badged_lines = [line for line in cell.source.splitlines() if line.startswith("#") and BADGE in line]
        if cell.cell_type == "markdown" and badged_lines:  # a badged heading only at the start of a deep dive
            assert deep[i], f"cell {i} is on the short path but carries the badge: {badged_lines[0]!r}"
            assert len(badged_lines) == 1 and cell.source.startswith(badged_lines[0]), f"cell {i}: {badged_lines}"
            assert re.match(r"#{2,3} " + re.escape(BADGE) + r" \S", badged_lines[0]), badged_lines[0]
        if deep[i] and not deep[i - 1]:  # a deep dive starts: the reader sees its badge
            assert short_path.is_badged(cell), f"deep dive at cell {i} starts without the badge: {cell.source[:60]!r}"
        if not deep[i] and i and deep[i - 1]:  # the short path resumes at a heading
            assert short_path.heading(cell) is not None, f"cell {i} resumes the short path without a heading"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_is_a_fixed_point_of_the_tool(path):
    nb = _read(path)
    again = short_path.apply(nb, path.stem)
    same = json.dumps(again, sort_keys=True, ensure_ascii=False) == json.dumps(nb, sort_keys=True, ensure_ascii=False)
    assert same, f"run `python tools/short_path.py {path.relative_to(ROOT)}`: its metadata or badges are not the rules'"


def test_the_rules_name_the_notebooks_of_the_path():
    names = {p.stem for p in NOTEBOOKS}
    assert set(short_path.DEEP_DIVES) <= names
    for name in ("03_window_attention", "04_shifted_windows"):  # the long ones: a short path that really is short
        cells = _read(ROOT / "notebooks" / f"{name}.ipynb").cells
        end = next(i for i, c in enumerate(cells) if c.source.startswith("## Reading-group questions"))
        short = [c for c in cells[:end] if c.metadata["swin_edu"]["path"] == "short"]
        assert len(short) < 0.7 * end, f"{name}: {len(short)} of {end} cells before the questions are on the short path"


def test_a_new_notebook_gets_the_same_treatment():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A new notebook"),
        nbformat.v4.new_code_cell("import torch"),
        nbformat.v4.new_markdown_cell("## 1. An idea\n\nProse."),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell(f"### {BADGE} A detail"),
        nbformat.v4.new_code_cell("y = 2"),
        nbformat.v4.new_markdown_cell("## 2. The next idea"),
    ]
    out = short_path.apply(nb, "no_rules_for_this_one")
    paths = [c.metadata["swin_edu"]["path"] for c in out.cells]
    slides = [c.metadata["slideshow"]["slide_type"] for c in out.cells]
    assert paths == ["short", "short", "short", "short", "deep", "deep", "short"]
    assert slides == ["slide", "skip", "slide", "-", "skip", "skip", "slide"]
    assert short_path.apply(out, "no_rules_for_this_one") == out


def test_rules_badge_headings_add_them_and_resume_at_a_heading():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# T"),
        nbformat.v4.new_markdown_cell("## 1. Idea"),
        nbformat.v4.new_markdown_cell("A side remark."),
        nbformat.v4.new_code_cell("timing()"),
        nbformat.v4.new_markdown_cell("**Picture.** The point."),
        nbformat.v4.new_code_cell("draw()"),
        nbformat.v4.new_markdown_cell("## 2. Extra"),
        nbformat.v4.new_code_cell("more()"),
    ]
    short_path.DEEP_DIVES["_test"] = [
        {"start": "A side remark.", "title": "A remark", "until": "The point.", "resume": "Picture"},
        {"start": "## 2. Extra"},
    ]
    try:
        out = short_path.apply(nb, "_test")
    finally:
        del short_path.DEEP_DIVES["_test"]
    paths = [c.metadata["swin_edu"]["path"] for c in out.cells]
    assert paths == ["short", "short", "deep", "deep", "short", "short", "deep", "deep"]
    assert out.cells[2].source == f"### {BADGE} A remark\n\nA side remark."
    assert out.cells[4].source == "### Picture\n\nThe point."
    assert out.cells[6].source == f"## {BADGE} 2. Extra"


def test_the_presenters_guide_plans_90_and_2_x_60_minutes():
    cells = _read(ROOT / "notebooks" / "00_roadmap.ipynb").cells
    guide = [c for c in cells if c.source.startswith("## Presenter's guide")]
    assert len(guide) == 1 and guide[0].metadata["swin_edu"]["path"] == "short"
    tables = re.findall(r"((?:^\|.*\|\n?)+)", guide[0].source, re.M)
    assert len(tables) == 2
    one = [row.split("|")[1:-1] for row in tables[0].strip().splitlines()[2:]]
    assert sum(int(r[0]) for r in one) == 90
    two = [row.split("|")[1:-1] for row in tables[1].strip().splitlines()[2:]]
    for sitting in ("1", "2"):
        assert sum(int(r[1]) for r in two if r[0].strip() == sitting) == 60
    shown = " ".join(r[1] for r in one)
    for notebook in ("00", "01", "02", "03", "04", "05"):
        assert notebook in shown
