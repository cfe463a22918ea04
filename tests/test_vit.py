import pytest
import torch
import torch.nn as nn

from swin_edu.vit import PatchEmbed, TransformerBlock, VisionTransformer


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
