"""Hugging Face ``transformers``' Swin as an independent reference implementation.

``transformers`` ports the official Microsoft code and its checkpoints; its module names differ, so the
official-layout weights of a ``swin_edu`` model are renamed here and copied over. Used only by tests.
"""

from __future__ import annotations

import re

import torch
from peers import prepare_transformers

prepare_transformers()  # transformers imports torchvision when installed; see tests/peers.py
from transformers import SwinConfig, SwinForImageClassification  # noqa: E402

# official layout -> transformers' names (qkv is split in three)
_RENAMES = [
    (r"^patch_embed\.proj\.", "swin.embeddings.patch_embeddings.projection."),
    (r"^patch_embed\.norm\.", "swin.embeddings.norm."),
    (r"^layers\.(\d+)\.blocks\.(\d+)\.norm1\.", r"swin.encoder.layers.\1.blocks.\2.layernorm_before."),
    (r"^layers\.(\d+)\.blocks\.(\d+)\.norm2\.", r"swin.encoder.layers.\1.blocks.\2.layernorm_after."),
    (r"^layers\.(\d+)\.blocks\.(\d+)\.attn\.proj\.", r"swin.encoder.layers.\1.blocks.\2.attention.o_proj."),
    (
        r"^layers\.(\d+)\.blocks\.(\d+)\.attn\.relative_position_bias_table$",
        r"swin.encoder.layers.\1.blocks.\2.attention.relative_position_bias.relative_position_bias_table",
    ),
    (r"^layers\.(\d+)\.blocks\.(\d+)\.mlp\.", r"swin.encoder.layers.\1.blocks.\2.mlp."),
    (r"^layers\.(\d+)\.downsample\.", r"swin.encoder.layers.\1.downsample."),
    (r"^norm\.", "swin.layernorm."),
    (r"^head\.", "classifier."),
]


def hf_swin_like(model, image_size) -> torch.nn.Module:
    """A ``transformers`` SwinForImageClassification with the same configuration and weights as ``model``."""

    config = SwinConfig(
        image_size=image_size,
        patch_size=model.patch_size,
        embed_dim=model.embed_dim,
        depths=list(model.depths),
        num_heads=list(model.num_heads),
        window_size=model.window_size,
        mlp_ratio=model.mlp_ratio,
        drop_path_rate=0.0,
        num_labels=model.num_classes,
    )
    reference = SwinForImageClassification(config).eval()
    state = {}
    for key, value in model.state_dict().items():
        if key.endswith(("relative_position_index", "attn_mask")):
            continue  # geometry: transformers recomputes it
        qkv = re.match(r"^layers\.(\d+)\.blocks\.(\d+)\.attn\.qkv\.(weight|bias)$", key)
        if qkv:
            i, j, kind = qkv.groups()
            for name, part in zip(("q_proj", "k_proj", "v_proj"), value.chunk(3, dim=0)):
                state[f"swin.encoder.layers.{i}.blocks.{j}.attention.{name}.{kind}"] = part
            continue
        for pattern, replacement in _RENAMES:
            if re.match(pattern, key):
                state[re.sub(pattern, replacement, key)] = value
                break
        else:
            raise KeyError(f"no transformers name for {key}")
    reference.load_state_dict(state, strict=True)
    return reference
