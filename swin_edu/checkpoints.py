"""Import and export of the official Microsoft checkpoint layout.

An official checkpoint file (e.g. ``swin_tiny_patch4_window7_224.pth``) holds ``{"model": state_dict}``
with keys such as ``layers.0.blocks.1.attn.qkv.weight``; the relative position index of every block
and the attention mask of every shifted block are saved too, as buffers. The models of
:mod:`swin_edu.swin` use exactly these names, so loading is a check of every key and shape followed
by ``load_state_dict``. Saved geometry buffers must hold the values this model computes (a mask or
index from another window size or resolution is refused, not silently used); a checkpoint without them
(the official fine-tuning code deletes them) is accepted, since the model computes its own.

Loading is all or nothing. Every key, shape and kind of tensor is checked first (dense tensors with
values, floating point where the model holds floating point, integers where it holds integers), then
every tensor is copied into a staging copy of the model's state, and only when all of them went in is
the staging state committed to the model. Any failure raises a :class:`CheckpointError` and leaves every
parameter and buffer as it was. A file that is not a checkpoint (a text file, an empty or truncated
file, a zip archive of something else, a plain pickle, a directory) is named for what it is; files are
read with ``torch.load(weights_only=True)``, which never runs code stored in a file.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from collections.abc import Mapping

import torch
import torch.nn as nn

__all__ = ["CheckpointError", "CheckpointNotFound", "load_official", "to_official", "read_state_dict"]

#: buffers whose values are geometry, recomputed by the model; a checkpoint's copy must agree
GEOMETRY_BUFFERS = ("relative_position_index", "attn_mask")


class CheckpointError(ValueError):
    """A checkpoint does not fit the model, or is not a checkpoint: says what was found and what is expected."""


class CheckpointNotFound(CheckpointError, FileNotFoundError):
    """No file at the checkpoint's path (also a ``FileNotFoundError``)."""


#: What a checkpoint file should be, for the messages.
EXPECTED_FILE = (
    "expected a checkpoint file written by torch.save, such as the official swin_tiny_patch4_window7_224.pth "
    "(a zip archive holding data.pkl and the tensors, with {'model': state_dict} inside)"
)

#: The first bytes of torch.save's legacy (non-zip) format: a pickled magic number.
_LEGACY_MAGIC = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8"


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


def _describe_bytes(head: bytes, size: int) -> str:
    """What a file that is neither a zip archive nor a pickle looks like, from its first bytes."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:  # (a multi-byte character cut at the 64th byte counts as binary: rare)
        text = "\x00"
    if not all(c.isprintable() or c in "\t\n\r" for c in text):
        return f"a binary file of {size:,} bytes that is not a checkpoint (it starts with bytes {head[:8].hex(' ')})"
    first = text.strip().splitlines()[0][:60] if text.strip() else ""
    if text.startswith("version https://git-lfs"):
        return "a Git LFS pointer, not the weights themselves (run `git lfs pull` to fetch them)"
    if text.lstrip().lower().startswith(("<!doctype html", "<html")):
        return "an HTML page (often a download that went to a login or error page), not a checkpoint"
    return f"a text file of {size:,} bytes (it starts with {first!r}), not a checkpoint"


def _zip_problem(path: str, size: int) -> str | None:
    """None if ``path`` is a zip archive written by torch.save, else what is wrong with it."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return (
            f"a damaged or truncated zip archive of {size:,} bytes "
            "(torch.save writes zip archives: download or save it again)"
        )
    if not any(name.endswith("/data.pkl") or name == "data.pkl" for name in names):
        shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
        files = f"{len(names)} file" + ("" if len(names) == 1 else "s")
        return f"a zip archive of {files} ({shown or 'empty'}) that torch.save did not write (it has no data.pkl)"
    return None


def _unpickler_reason(message: str) -> str | None:
    """What torch's weights-only unpickler refused (for example ``Unsupported global: GLOBAL
    __main__.TrainingConfig``), read from its error message; None if the message does not say."""
    _, found, rest = message.partition("WeightsUnpickler error:")
    lines = [line.strip() for line in rest.splitlines() if line.strip()]
    if not found or not lines:
        return None
    return lines[0].split(" was not an allowed global")[0][:160]


def _load_file(path: str):
    """``torch.load(path, weights_only=True)``, with every way a file can fail to be a checkpoint turned
    into a :class:`CheckpointError` saying what the file is."""
    name = repr(path)
    if not os.path.exists(path):
        raise CheckpointNotFound(f"no checkpoint file at {name}; {EXPECTED_FILE}")
    if os.path.isdir(path):
        try:
            inside = sorted(f for f in os.listdir(path) if f.endswith((".pth", ".pt", ".bin", ".ckpt")))
        except OSError:
            inside = []
        hint = f" (checkpoint-like files in it: {', '.join(inside[:5])})" if inside else ""
        raise CheckpointError(f"{name} is a directory, not a file{hint}; {EXPECTED_FILE}")
    size = os.path.getsize(path)
    if size == 0:
        raise CheckpointError(f"{name} is an empty file (0 bytes), perhaps an interrupted download; {EXPECTED_FILE}")
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError as error:  # a file without read permission, a socket, ...
        raise CheckpointError(
            f"{name} cannot be opened for reading ({error.strerror or error}); {EXPECTED_FILE}"
        ) from error
    if head.startswith(b"PK"):
        problem = _zip_problem(path, size)
    elif head.startswith(_LEGACY_MAGIC):
        problem = None  # torch.save's older, non-zip format
    elif head.startswith(b"\x80"):
        problem = (
            "a plain Python pickle, not a torch.save checkpoint; a pickle can run code when it is opened, so it "
            "is not opened (if you trust it, load it yourself and save the state dict with torch.save)"
        )
    else:
        problem = _describe_bytes(head, size)
    if problem is not None:
        raise CheckpointError(f"{name} is {problem}; {EXPECTED_FILE}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        reason = _unpickler_reason(str(error))
        if reason is not None and "operand" in reason.lower():  # "Unsupported operand 0": not a pickle opcode
            raise CheckpointError(
                f"{name} looks like a torch.save checkpoint of {size:,} bytes but its contents cannot be read "
                f"({reason}); it is probably damaged: download or save it again; {EXPECTED_FILE}"
            ) from error
        raise CheckpointError(
            f"{name} holds more than tensors (for example a training run's config object; here: "
            f"{reason or 'an object that is not a tensor'}), "
            "so torch.load(weights_only=True) refuses to unpickle it. If you trust the file, extract the "
            "weights with torch.load(path, weights_only=False)['model'] and pass that state dict instead."
        ) from error
    except Exception as error:  # a damaged archive or stream: torch raises EOFError, RuntimeError, KeyError...
        reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else "the data ends too early"
        raise CheckpointError(
            f"{name} looks like a torch.save checkpoint of {size:,} bytes but cannot be read "
            f"({type(error).__name__}: {reason}); it is probably truncated or damaged: download or save it again; "
            f"{EXPECTED_FILE}"
        ) from error


def read_state_dict(src) -> dict[str, torch.Tensor]:
    """A state dict from a path (read with ``torch.load(weights_only=True)``) or a mapping; the
    official ``{"model": state_dict}`` wrapper is unwrapped.

    Raises:
        CheckpointError: if the path is not a checkpoint file (saying what it is instead), or the
            content is not a mapping of names to tensors. A missing path raises
            :class:`CheckpointNotFound`, which is also a ``FileNotFoundError``.
    """
    if isinstance(src, (str, os.PathLike)):
        src = _load_file(os.fspath(src))
    if not isinstance(src, Mapping):
        raise CheckpointError(
            f"expected a path, a state dict or an official checkpoint {{'model': state_dict}}, got {type(src).__name__}"
        )
    if "model" in src and isinstance(src["model"], Mapping):
        src = src["model"]
    not_names = [repr(k) for k in src if not isinstance(k, str)]
    if not_names:
        raise CheckpointError(
            "a state dict maps names (strings) to tensors; these keys are not strings:\n"
            + _listing("not names", not_names)
        )
    not_tensors = [k for k, v in src.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise CheckpointError(
            "a state dict maps names to tensors; these entries are not tensors:\n"
            + _listing("not tensors", [f"{k}: {type(src[k]).__name__}" for k in not_tensors])
        )
    return dict(src)


def _kind_problem(value: torch.Tensor, target: torch.Tensor) -> str | None:
    """Why ``value`` cannot stand in for the model's tensor ``target`` (None if it can): it must be a
    dense tensor with values, of the same kind of number (floating point, or integer)."""
    if value.is_meta:
        return "on the meta device: a shape without values"
    if value.is_nested:
        return "a nested tensor"
    if value.is_quantized:
        return f"quantized ({value.dtype}): dequantize it with .dequantize() first"
    if value.layout != torch.strided:
        return f"{value.layout} layout (sparse): make it dense with .to_dense() first"
    if target.is_floating_point() and not value.is_floating_point():
        return f"{value.dtype} where the model holds {target.dtype}: floating point expected"
    if not target.is_floating_point() and (
        value.is_floating_point() or value.is_complex() or value.dtype == torch.bool
    ):
        return f"{value.dtype} where the model holds {target.dtype}: integers expected"
    return None


def _check_model(model) -> dict[str, torch.Tensor]:
    """The model's state dict, after checking that it can take values (not on the meta device)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module such as swin_edu.swin_t(), got {type(model).__name__}")
    expected = model.state_dict()
    on_meta = [k for k, v in expected.items() if v.is_meta]
    if on_meta:
        raise CheckpointError(
            f"the model's tensors are on the meta device ({len(on_meta)} of {len(expected)}, e.g. {on_meta[0]}): "
            "it has shapes but no storage (swin_edu.meta_model and models built under torch.device('meta') are "
            "like that), so there is nowhere to put weights. Build the model on a real device, e.g. "
            "swin_edu.swin_t(), or give it storage first with model.to_empty(device='cpu')"
        )
    frozen = [k for k, v in expected.items() if torch.is_inference(v)]
    if frozen:
        raise CheckpointError(
            f"the model was built under torch.inference_mode() ({frozen[0]} is an inference tensor), so its "
            "weights cannot be changed; build it outside inference_mode and load the checkpoint then"
        )
    return expected


def _stage(state: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> tuple[dict, list[str]]:
    """Copy every checkpoint tensor into a new tensor of the model's dtype and device (the staging
    state); return it and the failures, one line each."""
    staged, failed = {}, []
    with torch.no_grad():
        for k, value in state.items():
            try:
                staged[k] = torch.empty_like(expected[k]).copy_(value)
            except Exception as error:  # noqa: BLE001 - any failure means this key cannot be loaded
                reason = (str(error).strip().splitlines() or [""])[0][:120]
                failed.append(f"{k}: {type(error).__name__}: {reason}")
    return staged, failed


def load_official(model: nn.Module, src) -> nn.Module:
    """Load an official-layout checkpoint into ``model`` and return the model.

    Args:
        model: a :class:`~swin_edu.swin.SwinTransformer` (e.g. ``swin_edu.swin_t()``).
        src: a path to a ``.pth`` file, a state dict, or ``{"model": state_dict}``.

    Raises:
        CheckpointError: listing every key the model does not have (foreign), every key it needs
            that is missing, every tensor of the wrong shape, every tensor of a kind the model cannot
            hold (sparse, quantized, meta, nested; integer, bool or complex where the model holds
            floating point), every tensor that could not be copied, and every geometry buffer whose
            values differ from what the model computes. Also for a model on the meta device, and for
            a path that is not a checkpoint file. Nothing is loaded then: every parameter and buffer
            keeps its value, bit for bit.
    """
    state = read_state_dict(src)
    expected = _check_model(model)
    foreign = sorted(k for k in state if k not in expected)
    # geometry buffers may be left out (the official fine-tuning code deletes them): the model has its own
    missing = sorted(k for k in expected if k not in state and k.rsplit(".", 1)[-1] not in GEOMETRY_BUFFERS)
    kinds = {k: _kind_problem(state[k], expected[k]) for k in state if k in expected}  # None: the kind fits
    wrong_kind = sorted(f"{k}: {problem}" for k, problem in kinds.items() if problem)
    fitting = [k for k, problem in kinds.items() if problem is None]  # (a nested tensor has no .shape to compare)
    wrong_shape = sorted(
        f"{k}: checkpoint {tuple(state[k].shape)}, model {tuple(expected[k].shape)}"
        for k in fitting
        if state[k].shape != expected[k].shape
    )
    staged, not_copied = _stage({k: state[k] for k in fitting if state[k].shape == expected[k].shape}, expected)
    wrong_geometry = sorted(
        k for k in staged if k.rsplit(".", 1)[-1] in GEOMETRY_BUFFERS and not torch.equal(staged[k], expected[k])
    )
    if foreign or missing or wrong_shape or wrong_kind or not_copied or wrong_geometry:
        sections = []
        if foreign:
            sections.append(_listing("foreign keys, not in this model", foreign))
        if missing:
            sections.append(_listing("missing keys, which this model needs", missing))
        if wrong_shape:
            sections.append(_listing("wrong shapes", wrong_shape))
        if wrong_kind:
            sections.append(_listing("tensors of a kind the model cannot hold", wrong_kind))
        if not_copied:
            sections.append(_listing("tensors that could not be copied", sorted(not_copied)))
        if wrong_geometry:
            sections.append(_listing("buffers from another window size or resolution", wrong_geometry))
        prefix = _common_prefix(foreign, set(missing))
        if prefix:
            sections.append(f"  every key carries the prefix {prefix!r}: strip it, e.g. {{k[{len(prefix)}:]: v ...}}")
        name = type(model).__name__
        raise CheckpointError(
            f"the checkpoint does not fit this {name}; nothing was loaded:\n" + "\n".join(sections) + "\n"
            "Allowed: exactly the keys of model.state_dict() (the official layout, e.g. "
            "'layers.0.blocks.0.attn.qkv.weight'), with the same shapes, as dense tensors with values: floating "
            "point (any precision) where the model holds floating point, integers where it holds integers. "
            "Build the model that matches the checkpoint (variant, num_classes, img_size, window_size)."
        )
    # every tensor went into the staging state: commit it (same dtypes, devices and shapes, so nothing can fail)
    model.load_state_dict(staged, strict=False)  # strict=False: geometry buffers may be absent
    return model


def to_official(model: nn.Module, path: str | os.PathLike | None = None) -> dict[str, dict[str, torch.Tensor]]:
    """The model's weights in the official layout, ``{"model": state_dict}`` with buffers included,
    on the CPU; saved with ``torch.save`` to ``path`` if one is given."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module such as swin_edu.swin_t(), got {type(model).__name__}")
    if any(v.is_meta for v in model.state_dict().values()):
        raise CheckpointError(
            "the model is on the meta device: it has shapes but no weights to export; build it on a real "
            "device (e.g. swin_edu.swin_t()) or load weights into it first"
        )
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    checkpoint = {"model": state}
    if path is not None:
        torch.save(checkpoint, path)
    return checkpoint
