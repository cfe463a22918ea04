"""The Chinese edition (tools/i18n.py, locale/zh/*.po, notebooks/zh/*.ipynb) can never drift from the English:
every markdown cell of a translated notebook has a current, non-fuzzy translation, the built notebook is the
English one with exactly those translations and the same code, and a change to the English shows up as a
failure here. nbval runs the Chinese notebooks too (make test)."""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest
from helpers import ROOT, load_tool

i18n = load_tool("i18n")
CATALOGUES = sorted((ROOT / "locale" / "zh").glob("*.po"))
NAMES = [po.stem for po in CATALOGUES]


def test_there_is_a_chinese_edition():
    assert CATALOGUES, "no catalogue under locale/zh"
    assert sorted(p.stem for p in (ROOT / "notebooks" / "zh").glob("*.ipynb")) == NAMES  # one notebook each


@pytest.mark.parametrize("name", NAMES)
def test_every_markdown_cell_has_a_current_translation(name):
    assert i18n.problems(ROOT / "notebooks" / f"{name}.ipynb") == []


@pytest.mark.parametrize("name", NAMES)
def test_the_chinese_notebook_is_the_english_code_with_the_catalogues_text(name):
    english = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    chinese = nbformat.read(ROOT / "notebooks" / "zh" / f"{name}.ipynb", as_version=4)
    catalog = i18n.read(i18n.catalogue_path(ROOT / "notebooks" / f"{name}.ipynb"))
    # one cell more: the language cell, just before the first code cell, switches the library's messages
    languages = [i for i, c in enumerate(chinese.cells) if c.id == i18n.LANGUAGE_CELL_ID]
    assert len(languages) == 1, f"{name}: run `make zh` (no language cell)"
    language = chinese.cells.pop(languages[0])
    assert language.cell_type == "code" and language.source == i18n.LANGUAGE_CELL
    assert languages[0] == next(i for i, c in enumerate(chinese.cells) if c.cell_type == "code")
    assert language.execution_count is not None, f"{name}: run `make zh` (the language cell was not executed)"
    assert [c.id for c in chinese.cells] == [c.id for c in english.cells]
    for en, zh in zip(english.cells, chinese.cells):
        assert zh.cell_type == en.cell_type
        assert zh.metadata == en.metadata  # short path, slides, tags
        if en.cell_type == "code":
            assert zh.source == en.source  # the same code, comments included
            assert zh.execution_count is not None, f"{name}: run `make zh` (cell {zh.id} was not executed)"
        elif en.source.strip():
            assert zh.source == i18n._relink(str(catalog.get(en.source, context=en.id).string)), (
                f"{name}, cell {en.id}: notebooks/zh is older than its catalogue; run `make zh`"
            )


@pytest.mark.parametrize("name", NAMES)
def test_translations_keep_formulas_code_and_structure(name):
    catalog = i18n.read(ROOT / "locale" / "zh" / f"{name}.po")
    for message in catalog:
        if not message.id:
            continue
        english, chinese = message.id, str(message.string)
        where = f"{name}, cell {message.context}"
        assert re.findall(r"\$\$?[^$]+\$\$?", chinese) == re.findall(r"\$\$?[^$]+\$\$?", english), f"{where}: math"
        assert sorted(re.findall(r"`[^`]+`", chinese)) == sorted(re.findall(r"`[^`]+`", english)), f"{where}: code"
        heading = re.compile(r"^(#+) ", re.M)
        assert heading.findall(chinese) == heading.findall(english), f"{where}: headings"
        for tag in ("<details>", "</details>", "<summary>", "</summary>"):
            assert chinese.count(tag) == english.count(tag), f"{where}: {tag}"
        assert re.search(r"[\u4e00-\u9fff]", chinese), f"{where}: no Chinese in the translation"


def test_glossary_terms_are_used_as_the_glossary_fixes_them():
    """Where an English cell uses a glossary term, its translation uses the glossary's Chinese (or keeps the
    English term, as the glossary allows for token, patch, softmax)."""
    roadmap = nbformat.read(ROOT / "notebooks" / "00_roadmap.ipynb", as_version=4)
    table = next(c.source for c in roadmap.cells if c.cell_type == "markdown" and "| English | 中文 |" in c.source)
    terms = {}
    for row in table.splitlines()[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if len(cells) >= 2 and cells[0] and not cells[0].startswith("-"):
            english = re.sub(r"\s*\(.*?\)", "", cells[0]).split(",")[0].strip().lower()
            chinese = re.split(r"[（、(]", cells[1])[0].strip()
            if english and chinese:
                terms[english] = chinese
    assert {"relative position bias": "相对位置偏置", "window": "窗口"}.items() <= terms.items()
    for po in CATALOGUES:
        for message in i18n.read(po):
            if not message.id or "| English | 中文 |" in message.id:
                continue
            for english, chinese in terms.items():
                # the term itself, not the end of a longer one ("sliding-window attention" is no "window attention")
                if len(english.split()) > 1 and re.search(rf"(?<![\w-]){re.escape(english)}\b", message.id, re.I):
                    text = str(message.string)
                    assert chinese in text or english in text.lower(), (
                        f"{po.stem}, cell {message.context}: '{english}' should read '{chinese}'"
                    )


# ------------------------------------------------------------------------------ the tool, on a scratch copy


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """tools/i18n.py pointed at a scratch repository holding one small notebook."""
    notebooks, locale = tmp_path / "notebooks", tmp_path / "locale" / "zh"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\nSee [04](04_shifted_windows.ipynb#cell-id=ab)."),
        nbformat.v4.new_code_cell("x = 1  # a comment stays English"),
        nbformat.v4.new_markdown_cell("A second cell."),
    ]
    path = notebooks / "tiny.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setattr(i18n, "ROOT", tmp_path)
    monkeypatch.setattr(i18n, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(i18n, "LOCALE", locale)
    monkeypatch.setattr(i18n, "OUT", notebooks / "zh")
    return path


def _translate(path, texts):
    catalog = i18n.read(i18n.catalogue_path(path))
    for message in catalog:
        if message.id:
            message.string = texts[message.id]
    i18n.write(catalog, i18n.catalogue_path(path))


def test_drift_new_changed_and_removed_cells(scratch):
    i18n.update(scratch)
    assert len(i18n.problems(scratch)) == 2  # two untranslated cells
    with pytest.raises(ValueError, match="behind the English"):
        i18n.build(scratch)
    _translate(scratch, {"# Title\n\nSee [04](04_shifted_windows.ipynb#cell-id=ab).": "# 标题\n\n见 [04](04_shifted_windows.ipynb#cell-id=ab)。",
                         "A second cell.": "第二个单元格。"})
    assert i18n.problems(scratch) == []
    built = nbformat.read(i18n.build(scratch), as_version=4)
    assert built.cells[0].source == "# 标题\n\n见 [04](../04_shifted_windows.ipynb#cell-id=ab)。"  # no zh/04: the English one
    assert built.cells[1].source == i18n.LANGUAGE_CELL  # the library speaks Chinese from the first code cell on
    assert built.cells[2].source == "x = 1  # a comment stays English" and built.cells[2].outputs == []
    # the English changes: one cell edited, one added
    nb = nbformat.read(scratch, as_version=4)
    nb.cells[2].source = "A second cell, edited."
    nb.cells.append(nbformat.v4.new_markdown_cell("A new cell."))
    nbformat.write(nb, scratch)
    stale = i18n.problems(scratch)  # before anyone updates the catalogue: the English has no translation
    assert len(stale) == 2 and all("no translation of its current English" in line for line in stale), stale
    i18n.update(scratch)
    found = i18n.problems(scratch)
    # the edited cell keeps its old translation marked fuzzy; the new cell gets a fuzzy guess or nothing (as
    # gettext's msgmerge does): either way both are refused until a translator revises them
    assert len(found) == 2 and all(("fuzzy" in line) or ("untranslated" in line) for line in found), found
    with pytest.raises(ValueError):
        i18n.build(scratch)
    # a removed cell leaves no entry behind
    nb.cells = nb.cells[:2]
    nbformat.write(nb, scratch)
    i18n.update(scratch)
    assert i18n.problems(scratch) == []
    assert "A new cell." not in i18n.catalogue_path(scratch).read_text(encoding="utf-8")


def test_catalogues_have_no_time_stamps(scratch):
    path = i18n.update(scratch)
    first = path.read_text(encoding="utf-8")
    shutil.copy(path, path.with_suffix(".bak"))
    i18n.update(scratch)
    assert path.read_text(encoding="utf-8") == first  # re-running changes nothing
    assert "POT-Creation-Date" not in first and "PO-Revision-Date" not in first
