"""The ablation switches of the paper's Table 4 on the real model (issue 10): each does exactly what it says.

* ``shift=False``: every block is W-MSA; no ``torch.roll`` in a forward, no stored mask;
* ``rel_pos_bias=False``: no bias table (nor index) anywhere, and no additive bias on the logits;
* ``abs_pos_embed=True``: one learned embedding, added once right after the patch embedding;
* the defaults are the model as before, and every switch survives ``to_official`` / ``load_official``.
"""

import itertools

import pytest
import torch
from helpers import randomize_
from torch.overrides import TorchFunctionMode

import swin_edu
from swin_edu.checkpoints import CheckpointError, load_official, to_official
from swin_edu.swin import SwinBlock, SwinStage, SwinTransformer, WindowAttention

SMALL = dict(
    img_size=32, patch_size=2, embed_dim=16, depths=(2, 2, 2), num_heads=(2, 2, 4), window_size=4,
    num_classes=5, drop_path_rate=0.0,
)  # maps 16x16, 8x8, 4x4: shifted blocks roll in stages 1 and 2, stage 3 is one window


def small(**switches) -> SwinTransformer:
    torch.manual_seed(0)
    return randomize_(SwinTransformer(**SMALL, **switches)).eval()


class CountCalls(TorchFunctionMode):
    """Counts the calls of one torch function (public ``torch.overrides`` API)."""

    def __init__(self, function):
        super().__init__()
        self.function, self.calls = function, 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is self.function:
            self.calls += 1
        return func(*args, **(kwargs or {}))


def rolls(model, x) -> int:
    with torch.no_grad(), CountCalls(torch.roll) as counter:
        model(x)
    return counter.calls


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def copy_weights(src, dst, zero=()):
    """dst gets src's weights where names match (extra keys of either side are skipped); names ending in
    one of ``zero`` are set to zero in dst."""
    state = dst.state_dict()
    with torch.no_grad():
        for k, v in src.state_dict().items():
            if k in state and state[k].shape == v.shape:
                state[k].copy_(v)
        for k in state:
            if zero and k.endswith(zero):
                state[k].zero_()
    return dst


# ------------------------------------------------------------------------------------------ defaults


def meta(builder=swin_edu.swin_t, **kwargs):
    """A model's structure without weights (fast to build: Swin-T's 28M parameters are never filled)."""
    with torch.device("meta"):
        return builder(**kwargs)


def test_defaults_are_the_paper_model_unchanged():
    model = meta()
    assert n_params(model) == 28_288_354
    keys = model.state_dict().keys()
    assert (model.shift, model.rel_pos_bias, model.abs_pos_embed) == (True, True, False)
    assert model.absolute_pos_embed is None and "absolute_pos_embed" not in keys
    assert sum(k.endswith("relative_position_bias_table") for k in keys) == 12
    assert sum(k.endswith("relative_position_index") for k in keys) == 12
    # shifted blocks: stages 1-3 store a mask (stage 4 is a single 7x7 window: no shift, no mask)
    assert sorted(k for k in keys if k.endswith("attn_mask")) == [
        "layers.0.blocks.1.attn_mask", "layers.1.blocks.1.attn_mask",
        "layers.2.blocks.1.attn_mask", "layers.2.blocks.3.attn_mask", "layers.2.blocks.5.attn_mask",
    ]
    explicit = meta(shift=True, rel_pos_bias=True, abs_pos_embed=False)
    assert list(explicit.state_dict()) == list(keys)
    assert [b.shift_size for layer in model.layers for b in layer.blocks] == [0, 3] * 6


@pytest.mark.parametrize("switch", ["shift", "rel_pos_bias", "abs_pos_embed"])
@pytest.mark.parametrize("bad", [1, 0, "yes", None])
def test_switches_must_be_booleans(switch, bad):
    with pytest.raises(ValueError, match=rf"{switch} is an on/off switch and must be True or False, got {bad!r}"):
        SwinTransformer(**SMALL, **{switch: bad})


# ------------------------------------------------------------------------------------------------ shift


def test_shift_off_never_rolls_and_stores_no_mask():
    x = torch.randn(2, 3, 32, 32)
    on, off = small(), small(shift=False)
    assert rolls(on, x) == 4  # two shifted blocks that roll (stages 1, 2), each rolls there and back
    assert rolls(off, x) == 0
    assert all(b.shift_size == 0 and b.attn_mask is None for layer in off.layers for b in layer.blocks)
    assert not any(k.endswith("attn_mask") for k in off.state_dict())
    assert n_params(off) == n_params(on)  # the shift has no parameters
    assert rolls(off, torch.randn(1, 3, 48, 40)) == 0  # nor at other sizes (with padding)


def test_shift_off_equals_a_model_whose_blocks_all_have_shift_size_0():
    x = torch.randn(2, 3, 32, 32)
    on = small()
    off = copy_weights(on, small(shift=False))
    with torch.no_grad():
        shifted = on(x)
        for layer in on.layers:
            for block in layer.blocks:
                block.shift_size = 0  # W-MSA everywhere by hand
        unshifted = on(x)
        assert torch.equal(off(x), unshifted)
    assert not torch.allclose(shifted, unshifted, atol=1e-4)  # the shift did matter in this model


def test_stage_without_shift_builds_only_w_msa_blocks():
    stage = SwinStage(16, depth=4, num_heads=2, window_size=4, input_resolution=(8, 8), shift=False)
    assert [b.shift_size for b in stage.blocks] == [0, 0, 0, 0]
    default = SwinStage(16, depth=4, num_heads=2, window_size=4, input_resolution=(8, 8))
    assert [b.shift_size for b in default.blocks] == [0, 2, 0, 2]


# ---------------------------------------------------------------------------------- relative position bias


def test_bias_off_has_no_table_and_no_index():
    on, off = small(), small(rel_pos_bias=False)
    names = [k for k, _ in off.named_parameters()] + [k for k, _ in off.named_buffers()]
    assert not any("relative_position" in k for k in names)
    assert not any("relative_position" in k for k in off.state_dict())
    tables = sum(p.numel() for k, p in on.named_parameters() if k.endswith("relative_position_bias_table"))
    assert tables == 2 * 49 * 2 + 2 * 49 * 2 + 2 * 49 * 4  # (2M-1)^2 rows x heads, per block
    assert n_params(off) == n_params(on) - tables
    attn = off.layers[0].blocks[0].attn
    assert attn.relative_position_bias_table is None and attn.relative_position_bias() is None
    assert "rel_pos_bias=False" in repr(attn)


@pytest.mark.parametrize("fused", [True, False])
def test_bias_off_equals_the_model_with_zero_tables(fused):
    x = torch.randn(2, 3, 32, 32)
    on = small()
    off = copy_weights(on, small(rel_pos_bias=False))
    zeroed = copy_weights(on, small(), zero=("relative_position_bias_table",))
    off.fused_attn = zeroed.fused_attn = on.fused_attn = fused
    with torch.no_grad():
        torch.testing.assert_close(off(x), zeroed(x), rtol=0, atol=1e-6)
        assert not torch.allclose(off(x), on(x), atol=1e-3)  # the (random) bias did matter


@pytest.mark.parametrize("mask", [False, True])
def test_bias_off_logits_are_plain_scaled_dot_products(mask):
    # the explicit path, by hand: softmax(Q K^T / sqrt(d) [+ mask]) V, no bias anywhere
    torch.manual_seed(1)
    attn = WindowAttention(8, 2, 4, fused_attn=False, rel_pos_bias=False).eval()
    windows = torch.randn(2 * 4, 16, 8)  # 2 images x 4 windows of 16 tokens
    m = torch.where(torch.rand(4, 16, 16) < 0.3, -100.0, 0.0) if mask else None
    q, k, v = attn.split_heads(windows)  # (8, 2, 16, 4)
    logits = q @ k.transpose(-2, -1) / 2.0  # sqrt(d) = 2
    if mask:
        logits = logits + m.repeat(2, 1, 1).unsqueeze(1)
    manual = attn.merge_heads(logits.softmax(-1) @ v).detach()  # (8, 16, 8)
    with torch.no_grad():
        ours = attn(windows, m)
        attn.fused_attn = True
        fused = attn(windows, m)
    torch.testing.assert_close(ours, manual, rtol=0, atol=1e-6)
    torch.testing.assert_close(fused, ours, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------- absolute position


def test_abs_on_adds_one_learned_embedding_of_the_official_shape():
    on, off = small(abs_pos_embed=True), small()
    tokens = (32 // 2) ** 2
    assert n_params(on) - n_params(off) == tokens * 16  # exactly H/p * W/p * C
    p = on.absolute_pos_embed
    assert isinstance(p, torch.nn.Parameter) and tuple(p.shape) == (1, tokens, 16)  # official (1, num_patches, C)
    assert on.state_dict()["absolute_pos_embed"].shape == (1, 256, 16)
    assert tuple(on.absolute_position_embedding().shape) == (1, 16, 16, 16)  # the map view (1, H/p, W/p, C)
    assert on.absolute_position_embedding().data_ptr() == p.data_ptr()  # a view, not a copy
    assert 0.015 < p.std().item() < 0.025 and abs(p.mean().item()) < 0.005  # trunc-normal, std 0.02
    assert off.absolute_position_embedding() is None


def test_abs_embedding_is_added_once_right_after_the_patch_embedding():
    x = torch.randn(2, 3, 32, 32)
    on = small(abs_pos_embed=True)
    with torch.no_grad():
        on.absolute_pos_embed.normal_()  # large, so a second addition anywhere would show
    seen = {}
    on.patch_embed.register_forward_hook(lambda m, i, out: seen.update(patch=out))
    on.layers[0].register_forward_pre_hook(lambda m, i: seen.update(stage=i[0]))
    with torch.no_grad():
        logits = on(x)
        E = on.absolute_pos_embed.view(1, 16, 16, 16)  # row-major tokens -> (1, H/p, W/p, C)
        assert torch.equal(seen["stage"], seen["patch"] + E)
        # and nowhere else: the rest is the model without the embedding, fed the same tokens
        off = copy_weights(on, small())
        h = seen["patch"] + E
        for layer in off.layers:
            out, h = layer(h)  # the stage's output, the next stage's input
        assert torch.equal(logits, off.forward_head(out))
        # an embedding of zeros is the model without it
        on.absolute_pos_embed.zero_()
        assert torch.equal(on(x), off(x))


def test_abs_on_refuses_other_image_sizes():
    model = small(abs_pos_embed=True)
    with pytest.raises(ValueError, match=r"absolute position embedding for \(32, 32\) images .* got a 48x32 image"):
        model(torch.randn(1, 3, 48, 32))


def test_abs_plus_rel_has_both():
    model = small(abs_pos_embed=True, rel_pos_bias=True)
    keys = model.state_dict().keys()
    assert "absolute_pos_embed" in keys and any(k.endswith("relative_position_bias_table") for k in keys)


# ------------------------------------------------------------------------------------- official layout


SWITCHES = [dict(shift=s, rel_pos_bias=r, abs_pos_embed=a) for s, r, a in itertools.product([True, False], repeat=3)]


@pytest.mark.parametrize("switches", SWITCHES, ids=lambda d: "-".join(f"{k}={int(v)}" for k, v in d.items()))
def test_official_round_trip_with_every_switch(switches, tmp_path):
    x = torch.randn(2, 3, 32, 32)
    model = small(**switches)
    if switches["abs_pos_embed"]:
        with torch.no_grad():
            model.absolute_pos_embed.normal_()
    path = tmp_path / "model.pth"
    checkpoint = to_official(model, path)
    assert list(checkpoint["model"]) == list(model.state_dict())
    torch.manual_seed(123)
    fresh = SwinTransformer(**SMALL, **switches).eval()
    load_official(fresh, path)
    with torch.no_grad():
        assert torch.equal(fresh(x), model(x))
    for k, v in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v), k


def test_a_checkpoint_of_other_switches_is_refused_by_name():
    checkpoint = to_official(small())
    with pytest.raises(CheckpointError, match="(?s)foreign keys.*relative_position_bias_table"):
        load_official(small(rel_pos_bias=False), checkpoint)
    with pytest.raises(CheckpointError, match="(?s)missing keys.*absolute_pos_embed"):
        load_official(small(abs_pos_embed=True), checkpoint)
    with pytest.raises(CheckpointError, match="(?s)foreign keys.*attn_mask"):
        load_official(small(shift=False), checkpoint)


def test_switches_pass_through_the_builders_and_blocks():
    model = meta(num_classes=10, shift=False, rel_pos_bias=False, abs_pos_embed=True)
    assert n_params(model) == n_params(meta(num_classes=10)) - sum(
        (2 * 7 - 1) ** 2 * h * d for h, d in zip((3, 6, 12, 24), (2, 2, 6, 2))
    ) + 56 * 56 * 96
    block = SwinBlock(16, 2, window_size=4, shift_size=2, input_resolution=(8, 8), rel_pos_bias=False)
    assert block.attn.relative_position_bias_table is None and block.attn_mask is not None
