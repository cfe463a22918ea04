"""Training-step and forward speed on the CPU: swin_edu beside transformers, timm and torchvision's Swin.

Prints; asserts nothing about time. Run with `make bench` (or `python benchmarks/bench_train.py --help`).

Two sizes, batch 8: Swin-T at 224x224 (1000 classes) and notebook 06's small Swin (16x16 images, patch 2,
C = 32, depths 2-2, heads 2-4, window 4, 10 classes), each built by all four implementations with the same
configuration and no drop path (stochastic depth would make the work random). A training step is forward,
cross-entropy, backward and one AdamW step; a forward runs under inference mode. Every implementation is timed
in the same interleaved rounds (one of each, then the next round), so a slow spell of a shared machine hits all
alike; the table reports medians. GFLOP/s counts 2 x the model's MACs (swin_edu.complexity.model_macs, the
official count) for a forward and 3 times that for a training step (backward costs about twice the forward),
next to what this machine's plain matrix product reaches in the same rounds.

Peers come from the `bench` extra (pip install -e '.[bench]'). torchvision (and timm, which imports it) is
imported through tests/peers.py: where torchvision's compiled operators do not match the installed torch
("operator torchvision::nms does not exist"), its fake-kernel registrations are skipped during the import only;
the Swin models need none of those operators. A peer that cannot be loaded is listed as such, never dropped.
"""

from __future__ import annotations

import argparse
import pathlib
import platform
import statistics
import sys
import time
from collections import defaultdict

import torch
import torch.nn.functional as F

import swin_edu
from swin_edu.complexity import model_macs

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from peers import SHIMMED, import_peer, prepare_transformers  # noqa: E402  (the documented shim, shared with the tests)

SIZES = {
    "Swin-T 224x224": dict(img_size=224, patch_size=4, embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24),
                           window_size=7, num_classes=1000),
    "small 16x16 (notebook 06)": dict(img_size=16, patch_size=2, embed_dim=32, depths=(2, 2), num_heads=(2, 4),
                                      window_size=4, num_classes=10),
}


def build_swin_edu(c):
    return swin_edu.SwinTransformer(**c, drop_path_rate=0.0)


def build_transformers(c):
    prepare_transformers()  # transformers imports torchvision when it is installed
    from transformers import SwinConfig, SwinForImageClassification

    config = SwinConfig(
        image_size=c["img_size"], patch_size=c["patch_size"], embed_dim=c["embed_dim"], depths=list(c["depths"]),
        num_heads=list(c["num_heads"]), window_size=c["window_size"], num_labels=c["num_classes"],
        drop_path_rate=0.0, attn_implementation="sdpa",
    )
    model = SwinForImageClassification(config)
    return lambda x: model(x).logits, model


def build_timm(c):
    timm = import_peer("timm")
    return timm.models.swin_transformer.SwinTransformer(
        img_size=c["img_size"], patch_size=c["patch_size"], embed_dim=c["embed_dim"], depths=c["depths"],
        num_heads=c["num_heads"], window_size=c["window_size"], num_classes=c["num_classes"], drop_path_rate=0.0,
    )


def build_torchvision(c):
    models = import_peer("torchvision.models")
    return models.SwinTransformer(
        patch_size=[c["patch_size"]] * 2, embed_dim=c["embed_dim"], depths=list(c["depths"]),
        num_heads=list(c["num_heads"]), window_size=[c["window_size"]] * 2, stochastic_depth_prob=0.0,
        num_classes=c["num_classes"],
    )


IMPLEMENTATIONS = {
    "swin_edu": build_swin_edu,
    "transformers (sdpa)": build_transformers,
    "timm 1.0": build_timm,
    "torchvision swin": build_torchvision,
}


class Runner:
    """One implementation at one size: a forward under inference mode and a full training step."""

    def __init__(self, built):
        self.forward_fn, self.module = built if isinstance(built, tuple) else (built, built)
        self.optimizer = torch.optim.AdamW(self.module.parameters(), lr=1e-4)

    def forward(self, x, y) -> None:
        self.module.eval()
        with torch.inference_mode():
            self.forward_fn(x)

    def train_step(self, x, y) -> None:
        self.module.train()
        loss = F.cross_entropy(self.forward_fn(x), y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()


def matmul_gflops(a, b) -> float:
    start = time.perf_counter()
    torch.matmul(a, b)
    return 2 * a.shape[0] ** 3 / (time.perf_counter() - start) / 1e9


def profile_step(runner: Runner, x, y, top: int = 8) -> str:
    from torch.profiler import ProfilerActivity, profile

    runner.train_step(x, y)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        runner.train_step(x, y)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds per size")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--profile", action="store_true", help="print each training step's top operations")
    args = parser.parse_args()

    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}, "
          f"batch {args.batch}, {args.rounds} interleaved rounds, medians\n")
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    for size in args.sizes:
        config = SIZES[size]
        runners, missing = {}, {}
        for name, build in IMPLEMENTATIONS.items():
            try:
                torch.manual_seed(0)
                runners[name] = Runner(build(config))
            except Exception as error:  # reported, never silently dropped
                missing[name] = f"{type(error).__name__}: {error}"
        x = torch.randn(args.batch, 3, config["img_size"], config["img_size"])
        y = torch.randint(0, config["num_classes"], (args.batch,))
        gflop = 2 * model_macs(build_swin_edu(config)) / 1e9  # per image, forward
        times = defaultdict(list)
        matmul = []
        for runner in runners.values():  # warm-up: first calls allocate and pick kernels
            runner.forward(x, y)
            runner.train_step(x, y)
        for _ in range(args.rounds):
            matmul.append(matmul_gflops(a, b))
            for name, runner in runners.items():
                for task in ("forward", "train_step"):
                    start = time.perf_counter()
                    getattr(runner, task)(x, y)
                    times[name, task].append(time.perf_counter() - start)
        peak = statistics.median(matmul)
        header = f"{size + ', batch ' + str(args.batch):<34} {'task':<11} {'median ms':>10} {'images/s':>9} {'GFLOP/s':>8} {'of matmul':>9} {'vs swin_edu':>11}"
        print(header)
        print("-" * len(header))
        for task, factor in (("forward", 1), ("train_step", 3)):
            ours = statistics.median(times["swin_edu", task])
            for name in runners:
                t = statistics.median(times[name, task])
                rate = factor * gflop * args.batch / t
                print(f"{name:<34} {task:<11} {1e3 * t:>10.1f} {args.batch / t:>9.1f} {rate:>8.1f} {rate / peak:>9.0%} "
                      f"{t / ours:>10.2f}x")
            fastest = min(runners, key=lambda n: statistics.median(times[n, task]))
            print(f"{'fastest ' + task + ':':<34} {fastest}")
        for name, why in missing.items():
            print(f"{name:<34} NOT LOADED: {why}")
        print(f"matrix product 2048x2048: {peak:.1f} GFLOP/s; {gflop:.4f} GFLOP per image forward (2 x MACs)\n")
        if args.profile:
            for name, runner in runners.items():
                print(f"--- {name}, {size}: one training step, top operations by self CPU time")
                print(profile_step(runner, x, y))
    if SHIMMED:
        print(f"imported with torchvision's fake-kernel registrations skipped (tests/peers.py): {sorted(SHIMMED)}")


if __name__ == "__main__":
    main()
