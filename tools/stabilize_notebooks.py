"""Make an executed notebook come out byte-identical when its content did not change.

`make notebooks` re-executes every notebook in place with nbconvert. Two things then differ from run to run
although nothing a reader sees has changed:

- ipywidgets gives every widget model a random id (``uuid4().hex``). The ids appear in the widget state
  (``metadata.widgets``), in the references between models (``"IPY_MODEL_<id>"``) and in every output that
  shows a widget, so each run rewrites all of them.
- The kernel sends a cell's printed text in as many ``stream`` messages as it happened to flush, so one
  cell's output is stored as one, two or four pieces depending on timing.

This tool renames every widget model after where it sits (the id of the cell that shows it, the output's
position, the path of references that leads to it), and joins consecutive pieces of the same stream. The
figures need nothing: matplotlib's PNGs are byte-stable for the same picture (checked: two runs give the same
bytes for every figure whose data did not change). What still differs between two runs is what really
changed: measured timings and the figures drawn from them.

Usage: ``python tools/stabilize_notebooks.py NOTEBOOK.ipynb...`` (rewrites the files in place; idempotent).
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import sys
from typing import Any

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
REFERENCE = "IPY_MODEL_"


def stable_id(path: str) -> str:
    """A model id (32 hex digits, like the uuid4 ids it replaces) that depends only on ``path``."""
    return hashlib.sha256(path.encode()).hexdigest()[:32]


def coalesce_streams(outputs: list[dict]) -> list[dict]:
    """Join consecutive ``stream`` outputs of the same name (stdout, stderr) into one, stored line by line as
    nbformat stores text."""
    joined: list[dict] = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if output.get("output_type") != "stream":
            joined.append(output)
        elif previous is not None and previous.get("output_type") == "stream" and previous["name"] == output["name"]:
            previous["text"] = (_text(previous["text"]) + _text(output["text"])).splitlines(keepends=True)
        else:
            joined.append({**output, "text": _text(output["text"]).splitlines(keepends=True)})
    return joined


def _text(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)


def _references(value: Any, path: str):
    """Yield (path, model id) for every ``IPY_MODEL_<id>`` string inside a model's state, in a fixed order."""
    if isinstance(value, str):
        if value.startswith(REFERENCE):
            yield path, value[len(REFERENCE) :]
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _references(item, f"{path}/{i}")
    elif isinstance(value, dict):
        for key in sorted(value):
            if key == "model_id" and isinstance(value[key], str):  # a widget view inside an Output widget
                yield f"{path}/{key}", value[key]
            else:
                yield from _references(value[key], f"{path}/{key}")


def _views(nb: dict):
    """Yield (path, model id) for every output that shows a widget, in the order of the cells."""
    for c, cell in enumerate(nb.get("cells", [])):
        for o, output in enumerate(cell.get("outputs", [])):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view and "model_id" in view:
                yield f"{cell.get('id', c)}/{o}", view["model_id"]


def new_ids(nb: dict) -> dict[str, str]:
    """Old model id -> new model id: each model is named after the first path that reaches it."""
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    mapping: dict[str, str] = {}
    pending = list(_views(nb))
    while pending:  # breadth-first from the displayed widgets through their references
        path, old = pending.pop(0)
        if old in mapping:
            continue
        mapping[old] = stable_id(path)
        if old in state:
            pending.extend(_references(state[old].get("state", {}), path))
    # models no output shows (created but never displayed): named after their own content
    unreached = sorted(
        (json.dumps(model, sort_keys=True), old) for old, model in state.items() if old not in mapping
    )
    for n, (content, old) in enumerate(unreached):
        mapping[old] = stable_id(f"unreached/{n}/{content}")
    return mapping


def _rename(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, str):
        if value.startswith(REFERENCE) and value[len(REFERENCE) :] in mapping:
            return REFERENCE + mapping[value[len(REFERENCE) :]]
        return value
    if isinstance(value, list):
        return [_rename(item, mapping) for item in value]
    if isinstance(value, dict):
        return {
            key: (mapping.get(item, item) if key == "model_id" and isinstance(item, str) else _rename(item, mapping))
            for key, item in value.items()
        }
    return value


def stabilize(nb: dict) -> dict:
    """The notebook with stable widget ids and joined streams (a new dict; ``nb`` is not changed)."""
    nb = json.loads(json.dumps(nb))
    for cell in nb.get("cells", []):
        if "outputs" in cell:
            cell["outputs"] = coalesce_streams(cell["outputs"])
    mapping = new_ids(nb)
    if not mapping:
        return nb
    widgets = nb["metadata"]["widgets"][WIDGET_STATE]
    widgets["state"] = {mapping[old]: _rename(model, mapping) for old, model in widgets["state"].items()}
    for cell in nb.get("cells", []):
        if "outputs" in cell:
            cell["outputs"] = _rename(cell["outputs"], mapping)
    return nb


def dumps(nb: dict) -> str:
    """The notebook as nbformat writes it (so that an unchanged notebook keeps its bytes)."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False, separators=(",", ": ")) + "\n"


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    for name in paths:
        path = pathlib.Path(name)
        before = path.read_text(encoding="utf-8")
        after = dumps(stabilize(json.loads(before)))
        if after != before:
            path.write_text(after, encoding="utf-8")
        print(f"{'stabilized' if after != before else 'unchanged '} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
