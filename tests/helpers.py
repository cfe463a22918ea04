"""Shared test helpers."""

import torch
import torch.nn as nn


@torch.no_grad()
def randomize_(model: nn.Module) -> nn.Module:
    """Give every LayerNorm and relative position bias table random values.

    Freshly built models have LayerNorm weights 1 and biases 0 and small bias tables, and some mistakes
    (padding before the LayerNorm instead of after, say) only show with other values.
    """
    for module in model.modules():
        if isinstance(module, nn.LayerNorm):
            module.weight.normal_(1.0, 0.3)
            module.bias.normal_(0.0, 0.5)
    for name, param in model.named_parameters():
        if name.endswith("relative_position_bias_table"):
            param.normal_(0.0, 1.0)
    return model
