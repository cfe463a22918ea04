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

The library's own messages (check verdicts and hints, figure text, the explorers' controls) have catalogues of their
own, ``swin_edu/locale/zh/<part>.po`` (see ``swin_edu/language.py``); every Chinese notebook starts with one extra
code cell, :data:`LANGUAGE_CELL`, which switches them to Chinese:

    python tools/i18n.py library                             # extract the marked messages, update those catalogues
    python tools/i18n.py font                                # the subset of Noto Sans CJK SC their figures need

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
LIBRARY = ROOT / "swin_edu"
LIBRARY_LOCALE = LIBRARY / "locale" / "zh"

#: The one code cell a Chinese notebook has that the English one has not: it comes before the first code cell.
LANGUAGE_CELL = (
    "import swin_edu\n"
    'swin_edu.set_language("zh")  # 练习的判定与提示、图中的文字和控件用中文；改成 "en" 换回英文'
)
LANGUAGE_CELL_ID = "zh-language"

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
    path = Path(path)
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
    first_code = next((i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"), len(nb.cells))
    language = nbformat.v4.new_code_cell(LANGUAGE_CELL)
    language.id = LANGUAGE_CELL_ID
    language.metadata = {"swin_edu": {"path": "short", "i18n": "language"}, "slideshow": {"slide_type": "skip"}}
    nb.cells.insert(first_code, language)
    nb.metadata.pop("widgets", None)
    out = OUT / Path(notebook).name
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


# ------------------------------------------------------------------ the library's messages (swin_edu/language.py)

#: How the library marks a message: ``_("...")`` where it is shown, ``N_("...")`` where it is declared.
KEYWORDS = {"_": None, "N_": None}


def library_part(source: Path) -> str:
    """The catalogue a source file's messages go to: its module's name under swin_edu (``exercises.attention``)."""
    return ".".join(Path(source).resolve().relative_to(LIBRARY).with_suffix("").parts)


def library_templates(sources=None) -> dict[str, Catalog]:
    """The library's marked messages, untranslated, one catalogue per part (see :func:`library_part`); only those
    of ``sources`` (paths of modules) when given."""
    from babel.messages.extract import extract_from_file

    parts: dict[str, Catalog] = {}
    for source in sorted(Path(s).resolve() for s in sources) if sources else sorted(LIBRARY.rglob("*.py")):
        for lineno, message, comments, context in extract_from_file("python", source, keywords=KEYWORDS):
            part = library_part(source)
            if part not in parts:
                parts[part] = Catalog(
                    locale="zh_Hans_CN", domain=f"swin_edu-{part}", project="swin-edu", version="0.1.0",
                    fuzzy=False, copyright_holder="The swin-edu authors", msgid_bugs_address="",
                    last_translator="swin-edu", language_team="swin-edu",
                    header_comment=f"# Chinese (Simplified) messages of swin_edu ({part}): tools/i18n.py library.\n"
                    "# Keep every {placeholder} of the English, and formulas and code names as they are.",
                )
            location = (str(source.relative_to(ROOT)), None)  # no line numbers: an edit elsewhere changes nothing
            if parts[part].get(message, context=context) is None:
                parts[part].add(message, context=context, locations=[location], auto_comments=comments)
    return parts


def update_library(sources=None) -> list[Path]:
    """Create or update ``swin_edu/locale/zh/<part>.po`` from the code (of ``sources`` only, when given), as
    :func:`update` does for a notebook."""
    written = []
    for part, fresh in library_templates(sources).items():
        path = LIBRARY_LOCALE / f"{part}.po"
        if path.exists():
            catalog = read(path)
            catalog.update(fresh, no_fuzzy_matching=False, update_header_comment=False)
            catalog.obsolete.clear()
        else:
            catalog = fresh
        write(catalog, path)
        written.append(path)
    return written


def library_problems(sources=None) -> list[str]:
    """Library messages without a current translation, or whose translation lost or gained a placeholder."""
    import string

    def fields(text: str) -> list[str]:
        return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)

    found = []
    for part, fresh in library_templates(sources).items():
        path = LIBRARY_LOCALE / f"{part}.po"
        catalog = read(path) if path.exists() else Catalog()
        for message in fresh:
            if not message.id:
                continue
            entry = catalog.get(message.id, context=message.context)
            where = f"{path.relative_to(ROOT)}: {message.id[:60]!r}"
            if entry is None or not str(entry.string or "").strip():
                found.append(f"{where}: untranslated (python tools/i18n.py library, then translate)")
            elif entry.fuzzy:
                found.append(f"{where}: translation marked fuzzy (the English changed)")
            else:
                try:
                    same = fields(str(entry.string)) == fields(message.id)
                except ValueError:
                    same = False
                if not same:
                    found.append(f"{where}: the translation's {{placeholders}} differ from the English's")
    return found


def font_characters() -> str:
    """What the bundled font draws: printable ASCII, Latin-1, and every other character of the library's code and
    of its catalogues (Chinese, punctuation, arrows, ×, √ ...)."""
    import string

    chars = set(string.printable.strip()) | {" "} | {chr(c) for c in range(0xA0, 0x100)}
    texts = [source.read_text(encoding="utf-8") for source in LIBRARY.rglob("*.py")]
    texts += [str(message.string) for path in LIBRARY_LOCALE.glob("*.po") for message in read(path) if message.id]
    for text in texts:
        chars.update(c for c in text if ord(c) > 127 and c.isprintable())
    return "".join(sorted(chars))


#: Where ``font`` finds the full Noto Sans CJK (Debian's fonts-noto-cjk), and the face of Simplified Chinese in it.
NOTO_CJK = Path("/usr/share/fonts/opentype/noto")
NOTO_CJK_SC = 2


def build_font(source: Path = NOTO_CJK) -> list[Path]:
    """Write the subsets of Noto Sans CJK SC Regular and Bold that draw :func:`font_characters`, renamed (the OFL
    asks a modified font not to carry the original's name) to the family ``swin_edu.language.CJK_FAMILY``."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    sys.path.insert(0, str(ROOT))
    from swin_edu.language import CJK_FAMILY, CJK_FONT, CJK_FONT_BOLD

    written = []
    for style, target in (("Regular", CJK_FONT), ("Bold", CJK_FONT_BOLD)):
        path = Path(source) / f"NotoSansCJK-{style}.ttc"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: install Noto Sans CJK (apt install fonts-noto-cjk)")
        font = TTFont(path, fontNumber=NOTO_CJK_SC, recalcTimestamp=False)  # the same bytes every time
        options = subset.Options()
        options.name_IDs, options.name_languages, options.notdef_outline = ["*"], ["*"], True
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=font_characters())
        subsetter.subset(font)
        names = font["name"]
        for record in list(names.names):
            if record.nameID in (1, 2, 3, 4, 6, 16, 17, 21, 22):
                names.removeNames(nameID=record.nameID)
        postscript = f"{CJK_FAMILY.replace(' ', '')}-{style}"
        for name_id, text in ((1, CJK_FAMILY), (2, style), (3, postscript), (4, f"{CJK_FAMILY} {style}"),
                              (6, postscript)):
            names.setName(text, name_id, 3, 1, 0x409)
            names.setName(text, name_id, 1, 0, 0)
        font["CFF "].cff.fontNames = [postscript]
        target.parent.mkdir(parents=True, exist_ok=True)
        font.save(target)
        written.append(target)
    return written


def translated() -> list[Path]:
    """The English notebooks that have a catalogue."""
    return [NOTEBOOKS / f"{po.stem}.ipynb" for po in sorted(LOCALE.glob("*.po"))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["update", "build", "check", "library", "font"])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook with a catalogue")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or translated()
    if args.command == "library":  # the arguments, if any, are modules of swin_edu
        for path in update_library(args.notebooks):
            print(f"updated {path.relative_to(ROOT)}")
        found = library_problems(args.notebooks)
        print(f"library messages: " + ("complete" if not found else f"{len(found)} problem(s)"))
        for line in found:
            print(f"  {line}")
        return 0
    if args.command == "font":
        for path in build_font():
            print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes, {len(font_characters())} characters)")
        return 0
    if args.command == "update":
        if not args.notebooks:
            parser.error("name the English notebooks to update (or create) catalogues for")
        for notebook in notebooks:
            print(f"updated {update(notebook).relative_to(ROOT)}")
        return 0
    if args.command == "check":
        bad = 0
        if not args.notebooks:
            found = library_problems()
            bad += len(found)
            print("swin_edu messages: " + ("complete" if not found else f"{len(found)} problem(s)"))
            for line in found:
                print(f"  {line}")
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
