"""The full Table 4 ablation of notebook 06: every setting, variant and seed of swin_edu.ablation.SETTINGS.

    python experiments/ablation.py                    # everything (make ablation): about 15-25 min on 2 cores
    python experiments/ablation.py --settings probe   # one setting
    python experiments/ablation.py --seeds 0 --out /tmp/slice.csv

Writes the per-epoch rows to results/ablation.csv and, beside it, results/ablation.json: the command, the
date, the package versions, the seeds, the settings and the machine it ran on. Prints the table (final
held-out accuracy, mean and spread over seeds) beside the paper's Table 4. Training runs on one thread
(torch.set_num_threads(1)), so that a re-run on the same machine repeats the numbers; tests/test_ablation.py
re-runs a slice and compares it with the stored rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import platform
import shlex
import sys
import time
from datetime import datetime, timezone

import torch

from swin_edu import ablation

ROOT = pathlib.Path(__file__).resolve().parents[1]


def machine() -> dict:
    """What the run ran on: enough to tell two machines apart, and nothing private."""
    model = ""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return dict(
        platform=platform.platform(), processor=model or platform.processor(), cpu_count=os.cpu_count(),
        torch_threads=torch.get_num_threads(), cuda=torch.cuda.is_available(),
    )


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("torch", "numpy", "scikit-learn", "swin-edu"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def table(rows) -> str:
    """The final-epoch accuracy of every setting and variant, beside Table 4's ImageNet-1K top-1."""
    lines = [f"{'setting':<10} {'variant':<28} {'epoch':>5} {'mean':>7} {'lowest':>7} {'highest':>7} {'seeds':>5}"
             f"   paper top-1"]
    for setting in ablation.SETTINGS:
        for row in ablation.summarize(rows, setting):
            paper = ablation.TABLE_4[row["variant"]]["ImageNet-1K top-1"]
            lines.append(
                f"{setting:<10} {row['variant']:<28} {row['epoch']:>5} {row['mean']:>7.1%} {row['low']:>7.1%} "
                f"{row['high']:>7.1%} {row['seeds']:>5}   {paper:.1f}"
            )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings", nargs="+", default=list(ablation.SETTINGS), choices=list(ablation.SETTINGS))
    parser.add_argument("--variants", nargs="+", default=None, help="default: each setting's own variants")
    parser.add_argument("--seeds", nargs="+", type=int, default=None, help="default: each setting's own seeds")
    parser.add_argument("--out", default=str(ROOT / "results" / "ablation.csv"))
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: repeatable numbers)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    plan = []
    for name in args.settings:
        setting = ablation.SETTINGS[name]
        for variant in args.variants or setting.variants:
            if variant not in setting.variants:
                parser.error(f"variant {variant!r} is not run in setting {name!r}; its variants: {setting.variants}")
            for seed in args.seeds if args.seeds is not None else setting.seeds:
                plan.append((name, variant, seed))
    started = time.perf_counter()
    rows = []
    for k, (name, variant, seed) in enumerate(plan, 1):
        print(f"[{k}/{len(plan)}] {name}: {variant}, seed {seed}", flush=True)
        rows += ablation.run(name, variant, seed, progress=sys.stderr.isatty())
        print(f"    held-out accuracy {rows[-1]['val_accuracy']:.1%} after {rows[-1]['epoch']} epochs "
              f"({rows[-1]['seconds']:.0f} s)", flush=True)
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ablation.FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, **{key: f"{row[key]:.6f}" for key in ("train_loss", "val_loss", "val_accuracy")},
                             "seconds": f"{row['seconds']:.1f}"})
    meta = dict(
        command="python " + " ".join(shlex.quote(a) for a in [os.path.relpath(__file__, ROOT), *(argv if argv is not None else sys.argv[1:])]),
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        minutes=round((time.perf_counter() - started) / 60, 1),
        versions=versions(), machine=machine(),
        settings={name: {**ablation.SETTINGS[name].__dict__, "seeds": sorted({s for n, _, s in plan if n == name})}
                  for name in args.settings},
    )
    out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"\nwrote {out} ({len(rows)} rows) and {out.with_suffix('.json')}\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
