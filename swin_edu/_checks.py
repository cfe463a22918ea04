"""Small input checks shared by the modules, so that every error names what was wrong and what is allowed."""

from __future__ import annotations

import torch


def check_positive_int(name: str, value) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise a ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def check_map(x: torch.Tensor, name: str = "x", channels: int | None = None) -> None:
    """Check that ``x`` is a channels-last feature map ``(B, H, W, C)``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (B, H, W, C), got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(
            f"{name} must be a channels-last map of shape (B, H, W, C) (4 dimensions), "
            f"got shape {tuple(x.shape)}"
        )
    if channels is not None and x.shape[-1] != channels:
        raise ValueError(
            f"{name} has {x.shape[-1]} channels in its last dimension; this layer takes {channels} "
            f"(shape must be (B, H, W, {channels}), got {tuple(x.shape)})"
        )


def check_heads(dim: int, num_heads: int) -> None:
    """Check that ``num_heads`` divides the width ``dim``."""
    check_positive_int("dim", dim)
    check_positive_int("num_heads", num_heads)
    if dim % num_heads:
        divisors = [h for h in range(1, dim + 1) if dim % h == 0]
        raise ValueError(
            f"num_heads={num_heads} does not divide the width dim={dim}; "
            f"each head gets dim/num_heads channels, so num_heads must be one of {divisors}"
        )


def check_shift(window_size: int, shift_size) -> int:
    """Check that ``0 <= shift_size < window_size``."""
    if isinstance(shift_size, bool) or not isinstance(shift_size, int) or not 0 <= shift_size < window_size:
        raise ValueError(
            f"shift_size must be an integer with 0 <= shift_size < window_size={window_size}, "
            f"got {shift_size!r} (Swin uses 0 and window_size // 2 = {window_size // 2})"
        )
    return shift_size
