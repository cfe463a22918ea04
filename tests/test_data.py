"""swin_edu.data (issue 10, Build item 1): the synthetic window task and the bundled digits.

The synthetic labels are recomputed from the pixels alone by a slow, obvious reference (a pure-Python loop
over pixels), the pair is shown to straddle a window border of the library's own window partition and to
share a window after its cyclic shift, and the digits split is shown to be stratified, disjoint and seeded.
"""

import math
from collections import Counter

import numpy as np
import pytest
import torch

from swin_edu.data import PALETTE, ImageSet, SyntheticWindowsTask, digits_datasets, stratified_split
from swin_edu.windows import cyclic_shift, window_partition

# --------------------------------------------------------------------------- the slow, obvious reference


def reference_marks(image: torch.Tensor, patch: int) -> dict[tuple[int, int], tuple[float, float, float]]:
    """Every token (patch x patch block of pixels) that is not black, with its colour, by looking at pixels."""
    pixels = image.tolist()  # [3][H][W] nested lists
    channels, height, width = len(pixels), len(pixels[0]), len(pixels[0][0])
    assert channels == 3
    marks = {}
    for row in range(height // patch):
        for col in range(width // patch):
            colours = set()
            for y in range(row * patch, (row + 1) * patch):
                for x in range(col * patch, (col + 1) * patch):
                    colours.add((pixels[0][y][x], pixels[1][y][x], pixels[2][y][x]))
            if colours != {(0.0, 0.0, 0.0)}:
                assert len(colours) == 1, f"token {(row, col)} is not filled with one colour: {colours}"
                marks[(row, col)] = colours.pop()
    return marks


RED, BLUE = (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)


def reference_label(image: torch.Tensor, patch: int = 2, rule: str = "red-blue") -> int:
    """Find the only two marks that touch (side by side or one above the other). "red-blue": 1 if they are
    red and blue; "same-colour": 1 if they have the same colour."""
    marks = reference_marks(image, patch)
    touching = [
        (a, b)
        for a in marks
        for b in marks
        if a < b and abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1  # 4-neighbours
    ]
    assert len(touching) == 1, f"expected exactly one touching pair, found {touching}"
    a, b = touching[0]
    if rule == "red-blue":
        colours = list(marks.values())
        assert colours.count(RED) == 1 and colours.count(BLUE) == 1, "one red and one blue mark in every image"
        return int({marks[a], marks[b]} == {RED, BLUE})
    return int(marks[a] == marks[b])


# ------------------------------------------------------------------------------------ the synthetic task


def test_items_are_float_images_and_int_labels():
    task = SyntheticWindowsTask(10, seed=0)
    assert len(task) == 10
    image, label = task[3]
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32
    assert type(label) is int and label in (0, 1)
    assert task.images.shape == (10, 3, 32, 32) and task.labels.dtype == torch.int64
    assert float(task.images.min()) == 0.0 and float(task.images.max()) == 1.0
    assert torch.equal(task[-1][0], task[9][0])


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"n_distractors": 1, "n_colours": 3},
        {"n_distractors": 6},
        {"image_size": 48, "patch_size": 3, "window_size": 4, "n_distractors": 3},
        {"image_size": 24, "patch_size": 1, "window_size": 6},
        {"rule": "same-colour"},
        {"distractors_at_borders": False, "n_distractors": 3},
        {"rule": "same-colour", "n_distractors": 0},
        {"rule": "same-colour", "n_distractors": 1, "n_colours": 2},
        {"rule": "same-colour", "n_distractors": 5, "n_colours": 6},
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults",
)
def test_labels_equal_the_slow_reference(kwargs):
    task = SyntheticWindowsTask(300 if not kwargs else 60, seed=7, **kwargs)
    for i in range(len(task)):
        image, label = task[i]
        assert reference_label(image, task.patch_size, task.rule) == label, f"image {i}"


def test_the_reported_marks_are_what_the_image_shows():
    task = SyntheticWindowsTask(50, seed=3)
    for i in range(len(task)):
        shown = reference_marks(task.images[i], task.patch_size)
        reported = {(r, c): PALETTE[colour] for r, c, colour in task.marks[i]}
        assert shown == reported
        assert task.pairs[i] == ((task.marks[i][0][0], task.marks[i][0][1]), (task.marks[i][1][0], task.marks[i][1][1]))


def test_the_pair_straddles_a_window_border_and_shares_a_shifted_window():
    """Checked with the model's own window partition (swin_edu.windows) on a map holding the mark ids."""
    task = SyntheticWindowsTask(200, seed=11)
    g, m = task.grid, task.window_size
    for i in range(len(task)):
        (r1, c1), (r2, c2) = task.pairs[i]
        axis, index = task.borders[i]
        assert 0 < index < g and index % m == 0
        expected = ((r1, index - 1), (r1, index)) if axis == "col" else ((index - 1, c1), (index, c1))
        assert ((r1, c1), (r2, c2)) == expected
        ids = torch.zeros(1, g, g, 1)  # (B, H, W, C): token map, 1 and 2 mark the pair
        ids[0, r1, c1, 0], ids[0, r2, c2, 0] = 1.0, 2.0
        for shift, together in ((0, False), (m // 2, True)):
            rolled = cyclic_shift(ids, shift) if shift else ids
            windows = window_partition(rolled, m)[..., 0]  # (nW, M, M)
            w1 = int((windows == 1).flatten(1).any(1).nonzero())
            w2 = int((windows == 2).flatten(1).any(1).nonzero())
            assert (w1 == w2) == together, f"image {i}, shift {shift}"
            same = task.window_of(r1, c1, shifted=bool(shift)) == task.window_of(r2, c2, shifted=bool(shift))
            assert same == together


def test_every_mark_lies_next_to_a_window_border():
    """Distractors are placed as the pair's marks are, so a mark's place within its window is no clue."""
    task = SyntheticWindowsTask(200, seed=8, n_distractors=3)
    beside = {4 * b - 1 for b in (1, 2, 3)} | {4 * b for b in (1, 2, 3)}  # token rows/cols 3, 4, 7, 8, 11, 12
    for marks in task.marks:
        for row, col, _ in marks:
            assert row in beside or col in beside
    anywhere = SyntheticWindowsTask(200, seed=8, n_distractors=3, distractors_at_borders=False)
    assert any(row not in beside and col not in beside for marks in anywhere.marks for row, col, _ in marks[2:])


def test_every_stage1_border_and_both_orientations_occur():
    task = SyntheticWindowsTask(400, seed=0)
    assert set(task.borders) == {(axis, index) for axis in ("row", "col") for index in (4, 8, 12)}


@pytest.mark.parametrize("n", [1, 2, 101, 400])
def test_classes_are_balanced(n):
    task = SyntheticWindowsTask(n, seed=5)
    ones = int(task.labels.sum())
    assert ones in (n // 2, n - n // 2)
    pairs = task.labels[: n - n % 2].view(-1, 2)  # (n // 2, 2): each consecutive pair holds one of each class
    assert bool((pairs.sum(1) == 1).all())


def test_red_blue_colours_present_do_not_give_the_label_away():
    """Every image holds one red and one blue mark; the other colours are drawn alike in both classes."""
    task = SyntheticWindowsTask(400, seed=2, n_distractors=2, n_colours=6)
    others = {0: Counter(), 1: Counter()}
    for i in range(len(task)):
        colours = [colour for _, _, colour in task.marks[i]]
        assert colours.count(0) == 1 and colours.count(2) == 1  # PALETTE[0] red, PALETTE[2] blue
        others[int(task.labels[i])].update(c for c in colours if c not in (0, 2))
    assert set(others[0]) == set(others[1]) == {1, 3, 4, 5}
    for c in (1, 3, 4, 5):  # each other colour about a quarter of the others in both classes
        assert abs(others[0][c] / sum(others[0].values()) - others[1][c] / sum(others[1].values())) < 0.08


def test_same_colour_counts_do_not_give_the_label_away():
    """In every image exactly two marks share a colour; whether those two touch is the label."""
    task = SyntheticWindowsTask(300, seed=2, n_distractors=2, rule="same-colour")
    for i in range(len(task)):
        counts = Counter(colour for _, _, colour in task.marks[i])
        assert sorted(counts.values()) == [1, 1, 2]
    # label 1 <=> the shared colour is the pair's (the marks are listed pair first)
    for i in range(len(task)):
        (_, _, a), (_, _, b) = task.marks[i][:2]
        assert (a == b) == bool(task.labels[i])


def test_same_seed_same_task_other_seed_other_task():
    a, b = SyntheticWindowsTask(40, seed=1), SyntheticWindowsTask(40, seed=1)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels) and a.marks == b.marks
    c = SyntheticWindowsTask(40, seed=2)
    assert not torch.equal(a.images, c.images)


def test_a_longer_task_starts_with_a_shorter_one():
    short, long = SyntheticWindowsTask(15, seed=4), SyntheticWindowsTask(60, seed=4)
    assert torch.equal(short.images, long.images[:15]) and torch.equal(short.labels, long.labels[:15])
    assert short.marks == long.marks[:15]


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"n": 0}, "n must be a positive integer"),
        ({"n": 2.5}, "n must be a positive integer"),
        ({"n": True}, "n must be a positive integer"),
        ({"n": 4, "seed": -1}, "seed must be a non-negative integer"),
        ({"n": 4, "seed": "0"}, "seed must be a non-negative integer"),
        ({"n": 4, "image_size": 33}, "multiple of patch_size"),
        ({"n": 4, "window_size": 5}, "multiple of window_size"),
        ({"n": 4, "window_size": 16}, "at least 2 windows"),
        ({"n": 4, "n_distractors": -1}, "n_distractors must be a non-negative integer"),
        ({"n": 4, "n_distractors": 0}, "n_distractors must be at least 1 with rule='red-blue'"),
        ({"n": 4, "n_colours": 2}, "n_colours must lie in [3, 6]"),
        ({"n": 4, "n_colours": 7}, "n_colours must lie in"),
        ({"n": 4, "n_distractors": 5, "n_colours": 4, "rule": "same-colour"}, "n_colours must lie in [6, 6]"),
        ({"n": 4, "n_distractors": 0, "n_colours": 1, "rule": "same-colour"}, "n_colours must lie in [2, 6]"),
        ({"n": 4, "distractors_at_borders": 1}, "distractors_at_borders must be True or False"),
        ({"n": 4, "rule": "touch"}, "rule must be one of ('red-blue', 'same-colour')"),
        ({"n": 4, "image_size": 8, "patch_size": 2, "window_size": 2, "n_distractors": 1}, "too many"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, words):
    with pytest.raises(ValueError) as error:
        SyntheticWindowsTask(**kwargs)
    assert words in str(error.value)


@pytest.mark.parametrize("index", [4, -5, 1.0, "0", None])
def test_bad_indices_raise_index_error(index):
    with pytest.raises(IndexError, match="index must be an integer"):
        SyntheticWindowsTask(4, seed=0)[index]


# ------------------------------------------------------------------------------------------------ digits

sklearn_datasets = pytest.importorskip("sklearn.datasets", reason="the digits need the data extra (scikit-learn)")


@pytest.fixture(scope="module")
def digits():
    return sklearn_datasets.load_digits()


@pytest.fixture(scope="module")
def split():
    return digits_datasets(seed=0, held_out=0.25)


def test_digits_are_upsampled_three_channel_images(split, digits):
    train, test = split
    for part in (train, test):
        assert part.images.shape[1:] == (3, 32, 32) and part.images.dtype == torch.float32
        assert part.labels.dtype == torch.int64 and part.classes == 10
        assert float(part.images.min()) >= 0.0 and float(part.images.max()) <= 1.0
        assert torch.equal(part.images[:, 0], part.images[:, 1]) and torch.equal(part.images[:, 0], part.images[:, 2])
    image, label = train[0]
    k = int(train.indices[0])
    assert label == int(digits.target[k])
    # the 4x4 block averages of the upsampled image follow the original 8x8 digit (bilinear, x4)
    pooled = torch.nn.functional.avg_pool2d(image[:1], 4)[0]  # (8, 8)
    original = torch.from_numpy(digits.images[k]).float() / 16
    assert torch.corrcoef(torch.stack([pooled.flatten(), original.flatten()]))[0, 1] > 0.9


def test_digits_split_is_disjoint_complete_and_stratified(split, digits):
    train, test = split
    tr, te = set(train.indices.tolist()), set(test.indices.tolist())
    assert not tr & te and tr | te == set(range(len(digits.target))) and len(tr) + len(te) == 1797
    for cls in range(10):
        total = int((digits.target == cls).sum())
        held = int((test.labels == cls).sum())
        assert held == round(0.25 * total), f"class {cls}: {held} of {total} held out"
        assert int((train.labels == cls).sum()) == total - held
    assert torch.equal(train.labels, torch.from_numpy(digits.target[train.indices.numpy()]).long())


def test_digits_split_is_seeded(split):
    again = digits_datasets(seed=0, held_out=0.25)
    other = digits_datasets(seed=1, held_out=0.25)
    assert torch.equal(again[1].indices, split[1].indices) and torch.equal(again[0].images, split[0].images)
    assert not torch.equal(other[1].indices, split[1].indices)


@pytest.mark.parametrize("held_out", [0, 1, 1.5, -0.1, math.nan, True, "0.2", None])
def test_bad_held_out_fraction_is_refused(held_out):
    with pytest.raises(ValueError, match="held_out must be a fraction strictly between 0 and 1"):
        digits_datasets(held_out=held_out)


@pytest.mark.parametrize(
    "kwargs, words", [({"seed": -2}, "seed"), ({"image_size": 4}, "at least 8"), ({"image_size": 0}, "image_size")]
)
def test_bad_digits_arguments_are_refused(kwargs, words):
    with pytest.raises(ValueError, match=words):
        digits_datasets(**kwargs)


def test_stratified_split_keeps_every_class_on_both_sides():
    labels = np.array([0] * 3 + [1] * 10 + [2] * 2)
    train, test = stratified_split(labels, 0.1, seed=0)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(15))
    for cls in (0, 1, 2):
        assert (labels[train] == cls).any() and (labels[test] == cls).any()
    with pytest.raises(ValueError, match="at least 2"):
        stratified_split(np.array([0, 1, 1]), 0.5, seed=0)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        stratified_split(np.zeros((2, 2)), 0.5, seed=0)


def test_image_set_refuses_mismatched_tensors():
    with pytest.raises(ValueError, match="n labels"):
        ImageSet(torch.zeros(3, 3, 4, 4), torch.zeros(2, dtype=torch.long), torch.arange(3), classes=2)
