"""The check functions of notebook 04 accept right answers and name the typical wrong ones."""

import pytest
import torch

from swin_edu.exercises.shifted_windows import (
    _label_windows,
    _mask_of,
    check_axis_regions,
    check_cyclic_shift,
    check_naive_windows,
    check_window_mask,
)
from swin_edu.windows import cyclic_shift, region_labels, shifted_window_mask, window_partition
from tests.helpers import stub, verdict

# ---------------------------------------------------------------------------------------------- helpers


def crashes(*args):
    raise RuntimeError("roll(): shifts and dimensions must align")


def test_checks_keep_the_random_state(capsys):
    torch.manual_seed(0)
    check_cyclic_shift(cyclic_shift)
    check_window_mask(lambda labels: _mask_of(labels))
    after_check = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(after_check, torch.rand(3)), "a check must not move the notebook's random state"
    capsys.readouterr()


# ---------------------------------------------------------------------------------------------- cyclic shift


def test_cyclic_shift_accepts_a_right_answer_and_the_library(capsys):
    verdict(capsys, check_cyclic_shift(lambda x, s: torch.roll(x, (-s, -s), (1, 2))), True, "up and left by s")
    verdict(capsys, check_cyclic_shift(cyclic_shift), True)


@pytest.mark.parametrize(
    "answer, phrases",
    [
        (stub, ["returns nothing yet"]),
        (crashes, ["raised RuntimeError: roll()", "x (3, 8, 8, 3) and s=2"]),
        (lambda x, s: torch.roll(x, (s, s), (1, 2)), ["rolled by +s", "reverse shift"]),
        (lambda x, s: torch.roll(x, -s, 1), ["rows only", "dims=(1, 2)"]),
        (lambda x, s: torch.roll(x, -s, 2), ["columns only"]),
        (lambda x, s: torch.roll(x, (-s, -s), (0, 1)), ["dims (0, 1)", "axes are 1 and 2"]),
        (lambda x, s: torch.roll(x, (-s, -s), (2, 3)), ["dims (2, 3)"]),
        (lambda x, s: torch.roll(x, -s), ["without dims", "flattened"]),
        (lambda x, s: x[:, s:, s:], ["shape (3, 6, 6, 3), expected (3, 8, 8, 3)"]),
        (lambda x, s: torch.roll(x, (-s, -s), (1, 2)) if s < 3 else x, ["s=3"]),
    ],
)
def test_cyclic_shift_rejects_typical_mistakes(capsys, answer, phrases):
    verdict(capsys, check_cyclic_shift(answer), False, *phrases)


# ---------------------------------------------------------------------------------------------- axis regions


def axis_regions(length, M, s):
    pos = torch.arange(length)
    if s == 0:
        return torch.zeros(length, dtype=torch.long)
    return (pos >= length - M).long() + (pos >= length - s).long()


def test_axis_regions_agree_with_region_labels():
    labels = region_labels(8, 12, 4, 2)  # (8, 12)
    assert torch.equal(labels, 3 * axis_regions(8, 4, 2)[:, None] + axis_regions(12, 4, 2)[None, :])


def test_axis_regions_accepts_a_right_answer_as_tensor_or_list(capsys):
    verdict(capsys, check_axis_regions(axis_regions), True, "region_labels")
    verdict(capsys, check_axis_regions(lambda L, M, s: axis_regions(L, M, s).tolist()), True)
    verdict(capsys, check_axis_regions(lambda L, M, s: axis_regions(L, M, s).float()), True)


@pytest.mark.parametrize(
    "answer, phrases",
    [
        (stub, ["returns nothing yet"]),
        (crashes, ["raised RuntimeError"]),
        (lambda L, M, s: 2 * (torch.arange(L) >= L - s).long(), ["region 1 is missing"]),
        (
            lambda L, M, s: (torch.arange(L) > L - M).long() + (torch.arange(L) > L - s).long(),
            ["one position late", "use >="],
        ),
        (
            lambda L, M, s: (torch.arange(L) >= L - M - 1).long() + (torch.arange(L) >= L - s - 1).long(),
            ["one position early"],
        ),
        (lambda L, M, s: torch.roll(axis_regions(L, M, s), s), ["before the roll", "first s to the end"]),
        (
            lambda L, M, s: (torch.arange(L) >= L - M).long() + (torch.arange(L) >= L - s).long(),
            ["with s = 0 there is no shift", "my_regions(10, 5, 0)"],
        ),
        (lambda L, M, s: axis_regions(L, M, s)[:-1], ["shape (7,), expected (8,)"]),
        (lambda L, M, s: "regions", ["should be a torch.Tensor, got str"]),
    ],
)
def test_axis_regions_rejects_typical_mistakes(capsys, answer, phrases):
    answer.__name__ = "my_regions" if answer.__name__ == "<lambda>" else answer.__name__
    verdict(capsys, check_axis_regions(answer), False, *phrases)


# ---------------------------------------------------------------------------------------------- window mask


def window_mask(labels):
    flat = labels.reshape(-1)  # (N,)
    same = flat[:, None] == flat[None, :]  # (N, N)
    return torch.zeros(same.shape).masked_fill(~same, -100.0)


def test_the_reference_mask_is_the_library_mask():
    labels = region_labels(12, 9, 3, 1)
    windows = window_partition(labels[None, :, :, None], 3)[..., 0]  # (nW, 3, 3)
    library = shifted_window_mask(12, 9, 3, 1)  # (nW, 9, 9)
    assert all(torch.equal(_mask_of(w), m) for w, m in zip(windows, library))
    assert torch.equal(_mask_of(_label_windows(torch.Generator())[0]), shifted_window_mask(8, 8, 4, 2)[-1])


def test_window_mask_accepts_a_right_answer(capsys):
    verdict(capsys, check_window_mask(window_mask), True, "shifted_window_mask")
    verdict(capsys, check_window_mask(lambda labels: window_mask(labels).double()), True)


@pytest.mark.parametrize(
    "answer, phrases",
    [
        (stub, ["returns nothing yet"]),
        (crashes, ["raised RuntimeError", "for labels [["]),
        (lambda labels: window_mask(labels) == 0, ["boolean tensor", "float tensor"]),
        (lambda labels: window_mask(labels).masked_fill(window_mask(labels) < 0, float("-inf")), ["not -inf"]),
        (lambda labels: torch.where(window_mask(labels) == 0, -100.0, 0.0), ["swapped"]),
        (lambda labels: (window_mask(labels) == 0).float(), ["not 1 and 0"]),
        (lambda labels: window_mask(labels.t()), ["row by row", "not column by column"]),
        (lambda labels: (labels[:, :, None, None] == labels[None, None]).float() * 100 - 100, ["shape (4, 4, 4, 4)"]),
        (lambda labels: window_mask(labels)[:-1], ["shape (15, 16), expected (16, 16)"]),
    ],
)
def test_window_mask_rejects_typical_mistakes(capsys, answer, phrases):
    verdict(capsys, check_window_mask(answer), False, *phrases)


# ---------------------------------------------------------------------------------------------- naive windows


def naive_windows(H, W, M, s):
    if s == 0:
        return (H // M) * (W // M)
    return (H // M + 1) * (W // M + 1)


def test_naive_windows_accepts_a_right_answer_as_int_float_or_tensor(capsys):
    verdict(capsys, check_naive_windows(naive_windows), True, "shifted_partition")
    verdict(capsys, check_naive_windows(lambda *a: float(naive_windows(*a))), True)
    verdict(capsys, check_naive_windows(lambda *a: torch.tensor(naive_windows(*a))), True)


@pytest.mark.parametrize(
    "answer, phrases",
    [
        (stub, ["returns nothing yet"]),
        (crashes, ["raised RuntimeError"]),
        (lambda H, W, M, s: "nine", ["should be a number, got str"]),
        (lambda H, W, M, s: (H // M) * (W // M), ["(8, 8, 4, 2) = 4", "has 9 windows", "the regular count"]),
        (lambda H, W, M, s: (H // M) * (W // M) + (s > 0), ["one window per row", "not one in total"]),
        (lambda H, W, M, s: (H // M + 1) ** 2 if s else (H // M) ** 2, ["(8, 12, 4, 2) = 9", "H for both axes"]),
        (lambda H, W, M, s: (W // M + 1) ** 2 if s else (W // M) ** 2, ["W for both axes"]),
        (lambda H, W, M, s: (H // M + 1) * (W // M + 1), ["(8, 8, 4, 0) = 9", "with s = 0 nothing shifts"]),
    ],
)
def test_naive_windows_rejects_typical_mistakes(capsys, answer, phrases):
    answer.__name__ = "my_count" if answer.__name__ == "<lambda>" else answer.__name__
    verdict(capsys, check_naive_windows(answer), False, *phrases)
