"""The check functions of notebook 02 accept right answers and name the typical wrong ones."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from swin_edu.exercises.vit import check_linear_from_conv, check_resize_pos_embed, check_unpatchify, check_vit_cost
from swin_edu.vit import PatchEmbed
from tests.helpers import VALUES, stub, verdict

# ---------------------------------------------------------------------------------------------- helpers


def crashes(*args):
    raise RuntimeError("shape '[2, 3, 8, 12]' is invalid for input of size 5")


def patchify(images, p):
    B, c, H, W = images.shape
    x = images.reshape(B, c, H // p, p, W // p, p).permute(0, 2, 4, 3, 5, 1)  # (B, h, w, p, p, c)
    return x.reshape(B, -1, p * p * c)


def test_patchify_here_matches_the_conv_order():
    """The order the checks assume is the one under which a Linear equals PatchEmbed's Conv2d."""
    embed = PatchEmbed(4, 3, 5)
    x = torch.rand(2, 3, 8, 12)
    weight = embed.proj.weight.permute(0, 2, 3, 1).reshape(5, -1)  # (C, p*p*3) in (row, column, channel)
    torch.testing.assert_close(patchify(x, 4) @ weight.T + embed.proj.bias, embed(x).flatten(1, 2))


# ---------------------------------------------------------------------------------------------- unpatchify


def unpatchify(tokens, p, height, width):
    B = tokens.shape[0]
    x = tokens.reshape(B, height // p, width // p, p, p, 3)  # (B, h, w, p, p, 3)
    return x.permute(0, 5, 1, 3, 2, 4).reshape(B, 3, height, width)


def unpatchify_plain_reshape(tokens, p, height, width):
    return tokens.reshape(tokens.shape[0], 3, height, width)


def unpatchify_patches_by_column(tokens, p, height, width):
    B = tokens.shape[0]
    x = tokens.reshape(B, width // p, height // p, p, p, 3)  # patches read as if numbered column by column
    return x.permute(0, 5, 2, 3, 1, 4).reshape(B, 3, height, width)


def unpatchify_channels_first_in_patch(tokens, p, height, width):
    B = tokens.shape[0]
    x = tokens.reshape(B, height // p, width // p, 3, p, p)
    return x.permute(0, 3, 1, 4, 2, 5).reshape(B, 3, height, width)


def unpatchify_rows_columns_swapped(tokens, p, height, width):
    B = tokens.shape[0]
    x = tokens.reshape(B, height // p, width // p, p, p, 3)
    return x.permute(0, 5, 1, 4, 2, 3).reshape(B, 3, height, width)


def unpatchify_channels_last(tokens, p, height, width):
    return unpatchify(tokens, p, height, width).permute(0, 2, 3, 1)


def test_unpatchify_accepts_the_inverse(capsys):
    verdict(capsys, check_unpatchify(unpatchify), True, "back into the images")


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (stub, ["is None", "missing `return`"]),
        (crashes, ["raised RuntimeError", "p=4, height=8, width=12"]),
        (unpatchify_plain_reshape, [VALUES, "plain reshape"]),
        (unpatchify_patches_by_column, [VALUES, "row by row, left to right"]),
        (unpatchify_channels_first_in_patch, [VALUES, "(row, column, channel) order"]),
        (unpatchify_rows_columns_swapped, [VALUES, "rows and columns are swapped"]),
        (unpatchify_channels_last, ["shape (2, 8, 12, 3)", "channels-first"]),
    ],
)
def test_unpatchify_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_unpatchify(wrong), False, *phrases)


# ---------------------------------------------------------------------------------------------- vit_cost


def vit_cost(img_size, patch_size, C):
    hw = (img_size // patch_size) ** 2
    return hw, 4 * hw * C**2 + 2 * hw**2 * C


def vit_cost_grid_side(img_size, patch_size, C):
    side = img_size // patch_size
    return side, 4 * side * C**2 + 2 * side**2 * C


def vit_cost_projections_only(img_size, patch_size, C):
    hw = (img_size // patch_size) ** 2
    return hw, 4 * hw * C**2


def vit_cost_attention_only(img_size, patch_size, C):
    hw = (img_size // patch_size) ** 2
    return hw, 2 * hw**2 * C


def vit_cost_flops(img_size, patch_size, C):
    hw, macs = vit_cost(img_size, patch_size, C)
    return hw, 2 * macs


def test_vit_cost_accepts_ints_floats_and_tensors(capsys):
    verdict(capsys, check_vit_cost(vit_cost), True, "Omega(MSA)")
    verdict(capsys, check_vit_cost(lambda *a: tuple(float(x) for x in vit_cost(*a))), True)
    verdict(capsys, check_vit_cost(lambda *a: tuple(torch.tensor(x) for x in vit_cost(*a))), True)


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (stub, ["returns nothing yet"]),
        (crashes, ["raised RuntimeError"]),
        (lambda *a: vit_cost(*a)[1], ["should return a pair"]),
        (lambda *a: ("196", 1), ["pair of numbers"]),
        (vit_cost_grid_side, ["gives 14 tokens, expected 196", "side of the patch grid"]),
        (vit_cost_projections_only, ["expected Omega(MSA) = 521,428,992", "left out 2(hw)^2 C"]),
        (vit_cost_attention_only, ["left out 4hwC^2"]),
        (vit_cost_flops, ["FLOPs"]),
        (lambda s, p, C: (s * s, vit_cost(s, p, C)[1]), ["gives 50,176 tokens", "count patches, not pixels"]),
        (lambda s, p, C: (vit_cost(s, p, C)[0], 4 * (s // p) ** 2 * C**2 + (s // p) ** 4 * C), ["(hw)^2 C each"]),
    ],
)
def test_vit_cost_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_vit_cost(wrong), False, *phrases)


# ---------------------------------------------------------------------------------------------- resize_pos_embed


def resize_pos_embed(pos_embed, new_side, mode="bilinear", keep_class=True, channels_last=True):
    cls, grid = pos_embed[:, :1], pos_embed[:, 1:]  # (1, 1, C), (1, n*n, C)
    n, C = math.isqrt(grid.shape[1]), grid.shape[-1]
    if channels_last:
        grid = grid.reshape(1, n, n, C).permute(0, 3, 1, 2)  # (1, C, n, n)
    else:
        grid = grid.reshape(1, C, n, n)
    kwargs = {} if mode == "nearest" else dict(align_corners=False)
    grid = F.interpolate(grid, size=(new_side, new_side), mode=mode, **kwargs)
    grid = grid.permute(0, 2, 3, 1) if channels_last else grid
    grid = grid.reshape(1, new_side * new_side, C)
    return torch.cat([cls, grid], dim=1) if keep_class else grid


def test_resize_pos_embed_accepts_the_answer_and_keeps_the_seed(capsys):
    torch.manual_seed(5)
    before = torch.rand(3)
    torch.manual_seed(5)
    verdict(capsys, check_resize_pos_embed(resize_pos_embed), True, "class entry")
    assert torch.equal(torch.rand(3), before)


def class_entry_last(pos_embed, new_side):
    resized = resize_pos_embed(pos_embed, new_side)
    return torch.cat([resized[:, 1:], resized[:, :1]], dim=1)


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (stub, ["is None"]),
        (crashes, ["raised RuntimeError", "new_side=6"]),
        (lambda pe, s: resize_pos_embed(pe, s, keep_class=False), ["class token's entry is missing"]),
        (class_entry_last, ["must be the class token's"]),
        (lambda pe, s: resize_pos_embed(pe, s, channels_last=False), ["permute to (1, C, n, n)"]),
        (lambda pe, s: resize_pos_embed(pe, s, mode="bicubic"), ["mode='bicubic'"]),
        (lambda pe, s: resize_pos_embed(pe, s, mode="nearest"), ["mode='nearest'"]),
    ],
)
def test_resize_pos_embed_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_resize_pos_embed(wrong), False, *phrases)


# ---------------------------------------------------------------------------------------------- linear_from_conv


def linear_from_conv(conv):
    C, c, p, _ = conv.weight.shape
    linear = nn.Linear(p * p * c, C)
    with torch.no_grad():
        linear.weight.copy_(conv.weight.permute(0, 2, 3, 1).reshape(C, -1))  # (C, p*p*c)
        linear.bias.copy_(conv.bias)
    return linear


def linear_in_conv_order(conv):
    C, c, p, _ = conv.weight.shape
    linear = nn.Linear(p * p * c, C)
    with torch.no_grad():
        linear.weight.copy_(conv.weight.reshape(C, -1))
        linear.bias.copy_(conv.bias)
    return linear


def linear_without_bias(conv):
    linear = linear_from_conv(conv)
    with torch.no_grad():
        linear.bias.zero_()
    return linear


def linear_transposed(conv):
    right = linear_from_conv(conv)
    linear = nn.Linear(right.out_features, right.in_features)
    with torch.no_grad():
        linear.weight.copy_(right.weight.T)
    return linear


def test_linear_from_conv_accepts_the_answer(capsys):
    verdict(capsys, check_linear_from_conv(linear_from_conv), True, "equals the Conv2d")


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (stub, ["should return an nn.Linear", "missing `return`"]),
        (crashes, ["raised RuntimeError"]),
        (lambda conv: conv, ["got Conv2d"]),
        (linear_in_conv_order, ["(channel, row, column) order", "permute(0, 2, 3, 1)"]),
        (linear_without_bias, ["copy conv.bias"]),
        (linear_transposed, ["(out_features, in_features)"]),
        (lambda conv: nn.Linear(7, 10), ["p*p*3 = 48"]),
    ],
)
def test_linear_from_conv_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_linear_from_conv(wrong), False, *phrases)
