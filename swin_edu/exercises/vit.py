"""Check functions for the exercises of ``notebooks/02_vit.ipynb``.

Each exercise is declared as data (:class:`~swin_edu.exercises._feedback.Exercise`): its cases, the reference
from the library (:mod:`swin_edu.vit`, :mod:`swin_edu.complexity`) or PyTorch, how an answer is read and the
typical mistakes with their hints. The shared runner calls the learner's answer on its own copies of the
inputs, prints either a ✓ or the first thing that is wrong, and returns ``True``/``False``; a wrong,
unfinished, crashing or endless answer never raises. The inputs come from a private random generator, so a
check does not move the notebook's seed.

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
from ..language import N_, _
from ..vit import PatchEmbed, VisionTransformer, patchify
from ._feedback import (
    Case,
    Exercise,
    ExerciseResult,
    Mismatch,
    Mistake,
    call,
    call_text,
    compare_tensors,
    read_module,
    read_pair,
    read_tensor,
    same,
    shown,
    tensor_reader,
)

__all__ = ["check_unpatchify", "check_vit_cost", "check_resize_pos_embed", "check_linear_from_conv"]



# ----------------------------------------------------------------------------------------------------------
# Exercise 1: from tokens back to an image


def _unpatchify_cases() -> list[Case]:
    g = torch.Generator().manual_seed(21)
    cases = []
    for B, H, W, p in [(2, 8, 12, 4), (1, 6, 6, 3), (2, 4, 10, 2)]:
        images = torch.rand(B, 3, H, W, generator=g)
        tokens = patchify(images, p)  # (B, N, p*p*3)
        where = _("for tokens {shape}, p={p}, height={H}, width={W}").format(shape=tuple(tokens.shape), p=p, H=H, W=W)
        cases.append(Case(tokens, p, H, W, where=where, images=images, tokens=tokens, p=p))
    return cases


def _top_left(images: torch.Tensor, p: int) -> torch.Tensor:
    return images[..., :p, :p].double()  # (B, c, p, p): the first patch


def _first_patch_has_the_right_pixels(got: torch.Tensor, c: Case) -> bool:
    first, first_got = _top_left(c.images, c.p), _top_left(got, c.p)
    return same(first_got.flatten().sort().values, first.flatten().sort().values)


UNPATCHIFY = Exercise(
    cases=_unpatchify_cases,
    reference=lambda c: c.images,
    read=tensor_reader(N_("the image")),
    compare=lambda got, expected, c: compare_tensors(_("the image"), got, expected),
    what=N_("the image"),
    success=N_("{name} turns patchify's tokens back into the images they came from"),
    mistakes=[
        Mistake(
            "plain reshape",
            N_(
                "a plain reshape of the tokens to (B, 3, H, W) scrambles them: first reshape to "
                "(B, H/p, W/p, p, p, 3), then permute to (B, 3, H/p, p, W/p, p)"
            ),
            wrong=lambda c: c.tokens.reshape(c.images.shape),
        ),
        Mistake(
            "patches in the wrong order",
            N_("the top-left patch is right but others are not: number the patches row by row, left to right"),
            when=lambda got, c: same(_top_left(got, c.p), _top_left(c.images, c.p)),
        ),
        Mistake(
            "rows and columns swapped in a patch",
            N_("inside each patch, rows and columns are swapped: a token holds its pixels row by row"),
            when=lambda got, c: same(_top_left(got, c.p), _top_left(c.images, c.p).transpose(-2, -1)),
        ),
        Mistake(
            "channels first in a patch",
            N_(
                "the top-left patch has the right pixels in the wrong places: a token's p*p*3 numbers are in "
                "(row, column, channel) order, so reshape it to (p, p, 3), not (3, p, p)"
            ),
            when=_first_patch_has_the_right_pixels,
        ),
        Mistake(
            "pixels in the wrong places",
            N_("the pixels land in the wrong places: check the reshape to (B, H/p, W/p, p, p, 3) and the permute"),
            when=lambda got, c: True,
        ),
        Mistake(
            "channels last",
            N_("that is channels-last; images are channels-first (B, 3, H, W)"),
            when=lambda got, c: tuple(got.shape) == tuple(c.images.permute(0, 2, 3, 1).shape),
            kinds=("shape",),
        ),
    ],
)


def check_unpatchify(fn) -> ExerciseResult:
    """Check ``fn(tokens, p, height, width)``, the inverse of the notebook's ``patchify``.

    ``tokens`` is ``(B, N, p * p * 3)`` as :func:`swin_edu.vit.patchify` makes it; the answer must be the
    images ``(B, 3, height, width)``. Cases include a non-square image, so rows and columns cannot be confused
    unseen. Names a plain reshape, patches in the wrong order and pixels in the wrong order within a patch.
    """
    return UNPATCHIFY.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 2: tokens and the cost of global attention


def _vit_cost_cases() -> list[Case]:
    cases = []
    for img_size, p, C in [(224, 16, 768), (224, 4, 96), (512, 32, 64), (96, 8, 40)]:
        side = img_size // p
        cases.append(Case(img_size, p, C, img_size=img_size, p=p, C=C, side=side, hw=side * side))
    return cases


def _call_text(c: Case) -> str:
    return call_text(c)


def _compare_vit_cost(answer, expected, c: Case) -> Mismatch | None:
    (tokens, macs), (hw, omega) = answer, expected
    if tokens != hw:
        message = _("{call} gives {got} tokens, expected {expected}")
        return Mismatch("values", message.format(call=_call_text(c), got=shown(tokens), expected=f"{hw:,}"))
    if not same(macs, omega):
        message = _("{call} gives {got} MACs, expected Omega(MSA) = {expected}")
        return Mismatch("values", message.format(call=_call_text(c), got=shown(macs), expected=f"{omega:,}"))
    return None


def _macs_mistake(name: str, hint: str, wrong) -> Mistake:
    """A wrong count of MACs (with the right number of tokens)."""
    return Mistake(name, hint, when=lambda got, c: got[0] == c.hw and same(got[1], wrong(c)))


VIT_COST = Exercise(
    cases=_vit_cost_cases,
    reference=lambda c: (c.hw, msa_macs(c.side, c.side, c.C)),
    read=lambda answer, c, name: read_pair(answer, name, "(tokens, macs)", _call_text(c)),
    compare=_compare_vit_cost,
    returns=N_("(tokens, macs)"),
    success=N_("{name} gives the number of tokens and Omega(MSA) = 4hwC^2 + 2(hw)^2 C"),
    mistakes=[
        Mistake(
            "grid side",
            lambda c: _("{side} is the side of the patch grid; the tokens are its square").format(side=c.side),
            when=lambda got, c: got[0] == c.side,
        ),
        Mistake(
            "pixels",
            N_("count patches, not pixels: (img_size / patch_size)^2"),
            when=lambda got, c: got[0] == c.img_size**2,
        ),
        _macs_mistake(
            "no attention products",
            N_("you left out 2(hw)^2 C, the products Q K^T and A V"),
            lambda c: 4 * c.hw * c.C**2,
        ),
        _macs_mistake(
            "no projections",
            N_("you left out 4hwC^2, the projections q, k, v and the output"),
            lambda c: 2 * c.hw**2 * c.C,
        ),
        _macs_mistake(
            "one attention product",
            N_("Q K^T and A V cost (hw)^2 C each: the second term is 2(hw)^2 C"),
            lambda c: 4 * c.hw * c.C**2 + c.hw**2 * c.C,
        ),
        _macs_mistake(
            "FLOPs",
            N_("you counted FLOPs (2 per multiply-accumulate); the paper counts MACs"),
            lambda c: 2 * msa_macs(c.side, c.side, c.C),
        ),
    ],
)


def check_vit_cost(fn) -> ExerciseResult:
    """Check ``fn(img_size, patch_size, C) -> (tokens, macs)`` for a square image.

    ``tokens`` is the number of patches ``hw = (img_size / patch_size)^2``; ``macs`` is Omega(MSA) =
    4hwC^2 + 2(hw)^2 C (Eq. 1 of the paper, :func:`swin_edu.complexity.msa_macs`). Numbers may be Python,
    numpy or one-element tensors. Names the side of the grid given instead of the number of tokens, a
    missing term, and FLOPs (2 per MAC) given instead of MACs.
    """
    return VIT_COST.check(fn)


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


def _resize_cases() -> list[Case]:
    g = torch.Generator().manual_seed(23)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(23)  # the ViT's weights, the same on every run
        vit = VisionTransformer(img_size=16, patch_size=4, embed_dim=8, depth=1, num_heads=2)
    inputs = [
        (vit.pos_embed.detach(), 6),
        (torch.randn(1, 1 + 9, 5, generator=g), 5),
        (torch.randn(1, 1 + 16, 6, generator=g), 7),
    ]
    where = _("for pos_embed {shape} and new_side={side}")
    return [
        Case(pe, side, where=where.format(shape=tuple(pe.shape), side=side), pos_embed=pe, side=side)
        for pe, side in inputs
    ]


def _mode_mistake(mode: str) -> Mistake:
    return Mistake(
        f"mode {mode}",
        lambda c: _("this is mode='{mode}'; use mode='bilinear', align_corners=False").format(mode=mode),
        wrong=lambda c: _resize_reference(c.pos_embed, c.side, mode),
    )


RESIZE_POS_EMBED = Exercise(
    cases=_resize_cases,
    reference=lambda c: _resize_reference(c.pos_embed, c.side),
    read=tensor_reader(N_("the position embedding")),
    compare=lambda got, expected, c: compare_tensors(_("the position embedding"), got, expected),
    what=N_("the position embedding"),
    success=N_("{name} keeps the class entry and resizes the grid of position embeddings"),
    mistakes=[
        Mistake(
            "class entry lost",
            N_("the class token's entry is missing; keep pos_embed[:, :1] and put it first"),
            when=lambda got, c: tuple(got.shape) == (1, c.side**2, c.pos_embed.shape[-1]),
            kinds=("shape",),
        ),
        Mistake(
            "class entry changed",
            N_("the first entry must be the class token's, unchanged (it has no place on the grid)"),
            when=lambda got, c: not same(got[:, 0], c.pos_embed[:, 0]),
        ),
        Mistake(
            "reshape straight to (1, C, n, n)",
            N_(
                "the grid is (n*n, C) with channels last; reshape it to (1, n, n, C) and permute to (1, C, n, n) "
                "before interpolating (and back after)"
            ),
            wrong=lambda c: _resize_reference(c.pos_embed, c.side, grid_first=False),
        ),
        _mode_mistake("bicubic"),
        _mode_mistake("nearest"),
    ],
)


def check_resize_pos_embed(fn) -> ExerciseResult:
    """Check ``fn(pos_embed, new_side)``: a ViT's learned position embedding resized for a larger image.

    ``pos_embed`` is ``(1, 1 + n*n, C)``: the class token's entry, then one entry per patch of an ``n x n``
    grid, row by row. The answer is ``(1, 1 + new_side^2, C)``: the class entry unchanged and first, the grid
    resized with ``F.interpolate(..., mode="bilinear", align_corners=False)`` as a ``(1, C, n, n)`` map. The
    position embedding of a :class:`swin_edu.vit.VisionTransformer` is one of the cases. Names a lost or moved
    class entry, a reshape straight to ``(1, C, n, n)`` and another interpolation mode.
    """
    return RESIZE_POS_EMBED.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 4: the patch embedding's convolution as a Linear layer


def _linear_cases() -> list[Case]:
    g = torch.Generator().manual_seed(24)
    cases = []
    for p, C in [(4, 10), (2, 6)]:
        with torch.random.fork_rng(devices=[]):
            embed = PatchEmbed(p, 3, C)
        with torch.no_grad():
            embed.proj.weight.copy_(torch.randn(C, 3, p, p, generator=g) / (p * math.sqrt(3)))
            embed.proj.bias.copy_(torch.randn(C, generator=g))  # a bias that cannot be forgotten unseen
        x = torch.rand(2, 3, 3 * p, 2 * p, generator=g)
        where = _("for {conv}").format(conv=f"Conv2d(3, {C}, kernel_size={p}, stride={p})")
        cases.append(Case(embed.proj, where=where, embed=embed, conv=embed.proj, p=p, C=C, x=x))
    return cases


def _weight_of(linear) -> torch.Tensor | Mismatch:
    return read_tensor(linear.weight, _("its weight"))


def _compare_linear(linear: nn.Linear, expected: torch.Tensor, c: Case) -> Mismatch | None:
    """The weight (shape, values), the bias, then the whole map on patches of an image."""
    weight = _weight_of(linear)
    if isinstance(weight, Mismatch):
        return weight
    if tuple(weight.shape) != tuple(expected.shape):
        return Mismatch(
            "shape",
            _("its weight has shape {shape}, expected {expected}").format(
                shape=tuple(weight.shape), expected=tuple(expected.shape)
            ),
            _("the Linear maps p*p*3 = {n} numbers to {C}").format(n=c.p * c.p * 3, C=c.C),
        )
    if not same(weight, expected, atol=1e-6):
        return Mismatch(
            "values",
            _("the weight has the right shape but wrong values"),
            _("copy conv.weight (C, 3, p, p), rearranged to (C, p*p*3) in (row, column, channel) order"),
        )
    bias = linear.bias
    if bias is None or not same(read_tensor(bias, _("its bias")), c.conv.bias, atol=1e-6):
        return Mismatch("values", _("the weight is right, but the bias is not the conv's: copy conv.bias too"))
    with torch.no_grad():
        got = call(linear, (patchify(c.x, c.p),), name=_("your Linear"))
        want = c.embed(c.x).flatten(1, 2)  # (B, N, C)
    return got if isinstance(got, Mismatch) else compare_tensors("linear(patchify(x, p))", got, want)


LINEAR_FROM_CONV = Exercise(
    cases=_linear_cases,
    reference=lambda c: c.conv.weight.detach().permute(0, 2, 3, 1).reshape(c.C, -1),  # (C, p*p*3)
    read=lambda answer, c, name: read_module(answer, nn.Linear, name),
    compare=_compare_linear,
    missing=N_("{name} should return an nn.Linear, got nothing (a missing `return`?)"),
    success=N_("{name} gives a Linear on flattened patches that equals the Conv2d patch embedding"),
    mistakes=[
        Mistake(
            "weight as (in, out)",
            N_("nn.Linear stores its weight as (out_features, in_features)"),
            when=lambda linear, c: tuple(linear.weight.shape) == (c.p * c.p * 3, c.C),
            kinds=("shape",),
        ),
        Mistake(
            "conv's own order",
            N_(
                "this is the conv's weight flattened in its own (channel, row, column) order, but patch vectors are "
                "(row, column, channel): permute(0, 2, 3, 1) before flattening"
            ),
            when=lambda linear, c: same(_weight_of(linear), c.conv.weight.reshape(c.C, -1), atol=1e-6),
        ),
    ],
)


def check_linear_from_conv(fn) -> ExerciseResult:
    """Check ``fn(conv) -> nn.Linear``: the ``Linear`` that equals a patch embedding's ``Conv2d``.

    ``conv`` has kernel = stride = ``p`` (the ``proj`` of :class:`swin_edu.vit.PatchEmbed`); the answer must
    satisfy ``linear(patchify(x, p)) == PatchEmbed(x)`` for every image ``x``, with patch vectors in
    ``(row, column, channel)`` order. The function gets its own copy of the conv. Names a weight flattened in
    the conv's own ``(channel, row, column)`` order, a missing bias and a weight stored as ``(in, out)``.
    """
    return LINEAR_FROM_CONV.check(fn)
