"""Check functions for the exercises of ``notebooks/07_res2net.ipynb``.

Each exercise is declared as data (:class:`~swin_edu.exercises._feedback.Exercise`) and checked against the
library: the hierarchical chain of a Res2Net block against :meth:`swin_edu.res2net.Bottle2neck.multi_scale`
(with the learner's convolutions copied into a library block), the receptive field of each group against the
rule that the notebook measures with gradients (and ``tests/test_exercises_res2net.py`` against
:func:`swin_edu.viz.group_reach`), and the cost of a block against :func:`swin_edu.complexity.bottle2neck_macs`.
A wrong, unfinished, crashing or endless answer never raises; the check prints a ✓ or the first thing that is
wrong, with a hint. Inputs and weights come from a private random generator, so a check does not move the
notebook's seed.

The official group order (``github.com/Res2Net/Res2Net-PretrainedModels``): the groups ``x_1 .. x_{s-1}`` are
convolved, ``y_1 = K_1(x_1)`` and ``y_i = K_i(x_i + y_{i-1})``, and the last group ``x_s`` is passed through.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..complexity import bottle2neck_macs
from ..language import N_, _
from ..res2net import Bottle2neck, split_scales
from ._feedback import (
    Case,
    Exercise,
    ExerciseResult,
    Mismatch,
    Mistake,
    call_text,
    compare_tensors,
    read_tensor,
    read_whole_number,
    shown,
)

__all__ = ["check_multi_scale", "check_group_fields", "check_block_macs"]


def _call_text(c: Case) -> str:
    return call_text(c)


# ----------------------------------------------------------------------------------------------------------
# Exercise 1: the hierarchical chain of one block


def _kernels(width: int, n: int, g: torch.Generator) -> nn.ModuleList:
    """``n`` kernels ``K_i`` = 3x3 convolution + BatchNorm (random statistics and affine) + ReLU, in eval mode."""
    with torch.random.fork_rng(devices=[]):  # building modules draws from the global generator: keep the caller's
        kernels = nn.ModuleList(
            nn.Sequential(nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
            for _i in range(n)
        )
    with torch.no_grad():
        for conv, bn, _relu in kernels:
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) / (3 * width**0.5))
            bn.weight.copy_(1.0 + 0.3 * torch.randn(width, generator=g))
            bn.bias.copy_(0.2 + 0.3 * torch.randn(width, generator=g))  # mostly open ReLUs
            bn.running_mean.copy_(0.1 * torch.randn(width, generator=g))
            bn.running_var.copy_(0.5 + torch.rand(width, generator=g))
    return kernels.eval()


def _chain_cases() -> list[Case]:
    g = torch.Generator().manual_seed(71)
    cases = []
    for B, width, scale, H, W in [(2, 3, 4, 6, 7), (1, 2, 2, 5, 5), (1, 1, 8, 4, 6), (2, 4, 3, 5, 4)]:
        x = torch.randn(B, width * scale, H, W, generator=g)
        kernels = _kernels(width, scale - 1, g)
        where = _("for x of shape {shape} and {kernels} kernels (s = {s})").format(
            shape=(B, width * scale, H, W), kernels=scale - 1, s=scale
        )
        cases.append(Case(x, kernels, where=where, x=x, kernels=kernels, scale=scale, width=width))
    return cases


@torch.no_grad()
def _library_chain(c: Case) -> torch.Tensor:
    """The library's block with the case's kernels copied in: ``Bottle2neck.multi_scale``, concatenated."""
    with torch.random.fork_rng(devices=[]):
        block = Bottle2neck(4 * c.width, c.width, base_width=64, scale=c.scale)  # groups of w = width channels
    for i, (conv, bn, _relu) in enumerate(c.kernels):
        block.convs[i].load_state_dict(conv.state_dict())
        block.bns[i].load_state_dict(bn.state_dict())
    block.eval()
    return torch.cat(block.multi_scale(split_scales(c.x, c.scale)), dim=1)  # (B, w * s, H, W)


@torch.no_grad()
def _wrong_chain(c: Case, kind: str) -> torch.Tensor:
    """The chain computed in a typical wrong way."""
    xs, K, outputs, y = split_scales(c.x, c.scale), c.kernels, [], None
    if kind == "figure order":  # Fig. 2: x_1 passed through, K_1 .. K_n on x_2 .. x_s
        outputs.append(xs[0])
        for i, k in enumerate(K):
            y = k(xs[i + 1] if y is None else xs[i + 1] + y)
            outputs.append(y)
        return torch.cat(outputs, dim=1)
    for i, k in enumerate(K):
        if kind == "no hierarchy" or y is None:
            y_new = k(xs[i])
        elif kind == "adds the input group":
            y_new = k(xs[i] + xs[i - 1])
        elif kind == "adds after the kernel":
            y_new = k(xs[i]) + y
        else:
            raise ValueError(kind)
        y = y_new
        outputs.append(y)
    outputs.append(xs[-1])
    return torch.cat(outputs, dim=1)


def _read_chain(answer, c: Case, name: str):
    if isinstance(answer, (list, tuple)) and answer and all(isinstance(a, torch.Tensor) for a in answer):
        message = _(
            "{name} returned a {type} of {count} tensors: concatenate the outputs along the "
            "channels, torch.cat(outputs, dim=1), as the block does before its last 1x1 convolution"
        )
        return Mismatch("type", message.format(name=name, type=type(answer).__name__, count=len(answer)))
    return read_tensor(answer, _("the concatenated groups"))


def _chain_mistake(kind: str, hint: str) -> Mistake:
    return Mistake(kind, hint, wrong=lambda c: _wrong_chain(c, kind), atol=1e-4)


MULTI_SCALE = Exercise(
    cases=_chain_cases,
    reference=_library_chain,
    read=_read_chain,
    compare=lambda got, expected, c: compare_tensors(
        _("the concatenated groups"), got, expected, atol=1e-4, rtol=1e-4
    ),
    what=N_("the concatenated groups"),
    success=N_(
        "{name} chains the groups exactly as Bottle2neck.multi_scale does: y_i = K_i(x_i + y_(i-1)), x_s as is"
    ),
    mistakes=[
        _chain_mistake(
            "no hierarchy",
            N_(
                "each kernel sees only its own group: that is the first block of a stage (no hierarchy). Inside a "
                "stage the previous output is added first, y_i = K_i(x_i + y_(i-1)), so group i sees i stacked 3x3 "
                "kernels"
            ),
        ),
        _chain_mistake(
            "figure order",
            N_(
                "that is the order of the paper's Fig. 2 (x_1 passed through, x_2 .. x_s convolved). The official "
                "code, whose checkpoints the library loads, convolves x_1 .. x_(s-1) and passes the LAST group x_s through"
            ),
        ),
        _chain_mistake(
            "adds the input group",
            N_(
                "you added the previous input group x_(i-1); the chain adds the previous OUTPUT y_(i-1), which is what "
                "makes the receptive fields grow from group to group"
            ),
        ),
        _chain_mistake(
            "adds after the kernel",
            N_(
                "the previous output goes INTO the kernel, K_i(x_i + y_(i-1)), not after it: K_i(x_i) + y_(i-1) "
                "never stacks two 3x3 kernels"
            ),
        ),
        Mistake(
            "last group dropped",
            lambda c: _(
                "the last group x_{s} is missing: it joins the concatenation unchanged, so the output keeps "
                "all {s} groups ({channels} channels)"
            ).format(s=c.scale, channels=c.scale * c.width),
            when=lambda got, c: got.dim() == 4 and got.shape[1] == (c.scale - 1) * c.width,
            kinds=("shape",),
        ),
    ],
)


def check_multi_scale(fn) -> ExerciseResult:
    """Check ``fn(x, kernels)``: the hierarchical chain of a Res2Net block (Sec. 3.1), official group order.

    ``x`` is the map after the first 1x1 convolution, ``(B, w * s, H, W)``; ``kernels`` an ``nn.ModuleList`` of
    the ``s - 1`` kernels ``K_i`` (3x3 convolution + BatchNorm + ReLU, eval mode). The answer must be the
    concatenation ``[y_1, .., y_(s-1), x_s]`` of ``(B, w * s, H, W)`` that :meth:`Bottle2neck.multi_scale` gives
    with these kernels. Names a missing hierarchy, the order of Fig. 2, adding ``x_(i-1)`` or adding after the
    kernel, a dropped last group and a list instead of the concatenation.
    """
    return MULTI_SCALE.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 2: the receptive field of every group


def group_fields(scale: int) -> list[int]:
    """The receptive field side of each output group of one ``"normal"`` block, in concatenation order:
    ``3, 5, .., 2s - 1`` (group ``i`` has seen ``i`` stacked 3x3 kernels), then 1 for the group passed through;
    ``[3]`` for ``s = 1``."""
    if scale == 1:
        return [3]
    return [2 * i + 1 for i in range(1, scale)] + [1]


def _fields_cases() -> list[Case]:
    return [Case(s, scale=s) for s in (4, 2, 8, 3, 1, 6)]


def _read_fields(answer, c: Case, name: str):
    if isinstance(answer, (torch.Tensor,)) and answer.dim() == 1:
        answer = answer.tolist()
    elif hasattr(answer, "tolist") and getattr(answer, "ndim", 0) == 1:  # a numpy array
        answer = answer.tolist()
    if not isinstance(answer, (list, tuple)):
        message = _("{call} should return a list of numbers, got {type}")
        return Mismatch("type", message.format(call=_call_text(c), type=type(answer).__name__))
    numbers = []
    for value in answer:
        number = read_whole_number(value, _("each field of {call}").format(call=_call_text(c)))
        if isinstance(number, Mismatch):
            return number
        numbers.append(number)
    return numbers


def _compare_fields(got: list[int], expected: list[int], c: Case) -> Mismatch | None:
    if len(got) != len(expected):
        message = _("{call} gives {count} fields {got}, expected {expected}")
        return Mismatch("shape", message.format(call=_call_text(c), count=len(got), got=got, expected=len(expected)))
    if got != expected:
        message = _("{call} gives {got}, expected {expected}")
        return Mismatch("values", message.format(call=_call_text(c), got=got, expected=expected))
    return None


def _fields_mistake(name: str, hint, wrong, kinds=("values",)) -> Mistake:
    return Mistake(name, hint, when=lambda got, c: list(got) == wrong(c.scale), kinds=kinds)


GROUP_FIELDS = Exercise(
    cases=_fields_cases,
    reference=lambda c: group_fields(c.scale),
    read=_read_fields,
    compare=_compare_fields,
    returns=N_("a list of numbers, one per group"),
    success=N_("{name} gives every group's receptive field: 3, 5, 7, ... and 1 for the group passed through"),
    mistakes=[
        _fields_mistake(
            "figure order",
            N_(
                "that is the order of Fig. 2 (the group passed through first); in the official order the convolved "
                "groups come first and the group passed through, field 1, comes last"
            ),
            lambda s: [1] + [2 * i + 1 for i in range(1, s)] if s > 1 else None,
        ),
        _fields_mistake(
            "no hierarchy",
            N_(
                "every kernel then sees only its own group (a stage's first block). Inside a stage y_(i-1) goes into "
                "K_i: group i has seen i stacked 3x3 kernels, and each adds 2 to the side: 3, 5, 7, ..."
            ),
            lambda s: [3] * (s - 1) + [1] if s > 1 else [3],
        ),
        _fields_mistake(
            "stage block",
            N_(
                "that is the first block of a stage, where every group gets one 3x3 kernel (or a 3x3 average pool); "
                "the question is about a block inside a stage, with the hierarchy"
            ),
            lambda s: [3] * s,
        ),
        _fields_mistake(
            "sides add",
            N_("two stacked 3x3 kernels see 5x5, not 6x6: each further kernel adds 2 to the side (one pixel each way)"),
            lambda s: [3 * i for i in range(1, s)] + [1] if s > 1 else [3],
        ),
        _fields_mistake(
            "every group convolved",
            N_("only s - 1 groups are convolved; the last one is passed through unchanged and keeps field 1"),
            lambda s: [2 * i + 1 for i in range(1, s + 1)],
        ),
        _fields_mistake(
            "scale one",
            N_("with s = 1 the block is a ResNet bottleneck: one 3x3 convolution over all channels, field 3"),
            lambda s: [1] if s == 1 else None,
        ),
        Mistake(
            "group passed through forgotten",
            N_("one field per group: the s - 1 convolved groups and, last, the group passed through (field 1)"),
            when=lambda got, c: len(got) == c.scale - 1,
            kinds=("shape",),
        ),
    ],
)


def check_group_fields(fn) -> ExerciseResult:
    """Check ``fn(scale) -> list``: the receptive field side of each output group of one Res2Net block inside a
    stage, in the official concatenation order (``[3, 5, 7, 1]`` for ``s = 4``; ``[3]`` for ``s = 1``), as
    section 3 of the notebook measures with gradients. Names the order of Fig. 2, a missing hierarchy, the
    stage block, sides that add 3, a last group convolved and a forgotten group."""
    return GROUP_FIELDS.check(fn)


# ----------------------------------------------------------------------------------------------------------
# Exercise 3: the cost of one block


_MACS_CASES = [
    # (H, W, inplanes, planes, base_width, scale, note)
    (56, 56, 256, 64, 26, 4, N_("Res2Net-50 26w x 4s, stage 1")),
    (28, 28, 512, 128, 14, 8, N_("Res2Net-50 14w x 8s, stage 2")),
    (56, 56, 64, 64, 26, 4, N_("a block whose input has 64 channels: projection shortcut")),
    (7, 9, 2048, 512, 48, 2, N_("48w x 2s, stage 4, a 7x9 map")),
    (14, 14, 1024, 256, 64, 1, N_("ResNet-50 (s = 1), stage 3")),
]


def _macs_cases() -> list[Case]:
    return [
        Case(H, W, i, p, b, s, H=H, W=W, inplanes=i, planes=p, base_width=b, scale=s, note=note)
        for H, W, i, p, b, s, note in _MACS_CASES
    ]


def _macs(c: Case, n=None, width=None, projection=None, conv1=True, conv3=True, resnet=False) -> int:
    """MACs of the case's block, or of a typical wrong version of it."""
    w = c.planes * c.base_width // 64 if width is None else width
    s, out, hw = c.scale, 4 * c.planes, c.H * c.W
    n = max(1, s - 1) if n is None else n
    projection = c.inplanes != out if projection is None else projection
    macs = hw * c.inplanes * w * s if conv1 else 0
    macs += hw * 9 * (w * s) ** 2 if resnet else n * hw * 9 * w * w
    macs += hw * w * s * out if conv3 else 0
    return macs + (hw * c.inplanes * out if projection else 0)


def _macs_mistake(name: str, hint, when=lambda c: True, **wrong) -> Mistake:
    return Mistake(name, hint, when=lambda got, c: when(c) and got == _macs(c, **wrong) != _macs(c))


BLOCK_MACS = Exercise(
    cases=_macs_cases,
    reference=lambda c: bottle2neck_macs(c.H, c.W, c.inplanes, c.planes, c.base_width, c.scale),
    read=lambda answer, c, name: read_whole_number(answer, f"{_call_text(c)}"),
    compare=lambda got, expected, c: None if got == expected else Mismatch(
        "values", _("{call} gives {got}, expected {expected} ({note})").format(
            call=_call_text(c), got=shown(got), expected=shown(expected), note=_(c.note))),
    returns=N_("a number"),
    success=N_(
        "{name} counts a block's MACs as torch's flop counter does: 1x1 in, s - 1 kernels 3x3, 1x1 out, shortcut"
    ),
    mistakes=[
        Mistake(
            "s kernels",
            N_(
                "only s - 1 groups are convolved (the last is passed through): n = s - 1 kernels of 9 w^2 MACs per "
                "position"
            ),
            when=lambda got, c: c.scale > 1 and got == _macs(c, n=c.scale),
        ),
        _macs_mistake(
            "ResNet's 3x3",
            N_(
                "that is a ResNet bottleneck's 3x3 convolution over all w*s channels, 9 (w s)^2 per position; Res2Net "
                "has s - 1 small kernels of w -> w channels, 9 w^2 each"
            ),
            when=lambda c: c.scale > 1,
            resnet=True,
        ),
        _macs_mistake(
            "no projection",
            N_(
                "this block's input has not 4 * planes channels, so its shortcut is a 1x1 convolution "
                "(inplanes -> 4 planes, one MAC per input channel, output channel and position)"
            ),
            when=lambda c: c.inplanes != 4 * c.planes,
            projection=False,
        ),
        _macs_mistake(
            "projection always",
            N_(
                "the shortcut needs no convolution when the input already has 4 * planes channels (and stride 1): "
                "it is the input itself"
            ),
            when=lambda c: c.inplanes == 4 * c.planes,
            projection=True,
        ),
        Mistake(
            "w = planes",
            N_("a group has w = planes * base_width // 64 channels, not planes (26 in stage 1 of 26w x 4s)"),
            when=lambda got, c: got == _macs(c, width=c.planes) != _macs(c),
        ),
        _macs_mistake(
            "a 1x1 convolution missing",
            N_(
                "count both 1x1 convolutions: the first, inplanes -> w * s channels, and the last, w * s -> 4 * planes "
                "(here they cost the same, since inplanes = 4 * planes)"
            ),
            when=lambda c: c.inplanes == 4 * c.planes,
            conv1=False,
        ),
        _macs_mistake(
            "no conv1",
            N_("count the first 1x1 convolution too: inplanes -> w * s channels per position"),
            when=lambda c: c.inplanes != 4 * c.planes,
            conv1=False,
        ),
        _macs_mistake(
            "no conv3",
            N_("count the last 1x1 convolution too: w * s -> 4 * planes channels per position"),
            when=lambda c: c.inplanes != 4 * c.planes,
            conv3=False,
        ),
    ],
)


def check_block_macs(fn) -> ExerciseResult:
    """Check ``fn(H, W, inplanes, planes, base_width, scale)``: the MACs of one ``"normal"`` stride-1
    :class:`~swin_edu.res2net.Bottle2neck` on an ``H x W`` map, as :func:`swin_edu.complexity.bottle2neck_macs`
    and torch's flop counter count them (convolutions only). Names ``s`` kernels instead of ``s - 1``, ResNet's
    3x3 over all ``w * s`` channels, a missing or needless projection shortcut, ``w = planes`` and a forgotten
    1x1 convolution."""
    return BLOCK_MACS.check(fn)
