"""Where a step of the Diehl & Cook network spends its time.

    python benchmarks/diehl_cook_step.py --n-neurons 100 [--compile] [--batch-size 16]

Runs 250-step digits of random Poisson input (about 2 % of inputs active per step, like MNIST at
the experiment's rates) with learning on, prints the time per step and the most frequent tensor
operations per step from torch's profiler: at batch 1 their count, not their arithmetic, sets
the pace. ``--compile`` times the steps fused with ``torch.compile`` (``Network(compile=True)``);
``first_run_s`` is the first run, which compiles them (a later process finds torch's compiled
code in its cache, ``TORCHINDUCTOR_CACHE_DIR``, and only traces the steps again).
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from torch.profiler import ProfilerActivity, profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-neurons", type=int, default=100)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a model parameter, e.g. reduction=sum",
    )
    parser.add_argument("--compile", action="store_true", help="fuse each step with torch.compile")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from snnkit_plugins.models.diehl_cook_2015 import diehl_cook_2015

    options = {
        k: json.loads(v) if v[:1] in "[{0123456789-" else v for k, v in (o.split("=", 1) for o in args.overrides)
    }
    net = diehl_cook_2015(n_neurons=args.n_neurons, **options)
    net.use_compile = args.compile
    net.threads = args.threads
    x = torch.rand(args.steps, args.batch_size, 784, generator=torch.Generator().manual_seed(0)) < 0.02
    start = time.perf_counter()
    net.run({"X": x}, args.steps)  # warm up (compiles, with --compile)
    first_run = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(args.repeat):
        net.reset_state()
        net.run({"X": x}, args.steps)
    per_step = (time.perf_counter() - start) / (args.repeat * args.steps)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        net.reset_state()
        net.run({"X": x}, args.steps)
    ops = sorted(prof.key_averages(), key=lambda e: -e.count)
    top = {e.key: round(e.count / args.steps, 1) for e in ops[:12]}
    total = sum(e.count for e in prof.key_averages() if e.key.startswith("aten::")) / args.steps
    print(
        json.dumps(
            {
                "first_run_s": round(first_run, 2),
                "us_per_step": round(per_step * 1e6, 1),
                "us_per_sample_step": round(per_step * 1e6 / args.batch_size, 1),
                "aten_calls_per_step": round(total, 1),
                "top": top,
            }
        )
    )


if __name__ == "__main__":
    main()
