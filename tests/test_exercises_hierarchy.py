"""The check functions of notebook 05 accept right answers and name the typical wrong ones."""

import itertools
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from swin_edu.exercises.hierarchy import (
    check_block_params,
    check_linear_from_merge_conv,
    check_merge,
    check_stage_shapes,
)
from swin_edu.swin import PatchMerging
from tests.helpers import VALUES, randomize_, stub, verdict


def crashes(*args):
    raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (16x12 and 8x4)")


# ---------------------------------------------------------------------------------------------- patch merging


def gather(x, order=((0, 0), (1, 0), (0, 1), (1, 1)), pad_end=True):
    H, W = x.shape[1], x.shape[2]
    pad = (0, 0, 0, W % 2, 0, H % 2) if pad_end else (0, 0, W % 2, 0, H % 2, 0)
    x = F.pad(x, pad)
    return torch.cat([x[:, r::2, c::2] for r, c in order], dim=-1)  # (B, H/2, W/2, 4C)


def my_merge(x, norm, reduction):
    return reduction(norm(gather(x)))


def merge_row_by_row(x, norm, reduction):
    return reduction(norm(gather(x, order=((0, 0), (0, 1), (1, 0), (1, 1)))))


def merge_other_order(x, norm, reduction):
    return reduction(norm(gather(x, order=((1, 1), (1, 0), (0, 1), (0, 0)))))


def merge_without_norm(x, norm, reduction):
    return reduction(gather(x))


def merge_plain_reshape(x, norm, reduction):
    B, H, W, C = x.shape
    return reduction(norm(x.reshape(B, H // 2, W // 2, 4 * C)))


def merge_padding_first(x, norm, reduction):
    return reduction(norm(gather(x, pad_end=False)))


def merge_cropping(x, norm, reduction):
    H, W = x.shape[1] // 2 * 2, x.shape[2] // 2 * 2
    return my_merge(x[:, :H, :W], norm, reduction)


def merge_no_projection(x, norm, reduction):
    return norm(gather(x))


def merge_channels_first(x, norm, reduction):
    return my_merge(x, norm, reduction).permute(0, 3, 1, 2)


def test_merge_accepts_the_answer_equal_to_the_library(capsys):
    torch.manual_seed(0)
    merging = randomize_(PatchMerging(6)).eval()
    x = torch.randn(2, 5, 8, 6)
    with torch.no_grad():
        torch.testing.assert_close(my_merge(x, merging.norm, merging.reduction), merging(x))
    verdict(capsys, check_merge(my_merge), True, "PatchMerging", "odd sides")


def test_merge_keeps_the_seed(capsys):
    torch.manual_seed(5)
    before = torch.rand(3)
    torch.manual_seed(5)
    check_merge(my_merge)
    assert torch.equal(torch.rand(3), before)
    capsys.readouterr()


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (stub, ["is None", "missing `return`"]),
        (crashes, ["raised RuntimeError", "(2, 4, 8, 3)"]),
        (merge_row_by_row, [VALUES, "x0, x2, x1, x3", "x[:, 1::2, 0::2]"]),
        (merge_other_order, ["x3 (bottom-right), x1 (bottom-left)", "official order"]),
        (merge_without_norm, ["skipped the LayerNorm"]),
        (merge_plain_reshape, ["plain reshape", "2x2 square"]),
        (merge_padding_first, ["bottom and on the right", "(2, 7, 5, 4)"]),
        (merge_cropping, ["shape (2, 3, 2, 8)", "dropped", "F.pad"]),
        (merge_no_projection, ["shape (2, 2, 4, 12)", "concatenation (4C)"]),
        (merge_channels_first, ["channels-first"]),
    ],
)
def test_merge_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_merge(wrong), False, *phrases)


OFFICIAL = ((0, 0), (1, 0), (0, 1), (1, 1))
NAMES = {(0, 0): "x0 (top-left)", (1, 0): "x1 (bottom-left)", (0, 1): "x2 (top-right)", (1, 1): "x3 (bottom-right)"}


@pytest.mark.parametrize(
    "order",
    [o for o in itertools.permutations(OFFICIAL) if o not in (OFFICIAL, ((0, 0), (0, 1), (1, 0), (1, 1)))],
    ids=lambda o: "".join(NAMES[n][1] for n in o),
)
def test_merge_names_every_other_order_of_the_neighbours(capsys, order):
    def merge_in_order(x, norm, reduction):
        return reduction(norm(gather(x, order=order)))

    named = ", ".join(NAMES[n] for n in order)
    verdict(capsys, check_merge(merge_in_order), False, VALUES, f"concatenated as {named}", "official order")


# ---------------------------------------------------------------------------------------------- conv -> linear


def linear_from_merge_conv(conv):
    out, C = conv.weight.shape[:2]
    linear = nn.Linear(4 * C, out, bias=False)
    with torch.no_grad():
        linear.weight.copy_(conv.weight.permute(0, 3, 2, 1).reshape(out, 4 * C))  # blocks x0, x1, x2, x3
    return linear


def linear_row_by_row(conv):
    out, C = conv.weight.shape[:2]
    linear = nn.Linear(4 * C, out, bias=False)
    with torch.no_grad():
        linear.weight.copy_(conv.weight.permute(0, 2, 3, 1).reshape(out, 4 * C))
    return linear


def linear_conv_order(conv):
    out, C = conv.weight.shape[:2]
    linear = nn.Linear(4 * C, out, bias=False)
    with torch.no_grad():
        linear.weight.copy_(conv.weight.reshape(out, 4 * C))
    return linear


def linear_with_bias(conv):
    right = linear_from_merge_conv(conv)
    linear = nn.Linear(right.in_features, right.out_features)
    with torch.no_grad():
        linear.weight.copy_(right.weight)
    return linear


def linear_transposed(conv):
    out, C = conv.weight.shape[:2]
    return nn.Linear(out, 4 * C, bias=False)


def test_linear_from_merge_conv_accepts_the_answer(capsys):
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 8, kernel_size=2, stride=2, bias=False)
    merging = PatchMerging(4)
    merging.reduction = linear_from_merge_conv(conv)
    merging.norm = nn.Identity()  # the projection alone
    x = torch.randn(1, 6, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(merging(x), conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))
    verdict(capsys, check_linear_from_merge_conv(linear_from_merge_conv), True, "2x2 stride-2 conv")


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (stub, ["should return an nn.Linear", "missing `return`"]),
        (crashes, ["raised RuntimeError"]),
        (lambda conv: conv, ["got Conv2d"]),
        (linear_row_by_row, ["x0, x2, x1, x3", "permute(0, 3, 2, 1)"]),
        (linear_conv_order, ["(channel, row, column) order"]),
        (linear_with_bias, ["no bias", "bias=False"]),
        (linear_transposed, ["(out_features, in_features)"]),
        (lambda conv: nn.Linear(3, 6, bias=False), ["4C = 12 numbers to 2C = 6"]),
    ],
)
def test_linear_from_merge_conv_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_linear_from_merge_conv(wrong), False, *phrases)


# ---------------------------------------------------------------------------------------------- stage shapes


def stage_shapes(img_size, embed_dim, window_size):
    rows = []
    for i in range(4):
        side = img_size // (4 * 2**i)
        windows = 1 if side <= window_size else math.ceil(side / window_size) ** 2
        rows.append((side, side, embed_dim * 2**i, windows))
    return rows


def stages_stride_from_2(img_size, embed_dim, window_size):
    rows = stage_shapes(img_size, embed_dim, window_size)
    return [(img_size // 2 ** (i + 1), img_size // 2 ** (i + 1), c, w) for i, (_, _, c, w) in enumerate(rows)]


def stages_quadrupled(img_size, embed_dim, window_size):
    rows = stage_shapes(img_size, embed_dim, window_size)
    return [(h, w, embed_dim * 4**i, n) for i, (h, w, _, n) in enumerate(rows)]


def stages_constant_width(img_size, embed_dim, window_size):
    return [(h, w, embed_dim, n) for h, w, _, n in stage_shapes(img_size, embed_dim, window_size)]


def stages_floor(img_size, embed_dim, window_size):
    return [(h, w, c, max(1, (h // window_size) ** 2)) for h, w, c, _ in stage_shapes(img_size, embed_dim, window_size)]


def stages_one_side(img_size, embed_dim, window_size):
    return [(h, w, c, math.isqrt(n)) for h, w, c, n in stage_shapes(img_size, embed_dim, window_size)]


def stages_zero_windows(img_size, embed_dim, window_size):
    return [(h, w, c, 0 if h < window_size else n) for h, w, c, n in stage_shapes(img_size, embed_dim, window_size)]


def test_stage_shapes_accepts_the_answer(capsys):
    assert stage_shapes(384, 128, 12) == [(96, 96, 128, 64), (48, 48, 256, 16), (24, 24, 512, 4), (12, 12, 1024, 1)]
    verdict(capsys, check_stage_shapes(stage_shapes), True, "every stage")
    verdict(capsys, check_stage_shapes(lambda *a: [list(r) for r in stage_shapes(*a)]), True)
    verdict(capsys, check_stage_shapes(lambda *a: [tuple(float(v) for v in r) for r in stage_shapes(*a)]), True)


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (stub, ["returns nothing yet"]),
        (crashes, ["raised RuntimeError"]),
        (lambda *a: 42, ["list of 4 tuples"]),
        (lambda *a: stage_shapes(*a)[:3], ["should give 4 stages"]),
        (lambda *a: [tuple(str(v) for v in r) for r in stage_shapes(*a)], ["whole numbers"]),
        (stages_stride_from_2, ["stage 1", "stride 4", "= 96 on a side"]),
        (stages_quadrupled, ["stage 2", "4C is the concatenation"]),
        (stages_constant_width, ["stage 2", "doubles the channels"]),
        (stages_floor, ["(448, 192, 12), stage 1", "ceil(112/12) = 10"]),
        (stages_one_side, ["stage 1", "along one side"]),
        (stages_zero_windows, ["(224, 128, 12), stage 4", "single window"]),
    ],
)
def test_stage_shapes_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_stage_shapes(wrong), False, *phrases)


# ---------------------------------------------------------------------------------------------- block parameters


def block_params(C, num_heads, window_size):
    return 12 * C**2 + 13 * C + (2 * window_size - 1) ** 2 * num_heads


def test_block_params_accepts_ints_floats_and_tensors(capsys):
    verdict(capsys, check_block_params(block_params), True, "(2M - 1)^2 h")
    verdict(capsys, check_block_params(lambda *a: float(block_params(*a))), True)
    verdict(capsys, check_block_params(lambda *a: torch.tensor(block_params(*a))), True)


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (stub, ["returns nothing yet"]),
        (crashes, ["raised RuntimeError"]),
        (lambda *a: "big", ["should return a number"]),
        (lambda C, h, M: 12 * C**2 + 13 * C, ["expected 112,347", "ViT's block"]),
        (lambda C, h, M: 12 * C**2 + 13 * C + M**2 * h, ["not M^2"]),
        (lambda C, h, M: 12 * C**2 + 13 * C + M**4 * h, ["not one per token pair"]),
        (lambda C, h, M: 12 * C**2 + 13 * C + (2 * M - 1) ** 2, ["one column per head"]),
        (lambda C, h, M: 12 * C**2 + (2 * M - 1) ** 2 * h, ["biases and LayerNorms"]),
    ],
)
def test_block_params_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_block_params(wrong), False, *phrases)
