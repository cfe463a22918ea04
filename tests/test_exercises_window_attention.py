"""The check functions of notebook 03 accept right answers and name the typical wrong ones."""

import math

import numpy as np
import pytest
import torch

from swin_edu.complexity import msa_macs, wmsa_macs
from swin_edu.exercises.window_attention import (
    check_relative_index,
    check_stage_cost,
    check_window_mask,
    check_window_tokens,
)
from swin_edu.windows import relative_position_index, window_partition
from tests.helpers import VALUES, stub, verdict

# ---------------------------------------------------------------------------------------------- helpers


def crashes(*args):
    raise RuntimeError("shape '[2, 2, 4, 3, 4, 3]' is invalid for input of size 576")


def keeps_the_seed(check, answer):
    """Run ``check(answer)`` and assert that it leaves the global random state where it was."""
    torch.manual_seed(0)
    result = check(answer)
    after_check = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(after_check, torch.rand(3)), "a check must not move the notebook's random state"
    return result


# ---------------------------------------------------------------------------------------------- window tokens


def window_tokens(x, M):
    B, C, H, W = x.shape
    x = x.reshape(B, C, H // M, M, W // M, M)  # (B, C, H/M, M, W/M, M)
    x = x.permute(0, 2, 4, 3, 5, 1)  # (B, H/M, W/M, M, M, C)
    return x.reshape(-1, M * M, C)  # (B*nW, N, C)


def test_window_tokens_accepts_a_right_answer_and_keeps_the_seed(capsys):
    verdict(capsys, keeps_the_seed(check_window_tokens, window_tokens), True, "ready for WindowAttention")


def test_window_tokens_accepts_the_library_route(capsys):
    def library(x, M):
        return window_partition(x.permute(0, 2, 3, 1), M).flatten(1, 2)

    verdict(capsys, check_window_tokens(library), True)


def plain_reshape(x, M):
    return x.permute(0, 2, 3, 1).reshape(-1, M * M, x.shape[1])


def no_channel_permute(x, M):
    B, C, H, W = x.shape
    return window_partition(x.reshape(B, H, W, C), M).reshape(-1, M * M, C)


def windows_by_column(x, M):
    B, C, H, W = x.shape
    x = x.reshape(B, C, H // M, M, W // M, M).permute(0, 4, 2, 3, 5, 1)  # (B, W/M, H/M, M, M, C)
    return x.reshape(-1, M * M, C)


def tokens_by_column(x, M):
    B, C, H, W = x.shape
    x = x.reshape(B, C, H // M, M, W // M, M).permute(0, 2, 4, 5, 3, 1)  # (B, H/M, W/M, M cols, M rows, C)
    return x.reshape(-1, M * M, C)


def channels_first(x, M):
    return window_tokens(x, M).transpose(1, 2)  # (B*nW, C, N)


def not_flattened(x, M):
    return window_partition(x.permute(0, 2, 3, 1), M)  # (B*nW, M, M, C)


def per_image(x, M):
    B = x.shape[0]
    return window_tokens(x, M).reshape(B, -1, M * M, x.shape[1])  # (B, nW, N, C)


@pytest.mark.parametrize(
    "answer, phrases",
    [
        (stub, ["the windows is None", "returns nothing yet", "x (2, 3, 8, 12) and M=4"]),
        (crashes, ["raised RuntimeError", "is invalid"]),
        (plain_reshape, [VALUES, "plain reshape", "split H into (H/M, M)"]),
        (no_channel_permute, ["without a permute", "permute(0, 2, 3, 1)"]),
        (windows_by_column, ["windows come column by column"]),
        (tokens_by_column, ["inside each window the tokens run column by column"]),
        (channels_first, ["shape (12, 3, 16)", "channels are still first"]),
        (not_flattened, ["window_partition's shape", "flatten"]),
        (per_image, ["shape (2, 6, 16, 3)", "B * nW windows make the batch"]),
        (lambda x, M: window_tokens(x, M) * 2, [VALUES, "wrong places"]),
    ],
)
def test_window_tokens_rejects_typical_mistakes(capsys, answer, phrases):
    verdict(capsys, check_window_tokens(answer), False, *phrases)


# ---------------------------------------------------------------------------------------------- stage cost


def stage_cost(h, w, C, M):
    Hp, Wp = math.ceil(h / M) * M, math.ceil(w / M) * M  # padded to multiples of M
    windows = (Hp // M) * (Wp // M)
    return windows, 4 * Hp * Wp * C**2 + 2 * M**2 * Hp * Wp * C


def test_stage_cost_accepts_right_answers_of_any_number_type(capsys):
    verdict(capsys, check_stage_cost(stage_cost), True, "padding included")
    verdict(capsys, check_stage_cost(lambda *a: tuple(float(v) for v in stage_cost(*a))), True)
    verdict(capsys, check_stage_cost(lambda *a: [torch.tensor(v) for v in stage_cost(*a)]), True)
    verdict(capsys, check_stage_cost(lambda *a: tuple(np.int64(v) for v in stage_cost(*a))), True)


def unpadded(h, w, C, M):
    return h * w / M**2, wmsa_macs(h, w, C, M) if h % M == 0 and w % M == 0 else 4 * h * w * C**2 + 2 * M**2 * h * w * C


def padded_windows_unpadded_macs(h, w, C, M):
    return stage_cost(h, w, C, M)[0], 4 * h * w * C**2 + 2 * M**2 * h * w * C


@pytest.mark.parametrize(
    "answer, phrases",
    [
        (stub, ["returns nothing yet", "(windows, macs)"]),
        (crashes, ["raised RuntimeError"]),
        (lambda h, w, C, M: 7, ["should return a pair (windows, macs), got int"]),
        (lambda h, w, C, M: ("many", 1), ["should be a pair of numbers", "'str'"]),
        (lambda h, w, C, M: (h * w / M, 0), ["(56, 56, 96, 7) gives 448 windows, expected 64", "M*M tokens"]),
        (lambda h, w, C, M: (h * w, 0), ["3,136 windows", "number of tokens"]),
        (lambda h, w, C, M: (stage_cost(h, w, C, M)[0], msa_macs(h, w, C)), ["Omega(MSA), global attention"]),
        (lambda h, w, C, M: (stage_cost(h, w, C, M)[0], 4 * h * w * C**2 + 2 * M * h * w * C), ["has M²"]),
        (lambda h, w, C, M: (stage_cost(h, w, C, M)[0], 4 * h * w * C**2 + M**2 * h * w * C), ["2M²hwC"]),
        (lambda h, w, C, M: (stage_cost(h, w, C, M)[0], 4 * M**2 * C**2 + 2 * M**4 * C), ["one window's cost"]),
        (lambda h, w, C, M: (stage_cost(h, w, C, M)[0], 2 * M**2 * h * w * C), ["left out 4hwC²"]),
        (lambda h, w, C, M: (stage_cost(h, w, C, M)[0], 4 * h * w * C**2), ["left out 2M²hwC"]),
        (lambda h, w, C, M: (stage_cost(h, w, C, M)[0], 2 * stage_cost(h, w, C, M)[1]), ["counted FLOPs"]),
        (unpadded, ["(200, 334, 96, 7) gives 1,363.", "pads it to 203x336", "round up"]),
        (
            lambda h, w, C, M: ((h // M) * (w // M), stage_cost(h, w, C, M)[1]),
            ["gives 1,316 windows, expected 1,392", "rounding down"],
        ),
        (padded_windows_unpadded_macs, ["(200, 334, 96, 7) gives", "use the 203x336 map"]),
        (lambda h, w, C, M: (h * w // M**2, stage_cost(h, w, C, M)[1]), ["gives 1,363 windows", "round up"]),
    ],
)
def test_stage_cost_rejects_typical_mistakes(capsys, answer, phrases):
    verdict(capsys, check_stage_cost(answer), False, *phrases)


# ---------------------------------------------------------------------------------------------- relative index


def relative_index(Mh, Mw):
    ys, xs = torch.meshgrid(torch.arange(Mh), torch.arange(Mw), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()  # (N,), (N,)
    dy = ys[:, None] - ys[None, :] + Mh - 1  # (N, N), query row - key row, in [0, 2Mh-2]
    dx = xs[:, None] - xs[None, :] + Mw - 1  # (N, N)
    return dy * (2 * Mw - 1) + dx


def variant(radix=None, shift=True, sign=1, dtype=None):
    def answer(Mh, Mw):
        ys, xs = torch.meshgrid(torch.arange(Mh), torch.arange(Mw), indexing="ij")
        ys, xs = ys.flatten(), xs.flatten()
        dy = sign * (ys[:, None] - ys[None, :]) + (Mh - 1 if shift else 0)
        dx = sign * (xs[:, None] - xs[None, :]) + (Mw - 1 if shift else 0)
        index = dy * (radix(Mh, Mw) if radix else 2 * Mw - 1) + dx
        return index.to(dtype) if dtype else index

    return answer


def test_relative_index_accepts_a_right_answer(capsys):
    verdict(capsys, check_relative_index(relative_index), True, "(2Mh − 1)(2Mw − 1)")


def test_relative_index_reference_equals_the_library_for_square_windows():
    for M in range(1, 8):
        assert torch.equal(relative_index(M, M), relative_position_index(M))


@pytest.mark.parametrize(
    "answer, phrases",
    [
        (stub, ["the index is None", "relative_index(3, 3)"]),
        (crashes, ["raised RuntimeError", "(3, 3)"]),
        (variant(shift=False), ["some rows are negative", "add Mh − 1 and Mw − 1"]),
        (variant(sign=-1), ["key − query", "transpose"]),
        (variant(radix=lambda Mh, Mw: 2 * Mh - 1), ["(2, 4)", "multiply the row offset by 2Mw − 1"]),
        (variant(radix=lambda Mh, Mw: Mw), ["rows collide", "not Mw"]),
        (variant(radix=lambda Mh, Mw: 2 * Mw - 1 if Mh == Mw else Mh), ["rows collide", "not Mh", "(2, 4)"]),
        (variant(dtype=torch.float32), ["dtype torch.float32", "torch.long"]),
        (lambda Mh, Mw: relative_index(Mh, Mw).reshape(Mh, Mw, Mh, Mw), ["shape (3, 3, 3, 3)", "reshape to (9, 9)"]),
        (lambda Mh, Mw: relative_index(Mh, Mw) + 100, ["the largest row is 124", "only 25 rows"]),
        (lambda Mh, Mw: torch.full((Mh * Mw, Mh * Mw), float("nan")), ["not finite"]),
    ],
)
def test_relative_index_rejects_typical_mistakes(capsys, answer, phrases):
    answer.__name__ = "relative_index"
    verdict(capsys, check_relative_index(answer), False, *phrases)


def test_relative_index_names_the_wrong_radix_that_only_a_rectangle_shows(capsys):
    wrong = variant(radix=lambda Mh, Mw: 2 * Mh - 1)
    assert torch.equal(wrong(3, 3), relative_position_index(3))  # square windows cannot tell
    printed = verdict(capsys, check_relative_index(wrong), False, "2Mw − 1")
    assert "(2, 4)" in printed


# ---------------------------------------------------------------------------------------------- window mask


def window_mask(H, W, M):
    rows = torch.arange(H * W) // W
    cols = torch.arange(H * W) % W
    window = (rows // M) * (W // M) + cols // M  # (H*W,): the window of each token
    return window[:, None] == window[None, :]


def consecutive_blocks(H, W, M):
    block = torch.arange(H * W) // (M * M)
    return block[:, None] == block[None, :]


def test_window_mask_accepts_a_right_answer_and_keeps_the_seed(capsys):
    verdict(capsys, keeps_the_seed(check_window_mask, window_mask), True, "global attention with it is W-MSA")


@pytest.mark.parametrize(
    "answer, phrases",
    [
        (stub, ["the mask is None", "(4, 6, 2)"]),
        (crashes, ["raised RuntimeError"]),
        (lambda H, W, M: ~window_mask(H, W, M), ["inverted"]),
        (consecutive_blocks, ["consecutive tokens", "numbered row by row over the whole map"]),
        (lambda H, W, M: torch.ones(H * W, H * W, dtype=torch.bool), ["every pair is allowed"]),
        (lambda H, W, M: window_mask(H, W, M).float(), ["dtype torch.float32", "bool"]),
        (lambda H, W, M: window_mask(H, W, M).reshape(H, W, H, W), ["shape (4, 6, 4, 6)", "reshape to (24, 24)"]),
    ],
)
def test_window_mask_rejects_typical_mistakes(capsys, answer, phrases):
    answer.__name__ = "window_mask"
    verdict(capsys, check_window_mask(answer), False, *phrases)
