"""Swin-T forward latency on the CPU: swin_edu (fused and explicit attention) against a peer.

Prints; asserts nothing about time. Run with `make bench` (or `python benchmarks/bench_swin.py --help`).

The variants are timed in interleaved rounds (one forward of each, then the next round), so that a
slow spell of a shared machine hits every variant alike; the table reports the median. GFLOP/s is
2 x the paper's MACs (Swin-T: 4.49 GMACs = 8.99 GFLOP per 224x224 image) over the measured time, next
to what this machine's plain matrix product reaches, for scale.
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

import swin_edu
from swin_edu.complexity import model_macs

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from peers import prepare_transformers  # noqa: E402  (transformers imports torchvision when it is installed)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


class Matmul:
    """A plain float32 matrix product, timed in the same rounds as the models, for scale."""

    def __init__(self, n: int = 2048):
        self.n = n
        self.a, self.b = torch.randn(n, n), torch.randn(n, n)
        self.times: list[float] = []

    def __call__(self) -> None:
        self.times.append(timed(torch.matmul, self.a, self.b))

    def gflops(self) -> float:
        return 2 * self.n**3 / statistics.median(self.times) / 1e9


def transformers_peer(model: swin_edu.SwinTransformer):
    """Hugging Face transformers' Swin-T with the same configuration (PyTorch SDPA attention), if installed."""
    try:
        prepare_transformers()
        from transformers import SwinConfig, SwinForImageClassification
    except ImportError:
        return None
    config = SwinConfig(
        image_size=224,
        embed_dim=model.embed_dim,
        depths=list(model.depths),
        num_heads=list(model.num_heads),
        window_size=model.window_size,
        num_labels=model.num_classes,
        attn_implementation="sdpa",
    )
    peer = SwinForImageClassification(config).eval()
    return lambda x: peer(x).logits


def where_the_time_goes(model, x) -> list[tuple[str, float]]:
    """Share of one forward's CPU time per kind of operation, from the PyTorch profiler."""
    from torch.profiler import ProfilerActivity, profile

    kinds = {
        "matrix products (Linear, conv)": ("aten::addmm", "aten::mm", "aten::mkldnn_convolution", "aten::bmm"),
        "attention kernel": ("aten::_scaled_dot_product_flash_attention_for_cpu", "aten::_softmax"),
        "GELU": ("aten::gelu",),
        "LayerNorm": ("aten::native_layer_norm",),
        "copies (roll, partition, reverse, bias into output)": (
            "aten::copy_",
            "aten::roll",
            "aten::cat",
            "aten::constant_pad_nd",
        ),
        "residual adds": ("aten::add", "aten::add_"),
    }
    with torch.inference_mode():
        model(x)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            model(x)
    self_times = {e.key: e.self_cpu_time_total for e in prof.key_averages()}
    total = sum(self_times.values())
    shares = []
    for kind, ops in kinds.items():
        shares.append((kind, sum(self_times.get(op, 0.0) for op in ops) / total))
    shares.append(("everything else", 1.0 - sum(s for _, s in shares)))
    return shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="interleaved timing rounds per batch size")
    parser.add_argument("--batches", default="1,8", help="comma-separated batch sizes")
    parser.add_argument("--no-peer", action="store_true", help="skip the transformers peer")
    parser.add_argument(
        "--compile", action="store_true", help="add swin_edu under torch.compile (about a minute to compile)"
    )
    args = parser.parse_args()

    torch.manual_seed(0)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}\n"
    )
    matmul = Matmul()

    model = swin_edu.swin_t().eval()
    gflop_per_image = 2 * model_macs(model) / 1e9
    explicit = swin_edu.swin_t().eval()
    explicit.load_state_dict(model.state_dict())
    explicit.fused_attn = False
    variants = {"swin_edu, fused attention": model, "swin_edu, explicit attention": explicit}
    peer = None if args.no_peer else transformers_peer(model)
    if peer is not None:
        variants["transformers SwinForImageClassification (sdpa)"] = peer
    if args.compile:
        variants["swin_edu, fused attention, torch.compile"] = torch.compile(model)

    header = (
        f"{'Swin-T 224x224, forward':<50} {'batch':>5} {'median ms':>10} {'ms/img':>8} {'GFLOP/s':>8} {'of matmul':>9}"
    )
    print(header)
    print("-" * len(header))
    for batch in (int(b) for b in args.batches.split(",")):
        x = torch.randn(batch, 3, 224, 224)
        times = defaultdict(list)
        matmul.times.clear()  # the scale of each batch's rows comes from its own rounds
        with torch.inference_mode():
            for fn in variants.values():
                fn(x)  # warm-up
            matmul()
            for _ in range(args.rounds):
                matmul()
                for name, fn in variants.items():
                    times[name].append(timed(fn, x))
        for name in variants:
            t = statistics.median(times[name])
            rate = gflop_per_image * batch / t
            print(
                f"{name:<50} {batch:>5} {t * 1e3:>10.1f} {t * 1e3 / batch:>8.1f} {rate:>8.0f} {rate / matmul.gflops():>9.0%}"
            )
        print(
            f"{f'plain float32 matmul {matmul.n}x{matmul.n}, same rounds':<50} {'':>5} {'':>10} {'':>8} {matmul.gflops():>8.0f}"
        )
    print(
        f"\n({gflop_per_image:.2f} GFLOP per image = 2 x {gflop_per_image / 2:.2f} GMACs, counted as the paper counts)"
    )

    print("\nWhere the time goes, swin_edu fused, batch 8 (share of CPU time):")
    for kind, share in where_the_time_goes(model, torch.randn(8, 3, 224, 224)):
        print(f"  {kind:<55} {share:>6.1%}")


if __name__ == "__main__":
    main()
