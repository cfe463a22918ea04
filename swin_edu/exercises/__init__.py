"""Check functions for the course's exercises, one module per notebook.

Every ``check_...`` function takes the learner's answer (a function, a tensor or a number), tests it
against the library or PyTorch, prints what is right or what is wrong (a shape, a value, a case that
fails) and returns ``True`` or ``False``. A wrong or unfinished answer never raises: the notebook keeps
running from top to bottom, so it can be executed (and tested) with the exercises left open.
"""

from ._feedback import ExerciseResult, compare_tensors, report

__all__ = ["ExerciseResult", "compare_tensors", "report"]
