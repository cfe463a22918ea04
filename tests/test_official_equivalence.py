"""swin_edu equals an independent port of the official implementation (Hugging Face transformers,
which converts and runs the official Microsoft checkpoints), weight for weight and output for output."""

import pytest
import torch
from helpers import randomize_
from hf_reference import hf_swin_like
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import swin_edu
from swin_edu.swin import SwinTransformer


@pytest.mark.parametrize(
    "builder, img_size, input_size",
    [
        ("swin_t", 224, (224, 224)),  # the ImageNet model
        ("swin_t", 224, (224, 320)),  # stage 4 is 7x10: one window row, padded, no shift
        ("swin_t", 224, (256, 288)),  # every stage padded to multiples of 7, shifted masks on the padded maps
        ("swin_t", 224, (232, 200)),  # odd maps: patch merging pads a row or a column
        ("swin_s", 384, (384, 384)),  # window 12
    ],
)
def test_logits_equal_the_reference(builder, img_size, input_size):
    model = randomize_(getattr(swin_edu, builder)(img_size=img_size).eval())
    reference = hf_swin_like(model, input_size)
    x = torch.randn(2, 3, *input_size)
    with torch.no_grad():
        ours = model(x)
        theirs = reference(x).logits
        last_map = model.norm(model.stage_maps(x)[-1]).flatten(1, 2)
        their_last_map = reference.swin(x).last_hidden_state
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(last_map, their_last_map, rtol=1e-4, atol=1e-5)


@given(
    H=st.integers(32, 80).map(lambda n: 2 * n),
    W=st.integers(32, 80).map(lambda n: 2 * n),
    window=st.integers(2, 4),
)
@settings(max_examples=15)
def test_small_swins_equal_the_reference_at_any_size(H, W, window):
    # a small Swin (patch 2, 4 stages) whose last map is at least one window: any padding, any odd merge
    last_side = min(H, W) // 2
    for _ in range(3):
        last_side = (last_side + 1) // 2
    assume(last_side >= window)
    model = SwinTransformer(
        img_size=(H, W),
        patch_size=2,
        embed_dim=16,
        depths=(2, 2, 2, 2),
        num_heads=(1, 2, 2, 4),
        window_size=window,
        num_classes=7,
        drop_path_rate=0.0,
    ).eval()
    randomize_(model)
    reference = hf_swin_like(model, (H, W))
    x = torch.randn(1, 3, H, W)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x).logits, rtol=1e-4, atol=1e-5)
