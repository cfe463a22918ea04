"""The Chinese edition (issue 13): gettext catalogues of the notebooks' markdown, and the notebooks built from them.

Every markdown cell of an English notebook is one message of the catalogue ``locale/zh/<notebook>.po`` (the
standard gettext format, read and written with Babel, which JupyterLab already installs): ``msgctxt`` is the
cell's id, ``msgid`` the English text, ``msgstr`` the Chinese. Code cells are never translated: the Chinese
notebook runs exactly the English code.

    python tools/i18n.py update notebooks/00_roadmap.ipynb   # create or update its catalogue from the English
    python tools/i18n.py build                               # notebooks/zh/<name>.ipynb for every catalogue
    python tools/i18n.py check                               # what is untranslated, fuzzy or obsolete

``update`` keeps every translation whose English did not change. A cell whose English changed keeps its old
translation marked *fuzzy* (Babel's fuzzy matching, as gettext's msgmerge does), a new cell gets an empty one, a
removed cell's entry becomes obsolete. ``build`` refuses a catalogue with any untranslated or fuzzy message, so
the Chinese edition can never silently fall behind the English: tests/test_zh.py fails in the same cases.
``make zh`` builds, executes and stabilizes the Chinese notebooks.

Links between notebooks (``[...](04_shifted_windows.ipynb#cell-id=...)``) point to the Chinese notebook when it
exists and to the English one (``../``) otherwise.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LOCALE = ROOT / "locale" / "zh"
OUT = NOTEBOOKS / "zh"

_LINK = re.compile(r"\]\((?P<name>[\w.-]+\.ipynb)(?P<anchor>#[^)\s]*)?\)")


def catalogue_path(notebook: Path) -> Path:
    return LOCALE / f"{Path(notebook).stem}.po"


def template(notebook: Path) -> Catalog:
    """The catalogue of one English notebook, untranslated: one message per markdown cell."""
    nb = nbformat.read(notebook, as_version=4)
    catalog = Catalog(
        locale="zh_Hans_CN", domain=Path(notebook).stem, project="swin-edu", version="0.1.0", fuzzy=False,
        header_comment=f"# Chinese (Simplified) edition of notebooks/{Path(notebook).name}.\n"
        "# Translate msgstr; keep formulas, code names and quoted English as they are (tools/i18n.py).",
        copyright_holder="The swin-edu authors", msgid_bugs_address="", last_translator="swin-edu",
        language_team="swin-edu",
    )
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            catalog.add(cell.source, context=cell.id, locations=[(f"notebooks/{Path(notebook).name}", 0)])
    return catalog


def read(path: Path) -> Catalog:
    with open(path, "rb") as handle:
        return read_po(handle, locale="zh_Hans_CN")


def write(catalog: Catalog, path: Path) -> None:
    """Write ``catalog`` as a .po file without time stamps. The previous English of a fuzzy message is not written
    (Babel wraps those ``#|`` lines and cannot read them back whole): ``git diff`` of the notebook shows it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, omit_header=False, sort_output=False, include_previous=False)
    text = buffer.getvalue().decode("utf-8")
    text = re.sub(r'^"POT-Creation-Date: .*\\n"\n', "", text, flags=re.M)  # no time stamps: stable files
    text = re.sub(r'^"PO-Revision-Date: .*\\n"\n', "", text, flags=re.M)
    path.write_text(text, encoding="utf-8")


def update(notebook: Path) -> Path:
    """Create the notebook's catalogue, or update it to the notebook's current English (see the module doc)."""
    path = catalogue_path(notebook)
    fresh = template(notebook)
    if path.exists():
        catalog = read(path)
        catalog.update(fresh, no_fuzzy_matching=False, update_header_comment=False)
        catalog.obsolete.clear()  # a removed cell's translation goes: git history keeps it
    else:
        catalog = fresh
    write(catalog, path)
    return path


def problems(notebook: Path) -> list[str]:
    """Why the notebook's Chinese edition cannot be built: untranslated, fuzzy or stale messages."""
    path = catalogue_path(notebook)
    if not path.exists():
        return [f"{path.relative_to(ROOT)} does not exist: python tools/i18n.py update {notebook}"]
    catalog = read(path)
    found = []
    for message in template(notebook):
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        where = f"{Path(notebook).name}, cell {message.context}"
        if entry is None:
            found.append(f"{where}: no translation of its current English (new or changed since the catalogue)")
        elif entry.fuzzy:
            found.append(f"{where}: translation marked fuzzy (the English changed; revise it, then drop the flag)")
        elif not entry.string or not str(entry.string).strip():
            found.append(f"{where}: untranslated")
    return found


def _relink(text: str) -> str:
    def link(match: re.Match) -> str:
        name, anchor = match["name"], match["anchor"] or ""
        target = name if (OUT / name).exists() or (LOCALE / f"{Path(name).stem}.po").exists() else f"../{name}"
        return f"]({target}{anchor})"

    return _LINK.sub(link, text)


def build(notebook: Path) -> Path:
    """Write notebooks/zh/<name>.ipynb: the English notebook with every markdown cell translated, outputs cleared
    (``make zh`` executes it). Raises ValueError listing every problem if the catalogue is not complete."""
    found = problems(notebook)
    if found:
        raise ValueError("the Chinese edition is behind the English:\n  " + "\n  ".join(found))
    catalog = read(catalogue_path(notebook))
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            cell.source = _relink(str(catalog.get(cell.source, context=cell.id).string))
        elif cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    out = OUT / Path(notebook).name
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


def translated() -> list[Path]:
    """The English notebooks that have a catalogue."""
    return [NOTEBOOKS / f"{po.stem}.ipynb" for po in sorted(LOCALE.glob("*.po"))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["update", "build", "check"])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook with a catalogue")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or translated()
    if args.command == "update":
        if not args.notebooks:
            parser.error("name the English notebooks to update (or create) catalogues for")
        for notebook in notebooks:
            print(f"updated {update(notebook).relative_to(ROOT)}")
        return 0
    if args.command == "check":
        bad = 0
        for notebook in notebooks:
            found = problems(notebook)
            bad += len(found)
            print(f"{notebook.name}: " + ("complete" if not found else f"{len(found)} problem(s)"))
            for line in found:
                print(f"  {line}")
        return 1 if bad else 0
    for notebook in notebooks:
        print(f"built {build(notebook).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
