"""Check functions for the exercises of ``notebooks/05_hierarchy.ipynb``.

Each ``check_...`` function calls the learner's answer on a few small inputs, compares it with the library
(:class:`swin_edu.swin.PatchMerging`, :class:`swin_edu.swin.SwinBlock`, :func:`swin_edu.complexity.stage_summary`),
prints either a ✓ or the first thing that is wrong, and returns ``True``/``False``. A wrong, unfinished or
crashing answer never raises. Inputs and weights come from a private random generator, so a check does not
move the notebook's seed.

Patch merging gathers each 2x2 group of tokens of a channels-last map ``(B, H, W, C)`` in the official order
``x0`` (top-left), ``x1`` (bottom-left), ``x2`` (top-right), ``x3`` (bottom-right) into one ``4C`` vector.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..complexity import stage_summary
from ..swin import PatchMerging, SwinBlock, SwinTransformer
from ._feedback import ExerciseResult, compare_tensors, report
from ._feedback import answer_name as _name
from ._feedback import call_answer as _call

__all__ = ["check_merge", "check_linear_from_merge_conv", "check_stage_shapes", "check_block_params"]

#: the official order of the four neighbours, as (row, column) offsets inside a 2x2 group
OFFICIAL_ORDER = ((0, 0), (1, 0), (0, 1), (1, 1))
_NAMES = {(0, 0): "x0 (top-left)", (1, 0): "x1 (bottom-left)", (0, 1): "x2 (top-right)", (1, 1): "x3 (bottom-right)"}


def _merging(dim: int, g: torch.Generator) -> PatchMerging:
    """A :class:`PatchMerging` with random LayerNorm and projection weights drawn from ``g``."""
    with torch.random.fork_rng(devices=[]):  # building it draws from the global generator: keep the caller's
        merging = PatchMerging(dim)
    with torch.no_grad():
        merging.norm.weight.copy_(1.0 + 0.3 * torch.randn(4 * dim, generator=g))
        merging.norm.bias.copy_(0.5 * torch.randn(4 * dim, generator=g))
        merging.reduction.weight.copy_(torch.randn(2 * dim, 4 * dim, generator=g) / math.sqrt(4 * dim))
    return merging.eval()


def _gathered(merging: PatchMerging, x: torch.Tensor) -> torch.Tensor:
    """The library's concatenated ``(B, H/2, W/2, 4C)`` groups: the input its LayerNorm receives."""
    seen = []
    hook = merging.norm.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    try:
        with torch.no_grad():
            merging(x)
    finally:
        hook.remove()
    return seen[0]


def _gather(x: torch.Tensor, order=OFFICIAL_ORDER, pad_end: bool = True) -> torch.Tensor:
    """Concatenate each 2x2 group in ``order`` (odd sides padded with zeros at the end or the start)."""
    H, W = x.shape[1], x.shape[2]
    pad = (0, 0, 0, W % 2, 0, H % 2) if pad_end else (0, 0, W % 2, 0, H % 2, 0)
    x = F.pad(x, pad)
    return torch.cat([x[:, r::2, c::2] for r, c in order], dim=-1)  # (B, H/2, W/2, 4C)


# ----------------------------------------------------------------------------------------------------------
# Exercise 1: patch merging by hand, odd sides included


def _diagnose_merge(got: torch.Tensor, x: torch.Tensor, merging: PatchMerging) -> str:
    """Why ``got`` (right shape, wrong values) is not ``merging(x)``: the usual mistakes, tried one by one."""
    norm, reduction = merging.norm, merging.reduction

    def close(y: torch.Tensor) -> bool:
        return y.shape == got.shape and torch.allclose(got, y, atol=1e-4, rtol=1e-4)

    with torch.no_grad():
        if close(reduction(_gather(x))):
            return "you skipped the LayerNorm: normalize the 4C vector before the projection, reduction(norm(x))"
        if close(reduction(norm(_gather(x, ((0, 0), (0, 1), (1, 0), (1, 1)))))):
            return (
                "the neighbours are in the order x0, x2, x1, x3 (row by row); the official order is "
                "x0 top-left x[:, 0::2, 0::2], x1 bottom-left x[:, 1::2, 0::2], x2 top-right x[:, 0::2, 1::2], "
                "x3 bottom-right x[:, 1::2, 1::2]. Pretrained weights expect exactly this order"
            )
        for order in itertools.permutations(OFFICIAL_ORDER):
            if order != OFFICIAL_ORDER and close(reduction(norm(_gather(x, order)))):
                named = ", ".join(_NAMES[o] for o in order)
                return f"the four neighbours are concatenated as {named}; the official order is x0, x1, x2, x3"
        B, H, W, C = x.shape
        if H % 2 == 0 and W % 4 == 0 and close(reduction(norm(x.reshape(B, H // 2, W // 2, 4 * C)))):
            return (
                "a plain reshape to (B, H/2, W/2, 4C) puts four tokens of one row together, not a 2x2 square: "
                "take the neighbours with strided slices such as x[:, 0::2, 0::2]"
            )
        if (H % 2 or W % 2) and close(reduction(norm(_gather(x, pad_end=False)))):
            return "pad the odd side with zeros at the bottom and on the right, not at the top or on the left"
    return "check the four slices, their order x0, x1, x2, x3, the LayerNorm and the projection"


def check_merge(fn) -> ExerciseResult:
    """Check ``fn(x, norm, reduction)``: patch merging of a channels-last map, odd sides included.

    ``x`` is ``(B, H, W, C)``, ``norm`` is ``nn.LayerNorm(4C)`` and ``reduction`` is
    ``nn.Linear(4C, 2C, bias=False)``; the answer must equal :class:`swin_edu.swin.PatchMerging` with these
    weights: ``(B, ceil(H/2), ceil(W/2), 2C)``, an odd side zero-padded at the bottom or right first. The
    LayerNorm has random scales and shifts, so skipping it shows. Names a skipped or misplaced LayerNorm, the
    neighbours in another order (``x0, x2, x1, x3`` in particular), a plain reshape instead of a 2x2 gather,
    a forgotten projection, and an odd row or column cropped or padded on the wrong side.
    """
    name = _name(fn)
    g = torch.Generator().manual_seed(51)
    for B, H, W, C in [(2, 4, 8, 3), (1, 6, 6, 5), (2, 7, 5, 4), (1, 4, 3, 2)]:
        merging = _merging(C, g)
        x = torch.randn(B, H, W, C, generator=g)
        where = f"for x of shape {(B, H, W, C)}"
        answer, crashed = _call(fn, x.clone(), merging.norm, merging.reduction)
        if crashed:
            return report(False, f"{crashed} ({where})")
        with torch.no_grad():
            expected = merging(x)
        why = compare_tensors("the merged map", answer, expected, atol=1e-4, rtol=1e-4)
        if why is None:
            continue
        if "wrong values" in why:
            why += ": " + _diagnose_merge(answer.detach().float(), x, merging)
        elif "shape" in why:
            shape = tuple(answer.shape)
            if shape == (B, H // 2, W // 2, 2 * C) and (H % 2 or W % 2):
                why += (
                    ": the odd row or column was dropped; pad it with zeros first, as the library does: "
                    "F.pad(x, (0, 0, 0, W % 2, 0, H % 2))"
                )
            elif shape[-1] == 4 * C:
                why += ": that is the concatenation (4C); apply the LayerNorm, then the projection to 2C"
            elif len(shape) == 4 and shape[1] == 2 * C:
                why += ": that is channels-first; the map stays channels-last, (B, H/2, W/2, 2C)"
        return report(False, f"{why} ({where})")
    return report(True, f"{name} merges each 2x2 group of neighbours exactly as PatchMerging does, odd sides too")


# ----------------------------------------------------------------------------------------------------------
# Exercise 2: a 2x2 stride-2 convolution as the merging projection


def check_linear_from_merge_conv(fn) -> ExerciseResult:
    """Check ``fn(conv) -> nn.Linear(4C, 2C, bias=False)``: the merging projection equal to a strided conv.

    ``conv`` is ``nn.Conv2d(C, 2C, kernel_size=2, stride=2, bias=False)``; the answer must satisfy
    ``linear(gather(x)) == conv(x)`` (read channels-last) for every map ``x``, where ``gather`` is the official
    concatenation ``x0, x1, x2, x3`` that :class:`swin_edu.swin.PatchMerging` feeds its LayerNorm. Names the
    row-by-row order ``x0, x2, x1, x3`` (a ``permute(0, 2, 3, 1)``), the conv's own flattening, a transposed
    weight and a bias.
    """
    name = _name(fn)
    g = torch.Generator().manual_seed(52)
    for C in (3, 5):
        with torch.random.fork_rng(devices=[]):
            conv = nn.Conv2d(C, 2 * C, kernel_size=2, stride=2, bias=False)
        with torch.no_grad():
            conv.weight.copy_(torch.randn(2 * C, C, 2, 2, generator=g))
        where = f"for Conv2d({C}, {2 * C}, kernel_size=2, stride=2, bias=False)"
        answer, crashed = _call(fn, conv)
        if crashed:
            return report(False, f"{crashed} ({where})")
        if not isinstance(answer, nn.Linear):
            got = "nothing (a missing `return`?)" if answer is None else type(answer).__name__
            return report(False, f"{name} should return an nn.Linear, got {got}")
        if answer.bias is not None:
            return report(
                False, f"the projection of patch merging has no bias: build nn.Linear(4C, 2C, bias=False) ({where})"
            )
        weight = answer.weight.detach().float()
        if tuple(weight.shape) != (2 * C, 4 * C):
            hint = (
                ": nn.Linear stores its weight as (out_features, in_features)"
                if tuple(weight.shape) == (4 * C, 2 * C)
                else f": the projection maps 4C = {4 * C} numbers to 2C = {2 * C}"
            )
            return report(
                False, f"its weight has shape {tuple(weight.shape)}, expected {(2 * C, 4 * C)}{hint} ({where})"
            )
        x = torch.randn(2, 4, 6, C, generator=g)  # (B, H, W, C)
        with torch.no_grad():
            gathered = _gathered(_merging(C, g), x)  # (B, H/2, W/2, 4C), the library's order
            expected = conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)  # (B, H/2, W/2, 2C)
            got = answer(gathered)
        why = compare_tensors("linear(gather(x))", got, expected, atol=1e-4, rtol=1e-4)
        if why is None:
            continue
        raster = conv.weight.detach().permute(0, 2, 3, 1).reshape(2 * C, 4 * C)
        if torch.allclose(weight, raster, atol=1e-6):
            why += (
                ": permute(0, 2, 3, 1) lays the kernel out row by row, i.e. x0, x2, x1, x3; the official order "
                "x0, x1, x2, x3 runs down each column of the 2x2 kernel: permute(0, 3, 2, 1) before the reshape"
            )
        elif torch.allclose(weight, conv.weight.detach().reshape(2 * C, 4 * C), atol=1e-6):
            why += (
                ": this is the conv's weight flattened in its own (channel, row, column) order; the 4C inputs are "
                "four whole tokens one after another, x0, x1, x2, x3, each C channels"
            )
        else:
            why += ": block k of C columns must be conv.weight[:, :, r, c] for the k-th neighbour (r, c)"
        return report(False, f"{why} ({where})")
    return report(True, f"{name} gives the Linear(4C, 2C) on the gathered neighbours that equals the 2x2 stride-2 conv")


# ----------------------------------------------------------------------------------------------------------
# Exercise 3: the stage shapes of a Swin model


def _expected_stages(img_size: int, embed_dim: int, window_size: int) -> list[tuple[int, int, int, int]]:
    with torch.device("meta"):
        model = SwinTransformer(
            img_size=img_size, embed_dim=embed_dim, window_size=window_size, num_heads=(1, 1, 1, 1), num_classes=0
        )
    return [(s["height"], s["width"], s["channels"], s["windows"]) for s in stage_summary(model)]


def _as_int(value):
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_stage_shapes(fn) -> ExerciseResult:
    """Check ``fn(img_size, embed_dim, window_size)``: the four stages of a Swin model on a square image.

    The answer is a list of four tuples ``(height, width, channels, windows)``, one per stage, as
    :func:`swin_edu.complexity.stage_summary` computes them: maps of side ``img_size / 4, / 8, / 16, / 32``,
    channels ``C, 2C, 4C, 8C``, and ``ceil(H / M) * ceil(W / M)`` windows (a map whose sides are not multiples
    of ``M`` is padded), except that a map no larger than ``M`` is one window. Cases: Swin-B at 384 with
    ``M = 12`` first, then Swin-T at 224, a map that needs padding and one smaller than the window.
    """
    name = _name(fn)
    for img_size, C, M in [(384, 128, 12), (224, 96, 7), (448, 192, 12), (224, 128, 12)]:
        where = f"{name}({img_size}, {C}, {M})"
        expected = _expected_stages(img_size, C, M)
        answer, crashed = _call(fn, img_size, C, M)
        if crashed:
            return report(False, crashed)
        if answer is None:
            return report(False, f"{name} returns nothing yet (a missing `return`?): it should return 4 tuples")
        try:
            rows = [tuple(row) for row in answer]
        except TypeError:
            return report(False, f"{where} should return a list of 4 tuples, got {type(answer).__name__}")
        if len(rows) != 4 or any(len(row) != 4 for row in rows):
            return report(
                False, f"{where} should give 4 stages, each (height, width, channels, windows); got {answer!r}"
            )
        for i, (row, want) in enumerate(zip(rows, expected)):
            got = tuple(_as_int(v) for v in row)
            if got == want:
                continue
            H, W, ch, _ = want
            stage = f"{where}, stage {i + 1}: got {tuple(row)!r}, expected {want}"
            if None in got:
                return report(False, f"{stage}: give whole numbers (int)")
            if got[:2] != (H, W):
                hint = f"stage {i + 1} has stride {4 * 2**i}: the map is img_size / {4 * 2**i} = {H} on a side"
                return report(False, f"{stage}: {hint}")
            if got[2] != ch:
                hint = "patch merging doubles the channels at each step: C, 2C, 4C, 8C"
                if got[2] == C * 4**i:
                    hint = "4C is the concatenation; the projection brings it down to 2C, so channels double"
                return report(False, f"{stage}: {hint}")
            side = math.ceil(H / M)
            if H <= M:
                hint = f"a map no larger than the window (here {H} <= {M}) is a single window"
            elif got[3] == (H // M) ** 2:
                hint = f"{H} is not a multiple of {M}: the map is padded, so there are ceil({H}/{M}) = {side} windows a side"
            elif got[3] == side:
                hint = f"that is the windows along one side; the map has {side} x {side} windows"
            else:
                hint = f"count ceil(H/M) x ceil(W/M) windows of {M} x {M} tokens"
            return report(False, f"{stage}: {hint}")
    return report(True, f"{name} gives the resolution, width and windows of every stage")


# ----------------------------------------------------------------------------------------------------------
# Exercise 4: the parameters of one Swin block


def _block_parameters(C: int, heads: int, M: int) -> int:
    with torch.device("meta"):
        block = SwinBlock(C, heads, window_size=M)
    return sum(p.numel() for p in block.parameters())


def check_block_params(fn) -> ExerciseResult:
    """Check ``fn(C, num_heads, window_size) -> int``: the parameters of one Swin block as a formula.

    The answer must equal the parameter count of :class:`swin_edu.swin.SwinBlock` (built on the ``meta`` device):
    ``12C^2 + 13C + (2M - 1)^2 h``, the pre-norm block of ViT plus the relative position bias table. Names a
    missing table, a table of ``M^2`` or ``M^4`` rows, a table without a column per head, and missing biases.
    """
    name = _name(fn)
    for C, h, M in [(96, 3, 7), (128, 4, 12), (64, 2, 5), (192, 6, 7)]:
        where = f"{name}({C}, {h}, {M})"
        expected = _block_parameters(C, h, M)
        answer, crashed = _call(fn, C, h, M)
        if crashed:
            return report(False, crashed)
        if answer is None:
            return report(False, f"{name} returns nothing yet (a missing `return`?): it should return a number")
        got = answer.item() if isinstance(answer, torch.Tensor) and answer.numel() == 1 else answer
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return report(False, f"{where} should return a number, got {type(answer).__name__}")
        if got == expected:
            continue
        why = f"{where} gives {got:,}, expected {expected:,}"
        vit_block = 12 * C**2 + 13 * C
        mistakes = [
            (vit_block, "that is ViT's block; add the relative position bias table, (2M - 1)^2 rows by h heads"),
            (vit_block + M**2 * h, "the table has a row per offset between two tokens: (2M - 1)^2 rows, not M^2"),
            (vit_block + M**4 * h, "the table holds one row per offset, (2M - 1)^2 of them, not one per token pair"),
            (vit_block + (2 * M - 1) ** 2, "the table has one column per head: (2M - 1)^2 * h"),
            (12 * C**2 + (2 * M - 1) ** 2 * h, "count the biases and LayerNorms too: 13C (qkv 3C, proj C, MLP 5C, 4C)"),
        ]
        for wrong, hint in mistakes:
            if got == wrong:
                why += f": {hint}"
                break
        return report(False, why)
    return report(True, f"{name} counts a Swin block: 12C^2 + 13C + (2M - 1)^2 h")
