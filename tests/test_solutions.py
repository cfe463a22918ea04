"""Exercises keep their secret, and every solution still passes its check.

A solution is a closed ``<details>`` block in a markdown cell (``tools/solutions.py``): nothing of it shows
until it is clicked, and Run All never runs it. So nbval, which runs the notebooks as they are, never runs a
solution; here each notebook's solutions are put in place of their stubs and run in a kernel, and every check
must print exactly one line that starts with ✓ (and nothing else: no ``Out: passed``, no error).

Each run executes the whole notebook, as a reader would before solving: solutions use what the notebook
built (02's ``patchify``, 05's ``conv_from_projection`` and ``model``, ...), so nothing less is honest. One test
class per notebook, so that ``pytest -n auto --dist loadscope`` runs them side by side.
"""

from __future__ import annotations

import pathlib
import re
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import solutions  # noqa: E402  (tools/solutions.py)

NOTEBOOKS = ROOT / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))
#: how many exercises each notebook of the path holds (a lost exercise, or a stub lost its tag, fails here)
EXERCISES = {
    "00_roadmap": 4,
    "01_attention": 4,
    "02_vit": 4,
    "03_window_attention": 4,
    "04_shifted_windows": 4,
    "05_hierarchy": 4,
    "06_training": 3,
    "07_res2net": 3,
}


def verdicts(name: str, replace: dict[int, str] | None = None) -> list[list[dict]]:
    """Run notebook ``name``'s exercises with their solutions in place (``replace``: other code for some
    exercises, counted from 0) and return each exercise cell's outputs."""
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    solved = solutions.with_solutions(nb, replace)
    client = NotebookClient(
        solved, timeout=300, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    return [solved.cells[stub].outputs for stub, _ in solutions.exercises(solved)]


def assert_solved(outputs_of_each: list[list[dict]]) -> None:
    """Every exercise's cell printed text only, starting with its verdict line ``✓ ...`` and with no other
    verdict (some cells print a table after the check: that stays); no ``Out:``, no error."""
    problems = []
    for number, outputs in enumerate(outputs_of_each, start=1):
        texts = [o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout"]
        others = [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stdout")]
        text = "".join(texts)
        verdict_lines = [line for line in text.splitlines() if line.startswith(("✓ ", "✗ "))]
        if others:
            kinds = [o.get("ename") or o.get("output_type") for o in others]
            problems.append(f"exercise {number} showed more than its verdict: {kinds} {text!r}")
        elif not text.startswith("✓ ") or len(verdict_lines) != 1:
            problems.append(f"exercise {number} did not print one ✓ line first: {text!r}")
    assert not problems, "; ".join(problems)


def _solution_test(name: str):
    def test_every_solution_passes_its_check(self):
        outputs = verdicts(name)
        assert len(outputs) == EXERCISES[name]
        assert_solved(outputs)

    return test_every_solution_passes_its_check


for _name in EXERCISES:  # one class per notebook: one scope each under --dist loadscope
    _cls = f"TestSolutions_{_name}"
    globals()[_cls] = type(_cls, (), {"test_every_solution_passes_its_check": _solution_test(_name)})


class TestABrokenSolutionFails:
    def test_wrong_and_crashing_solutions_fail(self):
        wrong = "answer = 224 * 224 // 4  # pixels per patch, not tokens\nroadmap.check_tokens(answer)"
        crashing = "stage, channels = three, 384  # a NameError before the check\n" + (
            "roadmap.check_stage_at_stride(stage, channels, stride=16)"
        )
        outputs = verdicts("00_roadmap", replace={0: wrong, 1: crashing})
        assert_solved(outputs[2:])  # the others still pass
        with pytest.raises(AssertionError, match=r"exercise 1 did not print one ✓ line first: '✗ ") as failed:
            assert_solved(outputs)
        assert "exercise 2 showed more than its verdict: ['NameError']" in str(failed.value)


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_no_solution_is_code_and_every_exercise_has_one_closed_solution(path):
    nb = nbformat.read(path, as_version=4)
    pairs = solutions.exercises(nb)  # raises, saying what is wrong, for a solution code cell or a lone block
    assert len(pairs) == EXERCISES.get(path.stem, len(pairs))
    for i, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code":
            assert "solution" not in tags, f"cell {i} is a solution code cell"
            assert not cell.metadata.get("jupyter", {}).get("source_hidden"), f"cell {i} hides its code"
            if re.search(r"^(\w+\.)?check_\w+\(", cell.source, re.M):  # a line that calls a check
                assert "exercise" in tags, f"cell {i} calls a check but is not tagged 'exercise'"
        if "<details" in cell.source:
            assert "<details open" not in cell.source, f"cell {i}: a solution must start closed"
    for stub, solution in pairs:
        code = solutions.solution_code(nb.cells[solution].source)
        assert code.strip() and code.strip() != nb.cells[stub].source.strip(), f"solution {solution} is its stub"


def test_solution_blocks_round_trip():
    code = "def f(x):\n    return x  # done\n\n\ncheck(f)"
    block = solutions.solution_markdown(code)
    assert block.startswith("<details><summary>Solution (click to reveal)</summary>\n\n```python\n")
    assert solutions.solution_code(block) == code
    assert solutions.solution_code(block.replace("<details>", "<details open>")) is None
    with pytest.raises(ValueError):
        solutions.solution_markdown("print('```')")


def test_convert_turns_a_collapsed_solution_cell_into_a_closed_block():
    nb = nbformat.v4.new_notebook()
    stub = nbformat.v4.new_code_cell("answer = None\ncheck(answer)")
    old = nbformat.v4.new_code_cell(
        "answer = 3\ncheck(answer)",
        metadata={"tags": ["solution"], "jupyter": {"source_hidden": True, "outputs_hidden": True}},
    )
    nb.cells = [stub, old]
    assert solutions.convert(nb) == 1 and solutions.convert(nb) == 0
    assert nb.cells[0].metadata["tags"] == ["exercise"]
    assert nb.cells[1].cell_type == "markdown" and "jupyter" not in nb.cells[1].metadata
    assert solutions.solution_code(nb.cells[1].source) == "answer = 3\ncheck(answer)"
    assert solutions.exercises(nb) == [(0, 1)]
    assert solutions.with_solutions(nb).cells[0].source == "answer = 3\ncheck(answer)"


def test_a_verdict_is_the_only_line_a_check_cell_shows(capsys):
    """``ExerciseResult`` shows nothing in IPython (no ``Out: passed``); ``bool``, ``repr`` and ``mismatch`` stay."""
    from IPython.core.formatters import DisplayFormatter

    from swin_edu.exercises import roadmap

    right, wrong = roadmap.check_tokens(3136), roadmap.check_tokens(None)
    assert capsys.readouterr().out.count("\n") == 2
    for result in (right, wrong):
        assert DisplayFormatter().format(result) == ({}, {})
    assert (bool(right), repr(right), right.mismatch) == (True, "passed", None)
    assert (bool(wrong), repr(wrong), wrong.mismatch.kind) == (False, "not yet", "missing")
