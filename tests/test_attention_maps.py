"""swin_edu.swin.attention_maps / SwinBlock.attention_weights (notebook 06's attention pictures) and the
notebook's figures: the weights are the block's own (they rebuild its output), windows are where the
partition puts them, and the figures draw what they are given."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from swin_edu import viz
from swin_edu.data import SyntheticWindowsTask
from swin_edu.swin import SwinTransformer, attention_maps
from swin_edu.train import History
from swin_edu.windows import shifted_partition


def small(seed=0, **kw) -> SwinTransformer:
    torch.manual_seed(seed)
    config = dict(img_size=16, patch_size=2, embed_dim=16, depths=(2, 2), num_heads=(2, 4), window_size=4,
                  num_classes=2, drop_path_rate=0.0)
    return SwinTransformer(**{**config, **kw}).eval()


def block_input(model, x, stage, block):
    seen = []
    handle = model.layers[stage].blocks[block].register_forward_pre_hook(lambda m, inp: seen.append(inp[0]))
    with torch.no_grad():
        model(x)
    handle.remove()
    return seen[0]


@pytest.mark.parametrize("img_size, stage, block", [(16, 0, 0), (16, 0, 1), (16, 1, 0), (20, 0, 1), (24, 0, 1)])
def test_the_weights_rebuild_the_blocks_output(img_size, stage, block):
    """Weights @ values, projected, plus the shortcut and the MLP, is the block's forward: the weights are
    exactly those the block used (padding, shift, mask and bias included)."""
    model = small(img_size=img_size)
    x = torch.randn(2, 3, img_size, img_size)
    weights = attention_maps(model, x, stage, block)  # (B, h, L, L)
    blk = model.layers[stage].blocks[block]
    z = block_input(model, x, stage, block)
    B, H, W, C = z.shape
    assert weights.shape == (B, blk.attn.num_heads, H * W, H * W)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, blk.attn.num_heads, H * W))
    with torch.no_grad():
        tokens = blk.norm1(z).reshape(B, H * W, C)
        v = blk.attn.qkv(tokens).view(B, H * W, 3, blk.attn.num_heads, -1)[:, :, 2].transpose(1, 2)  # (B, h, L, d)
        attended = blk.attn.proj((weights @ v).transpose(1, 2).reshape(B, H * W, C)).view(B, H, W, C)
        z_hat = z + attended
        torch.testing.assert_close(z_hat + blk.mlp(blk.norm2(z_hat)), blk(z), atol=1e-5, rtol=1e-5)


def test_regular_windows_keep_to_themselves_and_shifted_ones_cross_the_border():
    model = small()
    weights = attention_maps(model, torch.randn(1, 3, 16, 16), 0, 0)[0, 0]  # (64, 64), W-MSA
    window = (torch.arange(8)[:, None] // 4 * 2 + torch.arange(8)[None, :] // 4).flatten()
    assert torch.equal(weights > 0, window[:, None] == window[None, :])
    shifted = attention_maps(model, torch.randn(1, 3, 16, 16), 0, 1)[0, 0]  # SW-MSA
    pieces = shifted_partition(8, 8, 4, 2).flatten()  # the naive partition: one id per piece after the shift
    # masked pairs get exp(-100) of the weight, about 1e-44, as in the official code: not zero, but nothing
    assert torch.equal(shifted > 1e-30, pieces[:, None] == pieces[None, :])
    assert shifted[3 * 8 + 3, 3 * 8 + 4] > 0.001 and weights[3 * 8 + 3, 3 * 8 + 4] == 0  # tokens (3,3), (3,4)


def test_without_shift_the_second_block_keeps_to_regular_windows():
    model = small(shift=False)
    weights = attention_maps(model, torch.randn(1, 3, 16, 16), 0, 1)[0, 0]
    window = (torch.arange(8)[:, None] // 4 * 2 + torch.arange(8)[None, :] // 4).flatten()
    assert torch.equal(weights > 0, window[:, None] == window[None, :])


def test_attention_maps_leaves_the_model_as_it_was():
    model = small().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    attention_maps(model, torch.randn(1, 3, 16, 16), 1, 1)
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(not b._forward_pre_hooks for layer in model.layers for b in layer.blocks)


@pytest.mark.parametrize(
    "args, message",
    [((2, 0), "stage must be in \\[0, 1\\]"), ((0, 2), "block must be in \\[0, 1\\] for stage 0"), ((-1, 0), "stage")],
)
def test_bad_stage_or_block_names_the_range(args, message):
    with pytest.raises(ValueError, match=message):
        attention_maps(small(), torch.randn(1, 3, 16, 16), *args)
    with pytest.raises(ValueError, match="SwinTransformer"):
        attention_maps(torch.nn.Linear(2, 2), torch.randn(1, 2), 0, 0)


# ------------------------------------------------------------------------------------------------ figures


def test_task_figure_says_which_windows_hold_the_pair():
    task = SyntheticWindowsTask(4, seed=0, image_size=16)
    fig = viz.task_figure(task, [0, 1])
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    for ax, i in zip(fig.axes, [0, 1]):
        assert ax.get_title().startswith(f"#{i}: label {int(task.labels[i])}, ")
        assert ax.get_title().endswith("ringed pair: two windows, one shifted window")


def test_curves_figure_draws_one_line_per_run_and_bands_for_seeds():
    history = History(train_loss=[1.0, 0.5], val_accuracy=[0.5, 0.9])
    fig = viz.curves_figure({"live": history, "stored": dict(train_loss=[[1, 0.4], [1, 0.6]], val_accuracy=[[0.5, 0.8], [0.5, 1.0]])}, chance=0.5)
    loss_ax, acc_ax = fig.axes
    assert len(loss_ax.lines) == 2 and len(acc_ax.lines) == 3  # two runs (+ chance)
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), [0.5, 0.9])  # the mean over seeds
    assert len(acc_ax.collections) == 1  # one band: only the stored run has several seeds
    labels = [t.get_text() for t in acc_ax.get_legend().get_texts()]
    assert labels == ["live", "stored (2 seeds)", "chance (50%)"]


def test_ablation_figure_shows_ours_and_the_papers():
    rows = [dict(variant="w/o shifting", mean=0.6, low=0.55, high=0.62, seeds=3),
            dict(variant="shifted windows, rel. pos.", mean=0.9, low=0.8, high=0.95, seeds=3)]
    fig = viz.ablation_figure(rows, paper={"w/o shifting": 80.2, "shifted windows, rel. pos.": 81.3})
    ours, theirs = fig.axes
    assert [p.get_width() for p in ours.patches] == [0.6, 0.9]
    assert [p.get_width() for p in theirs.patches] == [80.2, 81.3]
    assert [t.get_text() for t in ours.get_yticklabels()] == ["w/o shifting", "shifted windows, rel. pos."]


def test_attention_figure_has_the_image_and_one_panel_per_map():
    fig = viz.attention_figure(torch.rand(3, 16, 16), {"W-MSA": (0, np.eye(8)), "SW-MSA": (2, np.ones((8, 8)))}, (3, 3), 2, 4)
    assert [ax.get_title() for ax in fig.axes] == ["input; query token (3, 3) boxed", "W-MSA", "SW-MSA"]
