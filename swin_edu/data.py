"""Data for training a small Swin on the CPU (issue 10): made in code, or shipped inside a package's wheel.

Nothing here downloads anything.

- :class:`SyntheticWindowsTask`: a synthetic image task whose label is a relation between two marks that lie
  in *different* windows of stage 1. A network of W-MSA blocks only (no shift) cannot relate them before a
  patch merging brings them together; the shifted windows of Sec. 3.2 ("Shifted window partitioning in
  successive blocks", Fig. 2) put them in one window already in the second block. This is the setting in
  which the paper's Table 4 ablation ("w/o shifting" vs "shifted windows") can show at tiny scale.
- :func:`digits_datasets`: scikit-learn's bundled handwritten digits (1797 images of 8x8 pixels, stored in
  the scikit-learn wheel as ``sklearn/datasets/data/digits.csv.gz``), upsampled to 32x32 with 3 channels,
  with a seeded stratified split into training and held-out images. It needs the ``data`` extra
  (``pip install -e .[data]``); everything else here needs only torch and numpy.

Both return ``torch.utils.data.Dataset`` objects whose items are ``(image, label)``: ``image`` a float32
tensor ``(3, H, W)``, ``label`` a Python int.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from torch.utils.data import Dataset

from ._checks import _as_int, check_count, check_positive_int

__all__ = [
    "PALETTE",
    "PALETTE_NAMES",
    "RULES",
    "SyntheticWindowsTask",
    "ImageSet",
    "digits_datasets",
    "stratified_split",
]

#: The colours of the marks (RGB in [0, 1]): saturated and mutually far apart, so one pixel names its colour.
PALETTE: tuple[tuple[float, float, float], ...] = (
    (1.0, 0.0, 0.0),  # red
    (0.0, 1.0, 0.0),  # green
    (0.0, 0.0, 1.0),  # blue
    (1.0, 1.0, 0.0),  # yellow
    (0.0, 1.0, 1.0),  # cyan
    (1.0, 0.0, 1.0),  # magenta
)
PALETTE_NAMES: tuple[str, ...] = ("red", "green", "blue", "yellow", "cyan", "magenta")
RED, BLUE = 0, 2  # indices into PALETTE
#: the labelling rules of :class:`SyntheticWindowsTask`
RULES: tuple[str, ...] = ("red-blue", "same-colour")


class SyntheticWindowsTask(Dataset):
    """Does a red mark touch a blue one? A task whose answer lies across a window border.

    Every image is black with ``2 + n_distractors`` marks. A mark fills exactly one token: a
    ``patch_size x patch_size`` block of pixels on the patch grid, in one colour of :data:`PALETTE`.
    Two of the marks, *the pair*, sit in neighbouring tokens (side by side or one above the other) on the two
    sides of a window border of stage 1: token column (or row) ``window_size * b - 1`` and
    ``window_size * b`` for a border ``b`` inside the image. The distractors never touch another mark, not
    even at a corner, so the pair is the only pair of touching marks. Each distractor, too, lies next to a
    window border (drawn as one mark of the pair is), so a mark's place in its window tells nothing
    (unless ``distractors_at_borders=False``).

    ``rule="red-blue"`` (the default): every image holds exactly one red and one blue mark, the others in
    the remaining colours. Label 1: the pair is red and blue (they touch); label 0: red and blue are
    elsewhere (they do not touch). The colours present never give the label away.

    ``rule="same-colour"``: label 1 if the pair has one colour. With ``n_distractors >= 1`` exactly two marks
    share a colour in every image and all others differ: the pair (label 1) or two marks that do not touch
    (label 0). An equality over colours, this is a harder relation to learn than the fixed red-blue
    conjunction.

    Either way the network must relate a mark to its neighbour across the window border, which regular
    windows (W-MSA) forbid in stage 1 and shifted windows (SW-MSA, shift ``window_size // 2``) allow in
    every second block (Sec. 3.2, Fig. 2). Without the shift the two tokens first share a window after a
    patch merging (stage 2, or stage 3 for a border in the middle of the image).

    Notebook 06 (:mod:`swin_edu.ablation`) uses ``image_size=16``: with ``patch_size=2`` an 8x8 token map,
    ``window_size=4`` cuts it into 2x2 windows of 4x4 tokens, shift 2. The defaults (one distractor, colours
    red, green, blue) are the easiest version without a shortcut: three marks, one red, one blue, one green;
    label 1 exactly when the green one touches no other mark. (At 32x32, 16x16 tokens, the marks are sparser
    and the small Swin of notebook 06 did not learn the task in a few thousand steps, with or without the shift.)

    Args:
        n: number of images.
        seed: the seed; image ``i`` depends only on ``(seed, i)``, so a longer task starts with a shorter one.
        image_size: side of the square images in pixels.
        patch_size: side of a mark in pixels (the model's patch size: one mark, one token).
        window_size: side of a stage-1 window in tokens; the pair straddles one of its borders.
        n_distractors: marks besides the pair (``"red-blue"``: at least 1; ``"same-colour"``: 0 allowed, but
            then the number of colours gives the answer away).
        n_colours: how many colours of :data:`PALETTE` are used, its first ones (``"red-blue"``: at least
            3; ``"same-colour"``: at least ``1 + n_distractors`` and 2).
        rule: ``"red-blue"`` or ``"same-colour"`` (see above).
        distractors_at_borders: True (default): each distractor lies next to a window border, as the pair's
            marks do. False: anywhere (not touching), which leaves a clue: a mark away from every border is
            never in the pair, and W-MSA can see a token's place in its window (relative position bias).

    Attributes (all per image, in token coordinates ``(row, col)`` of the ``grid x grid`` token map):
        images: ``(n, 3, image_size, image_size)`` float32 tensor.
        labels: ``(n,)`` int64 tensor, balanced: images ``2k`` and ``2k + 1`` have one label each.
        marks: list of ``n`` lists of ``(row, col, colour)``; the first two are the pair.
        pairs: list of ``n`` tuples ``((row, col), (row, col))``: the pair, left/top token first.
        borders: list of ``n`` tuples ``(axis, index)``: the pair straddles the border before token
            ``index`` along ``axis`` (``"col"``: a vertical border, ``"row"``: a horizontal one).
    """

    def __init__(
        self,
        n: int,
        seed: int = 0,
        *,
        image_size: int = 32,
        patch_size: int = 2,
        window_size: int = 4,
        n_distractors: int = 1,
        n_colours: int = 3,
        rule: str = "red-blue",
        distractors_at_borders: bool = True,
    ):
        self.n = check_positive_int("n", n)
        self.seed = check_count("seed", seed)
        self.image_size = check_positive_int("image_size", image_size)
        self.patch_size = check_positive_int("patch_size", patch_size)
        self.window_size = check_positive_int("window_size", window_size)
        self.n_distractors = check_count("n_distractors", n_distractors)
        self.n_colours = check_positive_int("n_colours", n_colours)
        if self.image_size % self.patch_size:
            raise ValueError(
                f"image_size ({image_size}) must be a multiple of patch_size ({patch_size}), so marks fill tokens"
            )
        self.grid = self.image_size // self.patch_size  # tokens per side
        if self.grid % self.window_size or self.grid // self.window_size < 2:
            raise ValueError(
                f"the token grid ({self.grid} = image_size // patch_size) must be a multiple of window_size "
                f"({window_size}) with at least 2 windows per side, so a window border lies inside the image"
            )
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        self.rule = rule
        if not isinstance(distractors_at_borders, bool):
            raise ValueError(f"distractors_at_borders must be True or False, got {distractors_at_borders!r}")
        self.distractors_at_borders = distractors_at_borders
        if rule == "red-blue" and self.n_distractors < 1:
            raise ValueError(
                "n_distractors must be at least 1 with rule='red-blue' (else a label-0 image would lack red or "
                f"blue and the colours alone would give the label away), got {n_distractors!r}"
            )
        needed = 3 if rule == "red-blue" else max(2, 1 + self.n_distractors)
        if not needed <= self.n_colours <= len(PALETTE):
            raise ValueError(
                f"n_colours must lie in [{needed}, {len(PALETTE)}] for rule={rule!r} and n_distractors="
                f"{self.n_distractors} (the first n_colours colours of PALETTE are used), got {n_colours!r}"
            )
        if (2 + self.n_distractors) * 9 > self.grid * self.grid:  # each mark blocks up to 3x3 tokens
            raise ValueError(
                f"n_distractors ({n_distractors}) is too many for a {self.grid}x{self.grid} token grid: "
                f"at most {self.grid * self.grid // 9 - 2} fit without touching"
            )

        # Balance by pairs of images: of images 2k and 2k + 1, a coin drawn from (seed, k) makes one label 1
        # and the other 0. So the classes are exactly balanced (off by one for odd n) and image i depends on
        # (seed, i) only: a longer task starts with the images of a shorter one.
        coins = [int(np.random.default_rng([self.seed, k, 0x5EED]).integers(0, 2)) for k in range((self.n + 1) // 2)]
        labels = np.array([(i + coins[i // 2]) % 2 for i in range(self.n)], dtype=np.int64)  # (n,)
        images = np.zeros((self.n, self.image_size, self.image_size, 3), dtype=np.float32)  # (n, H, W, 3)
        self.marks: list[list[tuple[int, int, int]]] = []
        self.pairs: list[tuple[tuple[int, int], tuple[int, int]]] = []
        self.borders: list[tuple[str, int]] = []
        palette = np.array(PALETTE, dtype=np.float32)  # (6, 3)
        p = self.patch_size
        for i in range(self.n):
            marks, border = self._draw(np.random.default_rng([self.seed, i]), int(labels[i]))
            for row, col, colour in marks:
                images[i, row * p : (row + 1) * p, col * p : (col + 1) * p] = palette[colour]
            self.marks.append(marks)
            self.pairs.append(((marks[0][0], marks[0][1]), (marks[1][0], marks[1][1])))
            self.borders.append(border)
        self.images = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()  # (n, 3, H, W)
        self.labels = torch.from_numpy(labels)  # (n,)

    def _beside_a_border(self, rng: np.random.Generator) -> tuple[int, int]:
        """A token next to a window border inside the image, drawn as one mark of the pair is: a border,
        a side of it and a place along it. So no mark's place within its window tells pair from distractor."""
        g, w = self.grid, self.window_size
        index = w * int(rng.integers(1, g // w)) - int(rng.integers(0, 2))  # w * b - 1 or w * b
        other = int(rng.integers(0, g))
        return (other, index) if rng.integers(0, 2) else (index, other)

    def _draw(self, rng: np.random.Generator, label: int) -> tuple[list[tuple[int, int, int]], tuple[str, int]]:
        """Positions and colours of one image's marks; the pair first."""
        g, w = self.grid, self.window_size
        index = w * int(rng.integers(1, g // w))  # a border inside the image: token index w, 2w, ..., g - w
        other = int(rng.integers(0, g))
        if rng.integers(0, 2):
            axis, tokens = "col", [(other, index - 1), (other, index)]  # side by side across a vertical border
        else:
            axis, tokens = "row", [(index - 1, other), (index, other)]  # one above the other
        for _ in range(100_000):  # distractors: never within one token (8-neighbourhood) of another mark
            if len(tokens) == 2 + self.n_distractors:
                break
            if self.distractors_at_borders:
                r, c = self._beside_a_border(rng)
            else:
                r, c = int(rng.integers(0, g)), int(rng.integers(0, g))
            if all(max(abs(r - r2), abs(c - c2)) >= 2 for r2, c2 in tokens):
                tokens.append((r, c))
        else:  # pragma: no cover - only on grids packed close to the limit checked in __init__
            raise ValueError(f"could not place {self.n_distractors} distractors without touching; use fewer")
        m = len(tokens)
        if self.rule == "red-blue":
            # exactly one red and one blue mark in every image; the others in the remaining colours
            others = [c for c in range(self.n_colours) if c not in (RED, BLUE)]
            assigned = [others[int(rng.integers(0, len(others)))] for _ in range(m)]
            if label:
                where = (0, 1) if rng.integers(0, 2) else (1, 0)
            else:  # red and blue anywhere but on the pair's two tokens
                options = [pq for pq in itertools.permutations(range(m), 2) if set(pq) != {0, 1}]
                where = options[int(rng.integers(0, len(options)))]
            assigned[where[0]], assigned[where[1]] = RED, BLUE
            return [(r, c, col) for (r, c), col in zip(tokens, assigned)], (axis, index)
        colours = [int(c) for c in rng.permutation(self.n_colours)]
        if m == 2:  # no distractors: same or different colour, nothing to balance the counts with
            shared = (0, 1) if label else None
        elif label:
            shared = (0, 1)
        else:  # any two marks but the pair share the colour
            others = [pq for pq in itertools.combinations(range(m), 2) if pq != (0, 1)]
            shared = others[int(rng.integers(0, len(others)))]
        assigned, k = [], 0
        for j in range(m):
            if shared is not None and j == shared[1]:
                assigned.append(assigned[shared[0]])
            else:
                assigned.append(colours[k])
                k += 1
        return [(r, c, col) for (r, c), col in zip(tokens, assigned)], (axis, index)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        index = _as_int(i)
        if index is None or not -self.n <= index < self.n:
            raise IndexError(f"index must be an integer in [{-self.n}, {self.n}), got {i!r}")
        return self.images[index], int(self.labels[index])

    def window_of(self, row: int, col: int, shifted: bool = False) -> tuple[int, int]:
        """The stage-1 window ``(window row, window col)`` that holds token ``(row, col)``; with ``shifted``,
        the window of the shifted partition (the map rolled by ``-window_size // 2``, as in Sec. 3.2's
        cyclic shift): the pair's two tokens share a shifted window, never a regular one."""
        s = self.window_size // 2 if shifted else 0
        return ((row - s) % self.grid) // self.window_size, ((col - s) % self.grid) // self.window_size

    def __repr__(self) -> str:
        return (
            f"SyntheticWindowsTask(n={self.n}, seed={self.seed}, image_size={self.image_size}, "
            f"patch_size={self.patch_size}, window_size={self.window_size}, "
            f"n_distractors={self.n_distractors}, n_colours={self.n_colours}, rule={self.rule!r}, "
            f"distractors_at_borders={self.distractors_at_borders})"
        )


class ImageSet(Dataset):
    """Images and labels held in two tensors: ``images`` ``(n, 3, H, W)`` float32, ``labels`` ``(n,)`` int64.

    ``indices`` (``(n,)`` int64) says which image of the source each one is, so splits can be checked."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, indices: torch.Tensor, classes: int):
        if images.ndim != 4 or len(images) != len(labels) or len(labels) != len(indices):
            raise ValueError(
                f"images must be (n, C, H, W) with n labels and n indices, got {tuple(images.shape)}, "
                f"{tuple(labels.shape)}, {tuple(indices.shape)}"
            )
        self.images, self.labels, self.indices, self.classes = images, labels, indices, classes

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i):
        index = _as_int(i)
        n = len(self.labels)
        if index is None or not -n <= index < n:
            raise IndexError(f"index must be an integer in [{-n}, {n}), got {i!r}")
        return self.images[index], int(self.labels[index])

    def __repr__(self) -> str:
        return f"ImageSet(n={len(self)}, image shape={tuple(self.images.shape[1:])}, classes={self.classes})"


def stratified_split(labels, held_out: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)`` of a seeded split that keeps each class's share: of every class, the
    fraction ``held_out`` (rounded, at least one image per class) goes to ``test``. Both sorted, disjoint,
    and together every index once."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {labels.shape}")
    if isinstance(held_out, bool) or not isinstance(held_out, (int, float)) or not 0.0 < held_out < 1.0:
        raise ValueError(f"held_out must be a fraction strictly between 0 and 1, got {held_out!r}")
    rng = np.random.default_rng(check_count("seed", seed))
    test = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        if len(members) < 2:
            raise ValueError(f"class {cls} has {len(members)} image(s); a stratified split needs at least 2")
        k = min(max(1, round(held_out * len(members))), len(members) - 1)
        test.append(rng.permutation(members)[:k])
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(len(labels)), test)
    return train, test


def digits_datasets(
    seed: int = 0, held_out: float = 0.25, image_size: int = 32
) -> tuple[ImageSet, ImageSet]:
    """scikit-learn's bundled handwritten digits as ``(train, held_out)`` datasets of 3x``image_size``² images.

    The 1797 images of 8x8 pixels (values 0-16, ten classes; the UCI "optical recognition of handwritten
    digits" test set) are read from the scikit-learn wheel, scaled to [0, 1], upsampled bilinearly to
    ``image_size`` x ``image_size`` and repeated on 3 channels, so the paper's RGB patch embedding takes
    them unchanged. The split is stratified by class and seeded (:func:`stratified_split`).
    """
    seed = check_count("seed", seed)
    image_size = check_positive_int("image_size", image_size)
    if image_size < 8:
        raise ValueError(f"image_size must be at least 8 (the digits are 8x8 pixels), got {image_size}")
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "digits_datasets needs scikit-learn, which ships the digits in its wheel: "
            "pip install -e '.[data]' (or make test / make lab, which install it)"
        ) from error
    digits = load_digits()  # read from the installed wheel, never downloaded
    train_idx, test_idx = stratified_split(digits.target, held_out, seed)  # checks held_out
    small = torch.from_numpy(digits.images).float().div(16.0)[:, None]  # (1797, 1, 8, 8) in [0, 1]
    big = torch.nn.functional.interpolate(small, size=(image_size, image_size), mode="bilinear", align_corners=False)
    images = big.clamp(0.0, 1.0).expand(-1, 3, -1, -1).contiguous()  # (1797, 3, S, S)
    labels = torch.from_numpy(digits.target).long()  # (1797,)

    def subset(idx: np.ndarray) -> ImageSet:
        index = torch.from_numpy(idx).long()
        return ImageSet(images[index], labels[index], index, classes=10)

    return subset(train_idx), subset(test_idx)
