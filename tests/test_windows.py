import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from swin_edu import windows as windows_module
from swin_edu.windows import (
    MAX_INDEX_BYTES,
    cyclic_shift,
    effective_window,
    pad_to_window,
    receptive_field,
    region_labels,
    relative_position_index,
    reverse_cyclic_shift,
    shifted_partition,
    shifted_window_mask,
    window_grid,
    window_partition,
    window_reverse,
)


@st.composite
def maps(draw, divisible=True):
    M = draw(st.integers(1, 6))
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    if divisible:
        H, W = rows * M, cols * M
    else:
        H, W = draw(st.integers(M, 4 * M)), draw(st.integers(M, 4 * M))
    return torch.randn(draw(st.integers(1, 3)), H, W, draw(st.integers(1, 4))), M


@given(maps())
def test_partition_then_reverse_is_identity(case):
    x, M = case
    B, H, W, C = x.shape
    windows = window_partition(x, M)
    assert windows.shape == (B * (H // M) * (W // M), M, M, C)
    torch.testing.assert_close(window_reverse(windows, M, H, W), x, rtol=0, atol=0)


def test_partition_order_is_row_by_row_within_each_image():
    x = torch.arange(2 * 4 * 6).view(2, 4, 6, 1)
    windows = window_partition(x, 2)  # 2 images x (2 x 3) windows
    assert windows.shape == (12, 2, 2, 1)
    assert windows[1, :, :, 0].tolist() == [[2, 3], [8, 9]]  # image 0, window row 0, column 1
    assert windows[6, 0, 0, 0].item() == 24  # first window of image 1


@given(maps(), st.integers(0, 20))
def test_shift_then_unshift_is_identity(case, s):
    x, _ = case
    torch.testing.assert_close(reverse_cyclic_shift(cyclic_shift(x, s), s), x, rtol=0, atol=0)


def test_cyclic_shift_moves_tokens_up_and_left():
    x = torch.arange(16).view(1, 4, 4, 1)
    shifted = cyclic_shift(x, 1)
    assert shifted[0, 0, 0, 0].item() == x[0, 1, 1, 0].item()
    assert shifted[0, 3, 3, 0].item() == x[0, 0, 0, 0].item()  # the top-left token wrapped to the corner


def official_style_mask(H, W, M, s):
    """The mask as the official code builds it: label 3 x 3 slices of the map, compare labels per window."""
    labels = torch.zeros(H, W)
    count = 0
    for rows in (slice(0, -M), slice(-M, -s), slice(-s, None)):
        for cols in (slice(0, -M), slice(-M, -s), slice(-s, None)):
            labels[rows, cols] = count
            count += 1
    windows = labels.view(H // M, M, W // M, M).permute(0, 2, 1, 3).reshape(-1, M * M)
    diff = windows[:, None, :] - windows[:, :, None]
    return diff.masked_fill(diff != 0, -100.0)


@given(st.integers(2, 6), st.integers(1, 4), st.integers(1, 4), st.data())
def test_mask_equals_official_construction(M, rows, cols, data):
    s = data.draw(st.integers(1, M - 1))
    H, W = rows * M, cols * M
    mask = shifted_window_mask(H, W, M, s)
    assert mask.shape == ((H // M) * (W // M), M * M, M * M)
    torch.testing.assert_close(mask, official_style_mask(H, W, M, s), rtol=0, atol=0)


def test_mask_of_swin_t_stage1():
    mask = shifted_window_mask(56, 56, 7, 3)
    assert mask.shape == (64, 49, 49)
    assert set(mask.unique().tolist()) == {-100.0, 0.0}
    masked = (mask != 0).flatten(1).any(1).view(8, 8)  # which of the 8 x 8 windows mask anything
    expected = torch.zeros(8, 8, dtype=torch.bool)
    expected[-1, :] = expected[:, -1] = True  # only the last row and column of windows mix regions
    assert torch.equal(masked, expected)
    assert len(mask[-1].unique(dim=0)) == 4  # the corner window holds four regions: four kinds of rows
    assert len(region_labels(56, 56, 7, 3).unique()) == 9


def test_no_shift_means_no_mask():
    assert (shifted_window_mask(14, 14, 7, 0) == 0).all()


def test_relative_position_index_equals_a_loop():
    M = 3
    index = relative_position_index(M)
    for i in range(M * M):
        for j in range(M * M):
            dy, dx = i // M - j // M, i % M - j % M
            assert index[i, j] == (dy + M - 1) * (2 * M - 1) + (dx + M - 1)
    assert relative_position_index(7).max() == 13 * 13 - 1
    assert (relative_position_index(7).diagonal() == 84).all()  # offset (0, 0) is the table's centre


def test_pad_to_window():
    x = torch.randn(1, 5, 9, 2)
    padded = pad_to_window(x, 4)
    assert padded.shape == (1, 8, 12, 2)
    assert (padded[:, 5:] == 0).all() and (padded[:, :, 9:] == 0).all()
    torch.testing.assert_close(padded[:, :5, :9], x)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: window_partition(torch.randn(1, 10, 14, 3), 7), r"10x14 map cannot be cut into 7x7 windows"),
        (lambda: window_partition(torch.randn(1, 4, 4, 3), 7), r"window_size=7 is larger than the 4x4 map.*at most 4"),
        (lambda: window_partition(torch.randn(4, 4, 3), 2), r"shape \(B, H, W, C\)"),
        (lambda: shifted_window_mask(14, 14, 7, 7), r"0 <= shift_size < window_size=7.*window_size // 2 = 3"),
        (lambda: window_reverse(torch.randn(3, 2, 2, 1), 2, 4, 4), r"holds 4 windows.*3 windows"),
    ],
)
def test_bad_geometry_is_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: window_reverse(torch.randn(4, 2, 2, 1), 2, -4, 4), r"height must be a positive integer, got -4"),
        (lambda: window_reverse(torch.randn(4, 2, 2, 1), 2, 4, 4.0), r"width must be a positive integer, got 4.0"),
        (lambda: window_reverse([[1]], 2, 4, 4), r"windows must be a tensor.*got list"),
        (
            lambda: cyclic_shift(torch.randn(1, 4, 4, 1), 1.5),
            r"shift_size \(a number of tokens\) must be a positive integer",
        ),
    ],
)
def test_bad_arguments_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_shifted_partition_of_the_papers_figure():
    ids = shifted_partition(8, 8, 4, 2)
    assert int(ids.max()) + 1 == 9  # Fig. 2: 2x2 windows become 3x3
    assert ids[:2, :2].unique().tolist() == [0]  # the 2x2 piece cut off at the top left
    assert ids[2:6, 2:6].unique().tolist() == [4]  # the one whole 4x4 window in the middle

    # without shift it is the regular partition, numbered in window_partition's order
    tokens = window_partition(torch.arange(96).view(1, 8, 12, 1), 4).reshape(6, 16)  # (nW, N) token numbers
    ids = shifted_partition(8, 12, 4, 0).flatten()
    for k in range(6):
        assert (ids[tokens[k]] == k).all()


@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 4), st.data())
def test_cyclic_shift_with_regions_is_the_naive_shifted_partition(M, rows, cols, data):
    """Two tokens attend to each other in SW-MSA (same window of the rolled map, same region) exactly when
    the naive shifted partition puts them in one window."""
    s = data.draw(st.integers(0, M - 1))
    H, W = rows * M, cols * M
    naive = shifted_partition(H, W, M, s)  # (H, W) in original coordinates
    rolled_naive = cyclic_shift(naive[None, :, :, None], s)  # the same ids, moved with their tokens
    window = window_partition(rolled_naive, M).reshape(-1, M * M)  # (nW, N) naive id of each token
    mask = shifted_window_mask(H, W, M, s)  # (nW, N, N)
    same_naive_window = window[:, :, None] == window[:, None, :]
    assert torch.equal(mask == 0, same_naive_window)


def test_effective_window():
    assert effective_window(56, 56, 7, 3) == (7, 3)
    assert effective_window(7, 7, 7, 3) == (7, 0)  # one window: nothing to shift
    assert effective_window(4, 9, 7, 3) == (4, 0)
    with pytest.raises(ValueError, match="shift_size must be an integer with 0 <= shift_size < window_size=7"):
        effective_window(56, 56, 7, 7)


def test_receptive_field_of_one_block_is_the_window():
    first = receptive_field(12, 12, 4, (5, 6), blocks=1)
    window = first[4:8, 4:8]
    assert (window >= 0).all() and int((first >= 0).sum()) == 16
    assert first[5, 6] == 0 and int((first == 1).sum()) == 15


def test_receptive_field_without_shift_stays_in_its_window():
    without = receptive_field(16, 16, 4, (5, 6), blocks=10, shift=False)
    assert torch.equal(without, receptive_field(16, 16, 4, (5, 6), blocks=1, shift=False))
    assert int((receptive_field(16, 16, 4, (5, 6), blocks=5, shift=True) >= 0).sum()) == 256


def _reached_by_autograd(H, W, M, source, blocks, shift):
    """Tokens whose output changes with the source's input, through real SwinBlocks (forward-mode AD)."""
    from swin_edu.swin import SwinBlock
    from tests.helpers import randomize_

    torch.manual_seed(0)
    stack = torch.nn.Sequential(
        *[
            SwinBlock(
                8, 2, M, shift_size=M // 2 if shift and b % 2 == 1 else 0, input_resolution=(H, W), fused_attn=False
            )
            for b in range(blocks)
        ]
    )
    randomize_(stack).double()
    x = torch.randn(1, H, W, 8, dtype=torch.float64)
    tangent = torch.zeros_like(x)
    tangent[0, source[0], source[1]] = torch.randn(8, dtype=torch.float64)
    _, change = torch.func.jvp(stack, (x,), (tangent,))
    size = change.abs().amax(-1)[0]  # (H, W)
    return size > 1e-20 * size.max()  # masked pairs leak e^-100 ~ 4e-44 of a weight, nothing more


@pytest.mark.parametrize(
    "H, W, M, source, blocks, shift",
    [
        (12, 12, 4, (5, 6), 2, True),
        (12, 12, 4, (5, 6), 3, False),
        (10, 13, 4, (9, 12), 3, True),
        (14, 14, 7, (0, 13), 2, True),
    ],
)
def test_receptive_field_equals_what_real_blocks_compute(H, W, M, source, blocks, shift):
    expected = _reached_by_autograd(H, W, M, source, blocks, shift)
    assert torch.equal(receptive_field(H, W, M, source, blocks, shift) >= 0, expected)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: receptive_field(8, 8, 4, (8, 0), 1), r"source \(8, 0\) lies outside the 8x8 map"),
        (lambda: receptive_field(8, 8, 4, (0, 0), -1), "blocks must be a non-negative integer"),
        (lambda: shifted_partition(8, 8, 4, 4), "shift_size must be an integer with 0 <= shift_size < window_size=4"),
    ],
)
def test_bad_receptive_field_arguments_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- window_grid: the one home of the padded map size and the window count ----


@given(H=st.integers(1, 40), W=st.integers(1, 40), M=st.integers(1, 12), data=st.data())
def test_window_grid_equals_padding_and_cutting_a_real_tensor(H, W, M, data):
    s = data.draw(st.integers(0, M - 1))
    grid = window_grid(H, W, M, s)
    # the slow, obvious way: the rule of the official code written out, then pad a tensor and count windows
    m, shift = (min(H, W), 0) if min(H, W) <= M else (M, s)
    padded = pad_to_window(torch.zeros(1, H, W, 1), m)
    n_windows = window_partition(padded, m).shape[0]
    assert (grid.window, grid.shift) == (m, shift)
    assert (grid.height, grid.width) == (H, W)
    assert (grid.padded_height, grid.padded_width) == tuple(padded.shape[1:3])
    assert grid.n_windows == grid.rows * grid.cols == n_windows
    assert grid.padded == (tuple(padded.shape[1:3]) != (H, W))


def test_window_grid_of_swin_t():
    assert window_grid(56, 56, 7, 3) == (7, 3, 56, 56, 56, 56, 8, 8)
    assert window_grid(7, 7, 7, 3).shift == 0  # the map is one window: nothing to shift
    assert window_grid(50, 84, 7, 3).n_windows == 96  # 50 rows pad to 56


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: window_grid(56, 56, 0), r"window_size must be a positive integer, got 0"),
        (lambda: window_grid(0, 56, 7), r"height must be a positive integer, got 0"),
        (lambda: window_grid(56, 56, 7, 7), r"0 <= shift_size < window_size=7"),
        (lambda: window_grid(56.0, 56, 7), r"height must be a positive integer, got 56.0"),
    ],
)
def test_bad_window_grids_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- relative_position_index refuses windows whose index would not fit in memory ----


def test_relative_position_index_has_a_documented_guard():
    assert MAX_INDEX_BYTES == 256 * 2**20
    assert 8 * 76**4 <= MAX_INDEX_BYTES < 8 * 77**4  # 76 is the largest window allowed (not built here: 254 MiB)
    with pytest.raises(ValueError, match=r"relative_position_index\(77\) would be a 5929 x 5929 int64 tensor"):
        relative_position_index(77)
    with pytest.raises(ValueError, match=r"\(120\) would be a 14400 x 14400 int64 tensor of 1.66 GB.*above 76"):
        relative_position_index(120)


def test_the_guard_follows_the_documented_limit(monkeypatch):
    monkeypatch.setattr(windows_module, "MAX_INDEX_BYTES", 8 * 3**4)  # an index of at most 81 entries: M <= 3
    assert relative_position_index(3).shape == (9, 9)
    with pytest.raises(ValueError, match=r"windows above 3"):
        relative_position_index(4)


@pytest.mark.parametrize(
    "source, message",
    [
        ((1.5, 2), r"source must be a pair \(row, col\) of integers, got \(1.5, 2\)"),
        ((1,), r"source must be a pair"),
        (3, r"source must be a pair"),
        ((True, 2), r"source must be a pair"),
        ((-1, 2), r"source \(-1, 2\) lies outside the 8x8 map"),
    ],
)
def test_bad_receptive_field_sources_are_explained(source, message):
    with pytest.raises(ValueError, match=message):
        receptive_field(8, 8, 4, source, 1)


def test_numpy_sources_are_positions_too():
    import numpy as np

    assert torch.equal(receptive_field(8, 8, 4, (np.int64(1), np.int64(2)), 1), receptive_field(8, 8, 4, (1, 2), 1))
