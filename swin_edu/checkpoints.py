"""Import and export of the official Microsoft checkpoint layout.

An official checkpoint file (e.g. ``swin_tiny_patch4_window7_224.pth``) holds ``{"model": state_dict}``
with keys such as ``layers.0.blocks.1.attn.qkv.weight``; the relative position index of every block
and the attention mask of every shifted block are saved too, as buffers. The models of
:mod:`swin_edu.swin` use exactly these names, so loading is a check of every key and shape followed
by ``load_state_dict``. Saved geometry buffers must hold the values this model computes (a mask or
index from another window size or resolution is refused, not silently used); a checkpoint without them
(the official fine-tuning code deletes them) is accepted, since the model computes its own.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping

import torch
import torch.nn as nn

__all__ = ["CheckpointError", "load_official", "to_official", "read_state_dict"]

#: buffers whose values are geometry, recomputed by the model; a checkpoint's copy must agree
GEOMETRY_BUFFERS = ("relative_position_index", "attn_mask")


class CheckpointError(ValueError):
    """A checkpoint does not fit the model: lists every foreign, missing or mis-shaped entry."""


def _listing(title: str, items: list[str], limit: int = 12) -> str:
    shown = "\n".join(f"    {item}" for item in items[:limit])
    more = f"\n    ... and {len(items) - limit} more" if len(items) > limit else ""
    return f"  {title} ({len(items)}):\n{shown}{more}"


def _common_prefix(foreign: list[str], missing: set[str]) -> str | None:
    """The prefix (such as ``module.`` or ``backbone.``) whose removal turns the foreign keys into the
    missing ones, if there is one."""
    if not foreign or not missing:
        return None
    prefix = foreign[0].split(".", 1)[0] + "."
    stripped = {k[len(prefix) :] for k in foreign if k.startswith(prefix)}
    return prefix if missing <= stripped else None


def read_state_dict(src) -> dict[str, torch.Tensor]:
    """A state dict from a path (read with ``torch.load(weights_only=True)``) or a mapping; the
    official ``{"model": state_dict}`` wrapper is unwrapped."""
    if isinstance(src, (str, os.PathLike)):
        if not os.path.exists(src):
            raise FileNotFoundError(f"no checkpoint file at {os.fspath(src)!r}")
        try:
            src = torch.load(src, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as error:
            raise CheckpointError(
                f"{os.fspath(src)!r} holds more than tensors (for example a training run's config object), "
                "so torch.load(weights_only=True) refuses to unpickle it. If you trust the file, extract the "
                "weights with torch.load(path, weights_only=False)['model'] and pass that state dict instead."
            ) from error
    if not isinstance(src, Mapping):
        raise CheckpointError(
            f"expected a path, a state dict or an official checkpoint {{'model': state_dict}}, got {type(src).__name__}"
        )
    if "model" in src and isinstance(src["model"], Mapping):
        src = src["model"]
    not_tensors = [k for k, v in src.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise CheckpointError(
            "a state dict maps names to tensors; these entries are not tensors:\n"
            + _listing("not tensors", [f"{k}: {type(src[k]).__name__}" for k in not_tensors])
        )
    return dict(src)


def load_official(model: nn.Module, src) -> nn.Module:
    """Load an official-layout checkpoint into ``model`` and return the model.

    Args:
        model: a :class:`~swin_edu.swin.SwinTransformer` (e.g. ``swin_edu.swin_t()``).
        src: a path to a ``.pth`` file, a state dict, or ``{"model": state_dict}``.

    Raises:
        CheckpointError: listing every key the model does not have (foreign), every key it needs
            that is missing, every tensor of the wrong shape, and every geometry buffer whose values
            differ from what the model computes; nothing is loaded then.
    """
    state = read_state_dict(src)
    expected = model.state_dict()
    foreign = sorted(k for k in state if k not in expected)
    # geometry buffers may be left out (the official fine-tuning code deletes them): the model has its own
    missing = sorted(k for k in expected if k not in state and k.rsplit(".", 1)[-1] not in GEOMETRY_BUFFERS)
    wrong_shape = sorted(
        f"{k}: checkpoint {tuple(state[k].shape)}, model {tuple(expected[k].shape)}"
        for k in state
        if k in expected and state[k].shape != expected[k].shape
    )
    wrong_geometry = sorted(
        k
        for k in state
        if k in expected
        and k.rsplit(".", 1)[-1] in GEOMETRY_BUFFERS
        and state[k].shape == expected[k].shape
        and not torch.equal(state[k].cpu().to(expected[k].dtype), expected[k].cpu())
    )
    if foreign or missing or wrong_shape or wrong_geometry:
        sections = []
        if foreign:
            sections.append(_listing("foreign keys, not in this model", foreign))
        if missing:
            sections.append(_listing("missing keys, which this model needs", missing))
        if wrong_shape:
            sections.append(_listing("wrong shapes", wrong_shape))
        if wrong_geometry:
            sections.append(_listing("buffers from another window size or resolution", wrong_geometry))
        prefix = _common_prefix(foreign, set(missing))
        if prefix:
            sections.append(f"  every key carries the prefix {prefix!r}: strip it, e.g. {{k[{len(prefix)}:]: v ...}}")
        name = type(model).__name__
        raise CheckpointError(
            f"the checkpoint does not fit this {name}:\n" + "\n".join(sections) + "\n"
            "Allowed: exactly the keys of model.state_dict() (the official layout, e.g. "
            "'layers.0.blocks.0.attn.qkv.weight'), with the same shapes. Build the model that matches "
            "the checkpoint (variant, num_classes, img_size, window_size)."
        )
    model.load_state_dict(state, strict=False)  # every key was checked above
    return model


def to_official(model: nn.Module, path: str | os.PathLike | None = None) -> dict[str, dict[str, torch.Tensor]]:
    """The model's weights in the official layout, ``{"model": state_dict}`` with buffers included,
    on the CPU; saved with ``torch.save`` to ``path`` if one is given."""
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    checkpoint = {"model": state}
    if path is not None:
        torch.save(checkpoint, path)
    return checkpoint
