"""Exercises that keep their secret: solutions as closed ``<details>`` blocks, never as code cells.

An exercise in a notebook is two cells:

- the **stub**, a code cell tagged ``exercise``: the learner's unfinished answer and the call of its check
  (``check_...(my_function)``), which prints one line, ``✓ ...`` or ``✗ ...``;
- right below it the **solution**, a markdown cell tagged ``solution`` that holds a closed
  ``<details><summary>Solution (click to reveal)</summary>`` block with the whole finished cell as a fenced
  ``python`` code block. JupyterLab, Notebook 7, nbconvert's HTML and the slides show only the summary
  until it is clicked, and *Run All* never runs it (it is not code). The reader copies it into the stub cell.

``tests/test_solutions.py`` runs every solution against its check by putting it in place of its stub
(:func:`with_solutions`).

Usage::

    python tools/solutions.py convert notebooks/*.ipynb   # old solution code cells -> <details> blocks (once)
    python tools/solutions.py check notebooks/*.ipynb     # every exercise has exactly one solution block
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import nbformat

SUMMARY = "Solution (click to reveal)"
EXERCISE_TAG = "exercise"
SOLUTION_TAG = "solution"
_BLOCK = re.compile(
    r"\A<details><summary>" + re.escape(SUMMARY) + r"</summary>\n\n```python\n(?P<code>.*?)\n```\n\n</details>\Z",
    re.S,
)


def solution_markdown(code: str) -> str:
    """The markdown of a solution cell: a closed ``<details>`` block around ``code`` (blank lines around the
    fence, so that the markdown inside the HTML block is rendered as code)."""
    code = code.strip("\n")
    if "```" in code:
        raise ValueError("a solution may not contain ``` (it would end its own code block)")
    return f"<details><summary>{SUMMARY}</summary>\n\n```python\n{code}\n```\n\n</details>"


def solution_code(markdown: str) -> str | None:
    """The code of a solution block, or ``None`` when ``markdown`` is not exactly one."""
    match = _BLOCK.match(markdown.strip("\n"))
    return match["code"] if match else None


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def convert(nb) -> int:
    """Turn every solution *code* cell (tagged ``solution``, collapsed) into a solution markdown cell, and
    tag the code cell above it, its stub, ``exercise``. Returns how many were converted; idempotent."""
    converted = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or SOLUTION_TAG not in _tags(cell):
            continue
        stub = nb.cells[i - 1] if i > 0 else None
        if stub is None or stub.cell_type != "code":
            raise ValueError(f"solution cell {i} does not follow a code cell (its exercise's stub)")
        stub.metadata["tags"] = _tags(stub) + [EXERCISE_TAG] if EXERCISE_TAG not in _tags(stub) else _tags(stub)
        metadata = {k: v for k, v in cell.metadata.items() if k not in ("jupyter", "collapsed", "execution")}
        replacement = nbformat.v4.new_markdown_cell(solution_markdown(cell.source), metadata=metadata)
        if "id" in cell:
            replacement["id"] = cell["id"]
        nb.cells[i] = replacement
        converted += 1
    return converted


def exercises(nb) -> list[tuple[int, int]]:
    """``(stub index, solution index)`` of every exercise; a ``ValueError`` that says what is wrong when an
    exercise has no solution block right below it, a solution block has no exercise, or a code cell is
    still a solution."""
    pairs, problems = [], []
    for i, cell in enumerate(nb.cells):
        tags = _tags(cell)
        if SOLUTION_TAG in tags and cell.cell_type == "code":
            problems.append(f"cell {i} is a solution *code* cell (Run All would run it)")
        if EXERCISE_TAG in tags:
            following = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
            if cell.cell_type != "code":
                problems.append(f"cell {i} is tagged {EXERCISE_TAG!r} but is not a code cell")
            elif following is None or SOLUTION_TAG not in _tags(following) or following.cell_type != "markdown":
                problems.append(f"exercise cell {i} is not followed by a solution markdown cell")
            elif solution_code(following.source) is None:
                problems.append(f"cell {i + 1} is not exactly one closed <details> block with python code")
            else:
                pairs.append((i, i + 1))
    solutions = [i for i, c in enumerate(nb.cells) if SOLUTION_TAG in _tags(c) and c.cell_type == "markdown"]
    for i in solutions:
        if (i - 1, i) not in pairs:
            problems.append(f"solution cell {i} does not follow an exercise cell")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and "<details" in cell.source and SOLUTION_TAG not in _tags(cell):
            if "Solution" in cell.source:
                problems.append(f"cell {i} holds a solution block but is not tagged {SOLUTION_TAG!r}")
    if problems:
        raise ValueError("; ".join(problems))
    return pairs


def with_solutions(nb, replace: dict[int, str] | None = None):
    """A copy of ``nb`` in which every stub holds its solution's code (``replace`` maps an exercise's number,
    counted from 0, to other code: a test's deliberately wrong answer); the stubs' indices come along."""
    nb = copy.deepcopy(nb)
    for number, (stub, solution) in enumerate(exercises(nb)):
        code = solution_code(nb.cells[solution].source)
        nb.cells[stub].source = (replace or {}).get(number, code)
    return nb


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("convert", "check"):
        print(__doc__)
        return 2
    status = 0
    for path in map(Path, argv[1:]):
        nb = nbformat.read(path, as_version=4)
        if argv[0] == "convert":
            n = convert(nb)
            if n:
                nbformat.write(nb, path)
            print(f"{path}: {n} solution cells converted")
        try:
            print(f"{path}: {len(exercises(nb))} exercises, each with one solution block")
        except ValueError as error:
            print(f"{path}: {error}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
