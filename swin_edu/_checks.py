"""Small input checks shared by the modules, so that every error names what was wrong and what is allowed."""

from __future__ import annotations

import math
import numbers
import operator

import torch


def _as_int(value) -> int | None:
    """``value`` as a Python int if it is an integer (numpy integers included, bools and floats not)."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def check_positive_int(name: str, value) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise a ``ValueError``."""
    number = _as_int(value)
    if number is None or number < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return number


def check_count(name: str, value) -> int:
    """Return ``value`` as an int if it is a non-negative integer (0 allowed), else raise a ``ValueError``."""
    number = _as_int(value)
    if number is None or number < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return number


def check_ratio(name: str, value) -> float:
    """Return ``value`` as a float if it is a positive, finite real number (a width ratio such as
    ``mlp_ratio``), else raise a ``ValueError``: nan, inf, 0, negative numbers and bools are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number (finite, not nan), got {value!r}")
    return float(value)


def check_hidden_width(dim: int, mlp_ratio) -> int:
    """The MLP's hidden width ``int(dim * mlp_ratio)``: the one place it is computed (ViT and Swin blocks,
    MAC counts), after checking that ``mlp_ratio`` is a positive number giving at least one channel."""
    dim = check_positive_int("dim", dim)
    ratio = check_ratio("mlp_ratio", mlp_ratio)
    hidden = int(dim * ratio)
    if hidden < 1:
        raise ValueError(
            f"mlp_ratio={mlp_ratio!r} gives the MLP a hidden width of int({dim} * {mlp_ratio!r}) = {hidden}; "
            f"it must be at least 1 channel, so mlp_ratio must be at least {1 / dim:.3g} (ViT and Swin use 4)"
        )
    return hidden


def check_pair(name: str, value) -> tuple[int, int]:
    """A size given as one positive integer or a pair ``(height, width)``, as a pair of ints."""
    if _as_int(value) is not None:
        value = (value, value)
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name} must be a positive integer or a pair (height, width) of them, got {value!r}")
    return check_positive_int(f"{name}[0]", value[0]), check_positive_int(f"{name}[1]", value[1])


def check_probability(name: str, value, allow_one: bool = False) -> float:
    """Check that ``value`` is a number in ``[0, 1)`` (``[0, 1]`` with ``allow_one``), as dropout and
    drop-path rates must be; nan is refused."""
    is_number = not isinstance(value, bool) and isinstance(value, numbers.Real)
    inside = is_number and (0.0 <= value <= 1.0 if allow_one else 0.0 <= value < 1.0)  # False for nan
    if not inside:
        bound = "<= 1" if allow_one else "< 1"
        raise ValueError(f"{name} must be a number with 0 <= {name} {bound}, got {value!r}")
    return float(value)


def check_map(x: torch.Tensor, name: str = "x", channels: int | None = None) -> None:
    """Check that ``x`` is a channels-last feature map ``(B, H, W, C)``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (B, H, W, C), got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(
            f"{name} must be a channels-last map of shape (B, H, W, C) (4 dimensions), got shape {tuple(x.shape)}"
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
    if _as_int(shift_size) is None or not 0 <= shift_size < window_size:
        raise ValueError(
            f"shift_size must be an integer with 0 <= shift_size < window_size={window_size}, "
            f"got {shift_size!r} (Swin uses 0 and window_size // 2 = {window_size // 2})"
        )
    return int(shift_size)
