"""Data-parallel gradient training: ``mnist-surrogate-fc`` in one process of T threads against P
processes of T/P threads each (torch.distributed, gloo), on the same machine.

Both train the same batches of ``--batch-size`` samples (each of P processes takes its share of
every batch; the gradients are averaged before each optimiser step). Uncompiled (``run.compile =
false``): compiling costs each process half a minute, more than the short run measured. Prints
one JSON line per setting: training samples/s after the first ``--warm`` batches (timed by rank
0's progress callback, so starting up, loading MNIST and building the network are left out) and
over the whole run.

    SNNKIT_DATA=../shared/data flock /tmp/heavy.lock python benchmarks/data_parallel.py --batches 40
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import tempfile
import time
from pathlib import Path

import torch
import torch.multiprocessing as mp


def train(rank: int, world: int, port: int, threads: int, args: argparse.Namespace, out: Path) -> None:
    from snnkit import get_plugin_manager
    from snnkit.experiment import load_experiment
    from snnkit.runner import run_experiment

    if world > 1:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        torch.distributed.init_process_group("gloo", rank=rank, world_size=world)
    plugins = get_plugin_manager()
    overrides = [
        "pipeline.epochs=1",
        f"pipeline.train_samples={args.batches * args.batch_size}",
        "pipeline.test_samples=0",
        f"run.batch_size={args.batch_size}",
        "run.compile=false",
        f"run.threads={threads}",
        f"run.output='{out / 'run.h5'}'",
    ]
    experiment = load_experiment("mnist-surrogate-fc", plugins, overrides)
    times: list[float] = []
    result = run_experiment(
        experiment, plugins, progress=lambda done, units, metrics: times.append(time.perf_counter())
    )
    if world > 1:
        torch.distributed.destroy_process_group()
    if rank == 0:
        warm = times[args.warm - 1]
        samples = (len(times) - args.warm) * args.batch_size
        line = {
            "processes": world,
            "threads_each": threads,
            "batch_size": args.batch_size,
            "batches": len(times),
            "samples_per_s": round(samples / (times[-1] - warm), 1),
            "last_loss": round(result.metrics["loss"], 4),
        }
        (out / "result.json").write_text(json.dumps(line))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40, help="training batches per run")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--warm", type=int, default=5, help="batches left out of the timing")
    parser.add_argument("--threads", type=int, default=2, help="threads of the one process, shared by the P")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    for world in (1, args.processes):
        threads = max(1, args.threads // world)
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder)
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if world == 1:
                train(0, 1, port, threads, args, out)
            else:
                mp.spawn(train, args=(world, port, threads, args, out), nprocs=world, join=True)
            print((out / "result.json").read_text(), flush=True)


if __name__ == "__main__":
    main()
