"""The shared way exercises answer: a printed verdict and a boolean."""

from __future__ import annotations

import torch


class ExerciseResult(int):
    """``True``/``False`` that prints nothing more in a notebook cell than the verdict already printed."""

    def __repr__(self) -> str:
        return "passed" if self else "not yet"


def report(ok: bool, message: str) -> ExerciseResult:
    """Print ``message`` with a mark for right (✓) or not yet (✗) and return the verdict."""
    print(("✓ " if ok else "✗ ") + message)
    return ExerciseResult(bool(ok))


def compare_tensors(name: str, got, expected: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-5) -> str | None:
    """Why ``got`` is not ``expected`` (type, shape, values), or ``None`` if they agree."""
    if got is None:
        return f"{name} is None: the function returns nothing yet (a missing `return`?)"
    if not isinstance(got, torch.Tensor):
        return f"{name} should be a torch.Tensor, got {type(got).__name__}"
    if tuple(got.shape) != tuple(expected.shape):
        return f"{name} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
    if not torch.allclose(got.float(), expected.float(), atol=atol, rtol=rtol):
        error = (got.float() - expected.float()).abs().max().item()
        return f"{name} has the right shape but wrong values (largest difference {error:.3g})"
    return None


def answer_name(fn) -> str:
    """The name of the learner's function, for messages."""
    return getattr(fn, "__name__", "your function")


def call_answer(fn, *args):
    """``(answer, None)``, or ``(None, why)`` when the learner's function raised: a check never raises."""
    try:
        return fn(*args), None
    except Exception as error:  # the learner's code may fail in any way; report it, never raise
        return None, f"{answer_name(fn)} raised {type(error).__name__}: {error}"
