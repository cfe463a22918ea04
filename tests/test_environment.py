"""The environment the course runs in.

- The three places that name our dependencies agree: pyproject.toml, constraints.txt, environment.yml.
- A notebook's outcome does not depend on ``MPLBACKEND``: each selects the inline backend itself.
- `make notebooks` is reproducible: tools/stabilize_notebooks.py gives widget models ids that depend only on
  where they are shown and joins split printouts, and the committed notebooks are in that stable form.
"""

import copy
import json
import re
import tomllib
import uuid
from pathlib import Path

import pytest
from helpers import load_tool

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


stabilize_notebooks = load_tool("stabilize_notebooks")
add_inline_backend = load_tool("add_inline_backend")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_name(name)] = version
    return pins


def environment_pins() -> dict[str, str]:
    text = (ROOT / "environment.yml").read_text()
    pins = dict(re.findall(r"^\s+- ([A-Za-z0-9_.-]+)==(\S+)\s*$", text, flags=re.M))
    return {_name(k): v for k, v in pins.items()}


def direct_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_name(r) for r in extra}
    return names


def test_every_direct_dependency_is_pinned_in_both_files():
    pins, env = constraints(), environment_pins()
    for name in direct_dependencies():
        assert name in pins, f"{name} is a dependency in pyproject.toml but has no pin in constraints.txt"
        assert name in env, f"{name} is a dependency in pyproject.toml but is not pinned in environment.yml"


def test_environment_yml_agrees_with_constraints():
    pins = constraints()
    for name, version in environment_pins().items():
        assert pins.get(name) == version, f"environment.yml pins {name}=={version}, constraints.txt {pins.get(name)}"


def test_environment_yml_python_matches_pyproject():
    assert "python=3.11" in (ROOT / "environment.yml").read_text()
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"] == ">=3.11"


def test_torch_is_pinned_to_2_13_0():  # the CPU wheel these machines hold; newer ones pull in CUDA
    assert constraints()["torch"] == "2.13.0"


# --- MPLBACKEND: the notebooks choose their backend themselves ---------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_selects_the_inline_backend_in_its_first_code_cell(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert add_inline_backend.selects_inline_backend(nb), (
        f"{path.name}: its first code cell has no `%matplotlib inline` line, so under MPLBACKEND=Agg it shows no "
        "figures and nbval fails; run `python tools/add_inline_backend.py` to add it"
    )


def _tiny_notebook(first_cell: str):
    import nbformat.v4 as v4

    return v4.new_notebook(
        cells=[
            v4.new_code_cell(first_cell),
            v4.new_code_cell("fig, ax = plt.subplots(figsize=(2, 2))\nax.plot([0, 1])\nfig"),
            v4.new_code_cell("plt.figure(figsize=(2, 2))\nplt.plot([1, 0])\nplt.show()"),
        ]
    )


def test_the_inline_magic_shows_figures_although_MPLBACKEND_is_Agg(monkeypatch):
    """The kernel inherits MPLBACKEND=Agg; the magic in the first cell still brings every figure back as a PNG
    (without it, the returned figure would show only as text and plt.show() would show nothing)."""
    from nbclient import NotebookClient

    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = _tiny_notebook("%matplotlib inline\nimport matplotlib.pyplot as plt")
    NotebookClient(nb, kernel_name="python3", timeout=300, startup_timeout=300).execute()
    returned, shown = nb.cells[1].outputs, nb.cells[2].outputs
    assert any("image/png" in out.get("data", {}) for out in returned), f"returned figure: {returned}"
    assert any("image/png" in out.get("data", {}) for out in shown), f"plt.show(): {shown}"


def test_add_inline_backend_adds_the_magic_once():
    nb = _tiny_notebook("import matplotlib.pyplot as plt")
    assert not add_inline_backend.selects_inline_backend(nb)
    assert add_inline_backend.add_inline_backend(nb)
    assert add_inline_backend.selects_inline_backend(nb)
    once = copy.deepcopy(nb)
    assert not add_inline_backend.add_inline_backend(nb) and nb == once  # idempotent
    assert "".join(nb.cells[0].source).endswith("import matplotlib.pyplot as plt")


# --- make notebooks: the same content gives the same bytes ---------------------------------------------------

VIEW = stabilize_notebooks.WIDGET_VIEW


def _executed_widget_notebook(seed: int) -> dict:
    """What nbconvert stores for a cell showing a VBox(slider, image), with random uuid4 ids as ipywidgets makes
    them, and one printout split in two stream messages (or not, depending on ``seed``)."""
    rng = uuid.UUID(int=seed * 7919 + 1)
    ids = [uuid.uuid5(rng, str(i)).hex for i in range(5)]  # box, slider, image, layout, unshown
    box, slider, image, layout, unshown = ids
    model = lambda name, **state: {"model_module": "@jupyter-widgets/controls", "model_name": name,  # noqa: E731
                                   "model_module_version": "2.0.0", "state": state}  # fmt: skip
    state = {
        box: model("VBoxModel", children=[f"IPY_MODEL_{slider}", f"IPY_MODEL_{image}"], layout=f"IPY_MODEL_{layout}"),
        slider: model("IntSliderModel", value=3, layout=f"IPY_MODEL_{layout}"),
        image: model("ImageModel", format="png", layout=f"IPY_MODEL_{layout}"),
        layout: model("LayoutModel", width="260px"),
        unshown: model("IntSliderModel", value=9),
    }
    pieces = ["a\n", "b\n"] if seed % 2 else ["a\nb\n"]
    return {
        "cells": [
            {"cell_type": "code", "id": "c1", "execution_count": 1, "metadata": {}, "source": "print('a'); print('b')",
             "outputs": [{"output_type": "stream", "name": "stdout", "text": [t]} for t in pieces]},
            {"cell_type": "code", "id": "c2", "execution_count": 2, "metadata": {}, "source": "box",
             "outputs": [{"output_type": "display_data", "metadata": {},
                          "data": {"text/plain": "VBox(...)", VIEW: {"model_id": box, "version_major": 2}}}]},
        ],
        "metadata": {"widgets": {stabilize_notebooks.WIDGET_STATE: {"state": dict(sorted(state.items())),
                                                                    "version_major": 2, "version_minor": 0}}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip


def _widget_state(nb: dict) -> dict:
    return nb["metadata"]["widgets"][stabilize_notebooks.WIDGET_STATE]["state"]


def test_two_runs_with_other_widget_ids_and_stream_splits_stabilize_to_the_same_bytes():
    first, second = _executed_widget_notebook(1), _executed_widget_notebook(2)
    assert stabilize_notebooks.dumps(first) != stabilize_notebooks.dumps(second)
    assert stabilize_notebooks.dumps(stabilize_notebooks.stabilize(first)) == stabilize_notebooks.dumps(
        stabilize_notebooks.stabilize(second)
    )


def test_stabilized_ids_keep_every_reference_resolvable():
    nb = stabilize_notebooks.stabilize(_executed_widget_notebook(3))
    state = _widget_state(nb)
    assert len(state) == 5 and all(re.fullmatch(r"[0-9a-f]{32}", key) for key in state)
    shown = nb["cells"][1]["outputs"][0]["data"][VIEW]["model_id"]
    assert state[shown]["model_name"] == "VBoxModel"
    references = re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state))
    assert references and all(ref in state for ref in references)
    assert nb["cells"][0]["outputs"] == [{"output_type": "stream", "name": "stdout", "text": ["a\n", "b\n"]}]


def test_stabilize_is_idempotent_and_leaves_its_input_alone():
    nb = _executed_widget_notebook(5)
    before = copy.deepcopy(nb)
    once = stabilize_notebooks.stabilize(nb)
    assert nb == before
    assert stabilize_notebooks.stabilize(once) == once


def test_streams_of_different_names_are_not_joined():
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "a\n"},
        {"output_type": "stream", "name": "stderr", "text": "warning\n"},
        {"output_type": "stream", "name": "stdout", "text": "b\n"},
    ]
    joined = stabilize_notebooks.coalesce_streams(outputs)
    assert [(out["name"], "".join(out["text"])) for out in joined] == [(out["name"], out["text"]) for out in outputs]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_are_in_stable_form(path):
    text = path.read_text(encoding="utf-8")
    assert stabilize_notebooks.dumps(stabilize_notebooks.stabilize(json.loads(text))) == text, (
        f"{path.name} was executed without tools/stabilize_notebooks.py: run `make notebooks`, or "
        f"`python tools/stabilize_notebooks.py {path.relative_to(ROOT)}`"
    )
