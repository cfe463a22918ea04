import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from swin_edu.attention import MultiHeadSelfAttention, scaled_dot_product_attention


@given(n_q=st.integers(1, 9), n_k=st.integers(1, 9), d=st.integers(1, 16), with_bias=st.booleans())
def test_explicit_attention_equals_pytorch(n_q, n_k, d, with_bias):
    q, k, v = torch.randn(2, 3, n_q, d), torch.randn(2, 3, n_k, d), torch.randn(2, 3, n_k, 5)
    bias = torch.randn(3, n_q, n_k) if with_bias else None
    out, weights = scaled_dot_product_attention(q, k, v, bias)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, n_q))
    assert weights.shape == (2, 3, n_q, n_k)


def test_weights_are_the_softmax_of_scaled_logits():
    q, k, v = torch.randn(4, 8), torch.randn(6, 8), torch.randn(6, 2)
    _, weights = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(weights, torch.softmax(q @ k.T / 8**0.5, dim=-1))


@pytest.mark.parametrize("fused", [True, False])
def test_msa_equals_nn_multihead_attention(fused):
    dim, heads = 24, 4
    msa = MultiHeadSelfAttention(dim, heads, fused_attn=fused)
    reference = nn.MultiheadAttention(dim, heads, batch_first=True)
    with torch.no_grad():  # nn.MultiheadAttention also stacks W_Q, W_K, W_V in one in_proj
        reference.in_proj_weight.copy_(msa.qkv.weight)
        reference.in_proj_bias.copy_(msa.qkv.bias)
        reference.out_proj.weight.copy_(msa.proj.weight)
        reference.out_proj.bias.copy_(msa.proj.bias)
    x = torch.randn(3, 10, dim)
    expected, _ = reference(x, x, x, need_weights=False)
    torch.testing.assert_close(msa(x), expected, rtol=1e-5, atol=1e-5)


def test_fused_equals_explicit():
    msa = MultiHeadSelfAttention(32, 4)
    x, bias = torch.randn(2, 7, 32), torch.randn(1, 4, 7, 7)
    fused = msa(x, bias)
    msa.fused_attn = False
    torch.testing.assert_close(msa(x, bias), fused, rtol=1e-5, atol=1e-5)


def test_self_attention_is_permutation_equivariant():
    msa = MultiHeadSelfAttention(16, 2)
    x = torch.randn(1, 9, 16)
    perm = torch.randperm(9)
    torch.testing.assert_close(msa(x[:, perm]), msa(x)[:, perm], rtol=1e-5, atol=1e-5)


def test_heads_must_divide_width():
    with pytest.raises(ValueError, match=r"num_heads=5 does not divide the width dim=96.*one of \[1, 2, 3, 4, 6, 8"):
        MultiHeadSelfAttention(96, 5)


def test_wrong_token_shape_is_explained():
    msa = MultiHeadSelfAttention(16, 2)
    with pytest.raises(ValueError, match=r"expected tokens of shape \(B, n, 16\).*got \(2, 5, 8\)"):
        msa(torch.randn(2, 5, 8))
    with pytest.raises(ValueError, match=r"same width d_k"):
        scaled_dot_product_attention(torch.randn(3, 4), torch.randn(3, 5), torch.randn(3, 5))


@pytest.mark.parametrize(
    "args, message",
    [
        (([[1.0]], torch.ones(2, 3), torch.ones(2, 3)), r"q must be a torch.Tensor of shape \(..., n, d\).*got list"),
        ((torch.ones(2, 3), torch.ones(3), torch.ones(2, 3)), r"k must be a torch.Tensor .*got shape \(3,\)"),
        ((torch.ones(2, 3), torch.ones(2, 3), None), r"v must be a torch.Tensor"),
        (
            (torch.ones(2, 3), torch.ones(2, 3), torch.ones(2, 3), 0.5),
            r"bias must be None or a torch.Tensor.*got float",
        ),
    ],
)
def test_what_is_not_a_tensor_is_explained(args, message):
    with pytest.raises(TypeError, match=message):
        scaled_dot_product_attention(*args)
