"""The check functions of notebook 01 accept right answers and name the typical wrong ones."""

import math

import numpy as np
import pytest
import torch

from swin_edu.complexity import msa_macs
from swin_edu.exercises.attention import check_attention, check_msa, check_msa_macs, check_split_heads
from tests.helpers import VALUES, stub, verdict

# ---------------------------------------------------------------------------------------------- helpers


def crashes(*args):
    raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")


# ---------------------------------------------------------------------------------------------- attention


def attention(q, k, v):
    weights = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(dim=-1)  # (..., n_q, n_k)
    return weights @ v, weights


def attention_unscaled(q, k, v):
    weights = (q @ k.transpose(-2, -1)).softmax(dim=-1)
    return weights @ v, weights


def attention_over_d_k(q, k, v):
    weights = (q @ k.transpose(-2, -1) / q.shape[-1]).softmax(dim=-1)
    return weights @ v, weights


def attention_softmax_over_queries(q, k, v):
    weights = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(dim=-2)
    return weights @ v, weights


def attention_without_softmax(q, k, v):
    weights = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    return weights @ v, weights


def attention_weighting_queries(q, k, v):
    out, weights = attention(q, k, v)
    return weights @ q, weights  # the values are v, not q


def attention_only_out(q, k, v):
    return attention(q, k, v)[0]


def test_attention_accepts_a_right_answer(capsys):
    verdict(capsys, check_attention(attention), True, "matches swin_edu.attention")


def test_attention_accepts_the_library_and_keeps_the_seed(capsys):
    from swin_edu.attention import scaled_dot_product_attention

    torch.manual_seed(0)
    result = check_attention(scaled_dot_product_attention)
    after_check = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(after_check, torch.rand(3)), "a check must not move the notebook's random state"
    verdict(capsys, result, True)


@pytest.mark.parametrize(
    "answer, phrases",
    [
        (stub, ["returns nothing yet"]),
        (crashes, ["raised RuntimeError: mat1 and mat2", "q (2, 5, 8)"]),
        (attention_only_out, ["should return a pair (out, weights)", "Tensor"]),
        (attention_unscaled, ["you forgot to divide by sqrt(d_k)", "1 / sqrt(8)"]),
        (attention_over_d_k, ["you divided the logits by d_k = 8"]),
        (attention_softmax_over_queries, ["do not sum to 1 over the keys", "over the queries instead"]),
        (attention_without_softmax, ["do not sum to 1 over the keys", "softmax"]),
        (attention_weighting_queries, ["out has shape (2, 5, 8), expected (2, 5, 16)", "v's width d_v"]),
    ],
)
def test_attention_rejects_typical_mistakes(capsys, answer, phrases):
    verdict(capsys, check_attention(answer), False, *phrases)


def test_attention_catches_a_transpose_that_only_square_inputs_hide(capsys):
    def transposed_keys(q, k, v):
        weights = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(dim=-1)
        return weights.transpose(-2, -1) @ v if weights.shape[-1] == weights.shape[-2] else weights @ v, weights

    verdict(capsys, check_attention(transposed_keys), False, "out has the right shape", VALUES)


# ---------------------------------------------------------------------------------------------- split heads


def split_heads(x, num_heads):
    B, N, C = x.shape
    return x.view(B, N, num_heads, C // num_heads).transpose(1, 2)  # (B, h, N, d)


def test_split_heads_accepts_a_right_answer(capsys):
    verdict(capsys, check_split_heads(split_heads), True, "(B, h, N, C/h)")


@pytest.mark.parametrize(
    "answer, phrases",
    [
        (stub, ["returns nothing yet"]),
        (crashes, ["raised RuntimeError"]),
        (lambda x, h: x.view(x.shape[0], x.shape[1], h, -1), ["(B, N, h, d)", "transpose(1, 2)"]),
        (lambda x, h: x.reshape(x.shape[0], h, x.shape[1], -1), ["straight to (B, h, N, d)", "(B, N, h, d) first"]),
        (lambda x, h: x.view(x.shape[0], x.shape[1], -1, h).permute(0, 3, 1, 2), ["channels i*d"]),
        (lambda x, h: x, ["shape (2, 5, 12), expected (2, 3, 5, 4)"]),
    ],
)
def test_split_heads_rejects_typical_mistakes(capsys, answer, phrases):
    verdict(capsys, check_split_heads(answer), False, *phrases)


# ---------------------------------------------------------------------------------------------- MSA


def msa(x, w_qkv, b_qkv, w_o, b_o, num_heads, scale_by_head=True, project=True, heads_used=None):
    B, N, C = x.shape
    h = heads_used or num_heads
    d = C // h
    q, k, v = (x @ w_qkv.T + b_qkv).chunk(3, dim=-1)  # 3 x (B, N, C)
    q, k, v = (t.view(B, N, h, d).transpose(1, 2) for t in (q, k, v))  # 3 x (B, h, N, d)
    scale = d if scale_by_head else C
    out = ((q @ k.transpose(-2, -1)) / math.sqrt(scale)).softmax(-1) @ v  # (B, h, N, d)
    out = out.transpose(1, 2).reshape(B, N, C)  # (B, N, C)
    return out @ w_o.T + b_o if project else out


def test_msa_accepts_a_right_answer_and_the_library(capsys):
    verdict(capsys, check_msa(msa), True, "torch.nn.MultiheadAttention")

    from swin_edu.attention import MultiHeadSelfAttention

    def library(x, w_qkv, b_qkv, w_o, b_o, num_heads):
        layer = MultiHeadSelfAttention(x.shape[-1], num_heads)
        layer.load_state_dict({"qkv.weight": w_qkv, "qkv.bias": b_qkv, "proj.weight": w_o, "proj.bias": b_o})
        return layer(x)

    verdict(capsys, check_msa(library), True)


@pytest.mark.parametrize(
    "answer, phrases",
    [
        (stub, ["returns nothing yet"]),
        (crashes, ["raised RuntimeError", "num_heads=4"]),
        (lambda *a: msa(*a, project=False), ["forgot the output projection"]),
        (lambda *a: msa(*a, heads_used=1), ["one head of width C = 16", "4 heads"]),
        (lambda *a: msa(*a, scale_by_head=False), ["scaled by 1 / sqrt(C)", "C / num_heads = 4"]),
        (lambda x, *a: msa(x, *a)[:, :1], ["shape (2, 1, 16), expected (2, 5, 16)"]),
        (lambda x, *a: msa(x, *a).transpose(0, 1), ["shape (5, 2, 16)"]),
    ],
)
def test_msa_rejects_typical_mistakes(capsys, answer, phrases):
    verdict(capsys, check_msa(answer), False, *phrases)


def test_msa_names_a_missing_scale(capsys):
    def unscaled(x, w_qkv, b_qkv, w_o, b_o, num_heads):
        B, N, C = x.shape
        q, k, v = (x @ w_qkv.T + b_qkv).view(B, N, 3, num_heads, -1).permute(2, 0, 3, 1, 4)
        out = (q @ k.transpose(-2, -1)).softmax(-1) @ v
        return out.transpose(1, 2).reshape(B, N, C) @ w_o.T + b_o

    verdict(capsys, check_msa(unscaled), False, "forgot to divide the logits by sqrt(d_k)")


# ---------------------------------------------------------------------------------------------- MACs


def test_msa_macs_keeps_the_random_state(capsys):
    torch.manual_seed(0)
    result = check_msa_macs(lambda n, C: msa_macs(n, 1, C))
    after_check = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(after_check, torch.rand(3)), "building the counted modules must not move the seed"
    verdict(capsys, result, True)


def test_msa_macs_accepts_the_formula_as_int_float_or_tensor(capsys):
    verdict(capsys, check_msa_macs(lambda n, C: 4 * n * C**2 + 2 * n**2 * C), True, "flop_counter")
    verdict(capsys, check_msa_macs(lambda n, C: float(msa_macs(n, 1, C))), True)
    verdict(capsys, check_msa_macs(lambda n, C: torch.tensor(msa_macs(n, 1, C))), True)
    verdict(capsys, check_msa_macs(lambda n, C: np.int64(msa_macs(n, 1, C))), True)


@pytest.mark.parametrize(
    "answer, phrases",
    [
        (stub, ["returns nothing yet"]),
        (crashes, ["raised RuntimeError", "n=5, C=16"]),
        (lambda n, C: "a lot", ["should be a number, got str"]),
        (
            lambda n, C: 3 * n * C**2 + 2 * n**2 * C,
            ["(5, 16) = 4,640, but the counted MACs are 5,920", "output projection"],
        ),
        (lambda n, C: 4 * n * C**2 + n**2 * C, ["2n²C"]),
        (lambda n, C: 4 * n * C**2, ["left out the attention products"]),
        (lambda n, C: 2 * n**2 * C, ["left out the four projections"]),
        (lambda n, C: 2 * (4 * n * C**2 + 2 * n**2 * C), ["counted FLOPs"]),
        (lambda n, C: 4 * n * C**2 + 2 * n**2 * C if n < 10 else 0, ["my_wrong(49, 8) = 0"]),
    ],
)
def test_msa_macs_rejects_typical_mistakes(capsys, answer, phrases):
    answer.__name__ = "my_wrong" if answer.__name__ == "<lambda>" else answer.__name__
    verdict(capsys, check_msa_macs(answer), False, *phrases)
