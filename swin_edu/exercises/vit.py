"""Check functions for the exercises of ``notebooks/02_vit.ipynb``.

Each ``check_...`` function calls the learner's answer on a few small inputs, compares it with the library
(:mod:`swin_edu.vit`, :mod:`swin_edu.complexity`) or with PyTorch, prints either a ✓ or the first thing that is
wrong, and returns ``True``/``False``. A wrong, unfinished or crashing answer never raises. The inputs come from
a private random generator, so a check does not move the notebook's seed.

The course flattens a ``p x p`` patch of an RGB image pixel by pixel, row by row, each pixel's colours
together: a patch vector holds its numbers in ``(row, column, channel)`` order, and the patches of an image
are numbered row by row, left to right.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..complexity import msa_macs
from ..vit import PatchEmbed, VisionTransformer
from ._feedback import ExerciseResult, compare_tensors, report
from ._feedback import answer_name as _name
from ._feedback import call_answer as _call

__all__ = ["check_unpatchify", "check_vit_cost", "check_resize_pos_embed", "check_linear_from_conv"]


def _patchify(images: torch.Tensor, p: int) -> torch.Tensor:
    """Images ``(B, c, H, W)`` to patch vectors ``(B, N, p * p * c)``, ``N = (H / p) (W / p)``.

    Patches are numbered row by row; inside a patch the numbers run in ``(row, column, channel)`` order.
    """
    B, c, H, W = images.shape
    x = images.reshape(B, c, H // p, p, W // p, p)  # (B, c, h, p, w, p)
    x = x.permute(0, 2, 4, 3, 5, 1)  # (B, h, w, p, p, c)
    return x.reshape(B, (H // p) * (W // p), p * p * c)  # (B, N, p*p*c)


# ----------------------------------------------------------------------------------------------------------
# Exercise 1: from tokens back to an image


def _images(g: torch.Generator, B: int, H: int, W: int) -> torch.Tensor:
    return torch.rand(B, 3, H, W, generator=g)


def _diagnose_unpatchify(got: torch.Tensor, images: torch.Tensor, tokens: torch.Tensor, p: int) -> str:
    """Why ``got`` (right shape, wrong values) is not ``images``: the order of patches or of the pixels in one."""
    if torch.allclose(got, tokens.reshape(got.shape)):
        return (
            "a plain reshape of the tokens to (B, 3, H, W) scrambles them: first reshape to "
            "(B, H/p, W/p, p, p, 3), then permute to (B, 3, H/p, p, W/p, p)"
        )
    first, first_got = images[..., :p, :p], got[..., :p, :p]  # the top-left patch, (B, c, p, p)
    if torch.allclose(first_got, first):
        return "the top-left patch is right but others are not: number the patches row by row, left to right"
    same_pixels = torch.allclose(first_got.flatten().sort().values, first.flatten().sort().values)
    if same_pixels and torch.allclose(first_got, first.transpose(-2, -1)):
        return "inside each patch, rows and columns are swapped: a token holds its pixels row by row"
    if same_pixels:
        return (
            "the top-left patch has the right pixels in the wrong places: a token's p*p*3 numbers are in "
            "(row, column, channel) order, so reshape it to (p, p, 3), not (3, p, p)"
        )
    return "the pixels land in the wrong places: check the reshape to (B, H/p, W/p, p, p, 3) and the permute"


def check_unpatchify(fn) -> ExerciseResult:
    """Check ``fn(tokens, p, height, width)``, the inverse of the notebook's ``patchify``.

    ``tokens`` is ``(B, N, p * p * 3)`` as the notebook's ``patchify`` makes it; the answer must be the images
    ``(B, 3, height, width)``. Cases include a non-square image, so rows and columns cannot be confused unseen.
    Names a plain reshape, patches in the wrong order and pixels in the wrong order within a patch.
    """
    name = _name(fn)
    g = torch.Generator().manual_seed(21)
    for B, H, W, p in [(2, 8, 12, 4), (1, 6, 6, 3), (2, 4, 10, 2)]:
        images = _images(g, B, H, W)
        tokens = _patchify(images, p)
        where = f"for tokens {tuple(tokens.shape)}, p={p}, height={H}, width={W}"
        answer, crashed = _call(fn, tokens, p, H, W)
        if crashed:
            return report(False, f"{crashed} ({where})")
        why = compare_tensors("the image", answer, images)
        if why is None:
            continue
        if "wrong values" in why:
            why += ": " + _diagnose_unpatchify(answer.float(), images, tokens, p)
        elif "shape" in why and tuple(answer.shape) == (B, H, W, 3):
            why += ": that is channels-last; images are channels-first (B, 3, H, W)"
        return report(False, f"{why} ({where})")
    return report(True, f"{name} turns patchify's tokens back into the images they came from")


# ----------------------------------------------------------------------------------------------------------
# Exercise 2: tokens and the cost of global attention


def check_vit_cost(fn) -> ExerciseResult:
    """Check ``fn(img_size, patch_size, C) -> (tokens, macs)`` for a square image.

    ``tokens`` is the number of patches ``hw = (img_size / patch_size)^2``; ``macs`` is Omega(MSA) =
    4hwC^2 + 2(hw)^2 C (Eq. 1 of the paper, :func:`swin_edu.complexity.msa_macs`). Names the side of the grid
    given instead of the number of tokens, a missing term, and FLOPs (2 per MAC) given instead of MACs.
    """
    name = _name(fn)
    for img_size, p, C in [(224, 16, 768), (224, 4, 96), (512, 32, 64), (96, 8, 40)]:
        where = f"{name}({img_size}, {p}, {C})"
        answer, crashed = _call(fn, img_size, p, C)
        if crashed:
            return report(False, crashed)
        if answer is None:
            return report(False, f"{name} returns nothing yet (a missing `return`?): it should return (tokens, macs)")
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            return report(False, f"{name} should return a pair (tokens, macs), got {type(answer).__name__}")
        tokens, macs = (x.item() if isinstance(x, torch.Tensor) and x.numel() == 1 else x for x in answer)
        if any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in (tokens, macs)):
            return report(
                False, f"{where} should be a pair of numbers, got {type(tokens).__name__, type(macs).__name__}"
            )
        side = img_size // p
        hw = side * side
        if tokens != hw:
            hint = f"{side} is the side of the patch grid; the tokens are its square" if tokens == side else ""
            hint = hint or ("count patches, not pixels: (img_size / patch_size)^2" if tokens == img_size**2 else "")
            return report(False, f"{where} gives {tokens:,} tokens, expected {hw:,}" + (f": {hint}" if hint else ""))
        expected = msa_macs(side, side, C)
        if math.isclose(macs, expected, rel_tol=1e-9):
            continue
        why = f"{where} gives {macs:,} MACs, expected Omega(MSA) = {expected:,}"
        mistakes = [
            (4 * hw * C**2, "you left out 2(hw)^2 C, the products Q K^T and A V"),
            (2 * hw**2 * C, "you left out 4hwC^2, the projections q, k, v and the output"),
            (4 * hw * C**2 + hw**2 * C, "Q K^T and A V cost (hw)^2 C each: the second term is 2(hw)^2 C"),
            (2 * expected, "you counted FLOPs (2 per multiply-accumulate); the paper counts MACs"),
        ]
        for wrong, hint in mistakes:
            if math.isclose(macs, wrong, rel_tol=1e-9):
                why += f": {hint}"
                break
        return report(False, why)
    return report(True, f"{name} gives the number of tokens and Omega(MSA) = 4hwC^2 + 2(hw)^2 C")


# ----------------------------------------------------------------------------------------------------------
# Exercise 3: a position embedding for a larger image


def _resize_reference(pos_embed: torch.Tensor, new_side: int, mode: str = "bilinear", grid_first=True):
    """The answer (and, with other arguments, typical mistakes): keep the class entry, resize the grid."""
    cls, grid = pos_embed[:, :1], pos_embed[:, 1:]  # (1, 1, C), (1, n*n, C)
    n, C = math.isqrt(grid.shape[1]), grid.shape[2]
    if grid_first:
        grid = grid.reshape(1, n, n, C).permute(0, 3, 1, 2)  # (1, C, n, n)
    else:  # the mistake: a reshape straight to (1, C, n, n)
        grid = grid.reshape(1, C, n, n)
    kwargs = {} if mode == "nearest" else dict(align_corners=False)
    grid = F.interpolate(grid, size=(new_side, new_side), mode=mode, **kwargs)  # (1, C, s, s)
    if grid_first:
        grid = grid.permute(0, 2, 3, 1).reshape(1, new_side * new_side, C)  # (1, s*s, C)
    else:
        grid = grid.reshape(1, new_side * new_side, C)
    return torch.cat([cls, grid], dim=1)  # (1, 1 + s*s, C)


def check_resize_pos_embed(fn) -> ExerciseResult:
    """Check ``fn(pos_embed, new_side)``: a ViT's learned position embedding resized for a larger image.

    ``pos_embed`` is ``(1, 1 + n*n, C)``: the class token's entry, then one entry per patch of an ``n x n``
    grid, row by row. The answer is ``(1, 1 + new_side^2, C)``: the class entry unchanged and first, the grid
    resized with ``F.interpolate(..., mode="bilinear", align_corners=False)`` as a ``(1, C, n, n)`` map. The
    position embedding of a :class:`swin_edu.vit.VisionTransformer` is one of the cases. Names a lost or moved
    class entry, a reshape straight to ``(1, C, n, n)`` and another interpolation mode.
    """
    name = _name(fn)
    g = torch.Generator().manual_seed(23)
    torch_state = torch.random.get_rng_state()  # building the ViT draws weights: keep the caller's seed
    try:
        vit = VisionTransformer(img_size=16, patch_size=4, embed_dim=8, depth=1, num_heads=2)
    finally:
        torch.random.set_rng_state(torch_state)
    cases = [
        (vit.pos_embed.detach(), 6),
        (torch.randn(1, 1 + 9, 5, generator=g), 5),
        (torch.randn(1, 1 + 16, 6, generator=g), 7),
    ]
    for pos_embed, new_side in cases:
        where = f"for pos_embed {tuple(pos_embed.shape)} and new_side={new_side}"
        answer, crashed = _call(fn, pos_embed.clone(), new_side)
        if crashed:
            return report(False, f"{crashed} ({where})")
        expected = _resize_reference(pos_embed, new_side)
        why = compare_tensors("the position embedding", answer, expected)
        if why is None:
            continue
        C = pos_embed.shape[-1]
        if "shape" in why and isinstance(answer, torch.Tensor) and tuple(answer.shape) == (1, new_side**2, C):
            why += ": the class token's entry is missing; keep pos_embed[:, :1] and put it first"
        elif "wrong values" in why:
            answer = answer.float()
            if not torch.allclose(answer[:, 0], pos_embed[:, 0]):
                why += ": the first entry must be the class token's, unchanged (it has no place on the grid)"
            elif torch.allclose(answer, _resize_reference(pos_embed, new_side, grid_first=False), atol=1e-5):
                why += (
                    ": the grid is (n*n, C) with channels last; reshape it to (1, n, n, C) and permute to "
                    "(1, C, n, n) before interpolating (and back after)"
                )
            else:
                for mode in ("bicubic", "nearest"):
                    if torch.allclose(answer, _resize_reference(pos_embed, new_side, mode), atol=1e-5):
                        why += f": this is mode='{mode}'; use mode='bilinear', align_corners=False"
                        break
        return report(False, f"{why} ({where})")
    return report(True, f"{name} keeps the class entry and resizes the grid of position embeddings")


# ----------------------------------------------------------------------------------------------------------
# Exercise 4: the patch embedding's convolution as a Linear layer


def check_linear_from_conv(fn) -> ExerciseResult:
    """Check ``fn(conv) -> nn.Linear``: the ``Linear`` that equals a patch embedding's ``Conv2d``.

    ``conv`` has kernel = stride = ``p`` (the ``proj`` of :class:`swin_edu.vit.PatchEmbed`); the answer must
    satisfy ``linear(patchify(x, p)) == PatchEmbed(x)`` for every image ``x``, with patch vectors in
    ``(row, column, channel)`` order. Names a weight flattened in the conv's own ``(channel, row, column)``
    order, a missing bias and a weight stored as ``(in, out)``.
    """
    name = _name(fn)
    g = torch.Generator().manual_seed(24)
    torch_state = torch.random.get_rng_state()
    try:
        embeds = [PatchEmbed(4, 3, 10), PatchEmbed(2, 3, 6)]
    finally:
        torch.random.set_rng_state(torch_state)
    for embed in embeds:
        conv, p, C = embed.proj, embed.patch_size, embed.embed_dim
        with torch.no_grad():
            conv.bias.copy_(torch.randn(C, generator=g))  # a bias that cannot be forgotten unseen
        where = f"for Conv2d(3, {C}, kernel_size={p}, stride={p})"
        answer, crashed = _call(fn, conv)
        if crashed:
            return report(False, f"{crashed} ({where})")
        if not isinstance(answer, nn.Linear):
            got = "nothing (a missing `return`?)" if answer is None else type(answer).__name__
            return report(False, f"{name} should return an nn.Linear, got {got}")
        expected = conv.weight.detach().permute(0, 2, 3, 1).reshape(C, p * p * 3)  # (C, p*p*3)
        if tuple(answer.weight.shape) != tuple(expected.shape):
            hint = (
                ": nn.Linear stores its weight as (out_features, in_features)"
                if tuple(answer.weight.shape) == tuple(expected.T.shape)
                else f": the Linear maps p*p*3 = {p * p * 3} numbers to {C}"
            )
            return report(
                False,
                f"its weight has shape {tuple(answer.weight.shape)}, expected {tuple(expected.shape)}{hint} ({where})",
            )
        weight = answer.weight.detach().float()
        if not torch.allclose(weight, expected, atol=1e-6):
            if torch.allclose(weight, conv.weight.detach().reshape(C, -1), atol=1e-6):
                hint = (
                    "this is the conv's weight flattened in its own (channel, row, column) order, but patch "
                    "vectors are (row, column, channel): permute(0, 2, 3, 1) before flattening"
                )
            else:
                hint = "copy conv.weight (C, 3, p, p), rearranged to (C, p*p*3) in (row, column, channel) order"
            return report(False, f"the weight has the right shape but wrong values: {hint} ({where})")
        if answer.bias is None or not torch.allclose(answer.bias.detach().float(), conv.bias.detach(), atol=1e-6):
            return report(False, f"the weight is right, but the bias is not the conv's: copy conv.bias too ({where})")
        x = torch.rand(2, 3, 3 * p, 2 * p, generator=g)
        with torch.no_grad():
            got, want = answer(_patchify(x, p)), embed(x).flatten(1, 2)  # (B, N, C) both
        why = compare_tensors("linear(patchify(x, p))", got, want, atol=1e-5)
        if why:
            return report(False, f"{why} ({where})")
    return report(True, f"{name} gives a Linear on flattened patches that equals the Conv2d patch embedding")
