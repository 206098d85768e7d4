"""Diehl & Cook 2015 on MNIST: train one epoch, test, print accuracy per readout and speed.

    SNNKIT_DATA=../shared/data python benchmarks/diehl_cook_mnist.py --n-neurons 100
    python benchmarks/diehl_cook_mnist.py --n-neurons 400 --train-samples 60000 --test-samples 10000

Runs the named experiment ``mnist-diehl-cook`` through the same runner as ``snnkit run`` (with
recording to a temporary file) and prints one JSON line: test accuracy per evaluation method,
training samples per second (also without the first 100 samples, which include compiling the
steps), test samples per second, peak memory. ``--engine bindsnet`` times
BindsNET 0.3's ``DiehlAndCook2015`` on the same data and settings (speed only).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import torch


def run_snnkit(args: argparse.Namespace) -> dict[str, object]:
    from snnkit import get_plugin_manager
    from snnkit.experiment import load_experiment
    from snnkit.runner import run_experiment

    plugins = get_plugin_manager()
    with tempfile.TemporaryDirectory() as folder:
        overrides = [
            f"model.n_neurons={args.n_neurons}",
            f"pipeline.train_samples={args.train_samples}",
            f"pipeline.test_samples={args.test_samples}",
            f"run.batch_size={args.batch_size}",
            f"run.time={args.time}",
            f"run.seed={args.seed}",
            f"run.threads={json.dumps(args.threads)}",
            f'run.output="{Path(folder) / "run.h5"}"',
            "run.checkpoint_every=1000000",
        ]
        experiment = load_experiment("mnist-diehl-cook", plugins, [*overrides, *args.overrides])
        marks: dict[str, float] = {}
        train_units = -(-args.train_samples // args.batch_size)

        def progress(done: int, total: int, metrics: object) -> None:
            if done == min(100, train_units - 1):
                marks["warm"] = time.perf_counter()  # the steps are compiled by now
            if done == train_units:
                marks["trained"] = time.perf_counter()

        start = time.perf_counter()
        result = run_experiment(experiment, plugins, progress=progress)
        end = time.perf_counter()
    trained = marks.get("trained", end)
    warm_units = min(100, train_units - 1)
    return {
        "train_samples_per_s": args.train_samples / (trained - start),
        # without the first 100 (compiling): the rate of a long run
        "train_samples_per_s_after_100": (train_units - warm_units)
        * args.batch_size
        / (trained - marks.get("warm", start)),
        "test_samples_per_s": args.test_samples / max(end - trained, 1e-9),
        **{k: v for k, v in result.metrics.items() if k.startswith("test_accuracy")},
    }


def run_bindsnet(args: argparse.Namespace) -> dict[str, object]:
    from bindsnet.encoding import PoissonEncoder
    from bindsnet.models import DiehlAndCook2015

    from snnkit import get_plugin_manager

    torch.manual_seed(args.seed)
    data = get_plugin_manager().build("datasets", "mnist", download=False)
    net = DiehlAndCook2015(
        n_inpt=784,
        n_neurons=args.n_neurons,
        exc=22.5,
        inh=120.0,
        dt=1.0,
        norm=78.4,
        theta_plus=0.05,
        inpt_shape=(1, 28, 28),
    )
    encoder = PoissonEncoder(time=args.time, dt=1.0)
    start = time.perf_counter()
    for i in range(args.train_samples):
        image, _ = data[i]
        spikes = encoder(image * 128.0)  # rates in Hz, as the experiment's: intensity in [0, 1] x 128 Hz
        net.run(inputs={"X": spikes.view(args.time, 1, 1, 28, 28)}, time=args.time)
        net.reset_state_variables()
    return {"train_samples_per_s": args.train_samples / (time.perf_counter() - start)}


def threads(text: str) -> int | str:
    """``--threads``: a number, or "auto" (snnkit's own choice, see snnkit.threads)."""
    return text if text == "auto" else int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["snnkit", "bindsnet"], default="snnkit")
    parser.add_argument("--n-neurons", type=int, default=100)
    parser.add_argument("--train-samples", type=int, default=60000)
    parser.add_argument("--test-samples", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--time", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=threads, default=2, help="a number, or auto (snnkit only)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="an experiment override")
    args = parser.parse_args()
    if isinstance(args.threads, int):
        torch.set_num_threads(args.threads)
    result = run_snnkit(args) if args.engine == "snnkit" else run_bindsnet(args)
    line = {
        "engine": args.engine,
        **vars(args),
        **result,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
