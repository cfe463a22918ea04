"""Check functions for the course's exercises, one module per notebook.

Every ``check_...`` function takes the learner's answer (a function, a tensor or a number), tests it
against the library or PyTorch, prints what is right or what is wrong (a shape, a value, a case that
fails) and returns ``True`` or ``False``. A wrong, unfinished, crashing or endless answer never raises:
the notebook keeps running from top to bottom, so it can be executed (and tested) with the exercises left
open.

Each exercise is data, an :class:`Exercise` (cases, reference, reader, comparison and a catalogue of
:class:`Mistake` s), and one runner in :mod:`._feedback` does the calling (on copies of the inputs, with a
time limit), the comparison and the hint. The returned :class:`ExerciseResult` carries a structured
:class:`Mismatch` (``kind`` "missing", "crash", "timeout", "type", "shape", "dtype" or "values").
"""

from ._feedback import (
    KINDS,
    Case,
    Exercise,
    ExerciseResult,
    Mismatch,
    Mistake,
    as_number,
    compare_tensors,
    read_number,
    read_pair,
    read_tensor,
    report,
    run,
)

__all__ = [
    "KINDS",
    "Case",
    "Exercise",
    "ExerciseResult",
    "Mismatch",
    "Mistake",
    "as_number",
    "compare_tensors",
    "read_number",
    "read_pair",
    "read_tensor",
    "report",
    "run",
]
