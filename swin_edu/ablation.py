"""The paper's Table 4 ablations, scaled down to a small Swin that trains on the CPU (notebook 06).

Table 4 of the paper (Swin-T; ImageNet-1K top-1, COCO box AP, ADE20K mIoU) asks two questions:
does the shift pay ("w/o shifting" against "shifted windows"), and which position encoding pays ("no pos.",
"abs. pos.", "abs.+rel. pos.", "rel. pos.")? Here the same switches of :class:`~swin_edu.swin.SwinTransformer`
are trained on small data, over several seeds:

* :data:`VARIANTS`: the rows, as keyword switches of the model;
* :data:`TABLE_4`: the paper's numbers for those rows, quoted from Table 4;
* :data:`SETTINGS`: the three experiments (a one-stage probe and the small two-stage Swin on the synthetic
  cross-window task of :mod:`swin_edu.data`; the same Swin on scikit-learn's bundled digits);
* :func:`run`: one training run, returning its per-epoch rows;
* :func:`summarize`: mean and spread over seeds of each setting and variant, from such rows (or the CSV
  that ``experiments/ablation.py`` (``make ablation``) writes to ``results/ablation.csv``).
"""

from __future__ import annotations

import csv
import pathlib
import time
from dataclasses import dataclass, field

import torch

from .data import SyntheticWindowsTask, digits_datasets
from .swin import SwinTransformer
from .train import fit

__all__ = [
    "VARIANTS", "TABLE_4", "Setting", "SETTINGS", "FIELDS", "small_swin", "datasets", "run", "read_rows", "summarize",
    "direction", "first_epoch",
]

#: The rows of Table 4 that the library's switches build (the default model is both "shifted windows" and
#: "rel. pos.": the paper's Swin). "rel. pos. w/o app." (the bias without the first-layer scale) is not built.
VARIANTS: dict[str, dict[str, bool]] = {
    "shifted windows, rel. pos.": dict(shift=True, rel_pos_bias=True, abs_pos_embed=False),
    "w/o shifting": dict(shift=False, rel_pos_bias=True, abs_pos_embed=False),
    "no pos.": dict(shift=True, rel_pos_bias=False, abs_pos_embed=False),
    "abs. pos.": dict(shift=True, rel_pos_bias=False, abs_pos_embed=True),
    "abs.+rel. pos.": dict(shift=True, rel_pos_bias=True, abs_pos_embed=True),
}

#: The paper's Table 4 (Swin-T; ImageNet-1K top-1 %, COCO box AP with Cascade Mask R-CNN, ADE20K mIoU with
#: UperNet), for the rows of :data:`VARIANTS`; "shifted windows" and "rel. pos." are one model, one row here.
TABLE_4: dict[str, dict[str, float]] = {
    "shifted windows, rel. pos.": {"ImageNet-1K top-1": 81.3, "COCO box AP": 50.5, "ADE20K mIoU": 46.1},
    "w/o shifting": {"ImageNet-1K top-1": 80.2, "COCO box AP": 47.7, "ADE20K mIoU": 43.3},
    "no pos.": {"ImageNet-1K top-1": 80.1, "COCO box AP": 49.2, "ADE20K mIoU": 43.8},
    "abs. pos.": {"ImageNet-1K top-1": 80.5, "COCO box AP": 49.0, "ADE20K mIoU": 43.2},
    "abs.+rel. pos.": {"ImageNet-1K top-1": 81.3, "COCO box AP": 50.2, "ADE20K mIoU": 44.0},
}


@dataclass(frozen=True)
class Setting:
    """One experiment: a task, a model shape, a recipe, and the variants and seeds it is run with.

    The model is always the notebook's small Swin (:func:`small_swin`: 16x16 images, patch 2, C = 32,
    window 4) with the given ``depths`` and ``num_heads``. ``task`` is ``"synthetic"`` (a
    :class:`~swin_edu.data.SyntheticWindowsTask`: ``n_train`` images from the run's seed, 1000 held-out
    images from seed 10000, the same for every run) or ``"digits"`` (:func:`~swin_edu.data.digits_datasets`
    with split seed 0, the same for every run). The run's seed also seeds the model's weights and the
    shuffling.
    """

    task: str
    depths: tuple[int, ...]
    num_heads: tuple[int, ...]
    epochs: int
    variants: tuple[str, ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    lr: float = 2e-3
    n_train: int = 2000
    batch_size: int = 32
    note: str = field(default="", compare=False)


SETTINGS: dict[str, Setting] = {
    "probe": Setting(
        "synthetic", (2,), (2,), epochs=8, variants=("shifted windows, rel. pos.", "w/o shifting"),
        note="one stage of two blocks, no patch merging: only the shift lets a window see its neighbour",
    ),
    "synthetic": Setting(
        "synthetic", (2, 2), (2, 4), epochs=24, variants=tuple(VARIANTS),
        note="two stages: patch merging, then one window over the whole 4x4 map, lets W-MSA relate windows too",
    ),
    "digits": Setting(
        "digits", (2, 2), (2, 4), epochs=30, variants=tuple(VARIANTS), lr=3e-3,
        note="scikit-learn's bundled handwritten digits at 16x16: 1347 training and 450 held-out images",
    ),
}

#: the columns of the results CSV: one row per run and epoch
FIELDS = ("setting", "variant", "seed", "epoch", "train_loss", "val_loss", "val_accuracy", "seconds")

IMAGE_SIZE = 16  # pixels: 8x8 tokens of 2x2 pixels, 2x2 windows of 4x4 tokens in stage 1
VAL_SEED = 10_000  # the synthetic held-out images, the same for every run


def small_swin(num_classes: int, depths=(2, 2), num_heads=(2, 4), seed: int = 0, **switches) -> SwinTransformer:
    """The notebook's small Swin: 16x16 images, patch 2 (8x8 tokens), C = 32, window 4 (shift 2), MLP ratio 4,
    no drop path; its weights drawn from ``seed``. ``switches``: ``shift``, ``rel_pos_bias``, ``abs_pos_embed``."""
    torch.manual_seed(seed)
    return SwinTransformer(
        img_size=IMAGE_SIZE, patch_size=2, embed_dim=32, depths=depths, num_heads=num_heads, window_size=4,
        num_classes=num_classes, drop_path_rate=0.0, **switches,
    )


def datasets(task: str, seed: int, n_train: int = 2000):
    """``(train, held_out, classes)`` of a :class:`Setting`'s task for the run with ``seed``."""
    if task == "synthetic":
        train = SyntheticWindowsTask(n_train, seed=seed, image_size=IMAGE_SIZE)
        return train, SyntheticWindowsTask(1000, seed=VAL_SEED, image_size=IMAGE_SIZE), 2
    if task == "digits":
        train, held_out = digits_datasets(seed=0, image_size=IMAGE_SIZE)
        return train, held_out, 10
    raise ValueError(f"task must be 'synthetic' or 'digits', got {task!r}")


def run(setting: str, variant: str, seed: int, *, progress: bool = False) -> list[dict]:
    """Train one variant of one setting with one seed; return one row per epoch (the keys of :data:`FIELDS`)."""
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {sorted(SETTINGS)}, got {setting!r}")
    config = SETTINGS[setting]
    if variant not in config.variants:
        raise ValueError(f"variant must be one of {list(config.variants)} for setting {setting!r}, got {variant!r}")
    train, held_out, classes = datasets(config.task, seed, config.n_train)
    model = small_swin(classes, config.depths, config.num_heads, seed=seed, **VARIANTS[variant])
    start = time.perf_counter()
    history = fit(
        model, train, held_out, epochs=config.epochs, batch_size=config.batch_size, lr=config.lr, seed=seed,
        progress=progress,
    )
    seconds = time.perf_counter() - start
    return [
        dict(setting=setting, variant=variant, seed=seed, epoch=e + 1, train_loss=history.train_loss[e],
             val_loss=history.val_loss[e], val_accuracy=history.val_accuracy[e], seconds=seconds)
        for e in range(config.epochs)
    ]


def read_rows(path: str | pathlib.Path) -> list[dict]:
    """The rows of a results CSV (``make ablation``), with numbers as numbers."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no results file at {path}: run `make ablation` to make it")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or set(rows[0]) != set(FIELDS):
        raise ValueError(f"{path} is not an ablation results file: its columns must be {FIELDS}")
    for row in rows:
        row["seed"], row["epoch"] = int(row["seed"]), int(row["epoch"])
        for key in ("train_loss", "val_loss", "val_accuracy", "seconds"):
            row[key] = float(row[key])
    return rows


def summarize(rows, setting: str, epoch: int | None = None) -> list[dict]:
    """Per variant of ``setting`` (in :data:`VARIANTS` order): the held-out accuracy at ``epoch`` (default:
    the last) over seeds: ``mean``, ``low``, ``high`` (the spread), ``seeds``, and ``curves`` (every seed's
    per-epoch accuracy, and ``losses`` its training loss, in the order of ``seed_ids``), ready for
    :func:`swin_edu.viz.ablation_figure` and :func:`swin_edu.viz.curves_figure`."""
    summary = []
    for variant in VARIANTS:
        runs: dict[int, list[dict]] = {}
        for row in rows:
            if row["setting"] == setting and row["variant"] == variant:
                runs.setdefault(row["seed"], []).append(row)
        if not runs:
            continue
        seed_ids = sorted(runs)
        curves = [[r["val_accuracy"] for r in sorted(runs[seed], key=lambda r: r["epoch"])] for seed in seed_ids]
        losses = [[r["train_loss"] for r in sorted(runs[seed], key=lambda r: r["epoch"])] for seed in seed_ids]
        last = epoch if epoch is not None else min(len(c) for c in curves)
        final = [c[last - 1] for c in curves]
        summary.append(
            dict(variant=variant, mean=sum(final) / len(final), low=min(final), high=max(final),
                 seeds=len(final), seed_ids=seed_ids, epoch=last, curves=curves, losses=losses)
        )
    return summary


def direction(row: dict, reference: dict) -> str:
    """Where a summarized variant lies against a reference, said only beyond the spread over seeds: ``"above"``
    if its lowest seed beats the reference's highest, ``"below"`` if its highest stays under the reference's
    lowest, ``"within"`` otherwise (the ranges overlap: no evidence either way)."""
    if row["low"] > reference["high"]:
        return "above"
    if row["high"] < reference["low"]:
        return "below"
    return "within"


def first_epoch(row: dict, level: float) -> int | None:
    """The first epoch (from 1) at which the mean over seeds of a summarized variant reaches ``level``; None if
    it never does."""
    mean = [sum(values) / len(values) for values in zip(*row["curves"])]
    return next((epoch + 1 for epoch, value in enumerate(mean) if value >= level), None)
