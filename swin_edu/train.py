"""A short, readable training loop: the paper's ImageNet-1K recipe (Sec. 4.1), scaled down.

The paper trains for 300 epochs with AdamW (lr 0.001 for batch 1024, weight decay 0.05), a linear
warm-up over the first 20 epochs and a cosine decay after it, label smoothing 0.1 and gradient
clipping (max norm 5 in the official code). The official code exempts norms, biases and the
position tables (``relative_position_bias_table``, ``absolute_pos_embed``) from weight decay.
:func:`fit` does the same on a few epochs of small data:

* :func:`lr_at`: the learning rate of optimizer step ``s`` (linear warm-up, then cosine to ``min_lr``);
* :func:`param_groups`: the two AdamW groups, with and without weight decay;
* :func:`train_step`: forward, cross-entropy, backward, gradient clipping, one AdamW step;
* :func:`evaluate`: mean loss and accuracy on held-out data;
* :func:`fit`: all of it, with a ``tqdm.auto`` progress bar, seeds for every random source, and a
  :class:`History` of what happened, returned as data.

It uses the CUDA device when one is present and never needs it.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, TensorDataset

__all__ = [
    "History",
    "NO_DECAY_NAMES",
    "as_dataset",
    "evaluate",
    "fit",
    "lr_at",
    "param_groups",
    "seed_everything",
    "train_step",
]

#: parameters the official code keeps out of weight decay by name (besides every 1-d tensor and bias)
NO_DECAY_NAMES = ("relative_position_bias_table", "absolute_pos_embed")


@dataclass
class History:
    """What :func:`fit` saw, as plain lists (``to_dict()`` for a dict, e.g. for pandas or JSON).

    Per optimizer step: ``lr`` (the learning rate used) and ``loss`` (the batch's training loss).
    Per epoch: ``train_loss`` and ``train_accuracy`` (means over the epoch's batches, weighted by batch
    size, measured while training), ``val_loss`` and ``val_accuracy`` (:func:`evaluate` on the held-out
    data after the epoch; empty lists without held-out data).
    """

    lr: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[float]]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------- checks


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _positive_int(name: str, value) -> int:
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _number(name: str, value, low: float = 0.0, high: float = math.inf, *, open_low=False, open_high=False) -> float:
    """A finite real number in ``[low, high]`` (ends open where asked)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value)
    ok = ok and (value > low if open_low else value >= low) and (value < high if open_high else value <= high)
    if not ok:
        interval = f"{'(' if open_low else '['}{low}, {high}{')' if open_high else ']'}"
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return float(value)


def as_dataset(data, name: str = "data") -> Dataset:
    """A torch ``Dataset`` of ``(image, label)`` pairs from a ``Dataset`` or a pair of tensors ``(x, y)``:
    ``x`` floating point ``(n, channels, H, W)``, ``y`` integer class labels ``(n,)``."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data):
        x, y = data
        if not x.is_floating_point() or x.dim() != 4:
            raise ValueError(f"{name}: images x must be a floating point tensor (n, channels, H, W), got "
                             f"{x.dtype} of shape {tuple(x.shape)}")
        if y.dim() != 1 or y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
            raise ValueError(
                f"{name}: labels y must be an integer tensor (n,), got {y.dtype} of shape {tuple(y.shape)}"
            )
        if len(x) != len(y) or len(x) == 0:
            raise ValueError(
                f"{name}: x and y need the same number of examples (at least 1), got {len(x)} and {len(y)}"
            )
        return TensorDataset(x, y.long())
    raise ValueError(
        f"{name} must be a torch.utils.data.Dataset of (image, label) pairs or a pair of tensors (x, y), "
        f"got {type(data).__name__}"
    )


def _device(device) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(
            f"device must be None (CUDA if present, else CPU), 'cpu', 'cuda' or a torch.device, got {device!r}"
        ) from error


# --------------------------------------------------------------------------------------------- recipe


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy and torch (CPU and every CUDA device)."""
    if not _is_int(seed) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed))
    torch.manual_seed(int(seed))  # (also seeds every CUDA device)


def lr_at(step: int, total_steps: int, *, base_lr: float, warmup_steps: int = 0, min_lr: float = 0.0) -> float:
    """The learning rate of optimizer step ``step`` (0-based) out of ``total_steps`` (Sec. 4.1's schedule).

    * warm-up, ``step < warmup_steps``: linear, ``base_lr * (step + 1) / warmup_steps``, reaching
      ``base_lr`` at the last warm-up step;
    * then cosine: ``min_lr + (base_lr - min_lr) * (1 + cos(pi * t)) / 2`` with
      ``t = (step - warmup_steps) / (total_steps - warmup_steps)``, so the first step after warm-up has
      ``base_lr`` and the last one is just above ``min_lr``.
    """
    total_steps = _positive_int("total_steps", total_steps)
    if not _is_int(step) or not 0 <= step < total_steps:
        raise ValueError(f"step must be an integer in [0, total_steps={total_steps}), got {step!r}")
    if not _is_int(warmup_steps) or not 0 <= warmup_steps <= total_steps:
        raise ValueError(f"warmup_steps must be an integer in [0, total_steps={total_steps}], got {warmup_steps!r}")
    base_lr = _number("base_lr", base_lr, open_low=True)
    min_lr = _number("min_lr", min_lr, 0.0, base_lr)
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    t = (step - warmup_steps) / (total_steps - warmup_steps)  # in [0, 1)
    return min_lr + (base_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * t))


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """AdamW's two groups, as in the official code: weight decay on the weight matrices (and conv
    kernels), none on 1-d tensors (LayerNorm weights and biases), biases and the position tables
    (names ending in :data:`NO_DECAY_NAMES`). Frozen parameters are left out."""
    weight_decay = _number("weight_decay", weight_decay)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        exempt = p.dim() <= 1 or name.endswith(".bias") or name.rsplit(".", 1)[-1] in NO_DECAY_NAMES
        (no_decay if exempt else decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return [g for g in groups if g["params"]] or groups[:1]  # (AdamW refuses an empty group)


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    label_smoothing: float = 0.0,
    clip_grad: float | None = 5.0,
) -> tuple[float, int]:
    """One optimizer step on a batch: forward, cross-entropy, backward, clip the gradients' total norm
    to ``clip_grad`` (None: no clipping), step. Returns the batch's loss and its number of correct
    predictions. The model must be in training mode if dropout should act (``fit`` sets it)."""
    logits = model(images)  # (B, classes)
    loss = F.cross_entropy(logits, labels, label_smoothing=label_smoothing)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip_grad is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
    optimizer.step()
    return loss.item(), int((logits.argmax(dim=-1) == labels).sum())


@torch.no_grad()
def evaluate(model: nn.Module, data, batch_size: int = 256, device=None) -> tuple[float, float]:
    """Mean cross-entropy (no label smoothing) and accuracy of ``model`` on ``data`` (a ``Dataset`` or
    ``(x, y)``), in eval mode; the model's training mode is restored afterwards."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    dataset = as_dataset(data)
    batch_size = _positive_int("batch_size", batch_size)
    device = next((p.device for p in model.parameters()), torch.device("cpu")) if device is None else _device(device)
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        for images, labels in DataLoader(dataset, batch_size=batch_size, shuffle=False):
            images, labels = images.to(device), labels.to(device)
            logits = model(images)  # (B, classes)
            total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
            correct += int((logits.argmax(dim=-1) == labels).sum())
            count += len(labels)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("data has no examples to evaluate")
    return total_loss / count, correct / count


def fit(
    model: nn.Module,
    train_data,
    val_data=None,
    *,
    epochs: int = 10,
    batch_size: int = 32,
    lr: float = 1e-3,
    weight_decay: float = 0.05,
    warmup_epochs: float = 1.0,
    warmup_steps: int | None = None,
    min_lr: float = 0.0,
    label_smoothing: float = 0.0,
    clip_grad: float | None = 5.0,
    seed: int = 0,
    device=None,
    progress: bool = True,
) -> History:
    """Train ``model`` on ``train_data`` with the paper's recipe (Sec. 4.1) scaled down; return a :class:`History`.

    Args:
        model: a classifier, images ``(B, C, H, W)`` to logits ``(B, classes)``; moved to ``device``.
        train_data, val_data: ``Dataset``s of ``(image, label)`` or pairs of tensors ``(x, y)``;
            ``val_data`` may be None (no held-out evaluation).
        epochs, batch_size: passes over the training data, and images per step (the last batch of an
            epoch may be smaller). Steps: ``epochs * ceil(len(train_data) / batch_size)``.
        lr, weight_decay: AdamW's peak learning rate and weight decay (betas 0.9, 0.999 and eps 1e-8
            as in the official code); no decay on norms, biases and position tables (:func:`param_groups`).
        warmup_epochs, warmup_steps: the linear warm-up, in epochs (may be fractional) or, if
            ``warmup_steps`` is given, in steps; then cosine decay to ``min_lr`` (:func:`lr_at`).
        label_smoothing: of the training loss (the paper: 0.1); evaluation uses plain cross-entropy.
        clip_grad: max total gradient norm (the official code: 5.0); None for no clipping.
        seed: seeds Python's ``random``, NumPy, torch and the data loader's shuffling generator, so the
            same seed and the same model give the same history.
        device: None for CUDA when present, else the CPU.
        progress: a ``tqdm.auto`` bar (a widget in Jupyter, text in a terminal); False prints nothing.

    The model is left in eval mode, on ``device``.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(
            f"model must be a torch.nn.Module (e.g. a swin_edu.swin.SwinTransformer), got {type(model).__name__}"
        )
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError("model has no trainable parameters (none with requires_grad=True): nothing to fit")
    train_set = as_dataset(train_data, "train_data")
    val_set = None if val_data is None else as_dataset(val_data, "val_data")
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    lr = _number("lr", lr, open_low=True)
    weight_decay = _number("weight_decay", weight_decay)
    min_lr = _number("min_lr", min_lr, 0.0, lr)
    label_smoothing = _number("label_smoothing", label_smoothing, 0.0, 1.0, open_high=True)
    if clip_grad is not None:
        clip_grad = _number("clip_grad (None: no clipping)", clip_grad, open_low=True)
    if not isinstance(progress, bool):
        raise ValueError(f"progress must be True or False, got {progress!r}")
    if len(train_set) == 0:
        raise ValueError("train_data has no examples")
    steps_per_epoch = math.ceil(len(train_set) / batch_size)
    total_steps = epochs * steps_per_epoch
    if warmup_steps is None:
        warmup_epochs = _number("warmup_epochs", warmup_epochs, 0.0, epochs)
        warmup_steps = round(warmup_epochs * steps_per_epoch)
    elif not _is_int(warmup_steps) or not 0 <= warmup_steps <= total_steps:
        raise ValueError(
            f"warmup_steps must be None or an integer in [0, total steps={total_steps}], got {warmup_steps!r}"
        )
    device = _device(device)
    from tqdm.auto import tqdm  # here, not at the top: `import swin_edu` needs no tqdm

    seed_everything(seed)
    generator = torch.Generator().manual_seed(int(seed))  # the shuffling order of every epoch
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator)
    model.to(device)
    optimizer = torch.optim.AdamW(param_groups(model, weight_decay), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    history = History()
    bar = tqdm(total=total_steps, disable=not progress, desc="training", unit="step")
    step = 0
    try:
        for _ in range(epochs):
            model.train()
            loss_sum, correct, seen = 0.0, 0, 0
            for images, labels in loader:
                rate = lr_at(step, total_steps, base_lr=lr, warmup_steps=int(warmup_steps), min_lr=min_lr)
                for group in optimizer.param_groups:
                    group["lr"] = rate
                images, labels = images.to(device), labels.to(device)
                loss, right = train_step(
                    model, optimizer, images, labels, label_smoothing=label_smoothing, clip_grad=clip_grad
                )
                history.lr.append(rate)
                history.loss.append(loss)
                loss_sum, correct, seen = loss_sum + loss * len(labels), correct + right, seen + len(labels)
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.3f}", lr=f"{rate:.2e}", refresh=False)
            history.train_loss.append(loss_sum / seen)
            history.train_accuracy.append(correct / seen)
            if val_set is not None:
                val_loss, val_accuracy = evaluate(model, val_set, batch_size=max(batch_size, 256), device=device)
                history.val_loss.append(val_loss)
                history.val_accuracy.append(val_accuracy)
                bar.set_postfix(loss=f"{loss:.3f}", val_acc=f"{val_accuracy:.3f}")
    finally:
        bar.close()
    model.eval()
    return history
