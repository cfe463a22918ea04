"""The shared runner of the exercise checks: no answer can crash, hang, fool or mislead a check.

Every one of the 26 checks that call a learner's function is tried here with its right answer in every
accepted form (Python, numpy, tensors), with right answers that change their inputs in place, with cheats
that zero the inputs, and with answers that raise, never return, return junk or another dtype.
"""

from __future__ import annotations

import copy
import math
import signal
import threading

import numpy as np
import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st

from swin_edu.exercises import _feedback
from swin_edu.exercises import attention as ex01
from swin_edu.exercises import hierarchy as ex05
from swin_edu.exercises import res2net as ex07
from swin_edu.exercises import shifted_windows as ex04
from swin_edu.exercises import training as ex06
from swin_edu.exercises import vit as ex02
from swin_edu.exercises import window_attention as ex03
from swin_edu.exercises._feedback import (
    Case,
    Exercise,
    Mismatch,
    Mistake,
    as_number,
    call,
    compare_tensors,
    read_pair,
    read_tensor,
    same,
)
from swin_edu.windows import window_partition
from tests import test_exercises_attention as t01
from tests import test_exercises_hierarchy as t05
from tests import test_exercises_res2net as t07
from tests import test_exercises_shifted_windows as t04
from tests import test_exercises_training as t06
from tests import test_exercises_vit as t02
from tests import test_exercises_window_attention as t03
from tests.helpers import CRASH, DTYPE, MISSING, TIMEOUT, VALUES, Named, verdict

# ---------------------------------------------------------------------------------------------- the checks


def _msa_macs(n, C):
    return 4 * n * C**2 + 2 * n**2 * C


#: every check that calls a function: (check, a right answer, what the answer is made of, tensor inputs?)
CHECKS = [
    (ex01.check_attention, t01.attention, "tensors", True),
    (ex01.check_split_heads, t01.split_heads, "tensors", True),
    (ex01.check_msa, t01.msa, "tensors", True),
    (ex01.check_msa_macs, _msa_macs, "numbers", False),
    (ex02.check_unpatchify, t02.unpatchify, "tensors", True),
    (ex02.check_vit_cost, t02.vit_cost, "numbers", False),
    (ex02.check_resize_pos_embed, t02.resize_pos_embed, "tensors", True),
    (ex02.check_linear_from_conv, t02.linear_from_conv, "module", True),
    (ex03.check_window_tokens, t03.window_tokens, "tensors", True),
    (ex03.check_stage_cost, t03.stage_cost, "numbers", False),
    (ex03.check_relative_index, t03.relative_index, "tensors", False),
    (ex03.check_window_mask, t03.window_mask, "tensors", False),
    (ex04.check_cyclic_shift, lambda x, s: torch.roll(x, (-s, -s), (1, 2)), "tensors", True),
    (ex04.check_axis_regions, t04.axis_regions, "tensors", False),
    (ex04.check_window_mask, t04.window_mask, "tensors", True),
    (ex04.check_naive_windows, t04.naive_windows, "numbers", False),
    (ex05.check_merge, t05.my_merge, "tensors", True),
    (ex05.check_linear_from_merge_conv, t05.linear_from_merge_conv, "module", True),
    (ex05.check_stage_shapes, t05.stage_shapes, "numbers", False),
    (ex05.check_block_params, t05.block_params, "numbers", False),
    (ex06.check_lr_schedule, t06.lr_schedule, "rates", False),
    (ex06.check_attends, t06.attends, "flags", False),
    (ex06.check_decays, t06.decays, "flags", False),  # its tensor input is a zero tensor of the parameter's shape
    (ex07.check_multi_scale, t07.multi_scale, "tensors", True),
    (ex07.check_group_fields, t07.fields, "numbers", False),
    (ex07.check_block_macs, t07.block_macs, "numbers", False),
]
IDS = [check.__name__ + f"[{check.__module__.rsplit('.', 1)[-1]}]" for check, *_ in CHECKS]
TENSOR_INPUTS = [(check, right) for check, right, _, inputs in CHECKS if inputs]
TENSOR_IDS = [check.__name__ + f"[{check.__module__.rsplit('.', 1)[-1]}]" for check, _ in TENSOR_INPUTS]


def named(fn, name="answer"):
    fn.__name__ = name
    return fn


def leaves(value, convert):
    """``value`` with every number (not bool) or tensor leaf of its tuples and lists converted."""
    if isinstance(value, (tuple, list)):
        return type(value)(leaves(v, convert) for v in value)
    if isinstance(value, (int, float, torch.Tensor)) and not isinstance(value, bool):
        return convert(value)
    return value


def _detached_copy(value):
    return value.detach().clone() if isinstance(value, torch.Tensor) else value


def trash_(obj) -> None:
    """Change ``obj`` in place, as a careless answer might: zero a tensor, a module's weights."""
    with torch.no_grad():
        if isinstance(obj, torch.Tensor):
            obj.zero_()
        elif isinstance(obj, nn.Module):
            for p in obj.parameters():
                p.zero_()


# ---------------------------------------------------------------------------------------------- right answers


def test_every_check_of_the_course_is_here():
    """26 checks call a function (the 4 of notebook 00 take values): all are tried below."""
    modules = [ex01, ex02, ex03, ex04, ex05, ex06, ex07]
    public = {getattr(m, name) for m in modules for name in m.__all__ if name.startswith("check_")}
    assert public == {check for check, *_ in CHECKS}


NUMBER_FORMS = {
    "int": int,
    "float": float,
    "np.int64": np.int64,
    "np.float64": np.float64,
    "0-d numpy": np.array,
    "1-element numpy": lambda v: np.array([v]),
    "0-d tensor": torch.tensor,
    "1-element tensor": lambda v: torch.tensor([v]),
}


@pytest.mark.parametrize("form", NUMBER_FORMS.values(), ids=NUMBER_FORMS.keys())
@pytest.mark.parametrize("check, right", [(c, r) for c, r, kind, _ in CHECKS if kind == "numbers"])
def test_right_numbers_pass_in_every_form(capsys, check, right, form):
    answer = named(lambda *a: leaves(right(*a), form))
    verdict(capsys, check(answer), True)


@pytest.mark.parametrize(
    "check, wrap",
    [
        (ex02.check_vit_cost, np.array),
        (ex02.check_vit_cost, torch.tensor),
        (ex03.check_stage_cost, np.array),
        (ex03.check_stage_cost, list),
        (ex05.check_stage_shapes, np.array),
        (ex05.check_stage_shapes, torch.tensor),
    ],
)
def test_right_pairs_and_tables_pass_as_arrays(capsys, check, wrap):
    right = {ex02.check_vit_cost: t02.vit_cost, ex03.check_stage_cost: t03.stage_cost}.get(check, t05.stage_shapes)
    verdict(capsys, check(named(lambda *a: wrap(right(*a)))), True)


def test_numpy_integers_are_right_answers_too(capsys):
    """The bug of issue 9: these three checks said "should return a number, got int64"."""
    verdict(capsys, ex05.check_block_params(lambda C, h, M: np.int64(t05.block_params(C, h, M))), True)
    verdict(capsys, ex02.check_vit_cost(lambda *a: tuple(np.int64(v) for v in t02.vit_cost(*a))), True)
    verdict(capsys, ex05.check_stage_shapes(lambda *a: [tuple(map(np.int64, r)) for r in t05.stage_shapes(*a)]), True)


@pytest.mark.parametrize("check, right", [(c, r) for c, r, kind, _ in CHECKS if kind == "tensors"])
def test_right_tensors_pass_as_numpy_arrays(capsys, check, right):
    answer = named(lambda *a: leaves(right(*a), lambda t: t.detach().numpy() if isinstance(t, torch.Tensor) else t))
    verdict(capsys, check(answer), True)


@pytest.mark.parametrize("check, right", [(c, r) for c, r, *_ in CHECKS], ids=IDS)
def test_right_answers_that_change_their_inputs_in_place_pass(capsys, check, right):
    def careless(*args):
        result = right(*args)  # the answer is computed, then the inputs are trashed
        result = copy.deepcopy(result) if isinstance(result, nn.Module) else leaves(result, _detached_copy)
        for arg in args:
            trash_(arg)
        return result

    verdict(capsys, check(named(careless)), True)


@pytest.mark.parametrize("check, right", TENSOR_INPUTS, ids=TENSOR_IDS)
def test_cheats_that_zero_the_inputs_fail(capsys, check, right):
    """Zeroing the inputs in place and answering for the zeros cannot pass: the reference uses the originals."""

    def cheat(*args):
        for arg in args:
            trash_(arg)
        return right(*args)

    verdict(capsys, check(named(cheat)), False)


def test_the_cyclic_shift_cheat_of_the_fuzzing_pass_fails(capsys):
    def cheat(x, s):
        return x.mul_(0)  # rolled or not, zeros are zeros

    verdict(capsys, ex04.check_cyclic_shift(cheat), False, VALUES, "the rolled map")


def test_attention_that_scales_q_in_place_is_right(capsys):
    """``q /= sqrt(d)`` used to change the check's own q: a right answer was told it forgot the scale."""

    def attention(q, k, v):
        q /= math.sqrt(q.shape[-1])
        weights = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        return weights @ v, weights

    verdict(capsys, ex01.check_attention(attention), True)


def test_msa_that_changes_x_in_place_is_right(capsys):
    def msa(x, w_qkv, b_qkv, w_o, b_o, num_heads):
        out = t01.msa(x, w_qkv, b_qkv, w_o, b_o, num_heads)
        x.mul_(0)
        w_qkv.add_(1)
        return out

    verdict(capsys, ex01.check_msa(msa), True)


# ---------------------------------------------------------------------------------------------- broken answers


class Escape(BaseException):
    """Not an Exception: only a check that catches BaseException survives it."""


@pytest.mark.parametrize(
    "error",
    [RuntimeError("boom\non two lines"), IndexError("index 9 is out of bounds"), SystemExit(3), Escape()],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("check, right", [(c, r) for c, r, *_ in CHECKS], ids=IDS)
def test_answers_that_raise_get_a_verdict(capsys, check, right, error):
    def raising(*args):
        raise error

    verdict(capsys, check(named(raising, "raising")), False, CRASH, f"raising raised {type(error).__name__}")


@pytest.mark.parametrize("check, right", [(c, r) for c, r, *_ in CHECKS], ids=IDS)
def test_answers_that_never_return_time_out(capsys, monkeypatch, check, right):
    monkeypatch.setattr(_feedback, "TIME_LIMIT", 0.1)

    def endless(*args):
        while True:
            pass

    verdict(
        capsys, check(named(endless, "endless")), False, TIMEOUT, "endless took longer than 0.1 s: an endless loop?"
    )


@pytest.mark.parametrize("check, right", [(c, r) for c, r, *_ in CHECKS], ids=IDS)
def test_a_missing_return_is_said(capsys, check, right):
    verdict(capsys, check(named(lambda *a: None, "unfinished")), False, MISSING, "(a missing `return`?)")


DTYPES = [torch.float64, torch.float16, torch.int64, torch.bool, torch.complex64]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("check, right", [(c, r) for c, r, kind, _ in CHECKS if kind == "tensors"])
def test_answers_of_another_dtype_get_a_verdict(capsys, check, right, dtype):
    answer = named(lambda *a: leaves(right(*a), lambda t: t.to(dtype) if isinstance(t, torch.Tensor) else t))
    result = check(answer)
    printed = capsys.readouterr().out
    assert printed.startswith(("✓ ", "✗ ")) and printed.count("\n") == 1, printed
    if dtype == torch.complex64:
        assert not result and result.mismatch.kind == "dtype"
    if dtype == torch.float64 and check not in (ex03.check_relative_index, ex03.check_window_mask):
        assert result, printed  # a float64 answer for a float32 reference is right


def test_the_dtype_rules_of_an_exercise_are_structured(capsys):
    verdict(capsys, ex03.check_relative_index(lambda Mh, Mw: t03.relative_index(Mh, Mw).double()), False, DTYPE)
    verdict(capsys, ex03.check_window_mask(lambda H, W, M: t03.window_mask(H, W, M).long()), False, DTYPE, "bool")


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.lists(st.integers(-3, 3), max_size=4),
    st.tuples(st.integers(), st.text(max_size=2)),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.sampled_from(
        [
            torch.zeros(0),
            torch.tensor(float("nan")),
            torch.ones(2, 3, dtype=torch.complex64),
            torch.zeros(3, device="meta"),
            torch.eye(3).to_sparse(),
            np.array(["a", "b"]),
            nn.Linear(2, 3),
            nn.Identity(),
            object(),
            Ellipsis,
        ]
    ),
)


@pytest.mark.parametrize("check, right", [(c, r) for c, r, *_ in CHECKS], ids=IDS)
@settings(max_examples=15)
@given(junk=JUNK)
def test_junk_answers_get_a_verdict_and_never_pass(check, right, junk):
    printed = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("builtins.print", lambda *a, **k: printed.append(" ".join(map(str, a))))
        result = check(lambda *a: junk)
    assert not result and isinstance(result.mismatch, Mismatch)
    assert len(printed) == 1 and printed[0].startswith("✗ ")


class Endless:
    """An answer whose own methods never return or exit: reading it runs the learner's code too."""

    def __iter__(self):
        while True:
            yield (1, 2, 3, 4)

    def __len__(self):
        raise SystemExit(1)


@pytest.mark.parametrize("check", [ex05.check_stage_shapes, ex02.check_vit_cost, ex04.check_axis_regions])
def test_answers_whose_methods_never_return_or_exit_get_a_verdict(capsys, monkeypatch, check):
    monkeypatch.setattr(_feedback, "TIME_LIMIT", 0.1)
    verdict(capsys, check(named(lambda *a: Endless(), "odd")), False)


def test_a_keyboard_interrupt_from_the_learner_is_not_swallowed():
    def pressed_stop(*args):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ex04.check_cyclic_shift(pressed_stop)


def test_outside_the_main_thread_the_time_limit_still_holds(monkeypatch):
    monkeypatch.setattr(_feedback, "TIME_LIMIT", 0.2)
    release = threading.Event()
    results = []

    def stuck(*args):
        release.wait(30)  # stands for an endless loop, but ends when the test is done

    def run():
        results.append(_feedback.call(stuck, (1,), name="stuck"))

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    release.set()
    assert results and results[0].kind == "timeout" and "stuck took longer than 0.2 s" in results[0].message


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timers here")
def test_someone_elses_alarm_is_put_back():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 60)
        assert _feedback.call(lambda: 1, (), limit=0.5) == 1
        assert signal.getsignal(signal.SIGALRM) is not _feedback._on_alarm
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 50 < remaining <= 60
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not fired


# ---------------------------------------------------------------------------------------------- the new hints


def test_03_ex1_names_the_channels_last_shape_for_a_channels_first_input(capsys):
    def as_is(x, M):
        return window_partition(x, M).reshape(-1, M * M, x.shape[-1])  # x is (B, C, H, W), not (B, H, W, C)

    verdict(
        capsys, ex03.check_window_tokens(as_is), False, CRASH, "(B, H, W, C) = (2, 8, 12, 3)", "permute(0, 2, 3, 1)"
    )


def test_03_ex4_names_the_additive_mask_of_notebook_04(capsys):
    def additive(H, W, M):
        return torch.zeros(H * W, H * W).masked_fill(~t03.window_mask(H, W, M), -100.0)

    verdict(capsys, ex03.check_window_mask(additive), False, VALUES, Named("additive 0/−100 mask"), "bool tensor")


def test_01_ex3_names_q_and_k_swapped(capsys):
    def swapped(x, w_qkv, b_qkv, w_o, b_o, num_heads):
        B, N, C = x.shape
        k, q, v = (x @ w_qkv.T + b_qkv).chunk(3, dim=-1)
        q, k, v = (t.view(B, N, num_heads, -1).transpose(1, 2) for t in (q, k, v))
        out = (q @ k.transpose(-2, -1) / math.sqrt(C // num_heads)).softmax(-1) @ v
        return out.transpose(1, 2).reshape(B, N, C) @ w_o.T + b_o

    verdict(capsys, ex01.check_msa(swapped), False, VALUES, Named("q and k swapped"), "q and k are swapped")


def test_01_ex1_names_q_and_k_swapped(capsys):
    verdict(capsys, ex01.check_attention(lambda q, k, v: t01.attention(k, q, v)), False, Named("q and k swapped"))


@pytest.mark.parametrize(
    "answer, mistake",
    [
        (
            lambda H, W, M, s: 2 * (H // M) * (W // M) + (H // M + 1) * (W // M + 1) - (H // M) * (W // M),
            "both partitions",
        ),
        (lambda H, W, M, s: (H // M + 2) * (W // M + 2) if s else (H // M) * (W // M), "two extra pieces per axis"),
        (lambda H, W, M, s: (H // M + 1) * (W // M + 1) + 5 if s else (H // M) * (W // M), "extra windows"),
    ],
)
def test_04_ex4_names_extra_windows(capsys, answer, mistake):
    verdict(
        capsys, ex04.check_naive_windows(named(answer, "count")), False, VALUES, Named(mistake), "count(8, 8, 4, 2)"
    )


def test_05_ex1_names_the_missing_padding_of_odd_sides(capsys):
    def unpadded(x, norm, reduction):
        merged = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)
        return reduction(norm(merged))

    printed = verdict(capsys, ex05.check_merge(unpadded), False, CRASH, Named("odd side not padded"), "(2, 7, 5, 4)")
    assert "the map is 7x5, with an odd side" in printed and "F.pad(x, (0, 0, 0, W % 2, 0, H % 2))" in printed


# ---------------------------------------------------------------------------------------------- the pieces


@given(
    n=st.integers(-(2**53), 2**53),
    form=st.sampled_from([int, float, np.int64, np.float64, np.array, torch.tensor, lambda v: torch.tensor([[v]])]),
)
def test_as_number_reads_every_form_of_a_whole_number(n, form):
    number = as_number(form(n))
    assert number == n and isinstance(number, (int, float))


@pytest.mark.parametrize(
    "value",
    [
        True,
        np.bool_(True),
        "3",
        2 + 1j,
        torch.tensor(True),
        torch.ones(2),
        np.ones(2),
        [3],
        None,
        torch.zeros(1, device="meta"),
    ],
    ids=repr,
)
def test_as_number_refuses_what_is_not_one_number(value):
    assert as_number(value) is None


def test_read_pair_and_read_tensor_say_what_is_wrong_as_data():
    assert read_pair((np.int64(3), torch.tensor(4.0)), "f", "(a, b)", "f(1)") == (3, 4.0)
    assert read_pair(torch.tensor([3, 4]), "f", "(a, b)", "f(1)") == (3, 4)
    assert read_pair(7, "f", "(a, b)", "f(1)").kind == "type"
    assert read_pair(("x", 1), "f", "(a, b)", "f(1)").message == "f(1) should be a pair of numbers, got ('str', 'int')"
    assert torch.equal(read_tensor(np.arange(3), "t"), torch.arange(3))
    assert read_tensor(torch.ones(2, dtype=torch.complex64), "t").kind == "dtype"
    assert read_tensor(torch.eye(2).to_sparse(), "t").kind == "type"
    assert read_tensor(torch.ones(2, requires_grad=True), "t").requires_grad is False
    assert read_tensor([1, 2], "t").kind == "type" and torch.equal(
        read_tensor([1, 2], "t", allow_lists=True), torch.tensor([1, 2])
    )


def test_compare_tensors_gives_a_structured_mismatch():
    expected = torch.arange(6.0).reshape(2, 3)
    assert compare_tensors("x", expected.double(), expected) is None
    assert compare_tensors("x", expected.long(), expected) is None
    assert compare_tensors("x", None, expected).kind == "missing"
    assert compare_tensors("x", "no", expected).kind == "type"
    assert compare_tensors("x", expected.T, expected).kind == "shape"
    wrong = compare_tensors("x", expected + 1, expected)
    assert wrong.kind == "values" and wrong.message == "x has the right shape but wrong values (largest difference 1)"
    assert compare_tensors("x", expected * float("nan"), expected).kind == "values"


def test_same_never_raises():
    for odd in (object(), "a", None, torch.zeros(2, 3), torch.zeros(3, device="meta"), [1, "a"], 1 + 2j):
        assert same(odd, torch.zeros(3)) is False or isinstance(odd, torch.Tensor)
        assert same(odd, 3) is False
        assert same(odd, (1, 2)) is False


def test_a_mismatch_kind_is_one_of_the_kinds():
    with pytest.raises(ValueError, match="kind must be one of"):
        Mismatch("wrong", "x")
    assert str(Mismatch("values", "a", "b", "c")) == "a: b (c)"


def test_the_runner_gives_each_call_its_own_inputs_and_names_the_first_matching_mistake(capsys):
    seen = []

    def answer(x):
        seen.append(x.clone())
        x.add_(100)  # must not reach the check's x, nor the next case
        return x - 100 + 1

    exercise = Exercise(
        cases=lambda: [Case(torch.zeros(2), where="first", x=torch.zeros(2)), Case(torch.ones(2), x=torch.ones(2))],
        reference=lambda c: c.x.clone(),
        read=lambda a, c, name: a,
        compare=lambda got, expected, c: compare_tensors("y", got, expected),
        success="{name} is right",
        mistakes=[
            Mistake("plus one", "you added one", wrong=lambda c: c.x + 1),
            Mistake("anything", "never shown", when=lambda a, c: True),
        ],
    )
    result = exercise.check(answer)
    verdict(capsys, result, False, VALUES, Named("plus one"), "you added one (first)")
    assert torch.equal(seen[0], torch.zeros(2))
    assert result.mismatch.where == "first"


def test_every_catalogue_is_well_formed():
    exercises = [v for m in (ex01, ex02, ex03, ex04, ex05) for v in vars(m).values() if isinstance(v, Exercise)]
    assert len(exercises) == 20
    for exercise in exercises:
        names = [m.name for m in exercise.mistakes]
        assert len(names) == len(set(names)), names
        for mistake in exercise.mistakes:
            assert set(mistake.kinds) <= set(_feedback.KINDS) and (mistake.wrong or mistake.when)
        first, again = exercise.cases(), exercise.cases()  # cases are the same on every run
        for a, b in zip(first, again):
            assert all(same(x, y, atol=0, rtol=0) for x, y in zip(a.args, b.args) if isinstance(x, torch.Tensor))


def test_call_reports_what_was_raised_and_keeps_it():
    mismatch = call(lambda: [][1], (), name="f")
    assert mismatch.kind == "crash" and mismatch.message.startswith("f raised IndexError")
    assert isinstance(mismatch.error, IndexError)
    assert call(lambda: 5, ()) == 5


@settings(max_examples=20)
@given(delta=st.integers(-(10**6), 10**6).filter(bool), form=st.sampled_from([int, float, np.int64, torch.tensor]))
def test_a_count_off_by_anything_never_passes(delta, form):
    printed = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("builtins.print", lambda *a, **k: printed.append(" ".join(map(str, a))))
        results = [
            ex05.check_block_params(lambda C, h, M: form(t05.block_params(C, h, M) + delta)),
            ex04.check_naive_windows(lambda *a: form(t04.naive_windows(*a) + delta)),
            ex01.check_msa_macs(lambda n, C: form(_msa_macs(n, C) + delta)),
        ]
    assert not any(results) and all(r.mismatch.kind == "values" for r in results), printed
