"""tools/present.py (`make slides`, `make pages`): the offline decks and pages, without a browser.

The browser test (tests/browser/test_present_offline.py) opens what it builds with the network blocked; here: the
assets come from the pip packages, every widget output of every notebook gets a stand-in, a stand-in's pictures are
the explorer's own for each value of its slider, and the built files reference nothing on the web.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from helpers import load_tool

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


present = load_tool("present")


def _widget_outputs(nb):
    models = present._models(nb)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(present.WIDGET_VIEW)
            if view:
                yield models, models[view["model_id"]]


def test_assets_are_copied_from_the_pip_packages_once(tmp_path):
    assets = present.copy_assets(tmp_path)
    for part in ["reveal/dist/reveal.js", "reveal/dist/reveal.css", "reveal/dist/theme/white.css",
                 "reveal/plugin/notes/notes.js", "mathjax/MathJax.js", "mathjax/config/TeX-AMS-MML_HTMLorMML-full.js",
                 "mathjax/config/Safe.js"]:  # fmt: skip
        assert (assets / part).is_file(), part
    theme = (assets / "reveal/dist/theme/white.css").read_text()
    assert "http" not in "".join(re.findall(r"@import[^;]*;", theme)), "the theme imports web fonts"
    stamp = (assets / "VERSIONS.json").stat().st_mtime_ns
    present.copy_assets(tmp_path)
    assert (assets / "VERSIONS.json").stat().st_mtime_ns == stamp  # the second build copies nothing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_widget_output_is_an_explorer_the_build_can_rebuild_or_a_progress_bar(path):
    nb = nbformat.read(path, as_version=4)
    for models, model in _widget_outputs(nb):
        name = present._explorer_class(model)
        if name is None:
            assert present.progress_text(models, model) is not None, f"{path.name}: a widget the build cannot replace"
            continue
        saved = present._saved_controls(models, model)
        assert saved is not None and present._build_explorer(name, saved) is not None, f"{path.name}: {name}"


def test_a_stand_in_holds_the_explorers_picture_for_each_value_of_its_slider():
    from swin_edu.widgets import ShiftExplorer

    nb = nbformat.read(ROOT / "notebooks" / "explorers.ipynb", as_version=4)
    models, model = next((m, v) for m, v in _widget_outputs(nb) if present._explorer_class(v) == "ShiftExplorer")
    frames = present.explorer_frames("ShiftExplorer", present._saved_controls(models, model))
    assert [f["label"] for f in frames["frames"]] == ["0", "1", "2", "3"]
    assert frames["frames"][frames["start"]]["label"] == "2"  # the value the notebook saved
    assert len({f["src"] for f in frames["frames"]}) == 4  # four different pictures
    for frame in frames["frames"]:
        explorer = ShiftExplorer(shift_size=int(frame["label"]))
        assert frame["caption"] == explorer.caption.value  # the explorer's own caption for that value
        assert frame["src"] == present._png_uri(explorer.figure)  # and its own picture
    html = present.standin_html(frames, "explorers.ipynb")
    stored = re.search(r"<script type='application/json' class='swin-edu-frames'>(.*?)</script>", html).group(1)
    stored = json.loads(stored)
    assert stored == frames["frames"]
    assert "type='range'" in html and "max='3'" in html and "value='2'" in html and "make lab" in html


def test_a_progress_bar_becomes_its_last_line():
    nb = nbformat.read(ROOT / "notebooks" / "06_training.ipynb", as_version=4)
    lines = [present.progress_text(models, model) for models, model in _widget_outputs(nb)]
    assert lines and all(re.match(r"training: 100%\|█{10}\| (\d+)/\1 \[", line) for line in lines), lines


def test_the_built_deck_and_page_load_nothing_from_the_web(tmp_path):
    result = present.build(["slides", "pages"], [ROOT / "notebooks" / "04_shifted_windows.ipynb"], tmp_path)
    assert sorted(p.name for p in result["written"]) == ["04_shifted_windows.html", "04_shifted_windows.slides.html"]
    assert result["standins"] == {"explorer": 3, "progress": 0, "still": 0}
    for path in result["written"]:
        text = path.read_text(encoding="utf-8")
        assert present.WIDGET_VIEW not in text and "unpkg.com" not in text and "cdnjs" not in text
        links = re.findall(r"<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)=['\"]([^'\"]+)['\"]", text)
        assert links, path.name
        for link in links:
            assert not re.match(r"[a-z]+://|//", link), f"{path.name} loads {link}"
            if not link.startswith("data:"):
                assert (tmp_path / link.split("?")[0]).is_file(), f"{path.name}: {link} is missing"
        assert "@import url(http" not in text


def test_the_chinese_edition_gets_its_own_deck_and_page_with_chinese_explorers(tmp_path):
    """notebooks/zh/X.ipynb -> X.zh.slides.html and X.zh.html beside the English files: the explorers' stand-ins
    are drawn in Chinese and say so in Chinese; the build leaves the library in English."""
    import swin_edu

    result = present.build(["slides", "pages"], [ROOT / "notebooks" / "zh" / "explorers.ipynb"], tmp_path)
    assert sorted(p.name for p in result["written"]) == ["explorers.zh.html", "explorers.zh.slides.html"]
    assert result["standins"]["explorer"] == 7 and result["standins"]["still"] == 0
    text = (tmp_path / "explorers.zh.html").read_text(encoding="utf-8")
    assert "预先绘制" in text and "notebooks/zh/explorers.ipynb" in text  # the stand-in note, in Chinese
    assert "个窗口" in text  # an explorer's caption, drawn in Chinese
    assert "Drawn in advance" not in text
    assert swin_edu.get_language() == "en"
