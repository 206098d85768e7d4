"""How fast a step of the N = 4000 LIF benchmark can be on this machine, from below.

    python benchmarks/event_gather.py [--n 4000] [--steps 1000] [--threads 1]

The benchmark's step sums the weight rows of the inputs that spiked (15 Hz: about 60 rows of
16 KB of a 64 MB matrix at N = 4000). Prints, per step, in microseconds:

- ``gather``: that sum alone (``embedding_bag``), the rows read from main memory;
- ``gather_cached``: the same number of rows from a matrix small enough to stay in the caches,
  so the difference is the time spent waiting for memory;
- ``gather_bfloat16``: the gather with half as many bytes per weight;
- ``eager_step`` and ``compiled_step``: the gather plus the least a LIF layer does (leak,
  threshold, reset), step by step and compiled with the gather as one opaque operation, which
  is the best a compiled step of torch operations can do without summing every row.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch import Tensor

RATE_HZ = 15.0


def per_step_us(fn, steps: int) -> float:
    """Best of three timings of ``fn()``, which runs ``steps`` steps, in microseconds per step."""
    fn()  # warm up (compiles)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return round(best * 1e6 / steps, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    n, steps = args.n, args.steps
    g = torch.Generator().manual_seed(0)
    weight = torch.rand(n, n, generator=g)
    spikes = torch.rand(steps, 1, n, generator=g) < RATE_HZ * 1e-3
    rows = [s[0].nonzero().squeeze(1) for s in spikes]
    start = torch.zeros(1, dtype=torch.long)

    def gather(w: Tensor, indices: list[Tensor]) -> None:
        for i in indices:
            F.embedding_bag(i, w, start, mode="sum")

    half = weight.bfloat16()
    small = torch.rand(100, n, generator=g)  # 1.6 MB at N = 4000: stays in the caches
    cached = [torch.randint(0, 100, (len(i),), generator=g) for i in rows]

    @torch.library.custom_op("snnkit_bench::spike_rows", mutates_args=())
    def spike_rows(x: Tensor, w: Tensor) -> Tensor:
        return F.embedding_bag(x[0].nonzero().squeeze(1), w, start, mode="sum")

    @spike_rows.register_fake
    def _(x: Tensor, w: Tensor) -> Tensor:
        return w.new_empty((x.shape[0], w.shape[1]))

    def lif(v: Tensor, drive: Tensor, product) -> tuple[Tensor, Tensor]:
        for t in range(drive.shape[0]):
            v = v + (-65.0 - v) / 100.0 + product(drive[t], weight)
            fired = v >= -52.0
            v = torch.where(fired, -65.0, v)
        return v, fired

    def eager_product(x: Tensor, w: Tensor) -> Tensor:
        return F.embedding_bag(x[0].nonzero().squeeze(1), w, start, mode="sum")

    compiled = torch.compile(lambda v, drive: lif(v, drive, spike_rows), dynamic=False)

    def stepped(fn) -> None:
        v = torch.full((1, n), -65.0)
        for block in spikes.split(25):
            v, _ = fn(v, block)

    print(
        json.dumps(
            {
                "n": n,
                "gather": per_step_us(lambda: gather(weight, rows), steps),
                "gather_cached": per_step_us(lambda: gather(small, cached), steps),
                "gather_bfloat16": per_step_us(lambda: gather(half, rows), steps),
                "eager_step": per_step_us(lambda: stepped(lambda v, d: lif(v, d, eager_product)), steps),
                "compiled_step": per_step_us(lambda: stepped(compiled), steps),
            }
        )
    )


if __name__ == "__main__":
    main()
