"""Time per simulation step of input -> LIF through a dense connection, no learning.

Prints one line per configuration: neurons per layer, batch size, device, ms per step. This is
the baseline that event-driven propagation and learning-rule work measure themselves against.

    python benchmarks/network_step.py [--steps 200] [--device cpu]
"""

from __future__ import annotations

import argparse
import time

import torch

from snnkit import Network


def time_per_step(n: int, batch: int, steps: int, device: str) -> float:
    net = Network(seed=0).to(device)
    net.add_layer("in", "input", n)
    net.add_layer("out", "lif", n)
    net.add_connection("in", "out", "dense", weight=0.01)
    net.eval()
    x = (torch.rand(steps, batch, n, generator=torch.Generator().manual_seed(0)) < 0.015).to(device)
    net.run({"in": x[:10]}, time=10)  # warm-up
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    net.run({"in": x}, time=steps)
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    print(f"{'neurons':>8} {'batch':>6} {'ms/step':>9}")
    for n in (100, 1000, 4000):
        for batch in (1, 16):
            print(f"{n:>8} {batch:>6} {time_per_step(n, batch, args.steps, args.device):>9.3f}")


if __name__ == "__main__":
    main()
