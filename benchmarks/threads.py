"""Threads: each workload with 1 thread, 2 threads and snnkit's "auto", on an idle machine and beside
a busy process, and how far "auto" is from the best of the three (the goal: never over 1.2 times).

    python benchmarks/threads.py [--only network,stdp,diehl-cook,surrogate] [--repeat 2]

"loaded" runs `python -c "while True: pass"` beside each measurement, as on a shared machine or a
laptop doing something else. Every measurement is a fresh process (``lif_network.py``,
``diehl_cook_mnist.py``, ``surrogate_mnist.py``); the best of ``--repeat`` is kept. The MNIST rows
read the data where ``SNNKIT_DATA`` says. Prints one JSON line per measurement, then a table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).parent
SETTINGS = ["1", "2", "auto"]


def network(stdp: bool) -> dict[str, tuple[list[str], str, bool]]:
    """The standard network (Poisson -> LIF, all to all), batch 1, eager: seconds for 1000 steps."""
    rows = {}
    for n in (100, 1000, 4000):
        command = [str(HERE / "lif_network.py"), "--sizes", str(n), "--steps", "1000", *(["--stdp"] if stdp else [])]
        rows[f"{'STDP' if stdp else 'network'} N={n}"] = (command, "wall_s", False)
    return rows


WORKLOADS = {
    "network": lambda: network(False),
    "stdp": lambda: network(True),
    "diehl-cook": lambda: {
        "Diehl & Cook 100, batch 1, compiled (digits/s)": (
            [str(HERE / "diehl_cook_mnist.py"), "--train-samples", "300", "--test-samples", "100"],
            "train_samples_per_s_after_100",
            True,
        )
    },
    "surrogate": lambda: {
        "mnist-surrogate-fc, batch 128 (samples/s)": (
            [str(HERE / "surrogate_mnist.py"), "--epochs", "1", "--train-samples", "6400", "--test-samples", "1000"],
            "after_10_batches_samples_per_s",
            True,
        )
    },
}


@contextlib.contextmanager
def load(busy: bool) -> Iterator[None]:
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        yield
    finally:
        if process is not None:
            process.kill()
            process.wait()


def measure(command: list[str], key: str, threads: str) -> float:
    output = subprocess.run(
        [sys.executable, *command, "--threads", threads], capture_output=True, text=True, check=True
    ).stdout
    return float([json.loads(line) for line in output.splitlines() if line.startswith("{")][-1][key])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(WORKLOADS), help=f"some of {','.join(WORKLOADS)}")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    rows = {name: row for part in args.only.split(",") for name, row in WORKLOADS[part]().items()}
    table = []
    for condition in ("idle", "loaded"):
        for name, (command, key, higher_is_better) in rows.items():
            figures = {}
            for threads in SETTINGS:
                with load(condition == "loaded"):
                    runs = [measure(command, key, threads) for _ in range(args.repeat)]
                figures[threads] = max(runs) if higher_is_better else min(runs)
                print(json.dumps({"workload": name, "condition": condition, "threads": threads, key: figures[threads]}))
            best = max(figures.values()) if higher_is_better else min(figures.values())
            slower = best / figures["auto"] if higher_is_better else figures["auto"] / best
            table.append((name, condition, figures, slower))
    print("\n| workload | condition | 1 thread | 2 threads | auto | auto vs best |\n|---|---|---:|---:|---:|---:|")
    for name, condition, figures, slower in table:
        cells = " | ".join(f"{figures[t]:.3f}" if figures[t] < 10 else f"{figures[t]:.0f}" for t in SETTINGS)
        print(f"| {name} | {condition} | {cells} | {slower:.2f}x{' (over 1.2)' if slower > 1.2 else ''} |")


if __name__ == "__main__":
    main()
