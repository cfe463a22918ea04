"""The check functions of notebook 07 accept right answers and name the typical wrong ones."""

import numpy as np
import pytest
import torch

from swin_edu import viz
from swin_edu.complexity import bottle2neck_macs, counted_macs
from swin_edu.exercises.res2net import check_block_macs, check_group_fields, check_multi_scale, group_fields
from swin_edu.res2net import Bottle2neck
from tests.helpers import CRASH, MISSING, SHAPE, TYPE, VALUES, Named, verdict

# ------------------------------------------------------------------------------------------------ the chain


def multi_scale(x, kernels):
    s = len(kernels) + 1
    groups = torch.chunk(x, s, dim=1)  # x_1 .. x_s
    outputs, y = [], None
    for i, kernel in enumerate(kernels):
        y = kernel(groups[i] if y is None else groups[i] + y)  # y_i = K_i(x_i + y_(i-1))
        outputs.append(y)
    outputs.append(groups[-1])  # x_s as is
    return torch.cat(outputs, dim=1)


def no_hierarchy(x, kernels):
    groups = torch.chunk(x, len(kernels) + 1, dim=1)
    return torch.cat([k(groups[i]) for i, k in enumerate(kernels)] + [groups[-1]], dim=1)


def figure_order(x, kernels):
    groups = torch.chunk(x, len(kernels) + 1, dim=1)
    outputs, y = [groups[0]], None
    for i, kernel in enumerate(kernels):
        y = kernel(groups[i + 1] if y is None else groups[i + 1] + y)
        outputs.append(y)
    return torch.cat(outputs, dim=1)


def adds_input_group(x, kernels):
    groups = torch.chunk(x, len(kernels) + 1, dim=1)
    outputs = [k(groups[i] if i == 0 else groups[i] + groups[i - 1]) for i, k in enumerate(kernels)]
    return torch.cat(outputs + [groups[-1]], dim=1)


def adds_after_kernel(x, kernels):
    groups = torch.chunk(x, len(kernels) + 1, dim=1)
    outputs, y = [], None
    for i, kernel in enumerate(kernels):
        y = kernel(groups[i]) if y is None else kernel(groups[i]) + y
        outputs.append(y)
    return torch.cat(outputs + [groups[-1]], dim=1)


def test_multi_scale_accepts_the_answer_as_a_tensor_or_an_array(capsys):
    verdict(capsys, check_multi_scale(multi_scale), True, "Bottle2neck.multi_scale")
    verdict(capsys, check_multi_scale(lambda x, k: multi_scale(x, k).detach().double().numpy()), True)


def test_the_checks_reference_is_the_librarys_block():
    """The reference copies the kernels into a library Bottle2neck: the same numbers as its whole forward pass
    on the part before conv3."""
    torch.manual_seed(0)
    block = Bottle2neck(64, 16, base_width=32, scale=4).eval()  # groups of 8 channels
    x = torch.randn(2, 32, 5, 6)
    kernels = torch.nn.ModuleList(torch.nn.Sequential(c, b, torch.nn.ReLU()) for c, b in zip(block.convs, block.bns))
    with torch.no_grad():
        torch.testing.assert_close(multi_scale(x, kernels), torch.cat(block.multi_scale(torch.chunk(x, 4, 1)), 1))


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (no_hierarchy, (VALUES, Named("no hierarchy"), "y_i = K_i(x_i + y_(i-1))", "s = 4")),
        (figure_order, (VALUES, Named("figure order"), "Fig. 2", "LAST group")),
        (adds_input_group, (VALUES, Named("adds the input group"), "previous OUTPUT")),
        (adds_after_kernel, (VALUES, Named("adds after the kernel"), "INTO the kernel")),
        (lambda x, k: multi_scale(x, k)[:, : x.shape[1] - x.shape[1] // (len(k) + 1)],
         (SHAPE, Named("last group dropped"), "x_4 is missing")),
        (lambda x, k: list(torch.chunk(multi_scale(x, k), len(k) + 1, 1)), (TYPE, "torch.cat(outputs, dim=1)")),
        (lambda x, k: x, (VALUES, "wrong values")),
        (lambda x, k: None, (MISSING, "the concatenated groups is None")),
        (lambda x, k: k[5](x), (CRASH, "IndexError")),
    ],
)
def test_multi_scale_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_multi_scale(wrong), False, *phrases)


# ----------------------------------------------------------------------------------------------- the fields


def fields(scale):
    if scale == 1:
        return [3]
    return [2 * i + 1 for i in range(1, scale)] + [1]


@pytest.mark.parametrize("scale", [1, 2, 4, 8])
def test_the_rule_is_what_gradients_measure(scale):
    """The check's reference is the rule; the library measures the same fields with gradients."""
    reach = viz.group_reach(scale, 1, side=2 * scale + 3, source=(scale + 1, scale + 1))
    measured = [int(g.any(dim=1).sum()) for g in reach]
    assert measured == group_fields(scale) == fields(scale)


def test_group_fields_accepts_lists_tuples_and_arrays(capsys):
    verdict(capsys, check_group_fields(fields), True, "3, 5, 7")
    verdict(capsys, check_group_fields(lambda s: tuple(fields(s))), True)
    verdict(capsys, check_group_fields(lambda s: np.array(fields(s))), True)
    verdict(capsys, check_group_fields(lambda s: torch.tensor(fields(s))), True)
    verdict(capsys, check_group_fields(lambda s: [float(f) for f in fields(s)]), True)


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (lambda s: [1] + [2 * i + 1 for i in range(1, s)], (VALUES, Named("figure order"), "Fig. 2", "(4)")),
        (lambda s: [3] * (s - 1) + [1], (VALUES, Named("no hierarchy"), "3, 5, 7")),
        (lambda s: [3] * s, (VALUES, Named("stage block"), "first block of a stage")),
        (lambda s: [3 * i for i in range(1, s)] + [1], (VALUES, Named("sides add"), "5x5, not 6x6")),
        (lambda s: [2 * i + 1 for i in range(1, s + 1)], (VALUES, Named("every group convolved"), "keeps field 1")),
        (lambda s: fields(s) if s > 1 else [1], (VALUES, Named("scale one"), "ResNet bottleneck")),
        (lambda s: fields(s)[:-1], (SHAPE, Named("group passed through forgotten"), "3 fields")),
        (lambda s: 7, (TYPE, "should return a list of numbers")),
        (lambda s: ["3", "5"], (TYPE,)),
        (lambda s: [2.5] * s, (VALUES, "whole number")),
        (lambda s: None, (MISSING,)),
    ],
)
def test_group_fields_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_group_fields(wrong), False, *phrases)


# ------------------------------------------------------------------------------------------------ the MACs


def block_macs(H, W, inplanes, planes, base_width, scale):
    w = planes * base_width // 64
    n = max(1, scale - 1)
    macs = H * W * (inplanes * w * scale + n * 9 * w * w + w * scale * 4 * planes)
    if inplanes != 4 * planes:
        macs += H * W * inplanes * 4 * planes
    return macs


@pytest.mark.parametrize("args", [(56, 56, 256, 64, 26, 4), (7, 9, 64, 64, 26, 4), (5, 5, 256, 64, 64, 1)])
def test_the_formula_is_what_the_flop_counter_counts(args):
    H, W, inplanes, planes, base_width, scale = args
    with torch.device("meta"):
        block = Bottle2neck(inplanes, planes, base_width=base_width, scale=scale)
    counted = counted_macs(block, torch.zeros(1, inplanes, H, W, device="meta"))
    assert counted == block_macs(*args) == bottle2neck_macs(*args)


def test_block_macs_accepts_the_answer(capsys):
    verdict(capsys, check_block_macs(block_macs), True, "flop counter")
    verdict(capsys, check_block_macs(lambda *a: float(block_macs(*a))), True)
    verdict(capsys, check_block_macs(lambda *a: torch.tensor(block_macs(*a))), True)


def _wrong_macs(n=None, resnet=False, projection=None, width=None, conv1=True, conv3=True):
    def macs(H, W, inplanes, planes, base_width, scale):
        w = planes * base_width // 64 if width is None else width(planes)
        k = max(1, scale - 1) if n is None else n(scale)
        three = 9 * (w * scale) ** 2 if resnet else k * 9 * w * w
        total = H * W * (inplanes * w * scale * conv1 + three + w * scale * 4 * planes * conv3)
        if (inplanes != 4 * planes) if projection is None else projection:
            total += H * W * inplanes * 4 * planes
        return total

    return macs


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (_wrong_macs(n=lambda s: s), (VALUES, Named("s kernels"), "s - 1 kernels", "(56, 56, 256, 64, 26, 4)")),
        (_wrong_macs(resnet=True), (VALUES, Named("ResNet's 3x3"), "9 (w s)^2")),
        (_wrong_macs(projection=False), (VALUES, Named("no projection"), "(56, 56, 64, 64, 26, 4)")),
        (_wrong_macs(projection=True), (VALUES, Named("projection always"), "the input itself")),
        (_wrong_macs(width=lambda planes: planes), (VALUES, Named("w = planes"), "planes * base_width // 64")),
        (_wrong_macs(conv1=False), (VALUES, Named("a 1x1 convolution missing"), "both 1x1 convolutions")),
        (_wrong_macs(conv3=False), (VALUES, Named("a 1x1 convolution missing"), "both 1x1 convolutions")),
        (lambda *a: block_macs(*a) - a[0] * a[1] * a[2] * a[4] * a[3] // 64 * a[5] * (a[2] != 4 * a[3]),
         (VALUES, Named("no conv1"), "(56, 56, 64, 64, 26, 4)", "first 1x1")),
        (lambda *a: block_macs(*a) - a[0] * a[1] * 4 * a[3] * (a[3] * a[4] // 64) * a[5] * (a[2] != 4 * a[3]),
         (VALUES, Named("no conv3"), "last 1x1")),
        (lambda *a: "many", (TYPE, "should be a number")),
        (lambda *a: None, (MISSING,)),
        (lambda *a: 1 / 0, (CRASH, "ZeroDivisionError")),
    ],
)
def test_block_macs_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_block_macs(wrong), False, *phrases)
