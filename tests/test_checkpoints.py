import pytest
import torch

import swin_edu
from swin_edu.checkpoints import CheckpointError, load_official, to_official


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return swin_edu.swin_t().eval()


def test_keys_are_the_official_layout(tiny):
    keys = set(tiny.state_dict())
    for key in [
        "patch_embed.proj.weight",
        "patch_embed.norm.bias",
        "layers.0.blocks.0.attn.qkv.weight",
        "layers.0.blocks.0.attn.relative_position_bias_table",
        "layers.0.blocks.0.attn.relative_position_index",
        "layers.0.blocks.1.attn_mask",
        "layers.2.blocks.5.mlp.fc2.bias",
        "layers.2.downsample.reduction.weight",
        "layers.2.downsample.norm.weight",
        "norm.weight",
        "head.bias",
    ]:
        assert key in keys
    assert "layers.0.blocks.0.attn_mask" not in keys  # W-MSA blocks have no mask
    assert "layers.3.blocks.1.attn_mask" not in keys  # nor has stage 4 at 224: its 7x7 map is one window
    assert "layers.3.downsample.reduction.weight" not in keys
    assert tiny.state_dict()["layers.0.blocks.0.attn.relative_position_bias_table"].shape == (169, 3)


def test_round_trip_through_a_file(tiny, tmp_path):
    path = tmp_path / "swin_tiny_patch4_window7_224.pth"
    checkpoint = to_official(tiny, path)
    assert set(checkpoint) == {"model"}
    fresh = swin_edu.swin_t().eval()
    load_official(fresh, path)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(fresh(x), tiny(x))


def test_plain_state_dict_is_accepted(tiny):
    fresh = load_official(swin_edu.swin_t().eval(), to_official(tiny)["model"])
    assert torch.equal(fresh.head.weight, tiny.head.weight)


def test_foreign_missing_and_misshaped_keys_are_listed_together(tiny):
    state = to_official(tiny)["model"]
    state["backbone.norm0.weight"] = torch.ones(96)
    del state["layers.1.blocks.0.mlp.fc1.bias"]
    state["head.weight"] = torch.zeros(21841, 768)
    fresh = swin_edu.swin_t()
    before = fresh.head.weight.clone()
    with pytest.raises(CheckpointError) as error:
        load_official(fresh, {"model": state})
    message = str(error.value)
    assert "foreign keys, not in this model (1):\n    backbone.norm0.weight" in message
    assert "missing keys, which this model needs (1):\n    layers.1.blocks.0.mlp.fc1.bias" in message
    assert "head.weight: checkpoint (21841, 768), model (1000, 768)" in message
    assert "Allowed: exactly the keys of model.state_dict()" in message
    assert torch.equal(fresh.head.weight, before)  # nothing was loaded


def test_masks_from_another_geometry_are_refused(tiny):
    state = to_official(tiny)["model"]
    state["layers.0.blocks.1.attn_mask"] = torch.zeros_like(state["layers.0.blocks.1.attn_mask"])
    with pytest.raises(
        CheckpointError, match=r"another window size or resolution \(1\):\n    layers.0.blocks.1.attn_mask"
    ):
        load_official(swin_edu.swin_t(), state)


def test_a_checkpoint_for_another_resolution_names_the_masks(tiny):
    with pytest.raises(
        CheckpointError, match=r"layers.0.blocks.1.attn_mask: checkpoint \(64, 49, 49\), model \(64, 144, 144\)"
    ):
        load_official(swin_edu.swin_t(img_size=384), to_official(tiny))


def test_long_listings_are_cut(tiny):
    state = {f"foreign.{i}": torch.zeros(1) for i in range(30)}
    with pytest.raises(CheckpointError, match=r"(?s)foreign keys, not in this model \(30\).*and 18 more"):
        load_official(swin_edu.swin_t(), state)


def test_bad_sources_are_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint file at"):
        load_official(swin_edu.swin_t(), tmp_path / "missing.pth")
    with pytest.raises(CheckpointError, match="expected a path, a state dict"):
        load_official(swin_edu.swin_t(), 42)
    with pytest.raises(CheckpointError, match=r"not tensors.*\n.*epoch: int"):
        load_official(swin_edu.swin_t(), {"epoch": 300})


def test_a_wrapping_prefix_is_recognised(tiny):
    state = {f"backbone.{k}": v for k, v in to_official(tiny)["model"].items()}
    with pytest.raises(CheckpointError, match=r"every key carries the prefix 'backbone\.'"):
        load_official(swin_edu.swin_t(), state)


def test_geometry_buffers_may_be_left_out(tiny):
    state = {
        k: v for k, v in to_official(tiny)["model"].items() if not k.endswith(("attn_mask", "relative_position_index"))
    }
    fresh = load_official(swin_edu.swin_t().eval(), state)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(fresh(x), tiny(x))


class TrainingConfig:  # stands for the config object of a training checkpoint
    pass


def test_files_with_objects_are_refused_with_advice(tiny, tmp_path):
    path = tmp_path / "ckpt_epoch_299.pth"
    torch.save({"model": to_official(tiny)["model"], "config": TrainingConfig()}, path)
    with pytest.raises(CheckpointError, match=r"holds more than tensors.*weights_only=False\)\['model'\]"):
        load_official(swin_edu.swin_t(), path)
