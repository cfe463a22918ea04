"""Make every notebook choose matplotlib's inline backend in its first code cell (idempotent).

Why: a Jupyter kernel picks its matplotlib backend from the ``MPLBACKEND`` environment variable when one is
set, and only falls back to the inline backend when it is not. With ``MPLBACKEND=Agg`` (common in CI and in
shells set up for scripts), ``plt.show()`` then shows nothing and a returned ``Figure`` is shown as its text
``<Figure size ...>`` only, so a notebook stored with its figures no longer reproduces them and nbval fails.
``%matplotlib inline`` selects the backend explicitly and wins over the variable (tested in
tests/test_environment.py), so the notebook's outcome no longer depends on the environment.

Usage: ``python tools/add_inline_backend.py [NOTEBOOK.ipynb...]`` (default: notebooks/*.ipynb). A notebook
whose first code cell already has a ``%matplotlib inline`` line is left byte-for-byte as it is.
"""

from __future__ import annotations

import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from stabilize_notebooks import dumps  # noqa: E402  (nbformat's own layout, so that only the cell changes)

MAGIC = "%matplotlib inline"
HEADER = ["# show matplotlib figures as images below the cells that return them\n", MAGIC + "\n"]


def _lines(source: str | list[str]) -> list[str]:
    return (source if isinstance(source, str) else "".join(source)).splitlines(keepends=True)


def first_code_cell(nb: dict) -> dict | None:
    return next((cell for cell in nb.get("cells", []) if cell.get("cell_type") == "code"), None)


def selects_inline_backend(nb: dict) -> bool:
    """True when the notebook's first code cell has a line ``%matplotlib inline``."""
    cell = first_code_cell(nb)
    return cell is not None and any(line.strip() == MAGIC for line in _lines(cell.get("source", "")))


def add_inline_backend(nb: dict) -> bool:
    """Put the magic at the top of the first code cell; return whether the notebook changed."""
    cell = first_code_cell(nb)
    if cell is None or selects_inline_backend(nb):
        return False
    cell["source"] = HEADER + _lines(cell.get("source", ""))
    return True


def main(paths: list[str]) -> int:
    root = pathlib.Path(__file__).resolve().parents[1]
    for path in [pathlib.Path(p) for p in paths] or sorted((root / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        changed = add_inline_backend(nb)
        if changed:
            path.write_text(dumps(nb), encoding="utf-8")
        print(f"{'added %matplotlib inline to' if changed else 'already inline:'} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
