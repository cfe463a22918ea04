"""The one way every exercise is checked: declared cases, one runner, a structured verdict.

An exercise is data (:class:`Exercise`): its *cases* (the inputs), the *reference* (the right answer,
computed by the library or PyTorch), a *reader* (how an answer is read: :func:`read_number`,
:func:`read_pair`, :func:`read_tensor`, ...), a *comparison* and a *catalogue of typical mistakes*
(:class:`Mistake`: a wrong reference or a predicate, and the hint to print). :func:`run` does the rest the
same way for all of them:

- it calls the learner's function on its own deep copies of the inputs, so an answer that modifies its
  inputs in place (``q /= sqrt(d)``, ``x.mul_(0)``) is judged against the original inputs;
- it catches everything the learner's code can throw (``SystemExit`` included; a ``KeyboardInterrupt`` from
  the keyboard is passed on) and stops a function that does not return within :data:`TIME_LIMIT` seconds;
- a missing ``return``, an answer of another type, shape or dtype are a :class:`Mismatch` of their own kind,
  never an exception;
- it prints one line, ``✓ ...`` or ``✗ ...``, and returns an :class:`ExerciseResult` (``True``/``False``)
  that carries the :class:`Mismatch`, so tests read *what* was wrong without matching strings.
"""

from __future__ import annotations

import copy
import inspect
import math
import numbers
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from ..language import N_, _, tidy

#: Seconds one call of a learner's function may take before the check gives up on it (an endless loop?).
TIME_LIMIT = 5.0

#: The kinds of :class:`Mismatch`, from "nothing came back" to "the numbers differ".
KINDS = ("missing", "crash", "timeout", "type", "shape", "dtype", "values")


@dataclass(frozen=True)
class Mismatch:
    """What is wrong with an answer, as data: the ``kind`` (one of :data:`KINDS`), a message, the hint of
    the recognised mistake (``mistake`` names it, ``""`` if none was recognised) and the case it failed on."""

    kind: str
    message: str
    hint: str = ""
    where: str = ""
    mistake: str = ""
    error: BaseException | None = field(default=None, compare=False, repr=False)  #: what a crash raised

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    def __str__(self) -> str:
        text = _("{message}: {hint}").format(message=self.message, hint=self.hint) if self.hint else self.message
        return _("{text} ({where})").format(text=text, where=self.where) if self.where else text


class ExerciseResult(int):
    """``True``/``False`` that shows nothing in a notebook cell: the verdict line printed by the check is the
    cell's one line of output (no ``Out: passed`` under it).

    ``mismatch`` holds the :class:`Mismatch` of a wrong answer (``None`` when it passed); ``repr`` is
    ``"passed"`` or ``"not yet"`` (for tests and the console)."""

    mismatch: Mismatch | None = None

    def __repr__(self) -> str:
        return "passed" if self else "not yet"

    def _ipython_display_(self) -> None:
        """IPython's display hook calls this instead of showing ``repr``: show nothing, the line is printed."""


def report(ok: bool, message: str, mismatch: Mismatch | None = None) -> ExerciseResult:
    """Print ``message`` with a mark for right (✓) or not yet (✗) and return the verdict."""
    print(("✓ " if ok else "✗ ") + tidy(message))
    result = ExerciseResult(bool(ok))
    result.mismatch = mismatch
    return result


def fail(mismatch: Mismatch) -> ExerciseResult:
    """Print a wrong answer's :class:`Mismatch` and return ``False``."""
    return report(False, str(mismatch), mismatch)


def answer_name(fn) -> str:
    """The name of the learner's function, for messages."""
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else _("your function")


# ------------------------------------------------------------------------------------------------------
# Calling the learner's code: own copies, everything caught, a time limit


class _TimeLimit(BaseException):
    """Raised inside the learner's function when :data:`TIME_LIMIT` has passed (never escapes :func:`call`)."""


def _on_alarm(signum, frame):
    raise _TimeLimit


def _call_in_thread(fn, args, limit: float):
    """The fallback away from the main thread (no signals there): run in a daemon thread, wait ``limit``."""
    box: dict[str, Any] = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as error:  # reported by the caller
            box["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        raise _TimeLimit
    if "error" in box:
        raise box["error"]
    return box["value"]


def _call_with_limit(fn, args, limit: float | None):
    """``fn(*args)``, stopped by :class:`_TimeLimit` after ``limit`` seconds (a one-shot ``SIGALRM`` in the
    main thread; elsewhere :func:`_call_in_thread`). Someone else's alarm and handler are put back after."""
    if not limit or limit <= 0:
        return fn(*args)
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return _call_in_thread(fn, args, limit)
    previous_handler = signal.signal(signal.SIGALRM, _on_alarm)
    previous_timer, start = 0.0, time.monotonic()
    try:
        previous_timer, _ = signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            return fn(*args)
        finally:  # one shot: once it has fired it cannot fire again, so this always runs to the end
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer:  # a test runner's alarm, say: put it back, less the time spent here
            signal.setitimer(signal.ITIMER_REAL, max(previous_timer - (time.monotonic() - start), 1e-3))


def call(fn, args: Sequence = (), name: str | None = None, where: str = "", limit: float | None = None):
    """``fn(*copies of args)``, or a :class:`Mismatch` (kind ``crash`` or ``timeout``) when it did not return.

    Every call gets its own deep copies of the inputs, so changing them in place cannot change the
    reference answer or the next case. ``limit`` defaults to :data:`TIME_LIMIT`.
    """
    name = name or answer_name(fn)
    limit = TIME_LIMIT if limit is None else limit
    try:
        return _call_with_limit(fn, copy.deepcopy(tuple(args)), limit)
    except _TimeLimit:
        message = _("{name} took longer than {limit} s: an endless loop?").format(name=name, limit=f"{limit:g}")
        return Mismatch("timeout", message, where=where)
    except KeyboardInterrupt:
        raise  # the learner pressed stop: that is not an answer
    except BaseException as error:  # the learner's code may fail in any way, SystemExit included
        said = " ".join(str(error).split())  # on one line: the verdict is one line
        message = _("{name} raised {error}: {said}").format(name=name, error=type(error).__name__, said=said)
        return Mismatch("crash", message, where=where, error=error)


# ------------------------------------------------------------------------------------------------------
# Reading an answer: one reader for numbers, pairs and tensors


def as_number(value):
    """A plain Python ``int`` or ``float`` from an int, float, numpy scalar, one-element numpy array or
    one-element tensor; ``None`` for anything else (bools, strings, complex numbers, longer arrays)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or value.is_complex() or value.dtype == torch.bool:
            return None
        value = value.detach().cpu().reshape(()).item() if value.device.type != "meta" else None
    elif isinstance(value, np.ndarray):
        if value.size != 1 or value.dtype.kind not in "iuf":
            return None
        value = value.reshape(()).item()
    if value is None or isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def read_number(value, what: str) -> int | float | Mismatch:
    """``value`` as a plain number, or a ``type`` :class:`Mismatch` saying ``what`` should be a number."""
    number = as_number(value)
    if number is None:
        return Mismatch("type", _("{what} should be a number, got {type}").format(what=what, type=type(value).__name__))
    return number


def read_whole_number(value, what: str) -> int | Mismatch:
    """A whole number (``3136``, ``3136.0``, ``np.int64(3136)``, ``torch.tensor(3136)``) as an ``int``."""
    if value is None:
        return Mismatch("missing", _("{what} is None: replace None with your answer").format(what=what))
    number = as_number(value)
    if number is None:
        message = _("{what} should be a number, got {type} {value}").format(
            what=what, type=type(value).__name__, value=repr(value)
        )
        return Mismatch("type", message)
    if not float(number).is_integer():
        return Mismatch("values", _("{what} should be a whole number, got {number}").format(what=what, number=number))
    return int(number)


def read_pair(value, name: str, names: str, call: str) -> tuple | Mismatch:
    """A pair of numbers from a tuple, list, numpy array or tensor of two; a ``type`` :class:`Mismatch`
    otherwise (``name`` is the function's name, ``names`` the pair's two parts, ``call`` the call)."""
    if isinstance(value, (torch.Tensor, np.ndarray)) and tuple(value.shape) == (2,):
        value = list(value)
    if isinstance(value, torch.Tensor) or not isinstance(value, (tuple, list)) or len(value) != 2:
        message = _("{name} should return a pair {names}, got {type}")
        return Mismatch("type", message.format(name=name, names=names, type=type(value).__name__))
    pair = tuple(as_number(x) for x in value)
    if None in pair:
        kinds = tuple(type(x).__name__ for x in value)
        return Mismatch("type", _("{call} should be a pair of numbers, got {kinds}").format(call=call, kinds=kinds))
    return pair


def read_tensor(value, what: str, allow_lists: bool = False) -> torch.Tensor | Mismatch:
    """A dense CPU tensor from a tensor (any device, with or without grad) or a numpy array (and, when
    ``allow_lists``, a nested list); a ``type`` :class:`Mismatch` for anything else."""
    if isinstance(value, np.ndarray) or (allow_lists and isinstance(value, (list, tuple))):
        try:
            value = torch.as_tensor(np.asarray(value))
        except (TypeError, ValueError, RuntimeError):
            message = _("{what} should be a tensor of numbers, got {type}")
            return Mismatch("type", message.format(what=what, type=type(value).__name__))
    if not isinstance(value, torch.Tensor):
        return Mismatch("type", _("{what} should be a torch.Tensor, got {type}").format(what=what, type=type(value).__name__))
    if value.layout != torch.strided or value.device.type == "meta":
        message = _("{what} should be an ordinary dense tensor, got one with layout {layout} on {device}")
        return Mismatch("type", message.format(what=what, layout=value.layout, device=value.device.type))
    if value.is_complex():
        message = _("{what} has complex dtype {dtype}; the answer has real numbers")
        return Mismatch("dtype", message.format(what=what, dtype=value.dtype))
    return value.detach().cpu()


def tensor_reader(what: str, allow_lists: bool = False) -> Callable:
    """The reader of an exercise whose answer is one tensor: :func:`read_tensor` under the name ``what`` (marked
    ``N_`` where it is declared, translated when an answer is read)."""

    def read(answer, case: Case, name: str):
        return read_tensor(answer, _(what), allow_lists)

    return read


def read_module(value, cls: type, what: str) -> nn.Module | Mismatch:
    """An instance of ``cls`` (an ``nn.Linear``, say), or a ``missing``/``type`` :class:`Mismatch`."""
    if isinstance(value, cls):
        return value
    if value is None:
        message = _("{what} should return an {cls}, got nothing (a missing `return`?)")
        return Mismatch("missing", message.format(what=what, cls=_module_name(cls)))
    message = _("{what} should return an {cls}, got {type}")
    return Mismatch("type", message.format(what=what, cls=_module_name(cls), type=type(value).__name__))


def _module_name(cls: type) -> str:
    return f"nn.{cls.__name__}" if cls.__module__.startswith("torch.nn") else cls.__name__


# ------------------------------------------------------------------------------------------------------
# Comparing


def same(got, expected, atol: float = 1e-5, rtol: float = 1e-5) -> bool:
    """Whether ``got`` equals ``expected`` within the tolerance: tensors (any dtype, same shape), numbers,
    and tuples or lists of them. Never raises."""
    try:
        if isinstance(expected, torch.Tensor):
            if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(expected.shape) or got.is_complex():
                return False
            a, b = got.detach().cpu().double(), expected.detach().cpu().double()
            return bool(torch.allclose(a, b, atol=atol, rtol=rtol, equal_nan=False))
        if isinstance(expected, (tuple, list)):
            return (
                isinstance(got, (tuple, list))
                and len(got) == len(expected)
                and all(same(g, e, atol, rtol) for g, e in zip(got, expected))
            )
        if isinstance(expected, numbers.Real):
            number = as_number(got)
            return number is not None and math.isclose(number, expected, rel_tol=1e-9, abs_tol=0.0)
        return bool(got == expected)
    except Exception:  # an odd answer is simply not the same
        return False


def compare_tensors(name: str, got, expected: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-5) -> Mismatch | None:
    """What is wrong with ``got`` against ``expected`` (type, shape, values), or ``None`` if they agree.

    Any real dtype is compared by value (a float64 answer for a float32 reference is right); the dtype
    rules of an exercise (an index must be an integer, say) are checked by the exercise."""
    if got is None:
        message = _("{what} is None: the function returns nothing yet (a missing `return`?)")
        return Mismatch("missing", message.format(what=name))
    tensor = read_tensor(got, name)
    if isinstance(tensor, Mismatch):
        return tensor
    if tuple(tensor.shape) != tuple(expected.shape):
        message = _("{name} has shape {shape}, expected {expected}")
        return Mismatch("shape", message.format(name=name, shape=tuple(tensor.shape), expected=tuple(expected.shape)))
    a, b = tensor.double(), expected.detach().cpu().double()
    if not torch.allclose(a, b, atol=atol, rtol=rtol):
        error = (a - b).abs().nan_to_num(nan=math.inf).max().item()
        message = _("{name} has the right shape but wrong values (largest difference {error})")
        return Mismatch("values", message.format(name=name, error=f"{error:.3g}"))
    return None


def shown(number) -> str:
    """A number for messages: ``3,136``, ``1,363.43``."""
    if isinstance(number, float) and number.is_integer():
        return f"{int(number):,}"
    return f"{number:,}" if isinstance(number, int) else f"{number:,.6g}"


# ------------------------------------------------------------------------------------------------------
# Exercises as data


class Case(SimpleNamespace):
    """One set of inputs: ``args`` for the learner's function, ``where`` (how messages name the case,
    with ``{name}`` for the function's name) and any named values the reference and the hints need.
    The runner sets ``name``, the learner's function's name, before the case is judged."""

    def __init__(self, *args, where: str = "", **info):
        super().__init__(args=args, where=where, **info)



def call_text(case: Case, show=str) -> str:
    """How messages quote the case's call: ``name(arg, ...)``, each argument written with ``show``."""
    return f"{case.name}({', '.join(show(a) for a in case.args)})"


def read_call_number(answer, case: Case, name: str):
    """The reader of an exercise whose answer is one number: a plain ``int``/``float``, or a ``type``
    :class:`Mismatch` quoting the call."""
    number = as_number(answer)
    if number is None:
        message = _("{call} should return a number, got {type}")
        return Mismatch("type", message.format(call=call_text(case), type=type(answer).__name__))
    return number


@dataclass(frozen=True)
class Mistake:
    """A typical mistake and its hint: recognised when the answer equals ``wrong(case)`` (a wrong
    reference) or when ``when(answer, case)`` is true, for a mismatch of one of ``kinds``. For a ``crash``
    or a ``timeout`` the predicate gets the :class:`Mismatch` itself (its ``error`` is what was raised)."""

    name: str
    hint: str | Callable[[Case], str]
    wrong: Callable[[Case], Any] | None = None
    when: Callable[[Any, Case], bool] | None = None
    kinds: tuple[str, ...] = ("values",)
    atol: float = 1e-5

    def matches(self, answer, case: Case) -> bool:
        try:
            if self.when is not None and not self.when(answer, case):
                return False
            return self.wrong is None or same(answer, self.wrong(case), atol=self.atol, rtol=self.atol)
        except Exception:  # a mistake that cannot even be computed for this answer is not this one
            return False

    def text(self, case: Case, answer=None) -> str:
        """The hint; a callable hint gets the case, and the answer too if it takes two arguments."""
        if not callable(self.hint):
            return _(self.hint)
        takes_answer = len(inspect.signature(self.hint).parameters) >= 2
        return self.hint(case, answer) if takes_answer else self.hint(case)


@dataclass
class Exercise:
    """An exercise as data; ``check(fn)`` runs it.

    ``cases()`` gives the :class:`Case` s; ``reference(case)`` the right answer; ``read(answer, case, name)``
    turns an answer into a value (or a :class:`Mismatch`); ``compare(value, expected, case)`` says what is
    wrong (or ``None``); ``mistakes`` are tried in order on a mismatch and the first that matches gives the
    hint. ``success`` is the ✓ message (``{name}`` is the function's name). A missing ``return`` is told
    with ``missing``, followed by what the function ``returns``; or, for an answer the messages call
    ``what`` ("the image"), as "the image is None" with the case.

    The texts (``success``, ``returns``, ``what``, ``missing``, the hints, the cases' ``where``) are declared in
    English, marked ``N_(...)``, and translated when they are shown (:mod:`swin_edu.language`).
    """

    cases: Callable[[], Iterable[Case]]
    reference: Callable[[Case], Any]
    read: Callable[[Any, Case, str], Any]
    compare: Callable[[Any, Any, Case], Mismatch | None]
    success: str
    mistakes: Sequence[Mistake] = field(default_factory=tuple)
    returns: str = ""
    what: str = ""
    missing: str = N_("{name} returns nothing yet (a missing `return`?)")

    def check(self, fn) -> ExerciseResult:
        return run(self, fn)


def run(exercise: Exercise, fn) -> ExerciseResult:
    """Check the learner's ``fn`` against ``exercise``, case by case; print and return the verdict.

    The global random state is left as it was (the references may build modules, which draw weights)."""
    name = answer_name(fn)
    with torch.random.fork_rng(devices=[]):
        for case in exercise.cases():
            case.name = name  # for messages that quote the call
            where = _(case.where).format(name=name)
            expected = exercise.reference(case)
            answer = call(fn, case.args, name=name, where=where)
            mismatch = _judge_in_time(exercise, answer, expected, case, name, where)
            if mismatch is not None:
                return fail(mismatch)
    return report(True, _(exercise.success).format(name=name))


def _judge_in_time(exercise: Exercise, answer, expected, case: Case, name: str, where: str) -> Mismatch | None:
    """:func:`judge` under the time limit too: reading an answer runs the learner's code as well (an object's
    ``__iter__`` or ``__eq__``, a module's ``forward``), which may fail in any way or never return."""
    try:
        return _call_with_limit(judge, (exercise, answer, expected, case, name, where), TIME_LIMIT)
    except _TimeLimit:
        message = _("reading the answer of {name} took longer than {limit} s").format(name=name, limit=f"{TIME_LIMIT:g}")
        return Mismatch("timeout", message, where=where)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # SystemExit from an answer's own methods, say
        message = _("the answer of {name} could not be read ({error})").format(name=name, error=f"{type(error).__name__}: {error}")
        return Mismatch("type", message, where=where, error=error)


def judge(exercise: Exercise, answer, expected, case: Case, name: str, where: str) -> Mismatch | None:
    """The :class:`Mismatch` of one answer (hint included), or ``None`` if it is right. Never raises."""
    if isinstance(answer, Mismatch):  # a crash or a time-out: a mistake may still recognise it
        return _with_hint(exercise, answer, answer, case, where)
    if answer is None:
        if exercise.what:
            message = _("{what} is None: the function returns nothing yet (a missing `return`?)")
            return Mismatch("missing", message.format(what=_(exercise.what)), where=where)
        missing = _(exercise.missing).format(name=name)
        if exercise.returns:
            missing = _("{missing}: it should return {returns}").format(missing=missing, returns=_(exercise.returns))
        return Mismatch("missing", missing)
    try:
        value = exercise.read(answer, case, name)
        mismatch = value if isinstance(value, Mismatch) else exercise.compare(value, expected, case)
        return None if mismatch is None else _with_hint(exercise, mismatch, value, case, where)
    except Exception as error:  # an answer so odd that reading it failed: say so, never raise
        message = _("the answer of {name} could not be read ({error})").format(name=name, error=f"{type(error).__name__}: {error}")
        return Mismatch("type", message, where=where)


def _with_hint(exercise: Exercise, mismatch: Mismatch, value, case: Case, where: str) -> Mismatch:
    """``mismatch`` with the hint of the first catalogued mistake that ``value`` makes, and the case (unless
    the message quotes the call, ``name(...)``, which names the case already)."""
    if mismatch.message.startswith(f"{getattr(case, 'name', None)}("):
        where = ""
    for mistake in exercise.mistakes:
        if mismatch.kind in mistake.kinds and mistake.matches(value, case):
            return replace(
                mismatch, hint=mistake.text(case, value), where=mismatch.where or where, mistake=mistake.name
            )
    return replace(mismatch, where=mismatch.where or where)
