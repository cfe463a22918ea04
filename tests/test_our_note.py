"""notebooks/our_note_corrected.ipynb: its links reach real sections, its quotes are the note's words, and each
claim has a quote, an English rendering, a verdict and a check. (nbval runs its checks; this tests its text.)"""

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "our_note_corrected.ipynb"
SEED = ROOT.parent / "shared" / "seed"  # the reading group's note, beside the repository (see COURSE.md)

LINK = re.compile(r"\[([^\]]+)\]\(([0-9a-z_]+\.ipynb)#cell-id=([0-9a-z-]+)\)")
BADGE = "🔍 Deep dive ·"
HEADING = re.compile(r"^#{1,6} (.+?)\s*$", re.MULTILINE)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _cells(path: pathlib.Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        cell["text"] = "".join(cell["source"])
    return cells


def _sections(cells) -> list[str]:
    """The markdown of each numbered ``## N.`` section, from its heading to the next ``## ``."""
    sections, current = [], None
    for cell in cells:
        if cell["cell_type"] == "markdown" and cell["text"].startswith("## "):
            current = [] if re.match(r"## \d+\. ", cell["text"]) else None
            if current is not None:
                sections.append(current)
        if current is not None:
            current.append(cell)
    return sections


def test_every_link_reaches_the_section_it_names():
    """Links name a cell by its id (``#cell-id=...``, which JupyterLab 4.1+ and nbconvert's pages both resolve, and
    which survives a renamed heading); the cell must be that notebook's heading of the section the text names."""
    links = [m for cell in _cells(NOTEBOOK) if cell["cell_type"] == "markdown" for m in LINK.findall(cell["text"])]
    assert len(links) >= 10
    for text, target, cell_id in links:
        path = ROOT / "notebooks" / target
        assert path.exists(), f"the link to {target} names no notebook"
        (cell,) = [c for c in _cells(path) if c.get("id") == cell_id] or [None]
        assert cell is not None, f"{target} has no cell {cell_id} (was it recreated?)"
        number = re.fullmatch(r"\d\d, section (\d+)", text).group(1)
        heading = cell["text"].splitlines()[0].replace(BADGE + " ", "")
        assert re.match(rf"## {number}(\.| ·) ", heading), (
            f"{target}#cell-id={cell_id} is {heading!r}, not section {number}"
        )


def test_each_claim_has_a_quote_a_rendering_a_verdict_a_link_and_a_check():
    sections = _sections(_cells(NOTEBOOK))
    assert len(sections) == 10
    for cells in sections:
        prose = "\n".join(c["text"] for c in cells if c["cell_type"] == "markdown")
        title = prose.splitlines()[0]
        assert re.search(r"^> .*" + CJK.pattern, prose, re.MULTILINE), f"{title}: no quote in Chinese"
        assert re.search(r'^\*"', prose, re.MULTILINE), f"{title}: no English rendering"
        assert "**Verdict: " in prose and LINK.search(prose), f"{title}: no verdict or no link"
        checks = [c["text"] for c in cells if c["cell_type"] == "code" and "nbval-ignore-output" not in
                  c["metadata"].get("tags", [])]
        assert any("assert" in text for text in checks), f"{title}: no check with an assert"


def test_every_cell_is_on_the_short_path_or_a_badged_deep_dive_and_has_a_slide_type():
    cells = _cells(NOTEBOOK)
    assert cells[1]["cell_type"] == "code" and cells[1]["text"].startswith(
        "# show matplotlib figures as images below the cells that return them\n%matplotlib inline")
    deep_heading = False
    for cell in cells:
        path = cell["metadata"]["swin_edu"]["path"]
        slide = cell["metadata"]["slideshow"]["slide_type"]
        assert path in ("short", "deep") and slide in ("slide", "subslide", "fragment", "skip", "notes", "-")
        if cell["cell_type"] == "markdown" and HEADING.match(cell["text"]):
            deep_heading = "🔍 Deep dive ·" in cell["text"].splitlines()[0]
            if cell["text"].startswith("## "):
                assert slide == "slide" and path == "short"
        assert (path == "deep") == deep_heading, cell["text"][:60]
        if path == "deep":
            assert slide == "skip"
    timed = [c for c in cells if "perf_counter" in c["text"]]
    assert timed and all("nbval-ignore-output" in c["metadata"].get("tags", []) for c in timed)
    assert not any(re.search(r"assert .*\bt_(window|sliding)\b", c["text"]) for c in timed)  # never asserted


def _normal(text: str) -> str:
    """Text without whitespace, math delimiters and bold marks: the note's words, however they were laid out."""
    return re.sub(r"\s+|\$|\*\*", "", text)


@pytest.mark.skipif(not SEED.is_dir(), reason=f"the reading group's note is not beside the repository ({SEED})")
def test_the_quotes_are_the_notes_words():
    note = _normal("\n".join(p.read_text(encoding="utf-8") for p in sorted(SEED.glob("*.txt"))))
    quoted = 0
    for cell in _cells(NOTEBOOK):
        if cell["cell_type"] != "markdown":
            continue
        paragraphs, lines = [], []  # the quoted paragraphs: runs of "> " lines
        for line in cell["text"].splitlines() + [""]:
            if line.startswith("> "):
                lines.append(line[2:])
            elif lines:
                paragraphs.append("\n".join(lines))
                lines = []
        pieces = [piece for paragraph in paragraphs if CJK.search(paragraph) for piece in paragraph.split("……")]
        for piece in pieces:
            if piece.strip():
                assert _normal(piece) in note, f"not the note's words: {piece.strip()[:80]}"
                quoted += 1
        displayed = re.search(r"as written\):\n\n\$\$\n(.*?)\n\$\$", cell["text"], re.DOTALL)
        if displayed:  # the note's Eq. 3, in its LaTeX
            assert _normal(displayed.group(1)) in note
            quoted += 1
    assert quoted >= 12
