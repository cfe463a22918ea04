"""The presenter's short path and the slide metadata of every notebook, from one table of rules.

Every cell gets two pieces of metadata:

- ``"swin_edu": {"path": "short"}`` or ``{"path": "deep"}``. The short path carries a notebook's argument
  (about 20 minutes presented): its promise, the key idea of each section, its check and its picture, and also
  the reading-group questions, the exercises and the summary. Deep dives are optional extras. A reader sees
  them too: a deep dive starts with a heading that carries the badge ``🔍 Deep dive ·``, and the short path
  resumes at the next heading.
- ``"slideshow": {"slide_type": ...}`` for ``nbconvert --to slides`` (``make slides``): the title and every
  ``## `` section start a "slide", a ``### `` heading a "subslide", the other short cells follow ("-");
  deep dives, solutions, the setup cell and cells that only import are "skip".

:data:`DEEP_DIVES` names each notebook's deep dives by a piece of text of the cell where they start
(``start``). A deep dive ends before the next heading of its own level or higher (``## `` ends a ``### `` deep
dive), or before the cell that holds ``until``. Its first cell gets the badge: a heading it already has is
badged; a markdown cell without one gets ``### 🔍 Deep dive · {title}`` on top; a code cell gets a new markdown
cell with that heading above it. The cell where the short path resumes must start with a heading: ``resume``
turns its leading bold ``**Word.**`` into ``### Word``. Deep dives that a notebook marks itself (a heading with
the badge) are honoured too, so a notebook without rules (a new one) gets the same treatment.

Applying the rules twice changes nothing (tests/test_short_path.py checks every notebook is a fixed point).

Usage::

    python tools/short_path.py notebooks/*.ipynb          # apply, write the notebooks that changed
    python tools/short_path.py --check notebooks/*.ipynb  # exit 1 if a notebook would change
    python tools/short_path.py --list notebooks/04_shifted_windows.ipynb  # the path, cell by cell
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import sys
from pathlib import Path

import nbformat

BADGE = "🔍 Deep dive ·"
HEADING = re.compile(r"^(#{1,6}) (.*)$")

#: Each notebook's deep dives, in order. ``start``: text of the first cell (unique in the notebook);
#: ``title``: the heading to add when that cell has none; ``until``: text of the first cell after the deep dive
#: (default: the next heading of the same level or higher); ``resume``: the bold lead-in of the cell where the
#: short path resumes, made a heading. A ``title`` given for a cell that has a heading replaces its text.
DEEP_DIVES: dict[str, list[dict[str, str]]] = {
    "00_roadmap": [
        {"start": "## Environment check"},
        {"start": "## Glossary English–中文"},
    ],
    "01_attention": [
        {"start": "Attention is a *soft dictionary lookup*", "title": "Attention as a soft dictionary lookup"},
        {"start": "## 2 · Why divide by"},
        {"start": "**Against PyTorch's attention kernel**", "title": "Against PyTorch's own attention layers"},
    ],
    "02_vit": [
        {"start": "The position embedding has exactly one slot per patch", "title": "A ViT refuses other sizes"},
        {"start": "## 4. The pre-norm encoder block"},
        {"start": "## 5. A tiny ViT on the photo"},
    ],
    "03_window_attention": [
        {"start": "Window 1 holds columns 4-7 of rows 0-3", "title": "Why `reshape` alone is wrong, and the way back",
         "until": "Both functions agree with the library's", "resume": "Check"},
        {"start": "(The window size is still a choice made once per model",
         "title": "What if the window grew with the image?"},
        {"start": "Let us write both, as plain PyTorch", "title": "Both attentions in code, with equal MACs",
         "until": "Now Swin-T's stage-1 sizes", "resume": "Measured"},
        {"start": "Same MACs, very different times.", "title": "Where the time goes: memory traffic"},
        {"start": "Mr = 3\n", "title": "How the index is built",
         "until": "Left: a 4×4 window; every key is labelled", "resume": "Picture"},
        {"start": "With the bias, order inside a window matters again", "title": "Order matters again",
         "until": "Swin-T's window, `M = 7`: pick a query", "resume": "Explore"},
    ],
    "04_shifted_windows": [
        {"start": "Nine windows instead of four", "title": "How many naive windows, and what they would cost"},
        {"start": "## 4 · Why −100 and not −∞?"},
        {"start": "def attend_in_naive_windows(", "title": "Both computations, step by step"},
        {"start": "class RollCounter(TorchFunctionMode):", "title": "Counting the rolls"},
        {"start": "## 7 · Two blocks, four equations: Eq. 3 in code"},
        {"start": "source = (5, 6)\n", "title": "Counted, block by block"},
    ],
    "05_hierarchy": [
        {"start": "### Is patch merging a strided convolution?"},
        {"start": "### Swin under a feature pyramid network"},
        {"start": "**Measured.** The same comparison with a stopwatch", "title": "Measured, and a detector's input"},
        {"start": "## 5. Official weights"},
    ],
    "06_training": [
        {"start": "The paper's recipe (Sec. 4.1)", "title": "The paper's recipe, scaled down"},
        {"start": "### Is the shift part of training?"},
        {"start": "## 7. Real images: handwritten digits"},
        {"start": "## 8. Trained weights in the official layout"},
    ],
    "07_res2net": [
        {"start": "### Code: over blocks, and over stages", "until": "## 4. What the extra scales cost"},
        {"start": "For whole networks at 224×224", "title": "Whole networks beside the published numbers"},
    ],
    "explorers": [],  # the live tool: all of it is shown
}


def heading(cell) -> tuple[int, str] | None:
    """``(level, text)`` of the heading on a markdown cell's first line, or ``None``."""
    if cell.cell_type != "markdown":
        return None
    match = HEADING.match(cell.source.lstrip("\n").split("\n", 1)[0])
    return (len(match[1]), match[2]) if match else None


def is_badged(cell) -> bool:
    found = heading(cell)
    return found is not None and found[1].startswith(BADGE)


def _find(nb, text: str, name: str) -> int:
    found = [i for i, c in enumerate(nb.cells) if text in c.source.replace(BADGE + " ", "")]  # badged or not
    if len(found) != 1:
        raise ValueError(f"{name}: {text!r} is in {len(found)} cells, expected exactly 1")
    return found[0]


def _badge(nb, index: int, title: str | None, name: str) -> int:
    """Put the badge on the deep dive that starts at cell ``index``; return the index of its (badged) first cell."""
    cell = nb.cells[index]
    if cell.cell_type == "code":
        above = nb.cells[index - 1] if index else None
        if above is not None and is_badged(above) and above.source.count("\n") == 0:
            return index - 1  # added before
        if not title:
            raise ValueError(f"{name}: the deep dive at code cell {index} needs a title")
        new = nbformat.v4.new_markdown_cell(f"### {BADGE} {title}")
        new["id"] = "deep-" + hashlib.sha1(title.encode()).hexdigest()[:8]
        nb.cells.insert(index, new)
        return index
    found = heading(cell)
    if found is None:
        if not title:
            raise ValueError(f"{name}: the deep dive at cell {index} has no heading and needs a title")
        cell.source = f"### {BADGE} {title}\n\n" + cell.source.lstrip("\n")
    elif not found[1].startswith(BADGE):
        level, text = found[0], title or found[1]  # a title replaces a heading such as "### Check"
        _, newline, rest = cell.source.lstrip("\n").partition("\n")
        cell.source = f"{'#' * level} {BADGE} {text}" + newline + rest
    return index


def _end(nb, start: int, until: str | None, name: str) -> int:
    """The index of the first cell after the deep dive that starts at ``start``."""
    if until:
        end = _find(nb, until, name)
        if end <= start:
            raise ValueError(f"{name}: {until!r} comes before the deep dive it ends")
        return end
    level = heading(nb.cells[start])[0]
    for i in range(start + 1, len(nb.cells)):
        found = heading(nb.cells[i])
        if found is not None and found[0] <= level:
            return i
    return len(nb.cells)


def _resume(cell, word: str) -> None:
    """Make the cell where the short path resumes start with a heading: ``**Word.** text`` -> ``### Word``."""
    if heading(cell) is not None:
        return
    lead = f"**{word}.**"
    source = cell.source.lstrip("\n")
    if source.startswith(lead):
        cell.source = f"### {word}\n\n" + source[len(lead):].lstrip()
    else:
        cell.source = f"### {word}\n\n" + source


def _is_setup(nb, index: int) -> bool:
    """The notebook's first code cell (imports and display settings) and cells that only import."""
    cell = nb.cells[index]
    if cell.cell_type != "code":
        return False
    if index == next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"):
        return True
    lines = [line for line in cell.source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    joined = " ".join(lines)
    return bool(lines) and re.fullmatch(r"(\s*(from\s+\S+\s+)?import\s+[^;]*?)+", joined) is not None


def slide_type(nb, index: int, path: str) -> str:
    cell = nb.cells[index]
    tags = cell.metadata.get("tags", [])
    if path == "deep" or "solution" in tags or _is_setup(nb, index):
        return "skip"
    if index == 0:
        return "slide"
    found = heading(cell)
    if found is not None and found[0] <= 2:
        return "slide"
    if found is not None and found[0] == 3:
        return "subslide"
    return "-"


def apply(nb, name: str):
    """A copy of ``nb`` with the badges, headings and metadata of :data:`DEEP_DIVES` ``[name]``."""
    nb = copy.deepcopy(nb)
    spans = []  # (first, end) of every deep dive, found one after the other (badging may insert a cell)
    for rule in DEEP_DIVES.get(name, []):
        start = _badge(nb, _find(nb, rule["start"], name), rule.get("title"), name)
        end = _end(nb, start, rule.get("until"), name)
        if end < len(nb.cells) and rule.get("resume"):
            _resume(nb.cells[end], rule["resume"])
        spans.append((nb.cells[start]["id"], nb.cells[end]["id"] if end < len(nb.cells) else None))
    ids = [c["id"] for c in nb.cells]
    deep = set()
    for first, after in spans:
        a, b = ids.index(first), (ids.index(after) if after else len(ids))
        deep.update(range(a, b))
    for i, cell in enumerate(nb.cells):  # deep dives the notebook marks itself
        if is_badged(cell) and i not in deep:
            deep.update(range(i, _end(nb, i, None, name)))
    for i, cell in enumerate(nb.cells):
        path = "deep" if i in deep else "short"
        cell.metadata["swin_edu"] = {**cell.metadata.get("swin_edu", {}), "path": path}
        cell.metadata["slideshow"] = {**cell.metadata.get("slideshow", {}), "slide_type": slide_type(nb, i, path)}
    return nb


def _text(nb) -> str:
    return json.dumps(nb, sort_keys=True, ensure_ascii=False)


def main(argv: list[str]) -> int:
    check, listing = "--check" in argv, "--list" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")]
    if not paths:
        print(__doc__)
        return 2
    status = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        new = apply(nb, path.stem)
        if listing:
            for i, cell in enumerate(new.cells):
                first = cell.source.split("\n", 1)[0][:90]
                meta = f"{cell.metadata['swin_edu']['path']:5} {cell.metadata['slideshow']['slide_type']:8}"
                print(f"{i:3} {cell.cell_type[:4]} {meta} {first}")
        short = sum(c.metadata["swin_edu"]["path"] == "short" for c in new.cells)
        words = sum(len(c.source.split()) for c in new.cells if c.metadata["swin_edu"]["path"] == "short"
                    and c.cell_type == "markdown")
        changed = _text(new) != _text(nb)
        print(f"{path}: {short} of {len(new.cells)} cells on the short path ({words} words of prose)"
              + (", would change" if check and changed else ", updated" if changed and not check else ""))
        if changed and check:
            status = 1
        elif changed and not listing:
            nbformat.write(new, path)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
