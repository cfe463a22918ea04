"""Families of bad input for every builder and cost function of the library (issue 9, section 6).

Each property draws valid arguments, spoils one of them with a value from a family of bad ones
(non-positive, non-integer, nan, inf, bool, None, text, numpy values) and asserts a ValueError or
TypeError that names the spoiled argument: never another exception, never a silent result. Valid
arguments must give positive counts.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import swin_edu
from swin_edu import complexity, windows
from swin_edu.attention import MultiHeadSelfAttention
from swin_edu.swin import PatchMerging, SwinBlock, SwinTransformer, WindowAttention
from swin_edu.vit import Mlp, PatchEmbed, TransformerBlock, VisionTransformer, drop_path

NOT_NUMBERS = st.sampled_from([None, "4", "", b"4", [4], (4,), {}, object()])
BAD_FLOATS = st.floats(allow_nan=True, allow_infinity=True)  # any float, even 4.0: sizes are integers
SPECIAL = st.sampled_from([True, False, math.nan, math.inf, -math.inf, np.float64(4.0), np.int64(-3), np.int32(0)])

#: anything that is not a positive integer
bad_sizes = st.one_of(st.integers(max_value=0), BAD_FLOATS, SPECIAL, NOT_NUMBERS)
#: anything that is not a non-negative integer
bad_counts = st.one_of(
    st.integers(max_value=-1), BAD_FLOATS, SPECIAL.filter(lambda v: not isinstance(v, np.int32)), NOT_NUMBERS
)
#: anything that is not a positive, finite number
bad_ratios = st.one_of(
    st.floats(max_value=0.0), st.sampled_from([math.nan, math.inf, -math.inf, True, False, -4, 0]), NOT_NUMBERS
)
#: anything that is not a number in [0, 1)
bad_rates = st.one_of(
    st.floats(min_value=1.0), st.floats(max_value=0.0, exclude_max=True), st.sampled_from([math.nan, True]), NOT_NUMBERS
)


def refused(call, name):
    """``call()`` raises a ValueError or TypeError whose message names ``name``."""
    with pytest.raises((ValueError, TypeError)) as error:
        call()
    assert name in str(error.value), f"{name!r} not named in {error.value!r}"
    return error.value


# ---- cost functions ----


@st.composite
def cost_call(draw):
    """A cost function and valid arguments for it, by name."""
    h, w, C = draw(st.integers(1, 64)), draw(st.integers(1, 64)), draw(st.integers(1, 256))
    M = draw(st.integers(1, min(h, w)))
    name = draw(st.sampled_from(["msa_macs", "wmsa_macs", "window_attention_macs", "block_macs"]))
    args = {
        "msa_macs": dict(h=h, w=w, C=C),
        "wmsa_macs": dict(h=h, w=w, C=C, M=M),
        "window_attention_macs": dict(H=h, W=w, C=C, window_size=draw(st.integers(1, 16))),
        "block_macs": dict(
            H=h, W=w, C=C, window_size=draw(st.integers(1, 16)), mlp_ratio=draw(st.sampled_from([4, 2.5, 1.0]))
        ),
    }[name]
    return getattr(complexity, name), args


@given(cost_call(), st.data())
def test_cost_functions_refuse_any_bad_size(call, data):
    function, args = call
    name = data.draw(st.sampled_from([k for k in args if k != "mlp_ratio"]))
    args[name] = data.draw(bad_sizes)
    refused(lambda: function(**args), name)


@given(cost_call())
def test_cost_functions_count_positively(call):
    function, args = call
    count = function(**args)
    assert isinstance(count, int) and count > 0


@given(h=st.integers(1, 64), w=st.integers(1, 64), C=st.integers(1, 256), data=st.data())
def test_window_attention_never_costs_more_than_global_attention(h, w, C, data):
    M = data.draw(st.integers(1, min(h, w)))
    assert 0 < complexity.wmsa_macs(h, w, C, M) <= complexity.msa_macs(h, w, C)


@given(h=st.integers(1, 64), w=st.integers(1, 64), C=st.integers(1, 256), extra=st.integers(1, 100))
def test_a_window_larger_than_the_map_is_refused(h, w, C, extra):
    M = min(h, w) + extra
    error = refused(lambda: complexity.wmsa_macs(h, w, C, M), "M must be at most min(h, w)")
    assert f"= {min(h, w)}" in str(error)
    # what a block really computes on such a map: one window of side min(h, w), the longer side padded
    grid = windows.window_grid(h, w, M)
    assert complexity.window_attention_macs(h, w, C, M) == complexity.wmsa_macs(
        grid.padded_height, grid.padded_width, C, min(h, w)
    )


@given(ratio=bad_ratios)
def test_block_macs_refuses_any_bad_mlp_ratio(ratio):
    refused(lambda: complexity.block_macs(56, 56, 96, 7, mlp_ratio=ratio), "mlp_ratio")


def test_the_issues_cost_cases():
    refused(lambda: complexity.block_macs(56, 56, 96, 7, mlp_ratio=-4), "mlp_ratio must be a positive number")
    refused(lambda: complexity.block_macs(56, 56, 96, 0), "window_size must be a positive integer, got 0")
    refused(lambda: complexity.wmsa_macs(7, 7, 96, 100), "M must be at most min(h, w) = 7")


# ---- builders ----

BUILDERS = {
    "SwinTransformer": (
        lambda **k: SwinTransformer(**k),
        dict(img_size=32, patch_size=4, in_chans=3, embed_dim=24, window_size=4),
    ),
    "swin_t": (lambda **k: swin_edu.swin_t(**k), dict(img_size=224, window_size=7, embed_dim=96)),
    "VisionTransformer": (
        lambda **k: VisionTransformer(**k),
        dict(img_size=32, patch_size=4, in_chans=3, embed_dim=64, depth=2, num_heads=4),
    ),
    "PatchEmbed": (lambda **k: PatchEmbed(**k), dict(patch_size=4, in_chans=3, embed_dim=8)),
    "TransformerBlock": (lambda **k: TransformerBlock(**k), dict(dim=16, num_heads=4)),
    "MultiHeadSelfAttention": (lambda **k: MultiHeadSelfAttention(**k), dict(dim=16, num_heads=4)),
    "WindowAttention": (lambda **k: WindowAttention(**k), dict(dim=16, num_heads=4, window_size=4)),
    "SwinBlock": (lambda **k: SwinBlock(**k), dict(dim=16, num_heads=4, window_size=4)),
    "PatchMerging": (lambda **k: PatchMerging(**k), dict(dim=16)),
    "Mlp": (lambda **k: Mlp(**k), dict(dim=16, hidden_dim=64)),
}


@given(builder=st.sampled_from(sorted(BUILDERS)), data=st.data())
def test_builders_refuse_any_bad_size(builder, data):
    build, args = BUILDERS[builder]
    args = dict(args)
    name = data.draw(st.sampled_from(sorted(args)))
    args[name] = data.draw(bad_sizes)
    assume(not (builder == "swin_t" and name == "window_size" and args[name] is None))  # None: the default
    with torch.device("meta"):  # a build that wrongly went through would cost nothing
        refused(lambda: build(**args), name)


@given(builder=st.sampled_from(["SwinTransformer", "swin_t", "VisionTransformer"]), value=bad_counts)
def test_builders_refuse_any_bad_number_of_classes(builder, value):
    build, args = BUILDERS[builder]
    with torch.device("meta"):
        refused(lambda: build(**args, num_classes=value), "num_classes")


@given(
    builder=st.sampled_from(["SwinTransformer", "swin_t", "VisionTransformer", "TransformerBlock", "SwinBlock"]),
    ratio=bad_ratios,
)
def test_builders_refuse_any_bad_mlp_ratio(builder, ratio):
    build, args = BUILDERS[builder]
    with torch.device("meta"):
        refused(lambda: build(**args, mlp_ratio=ratio), "mlp_ratio")


@given(ratio=st.floats(min_value=1e-300, max_value=1 / 16, exclude_max=True))
def test_a_ratio_that_leaves_no_hidden_channel_is_refused(ratio):
    refused(lambda: SwinBlock(16, 4, mlp_ratio=ratio), "hidden width")
    refused(lambda: complexity.block_macs(8, 8, 16, 4, mlp_ratio=ratio), "hidden width")


@given(stage=st.integers(0, 3), value=bad_sizes, which=st.sampled_from(["depths", "num_heads"]))
def test_swin_refuses_any_bad_depth_or_head_count(stage, value, which):
    args = dict(depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24])
    args[which][stage] = value
    with torch.device("meta"):
        refused(lambda: SwinTransformer(**args), f"{which}[{stage}]")


@given(which=st.sampled_from(["depths", "num_heads"]), value=st.one_of(bad_sizes, st.just([])))
def test_swin_refuses_stage_lists_that_are_not_lists(which, value):
    with torch.device("meta"):
        refused(lambda: SwinTransformer(**{which: value}), which)


@given(which=st.sampled_from(["drop_rate", "drop_path_rate"]), rate=bad_rates)
def test_swin_refuses_any_bad_rate(which, rate):
    with torch.device("meta"):
        refused(lambda: swin_edu.swin_t(**{which: rate}), which)


@given(
    p=st.one_of(
        st.floats(min_value=1.0, exclude_min=True),
        st.floats(max_value=0.0, exclude_max=True),
        st.just(math.nan),
        NOT_NUMBERS,
    )
)
def test_drop_path_refuses_any_rate_outside_0_1(p):
    refused(lambda: drop_path(torch.ones(2, 3), p, True), "0 <= p <= 1")


# ---- window geometry ----

GEOMETRY = {
    "window_grid": (windows.window_grid, dict(height=16, width=16, window_size=4)),
    "effective_window": (windows.effective_window, dict(height=16, width=16, window_size=4, shift_size=2)),
    "region_labels": (windows.region_labels, dict(height=16, width=16, window_size=4, shift_size=2)),
    "shifted_window_mask": (windows.shifted_window_mask, dict(height=16, width=16, window_size=4, shift_size=2)),
    "shifted_partition": (windows.shifted_partition, dict(height=16, width=16, window_size=4, shift_size=2)),
    "relative_position_index": (windows.relative_position_index, dict(window_size=4)),
    "receptive_field": (windows.receptive_field, dict(height=16, width=16, window_size=4)),
    "window_partition": (
        lambda window_size: windows.window_partition(torch.zeros(1, 8, 8, 1), window_size),
        dict(window_size=4),
    ),
    "pad_to_window": (
        lambda window_size: windows.pad_to_window(torch.zeros(1, 8, 8, 1), window_size),
        dict(window_size=4),
    ),
    "window_reverse": (
        lambda window_size, height, width: windows.window_reverse(torch.zeros(4, 4, 4, 1), window_size, height, width),
        dict(window_size=4, height=8, width=8),
    ),
}


@given(function=st.sampled_from(sorted(GEOMETRY)), data=st.data())
def test_geometry_refuses_any_bad_size(function, data):
    call, args = GEOMETRY[function]
    args = dict(args)
    if function == "receptive_field":
        args.update(source=(1, 2), blocks=1)
    name = data.draw(st.sampled_from([k for k in args if k not in ("shift_size", "source", "blocks")]))
    args[name] = data.draw(bad_sizes)
    refused(lambda: call(**args), name)


@given(
    source=st.one_of(
        st.tuples(BAD_FLOATS, st.integers(0, 7)),
        st.tuples(st.integers(0, 7), st.sampled_from([None, "1", True, 1.0])),
        st.tuples(st.integers(max_value=-1), st.integers(0, 7)),
        st.tuples(st.integers(0, 7), st.integers(min_value=8)),
        st.lists(st.integers(0, 7), max_size=4).filter(lambda v: len(v) != 2),
        NOT_NUMBERS,
        st.integers(),
    )
)
def test_receptive_field_refuses_any_bad_source(source):
    refused(lambda: windows.receptive_field(8, 8, 4, source, 1), "source")


@given(M=st.integers(77, 10**6))
def test_relative_position_index_refuses_any_window_above_the_guard_without_allocating(M):
    refused(lambda: windows.relative_position_index(M), f"relative_position_index({M}) would be")


@given(M=st.integers(77, 200))
def test_a_block_with_such_a_window_is_refused_too(M):
    with torch.device("meta"):
        refused(lambda: WindowAttention(16, 4, M), "are refused")
