import math

import pytest
import torch
import torch.nn.functional as F
from helpers import randomize_
from hypothesis import given
from hypothesis import strategies as st

import swin_edu
from swin_edu.swin import PatchMerging, SwinBlock, SwinTransformer, WindowAttention

# ---------------------------------------------------------------------------------------------
# A naive reference for (S)W-MSA: cut the padded map at the borders of the shifted windows into
# rectangles (irregular at the edges) and attend inside each, with the relative position bias read
# from the table by each pair's real offset. No roll, no mask, no library geometry.
# ---------------------------------------------------------------------------------------------


def shifted_borders(length, m, s):
    """Borders of the windows along one axis: regular every m, or shifted by s (with a short first
    and last window)."""
    if s == 0:
        return list(range(0, length + 1, m))
    return [0] + list(range(s, length, m)) + [length]


def naive_window_attention(attn: WindowAttention, x, m, s):
    B, H, W, C = x.shape
    M, h = attn.window_size, attn.num_heads
    out = torch.empty_like(x)
    rows, cols = shifted_borders(H, m, s), shifted_borders(W, m, s)
    for r0, r1 in zip(rows[:-1], rows[1:]):
        for c0, c1 in zip(cols[:-1], cols[1:]):
            ys, xs = torch.meshgrid(torch.arange(r0, r1), torch.arange(c0, c1), indexing="ij")
            ys, xs = ys.flatten(), xs.flatten()
            rows_of_table = (ys[:, None] - ys[None, :] + M - 1) * (2 * M - 1) + (xs[:, None] - xs[None, :] + M - 1)
            bias = attn.relative_position_bias_table[rows_of_table].permute(2, 0, 1)  # (h, n, n)
            tokens = x[:, r0:r1, c0:c1].reshape(B, -1, C)
            q, k, v = attn.qkv(tokens).view(B, -1, 3, h, C // h).permute(2, 0, 3, 1, 4)
            weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(C // h) + bias, dim=-1)
            heads = (weights @ v).transpose(1, 2).reshape(B, -1, C)
            out[:, r0:r1, c0:c1] = attn.proj(heads).view(B, r1 - r0, c1 - c0, C)
    return out


def naive_block(block: SwinBlock, x):
    B, H, W, C = x.shape
    M = block.window_size
    m, s = (min(H, W), 0) if min(H, W) <= M else (M, block.shift_size)
    y = F.pad(block.norm1(x), (0, 0, 0, (-W) % m, 0, (-H) % m))  # zeros at the bottom and right
    x = x + naive_window_attention(block.attn, y, m, s)[:, :H, :W]
    return x + block.mlp(block.norm2(x))


@given(
    M=st.integers(2, 7),
    H=st.integers(1, 22),
    W=st.integers(1, 22),
    heads=st.integers(1, 3),
    shifted=st.booleans(),
    fused=st.booleans(),
)
def test_block_equals_naive_irregular_windows(M, H, W, heads, shifted, fused):
    block = SwinBlock(4 * heads, heads, M, shift_size=M // 2 if shifted else 0, fused_attn=fused)
    randomize_(block.eval())
    x = torch.randn(2, H, W, 4 * heads)
    with torch.no_grad():
        torch.testing.assert_close(block(x), naive_block(block, x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shift", [1, 2, 3])
def test_any_shift_equals_naive(shift):
    block = randomize_(SwinBlock(8, 2, 4, shift_size=shift).eval())
    x = torch.randn(1, 13, 15, 8)
    with torch.no_grad():
        torch.testing.assert_close(block(x), naive_block(block, x), rtol=1e-4, atol=1e-5)


def test_stored_mask_is_used_and_equals_a_fresh_one():
    block = SwinBlock(8, 2, 4, shift_size=2, input_resolution=(12, 12)).eval()
    assert block.attn_mask.shape == (9, 16, 16)
    assert torch.equal(block.attn_mask, swin_edu.windows.shifted_window_mask(12, 12, 4, 2))  # built for 12x12
    assert block.attention_mask(12, 12, 4, 2) is block.attn_mask
    assert block.attention_mask(16, 16, 4, 2).shape == (16, 16, 16)  # another size gets a mask of its own


# ---------------------------------------------------------------------------------------------
# The paper's numbers
# ---------------------------------------------------------------------------------------------

PARAMETERS = {"swin_t": 28_288_354, "swin_s": 49_606_258, "swin_b": 87_768_224, "swin_l": 196_532_476}


@pytest.mark.parametrize("name", PARAMETERS)
def test_parameter_counts_equal_the_official_models(name):
    with torch.device("meta"):  # shapes only: no memory, no initialization time
        model = getattr(swin_edu, name)()
    assert sum(p.numel() for p in model.parameters()) == PARAMETERS[name]


# Table 1 of the paper, in GMACs ("FLOPs"), at 224 with window 7
TABLE_1 = {("swin_t", 224): 4.5, ("swin_s", 224): 8.7, ("swin_b", 224): 15.4, ("swin_l", 224): 34.5}


@pytest.mark.parametrize("name, size", TABLE_1)
def test_macs_equal_table_1(name, size):
    with torch.device("meta"):
        model = getattr(swin_edu, name)(img_size=size)
    assert round(swin_edu.complexity.model_macs(model) / 1e9, 1) == TABLE_1[name, size]


def test_macs_at_384_equal_the_official_count():
    # The official flops() gives 47.105G for Swin-B at 384 with window 12, printed as 47.1G in the
    # official README; the paper's Table 1 prints 47.0G, which that count does not reproduce.
    with torch.device("meta"):
        base, large = swin_edu.swin_b(img_size=384), swin_edu.swin_l(img_size=384)
    assert base.window_size == large.window_size == 12
    assert round(swin_edu.complexity.model_macs(base) / 1e9, 3) == 47.105
    assert round(swin_edu.complexity.model_macs(large) / 1e9, 2) == 103.95  # README and paper: 103.9G


@pytest.mark.parametrize("h, w, C", [(8, 8, 32), (7, 5, 48)])
def test_msa_formula_equals_counted_operations(h, w, C):
    msa = swin_edu.attention.MultiHeadSelfAttention(C, 4)
    counted = swin_edu.complexity.counted_macs(msa, torch.randn(1, h * w, C))
    assert counted == swin_edu.complexity.msa_macs(h, w, C)


@pytest.mark.parametrize("h, w, C, M", [(14, 14, 32, 7), (8, 12, 48, 4)])
def test_wmsa_formula_equals_counted_operations(h, w, C, M):
    attn = WindowAttention(C, 4, M)
    windows = swin_edu.windows.window_partition(torch.randn(1, h, w, C), M).view(-1, M * M, C)
    mask = swin_edu.windows.shifted_window_mask(h, w, M, M // 2)
    assert swin_edu.complexity.counted_macs(attn, windows, mask) == swin_edu.complexity.wmsa_macs(h, w, C, M)


@pytest.mark.parametrize("size", [224, (232, 200)])
def test_model_macs_equal_counted_operations(size):
    model = swin_edu.swin_t(img_size=224).eval()
    H, W = (size, size) if isinstance(size, int) else size
    counted = swin_edu.complexity.counted_macs(model, torch.randn(1, 3, H, W))
    assert counted == swin_edu.complexity.model_macs(model, (H, W), norms=False)
    assert model.fused_attn  # restored after counting


def test_linear_in_image_area():
    with torch.device("meta"):
        model = swin_edu.swin_t()
    sizes = (448, 896, 1792)
    per_pixel = [swin_edu.complexity.model_macs(model, s) / s**2 for s in sizes]
    assert max(per_pixel) / min(per_pixel) < 1.005  # the same work per pixel at every size
    # global attention on Swin-T's first-stage map would not be: its cost per pixel quadruples
    global_per_pixel = [swin_edu.complexity.msa_macs(s // 4, s // 4, 96) / s**2 for s in sizes]
    assert global_per_pixel[2] / global_per_pixel[1] > 3


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return swin_edu.swin_t().eval()


def test_fused_equals_explicit(tiny):
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        fused = tiny(x)
        tiny.fused_attn = False
        try:
            explicit = tiny(x)
        finally:
            tiny.fused_attn = True
    torch.testing.assert_close(fused, explicit, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("size", [(224, 224), (64, 64), (100, 132)])
def test_forward_features_are_the_pyramid(tiny, size):
    H, W = size
    x = torch.randn(1, 3, H, W)
    with torch.no_grad():
        maps = tiny.forward_features(x)
        logits = tiny(x)
    expected_sizes = []
    h, w = H // 4, W // 4
    for _ in range(4):
        expected_sizes.append((h, w))
        h, w = (h + 1) // 2, (w + 1) // 2
    assert [tuple(m.shape) for m in maps] == [(1, 96 * 2**i, *expected_sizes[i]) for i in range(4)]
    with torch.no_grad():
        torch.testing.assert_close(tiny.forward_head(maps[-1].permute(0, 2, 3, 1)), logits)


def test_fused_and_explicit_gradients_agree():
    model = SwinTransformer(
        img_size=64, embed_dim=16, depths=(2, 2), num_heads=(2, 4), window_size=4, num_classes=3, drop_path_rate=0.0
    )
    x = torch.randn(2, 3, 64, 64)
    grads = []
    for fused in (True, False):
        model.zero_grad()
        model.fused_attn = fused
        model(x).square().sum().backward()
        grads.append([p.grad.clone() for p in model.parameters()])
    for fused_grad, explicit_grad in zip(*grads):
        torch.testing.assert_close(fused_grad, explicit_grad, rtol=1e-4, atol=1e-5)


def test_without_head_forward_returns_pooled_features():
    model = SwinTransformer(img_size=64, embed_dim=16, depths=(2, 2), num_heads=(2, 4), window_size=4, num_classes=0)
    assert model(torch.randn(2, 3, 64, 64)).shape == (2, 32)


def test_bfloat16_follows_float32():
    model = SwinTransformer(img_size=64, embed_dim=16, depths=(2, 2), num_heads=(2, 4), window_size=4).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected = model.forward_features(x)[-1]  # (1, 32, 8, 8), values of order 1
        low = model.to(torch.bfloat16).forward_features(x.to(torch.bfloat16))[-1]
    assert low.dtype == torch.bfloat16
    error = (low.float() - expected).abs().max() / expected.std()
    assert error < 0.05, f"bfloat16 is off by {error:.3f} of the signal"


def test_init_and_drop_path_schedule_are_the_official_ones():
    model = swin_edu.swin_t()  # drop_path_rate 0.2, rising linearly over the 12 blocks
    rates = [block.drop_path.p for layer in model.layers for block in layer.blocks]
    torch.testing.assert_close(torch.tensor(rates), torch.linspace(0, 0.2, 12))
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    weights = torch.cat([m.weight.flatten() for m in linears])
    assert abs(weights.std().item() - 0.02) < 0.002  # truncated normal, std 0.02 (cut at +-2, as the official init)
    assert all(m.bias is None or not m.bias.any() for m in linears)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.LayerNorm)]
    assert all((m.weight == 1).all() and not m.bias.any() for m in norms)
    table = model.layers[0].blocks[0].attn.relative_position_bias_table
    assert abs(table.std().item() - 0.02) < 0.004


def test_small_maps_use_one_window_without_shift():
    block = SwinBlock(8, 2, 7, shift_size=3)
    assert block.window_and_shift(56, 56) == (7, 3)
    assert block.window_and_shift(7, 7) == (7, 0)
    assert block.window_and_shift(4, 9) == (4, 0)
    model = swin_edu.swin_t()
    assert model.layers[3].blocks[1].attn_mask is None  # 7x7 at stage 4: no shift, no mask
    assert model.layers[2].blocks[1].attn_mask.shape == (4, 49, 49)


def test_patch_merging_is_a_2x2_stride_2_linear_map():
    merge = PatchMerging(3)
    x = torch.randn(1, 4, 6, 3)
    out = merge(x)
    assert out.shape == (1, 2, 3, 6)
    # the group at output (1, 2) holds input rows 2-3, columns 4-5, concatenated in the official order
    group = torch.cat([x[0, 2, 4], x[0, 3, 4], x[0, 2, 5], x[0, 3, 5]])
    torch.testing.assert_close(out[0, 1, 2], merge.reduction(merge.norm(group)))


def test_training_step_reaches_every_parameter():
    model = SwinTransformer(img_size=32, embed_dim=16, depths=(2, 2), num_heads=(2, 4), window_size=4, num_classes=5)
    model.train()
    loss = F.cross_entropy(model(torch.randn(4, 3, 32, 32)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_window_12_at_384_and_overrides():
    assert swin_edu.swin_b(img_size=384, num_classes=0).window_size == 12
    model = swin_edu.swin_t(window_size=8, num_classes=10, fused_attn=False)
    assert model.window_size == 8 and model.num_classes == 10 and not model.fused_attn
    assert model.layers[0].blocks[1].attn_mask.shape == (49, 64, 64)


@pytest.mark.parametrize(
    "shape, message",
    [
        ((3, 224, 224), r"\(B, 3, H, W\).*x\[None\]"),
        ((1, 1, 224, 224), r"expected 3 input channels"),
        ((1, 3, 225, 224), r"225x224 is not divisible by the patch size 4"),
    ],
)
def test_bad_inputs_are_explained(tiny, shape, message):
    with pytest.raises(ValueError, match=message):
        tiny(torch.randn(*shape))


def test_bad_configurations_are_explained():
    with pytest.raises(ValueError, match=r"stage 1 has 192 channels, which num_heads\[1\]=5 does not divide"):
        SwinTransformer(num_heads=(3, 5, 12, 24))
    with pytest.raises(ValueError, match=r"img_size \(226, 226\) must be divisible by patch_size=4"):
        swin_edu.swin_t(img_size=226)
    with pytest.raises(ValueError, match=r"0 <= shift_size < window_size=7"):
        SwinBlock(96, 3, 7, shift_size=7)
    with pytest.raises(ValueError, match=r"one entry per stage"):
        SwinTransformer(depths=(2, 2), num_heads=(3, 6, 12))
    with pytest.raises(ValueError, match=r"this layer takes 96"):
        SwinBlock(96, 3)(torch.randn(1, 14, 14, 95))


def test_stages_smaller_than_the_window_are_built_as_the_official_code_builds_them():
    # at 224 with window 14, stage 4's map is 7x7: the official code gives its blocks 7x7 windows,
    # unshifted, with a 13x13 bias table (counts from the official code)
    with torch.device("meta"):
        model = swin_edu.swin_t(window_size=14)
    assert sum(p.numel() for p in model.parameters()) == 28_338_754
    block = model.layers[3].blocks[1]
    assert (block.window_size, block.shift_size) == (7, 0)
    assert block.attn.relative_position_bias_table.shape == (169, 24)
    assert block.attn.relative_position_index.shape == (49, 49)
    assert model.layers[2].blocks[1].attn.relative_position_bias_table.shape == (27 * 27, 12)
    with torch.device("meta"):
        assert sum(p.numel() for p in swin_edu.swin_t(img_size=256, window_size=16).parameters()) == 28_362_322


def test_dropout_sits_where_the_official_code_has_it():
    block = SwinBlock(8, 2, 4, drop=0.1)
    assert block.attn.proj_drop.p == 0.1 and block.mlp.drop.p == 0.1


@pytest.mark.parametrize(
    "mask, message",
    [
        (torch.ones(4, 16, 16, dtype=torch.bool), r"additive float tensor.*got torch.bool"),
        (torch.zeros(4, 9, 9), r"shape \(nW, 16, 16\).*got \(4, 9, 9\)"),
        (torch.zeros(16, 16), r"shape \(nW, 16, 16\).*got \(16, 16\)"),
        (torch.zeros(3, 16, 16), r"dividing the 8 windows given; got \(3, 16, 16\)"),
        (torch.zeros(0, 16, 16), r"shape \(nW, 16, 16\)"),
        ([[0.0]], r"additive float tensor.*got list"),
    ],
)
def test_bad_masks_are_explained(mask, message):
    attn = WindowAttention(8, 2, 4)
    with pytest.raises(ValueError, match=message):
        attn(torch.randn(8, 16, 8), mask)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: SwinTransformer(num_heads=(0, 6, 12, 24)), r"num_heads\[0\] must be a positive integer, got 0"),
        (lambda: swin_edu.swin_t(img_size=224.0), r"img_size must be a positive integer or a pair"),
        (lambda: SwinTransformer(depths=(), num_heads=()), r"one entry per stage \(at least one\)"),
        (lambda: SwinBlock(96, 3, mlp_ratio=0), r"mlp_ratio must be a positive number"),
        (lambda: swin_edu.swin_t(drop_path_rate=1.5), r"0 <= drop_path_rate < 1, got 1.5"),
        (lambda: SwinBlock(96, 3, input_resolution=(0, 0)), r"input_resolution\[0\] must be a positive integer"),
        (lambda: WindowAttention(8, 2, 4).relative_position_bias(2.0), r"window_size must be a positive integer"),
    ],
)
def test_bad_arguments_are_explained(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_numpy_integers_are_sizes_too():
    import numpy as np

    with torch.device("meta"):
        assert swin_edu.swin_t(img_size=np.int64(224)).img_size == (224, 224)


@pytest.mark.parametrize(
    "images, message",
    [
        (
            torch.zeros(1, 3, 224, 224, dtype=torch.uint8),
            r"expected floating-point images, got torch.uint8.*x.float\(\) / 255",
        ),
        (
            torch.zeros(1, 3, 224, 224, dtype=torch.float64),
            r"images are torch.float64 but the model's weights are torch.float32",
        ),
        (torch.zeros(1, 3, 0, 0), r"0x0 is not divisible by the patch size 4"),
    ],
)
def test_bad_image_types_are_explained(tiny, images, message):
    with pytest.raises(ValueError, match=message):
        tiny(images)


def test_cost_functions_refuse_nonsense():
    with pytest.raises(ValueError, match=r"h must be a positive integer, got -1"):
        swin_edu.complexity.msa_macs(-1, 2, 3)
    with pytest.raises(ValueError, match=r"M must be a positive integer, got 0"):
        swin_edu.complexity.wmsa_macs(56, 56, 96, 0)
    with torch.device("meta"):
        model = swin_edu.swin_t()
    for size, message in [
        (-224, r"img_size\[0\] must be a positive integer"),
        (224.0, "positive integer or a pair"),
        ((224, 224, 3), "positive integer or a pair"),
        (226, "not divisible by the patch size 4"),
    ]:
        with pytest.raises(ValueError, match=message):
            swin_edu.complexity.model_macs(model, size)


# ---- merge_neighbours: the one library home of patch merging's 2x2 gather ----


def split_neighbours(merged):
    """The inverse of merge_neighbours, written from the official order (x0 top-left, x1 bottom-left,
    x2 top-right, x3 bottom-right) with plain slicing assignments."""
    B, h, w, C4 = merged.shape
    C = C4 // 4
    x = merged.new_empty(B, 2 * h, 2 * w, C)
    x0, x1, x2, x3 = merged.split(C, dim=-1)
    x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2] = x0, x1, x2, x3
    return x


@given(B=st.integers(1, 2), h=st.integers(1, 4), w=st.integers(1, 4), C=st.integers(1, 5))
def test_merge_neighbours_round_trip(B, h, w, C):
    x = torch.randn(B, 2 * h, 2 * w, C)
    merged = swin_edu.swin.merge_neighbours(x)
    assert merged.shape == (B, h, w, 4 * C)
    assert torch.equal(split_neighbours(merged), x)
    assert torch.equal(swin_edu.swin.merge_neighbours(split_neighbours(merged)), merged)


def test_merge_neighbours_order_is_the_official_one():
    x = torch.arange(4 * 6).float().reshape(1, 4, 6, 1)  # token value = 6 * row + column
    merged = swin_edu.swin.merge_neighbours(x)
    # the group at output (1, 2) covers rows 2-3, columns 4-5: top-left, bottom-left, top-right, bottom-right
    assert merged[0, 1, 2].tolist() == [16.0, 22.0, 17.0, 23.0]


def test_patch_merging_uses_merge_neighbours_after_padding_odd_sides():
    merge = PatchMerging(3)
    x = torch.randn(2, 5, 7, 3)
    padded = F.pad(x, (0, 0, 0, 1, 0, 1))  # one zero row at the bottom, one zero column at the right
    expected = merge.reduction(merge.norm(swin_edu.swin.merge_neighbours(padded)))
    torch.testing.assert_close(merge(x), expected)
    assert merge(x).shape == (2, 3, 4, 6)


@pytest.mark.parametrize(
    "x, message",
    [
        (torch.randn(1, 5, 6, 2), r"H and W must be even, got a 5x6 map"),
        (torch.randn(5, 6, 2), r"\(B, H, W, C\)"),
    ],
)
def test_merge_neighbours_refuses_odd_or_wrong_maps(x, message):
    with pytest.raises(ValueError, match=message):
        swin_edu.swin.merge_neighbours(x)


# ---- meta_model: the one home of the meta-device model ----


@pytest.mark.parametrize("variant, window_size, img_size", [("swin_t", 7, 224), ("swin_b", 12, 384), ("swin_t", 7, 96)])
def test_meta_model_has_a_real_models_shapes(variant, window_size, img_size):
    meta = swin_edu.meta_model(variant, window_size, img_size)
    assert all(t.is_meta for t in meta.state_dict().values())
    if variant == "swin_b":  # a real Swin-B is 350 MB: compare with one built on the meta device by the builder
        with torch.device("meta"):
            real = swin_edu.swin_b(img_size=img_size, window_size=window_size)
    else:
        real = getattr(swin_edu, variant)(img_size=img_size, window_size=window_size)
    assert {k: v.shape for k, v in meta.state_dict().items()} == {k: v.shape for k, v in real.state_dict().items()}
    assert (meta.img_size, meta.window_size, meta.embed_dim) == (real.img_size, real.window_size, real.embed_dim)
    assert swin_edu.meta_model(variant, window_size, img_size) is meta  # cached
    if variant == "swin_t" and img_size == 96:  # the small stages are built for smaller windows, as in the real one
        assert meta.layers[3].blocks[0].window_size == real.layers[3].blocks[0].window_size == 3


def test_meta_model_refuses_an_unknown_variant():
    with pytest.raises(ValueError, match=r"variant must be one of \['swin_b', 'swin_l', 'swin_s', 'swin_t'\]"):
        swin_edu.meta_model("swin_xl")


# ---- bad ratios and rates, anywhere a size is taken from them ----


@pytest.mark.parametrize("ratio", [float("nan"), float("inf"), -4, 0, 0.0, True, "4", None])
def test_swin_refuses_a_bad_mlp_ratio(ratio):
    with pytest.raises(ValueError, match=r"mlp_ratio must be a positive number \(finite, not nan\)"):
        with torch.device("meta"):
            swin_edu.swin_t(mlp_ratio=ratio)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: swin_edu.swin_t(num_classes=-1), r"num_classes \(0: no head\) must be a non-negative integer"),
        (lambda: swin_edu.swin_t(drop_rate=float("nan")), r"0 <= drop_rate < 1, got nan"),
        (lambda: SwinBlock(8, 2, mlp_ratio=0.1), r"hidden width of int\(8 \* 0.1\) = 0"),
        (lambda: SwinBlock(8, 2, window_size=77), r"relative_position_index\(77\) would be .* GB"),
    ],
)
def test_more_bad_configurations_are_explained(build, message):
    with pytest.raises(ValueError, match=message):
        with torch.device("meta"):
            build()
