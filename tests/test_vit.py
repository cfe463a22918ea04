import pytest
import torch
import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from swin_edu.vit import PatchEmbed, TransformerBlock, VisionTransformer, drop_path, patchify, unpatchify


def test_patch_embedding_is_a_linear_layer_on_flattened_patches():
    p, C = 4, 8
    embed = PatchEmbed(patch_size=p, in_chans=3, embed_dim=C)
    x = torch.randn(2, 3, 16, 12)
    # cut into patches by hand: (B, 3, H/p, p, W/p, p) -> (B, H/p, W/p, 3*p*p), in the conv's weight order
    patches = x.view(2, 3, 4, p, 3, p).permute(0, 2, 4, 1, 3, 5).reshape(2, 4, 3, 3 * p * p)
    linear = nn.Linear(3 * p * p, C)
    with torch.no_grad():
        linear.weight.copy_(embed.proj.weight.reshape(C, -1))
        linear.bias.copy_(embed.proj.bias)
    torch.testing.assert_close(embed(x), linear(patches), rtol=1e-5, atol=1e-5)


def test_vit_runs_and_classifies():
    vit = VisionTransformer()
    assert vit(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert vit.tokens(torch.randn(2, 3, 32, 32)).shape == (2, 1 + 64, 64)


def test_transformer_block_is_permutation_equivariant():
    block = TransformerBlock(16, 4).eval()
    x = torch.randn(2, 6, 16)
    perm = torch.tensor([3, 1, 5, 0, 2, 4])
    torch.testing.assert_close(block(x[:, perm]), block(x)[:, perm], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "shape, message",
    [
        ((3, 32, 32), r"shape \(B, 3, H, W\).*x\[None\]"),
        ((2, 1, 32, 32), r"expected 3 input channels"),
        ((2, 3, 30, 32), r"30x32 is not divisible by the patch size 4.*multiples of 4"),
    ],
)
def test_bad_images_are_explained(shape, message):
    with pytest.raises(ValueError, match=message):
        PatchEmbed(4, 3, 8)(torch.randn(*shape))


def test_vit_size_mismatch_is_explained():
    with pytest.raises(ValueError, match=r"built for 32x32 images"):
        VisionTransformer()(torch.randn(1, 3, 64, 64))


def test_mlp_in_chunks_equals_mlp_at_once():
    from swin_edu.vit import Mlp

    mlp = Mlp(8, 32)
    x = torch.randn(2, 5, 7, 8)  # 70 tokens
    at_once = mlp(x)
    mlp.chunk_tokens = 16  # 5 groups, the last one short
    torch.testing.assert_close(mlp(x), at_once, rtol=1e-6, atol=1e-6)
    assert mlp(x).shape == (2, 5, 7, 8)


# ---- patchify / unpatchify: the one library home of notebook 02's patch cutting ----


def test_patchify_equals_unfold_rearranged():
    images = torch.randn(2, 3, 12, 20)
    p = 4
    tokens = patchify(images, p)
    assert tokens.shape == (2, 15, 48)
    # F.unfold gives (B, c*p*p, N), each patch in (channel, row, column) order: bring it to (row, column, channel)
    unfolded = torch.nn.functional.unfold(images, kernel_size=p, stride=p)  # (B, c*p*p, N)
    unfolded = unfolded.reshape(2, 3, p, p, 15).permute(0, 4, 2, 3, 1).reshape(2, 15, p * p * 3)
    assert torch.equal(tokens, unfolded)
    # token k is the patch at grid row k // 5, column k % 5, pixels (row, column, channel)
    by_hand = images[1, :, 2 * p : 3 * p, 3 * p : 4 * p].permute(1, 2, 0).reshape(-1)
    assert torch.equal(tokens[1, 2 * 5 + 3], by_hand)


def test_a_linear_layer_on_patchify_is_patch_embed():
    p, C = 4, 8
    embed = PatchEmbed(patch_size=p, in_chans=3, embed_dim=C)
    x = torch.randn(2, 3, 16, 12)
    linear = nn.Linear(3 * p * p, C)
    with torch.no_grad():  # the conv's weight is (C, c, p, p): reorder it to patchify's (row, column, channel)
        linear.weight.copy_(embed.proj.weight.permute(0, 2, 3, 1).reshape(C, -1))
        linear.bias.copy_(embed.proj.bias)
    torch.testing.assert_close(embed(x).flatten(1, 2), linear(patchify(x, p)), rtol=1e-5, atol=1e-5)


@given(B=st.integers(1, 2), c=st.integers(1, 4), p=st.integers(1, 5), h=st.integers(1, 4), w=st.integers(1, 4))
def test_unpatchify_inverts_patchify(B, c, p, h, w):
    images = torch.randn(B, c, h * p, w * p)
    tokens = patchify(images, p)
    assert tokens.shape == (B, h * w, p * p * c)
    assert torch.equal(unpatchify(tokens, p, h * p, w * p), images)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: patchify(torch.randn(1, 3, 10, 12), 4), r"10x12 is not divisible by the patch size 4"),
        (lambda: patchify(torch.randn(3, 8, 8), 4), r"\(B, c, H, W\)"),
        (lambda: patchify(torch.randn(1, 3, 8, 8), 0), r"patch_size must be a positive integer, got 0"),
        (lambda: unpatchify(torch.randn(1, 5, 48), 4, 8, 8), r"N = 2x2 = 4 patches.*got tokens of shape \(1, 5, 48\)"),
        (lambda: unpatchify(torch.randn(1, 4, 47), 4, 8, 8), r"multiple of 16"),
        (lambda: unpatchify(torch.randn(1, 4, 48), 4, 8, 9), r"8x9 must be multiples of the patch size 4"),
    ],
)
def test_bad_patchify_arguments_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_patchify_refuses_what_is_not_a_tensor():
    with pytest.raises(TypeError, match=r"images must be a torch.Tensor.*got list"):
        patchify([[0.0]], 2)


# ---- drop_path: p in [0, 1], never NaN ----


def test_drop_path_with_p_1_drops_everything_without_nan():
    out = drop_path(torch.ones(4, 3), 1.0, True)
    assert torch.equal(out, torch.zeros(4, 3))
    assert torch.equal(drop_path(torch.ones(4, 3), 1.0, False), torch.ones(4, 3))  # identity at inference


@given(p=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_drop_path_zeroes_or_rescales_each_sample(p, seed):
    torch.manual_seed(seed)
    x = torch.randn(16, 3, 5)
    out = drop_path(x, p, True)
    assert not out.isnan().any()
    for sample, kept in zip(x, out):  # each sample is dropped (zeros) or kept and scaled by 1 / (1 - p)
        assert torch.equal(kept, torch.zeros_like(kept)) or torch.allclose(kept, sample / (1 - p))


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), float("inf"), True, "0.1", None])
def test_drop_path_refuses_a_rate_outside_0_1(p):
    with pytest.raises(ValueError, match=r"p must be a number with 0 <= p <= 1"):
        drop_path(torch.ones(2, 3), p, True)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(depth=-1), r"depth must be a positive integer, got -1"),
        (dict(depth=0), r"depth must be a positive integer, got 0"),
        (dict(num_classes=-1), r"num_classes \(0: no head\) must be a non-negative integer, got -1"),
        (dict(mlp_ratio=0), r"mlp_ratio must be a positive number \(finite, not nan\), got 0"),
        (dict(mlp_ratio=float("nan")), r"mlp_ratio must be a positive number.*got nan"),
        (dict(mlp_ratio=0.001), r"hidden width of int\(64 \* 0.001\) = 0"),
        (dict(patch_size=0), r"patch_size must be a positive integer, got 0"),
        (dict(patch_size=5), r"img_size=32 must be a multiple of patch_size=5"),
        (dict(num_heads=3), r"num_heads=3 does not divide the width dim=64"),
    ],
)
def test_bad_vit_configurations_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VisionTransformer(**kwargs)


def test_vit_without_head_returns_features():
    vit = VisionTransformer(num_classes=0)
    assert vit(torch.randn(2, 3, 32, 32)).shape == (2, 64)
