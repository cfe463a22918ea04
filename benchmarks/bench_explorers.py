"""How fast the explorers answer: the time from a control change to the redrawn picture.

For each explorer, the controls a reader moves most are swept through several values; each change is timed
from setting the control's value to the moment the new PNG is in the image widget (the redraw runs
synchronously in the kernel, so this is what the reader waits for, less the transfer to the browser).
Target (../shared/COURSE.md): a median of at most 150 ms on a 2-core CPU.

On a machine shared with other work the wall-clock times grow with the load; the ``cpu ms`` column (the
process's own CPU time per change) shows the work itself and moves much less with the load.

    python benchmarks/bench_explorers.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import swin_edu
from swin_edu.widgets import (
    ComplexityExplorer,
    HierarchyExplorer,
    MaskExplorer,
    MultiScaleExplorer,
    ReceptiveFieldExplorer,
    RelativePositionExplorer,
    ShiftExplorer,
)

TARGET_MS = 150

# explorer -> the moves of one round: (control, value)
SWEEPS = {
    "ShiftExplorer": (
        ShiftExplorer,
        [("shift_size", 1), ("shift_size", 0), ("shift_size", 2), ("window_size", 3), ("height", 12),
         ("width", 16), ("window_size", 4), ("height", 8), ("width", 8)],
    ),
    "MaskExplorer": (
        MaskExplorer,
        [("window", 0), ("window", 1), ("window", 3), ("preset", "Swin-T stage 1: 56x56, M=7"), ("window", 62),
         ("window", 7), ("preset", "8x8 map, M=4 (teaching)")],
    ),
    "ComplexityExplorer": (
        ComplexityExplorer,
        [("C", 192), ("M", 12), ("h", 28), ("w", 28), ("C", 96), ("M", 7), ("h", 56), ("w", 56)],
    ),
    "RelativePositionExplorer": (
        lambda: RelativePositionExplorer(window_size=7, query=(3, 3), model=swin_edu.swin_t()),
        [("query_row", 0), ("query_col", 6), ("head", 2), ("stage", 3), ("block", 4), ("head", 7), ("stage", 1),
         ("query_row", 3), ("query_col", 3)],
    ),
    "ReceptiveFieldExplorer": (
        ReceptiveFieldExplorer,
        [("blocks", 3), ("blocks", 5), ("shift", False), ("source_row", 0), ("shift", True), ("height", 24),
         ("source_row", 5), ("blocks", 2), ("height", 16)],
    ),
    "HierarchyExplorer": (
        HierarchyExplorer,
        [("variant", "swin_s"), ("img_size", 384), ("window_size", 12), ("variant", "swin_l"), ("img_size", 224),
         ("window_size", 7), ("variant", "swin_t")],
    ),
    "MultiScaleExplorer": (
        MultiScaleExplorer,
        [("scale", 8), ("blocks", 3), ("scale", 2), ("window_size", 12), ("blocks", 6), ("scale", 1),
         ("window_size", 7), ("scale", 4), ("blocks", 1)],
    ),
}  # fmt: skip


def measure(build, moves, rounds: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each move, over ``rounds`` sweeps."""
    explorer = build()
    times, cpu_times = [], []
    for _ in range(rounds):
        for name, value in moves:
            before = explorer.image.value
            start, cpu_start = time.perf_counter(), time.process_time()
            explorer.controls[name].value = value
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            if explorer.image.value is before:
                raise RuntimeError(f"{type(explorer).__name__}: setting {name}={value!r} did not redraw")
            if explorer.drawn != explorer.values:
                raise RuntimeError(f"{type(explorer).__name__}: after {name}={value!r} the picture is stale")
            times.append(elapsed * 1000)
            cpu_times.append(cpu * 1000)
    return times, cpu_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="sweeps of each explorer's moves (default 3)")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"Explorer latency, control change -> new picture, {torch.get_num_threads()} threads")
    print(
        f"{'explorer':28s} {'changes':>7s} {'median ms':>9s} {'p90 ms':>7s} {'max ms':>7s} {'cpu ms':>7s}"
        f"  target {TARGET_MS} ms (median)"
    )
    for name, (build, moves) in SWEEPS.items():
        times, cpu_times = measure(build, moves, args.rounds)
        median = statistics.median(times)
        p90 = statistics.quantiles(times, n=10)[-1]
        verdict = "ok" if median <= TARGET_MS else "SLOWER THAN TARGET"
        cpu = statistics.median(cpu_times)
        print(f"{name:28s} {len(times):7d} {median:9.1f} {p90:7.1f} {max(times):7.1f} {cpu:7.1f}  {verdict}")


if __name__ == "__main__":
    main()
