"""Surrogate-gradient training on MNIST, snnkit beside snnTorch (and Norse where it installs).

The network of snnTorch's tutorial 5 in every engine: 784 pixel values as a constant input current
for 25 steps of 1 ms, a learnable dense layer (with bias) into 1000 LIF neurons (decay 0.95 per
step, threshold 1, reset to zero), a learnable dense layer into 10 LIF neurons, the fast-sigmoid
surrogate (slope 25), cross-entropy on the output spike counts, Adam at lr 5e-4, batches of 128.
snnkit runs its named experiment ``mnist-surrogate-fc`` through the ``gradient`` pipeline
(recording to HDF5 included); the peers run a plain training loop over the same tensors.

Prints one JSON line per run: test accuracy after each epoch, training samples/s (the training
batches only, evaluation excluded: over the whole run, and after the first 10 batches, which for a
compiled run include compiling) and the process's peak memory (max RSS). Each engine runs in a
process of its own, so peak memory is its own.

    SNNKIT_DATA=../shared/data python benchmarks/surrogate_mnist.py --engine snnkit --epochs 5
    SNNKIT_DATA=../shared/data python benchmarks/surrogate_mnist.py --engine snntorch --epochs 5
    SNNKIT_DATA=../shared/data python benchmarks/surrogate_mnist.py --engine snnkit --set run.time=10
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import torch

STEPS, BATCH, LR, BETA = 25, 128, 5e-4, 0.95


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run_snnkit(args: argparse.Namespace) -> dict[str, object]:
    from snnkit import get_plugin_manager
    from snnkit.experiment import load_experiment
    from snnkit.runner import run_experiment

    plugins = get_plugin_manager()
    overrides = [f"pipeline.epochs={args.epochs}", *args.overrides]
    if args.train_samples:
        overrides.append(f"pipeline.train_samples={args.train_samples}")
    if args.test_samples:
        overrides.append(f"pipeline.test_samples={args.test_samples}")
    accuracies: list[float] = []
    train_seconds, train_samples, batches, warm_seconds, warm_samples = 0.0, 0, 0, 0.0, 0
    with tempfile.TemporaryDirectory() as folder:
        overrides.append(f"run.output={Path(folder) / 'run.h5'}")
        experiment = load_experiment("mnist-surrogate-fc", plugins, overrides)
        batch = experiment.run["batch_size"]
        clock = time.perf_counter()

        def progress(done: int, total: int, metrics: dict[str, float]) -> None:
            nonlocal clock, train_seconds, train_samples, batches, warm_seconds, warm_samples
            now = time.perf_counter()
            if "loss" in metrics:  # a training batch
                train_seconds += now - clock
                train_samples += batch
                batches += 1
                if batches > 10:
                    warm_seconds += now - clock
                    warm_samples += batch
            if "test_accuracy" in metrics:
                accuracies.append(metrics["test_accuracy"])
                print(json.dumps({"engine": "snnkit", "epoch": len(accuracies), **metrics}), flush=True)
            clock = now

        run_experiment(experiment, plugins, progress=progress)
    return {
        "test_accuracy": accuracies,
        "train_samples_per_s": train_samples / train_seconds,
        "after_10_batches_samples_per_s": warm_samples / max(warm_seconds, 1e-9),
    }


def mnist(train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    from snnkit import get_plugin_manager

    data = get_plugin_manager().build("datasets", "mnist", train=train, download=False)
    return data.images.float().div(255.0).reshape(-1, 784), data.labels


def run_peer(args: argparse.Namespace, make_model) -> dict[str, object]:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    x_train, y_train = mnist(True)
    x_test, y_test = mnist(False)
    n_train = args.train_samples or len(y_train)
    n_test = args.test_samples or len(y_test)
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, betas=(0.9, 0.999))
    loss_fn = torch.nn.CrossEntropyLoss()
    accuracies, train_seconds, seen, batches, warm_seconds, warm_samples = [], 0.0, 0, 0, 0.0, 0
    for epoch in range(args.epochs):
        order = torch.randperm(len(y_train))[:n_train]
        for i in range(0, n_train, BATCH):
            start = time.perf_counter()
            ids = order[i : i + BATCH]
            counts = model(x_train[ids]).sum(0)
            loss = loss_fn(counts, y_train[ids])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += len(ids)
            batches += 1
            spent = time.perf_counter() - start
            train_seconds += spent
            if batches > 10:
                warm_seconds, warm_samples = warm_seconds + spent, warm_samples + len(ids)
        correct = 0
        with torch.no_grad():
            for i in range(0, n_test, BATCH):
                correct += int((model(x_test[i : i + BATCH]).sum(0).argmax(1) == y_test[i : i + BATCH]).sum())
        accuracies.append(correct / n_test)
        print(json.dumps({"engine": args.engine, "epoch": epoch + 1, "test_accuracy": accuracies[-1]}), flush=True)
    return {
        "test_accuracy": accuracies,
        "train_samples_per_s": seen / train_seconds,
        "after_10_batches_samples_per_s": warm_samples / max(warm_seconds, 1e-9),
    }


def snntorch_model() -> torch.nn.Module:
    import snntorch as snn
    from snntorch import surrogate

    grad = surrogate.fast_sigmoid(slope=25)

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2 = torch.nn.Linear(784, 1000), torch.nn.Linear(1000, 10)
            self.lif1 = snn.Leaky(beta=BETA, spike_grad=grad, reset_mechanism="zero")
            self.lif2 = snn.Leaky(beta=BETA, spike_grad=grad, reset_mechanism="zero")

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            mem1, mem2 = self.lif1.init_leaky(), self.lif2.init_leaky()
            out = []
            for _ in range(STEPS):
                spk1, mem1 = self.lif1(self.fc1(x), mem1)
                spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
                out.append(spk2)
            return torch.stack(out)

    return Net()


def norse_model() -> torch.nn.Module:
    import norse.torch as norse

    # Norse's LIF is a continuous-time ODE stepped with dt: tau_mem_inv = (1 - beta) / dt gives the decay 0.95
    p = norse.LIFParameters(tau_mem_inv=torch.tensor(50.0), v_leak=torch.tensor(0.0), v_th=torch.tensor(1.0))
    model = norse.SequentialState(
        torch.nn.Linear(784, 1000), norse.LIFCell(p), torch.nn.Linear(1000, 10), norse.LIFCell(p)
    )

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            state, out = None, []
            for _ in range(STEPS):
                spikes, state = self.model(x, state)
                out.append(spikes)
            return torch.stack(out)

    return Net()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["snnkit", "snntorch", "norse"], default="snnkit")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-samples", type=int, default=None, help="per epoch; default all 60,000")
    parser.add_argument("--test-samples", type=int, default=None, help="default all 10,000")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="snnkit experiment override")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    if args.engine == "snnkit":
        result = run_snnkit(args)
    else:
        result = run_peer(args, snntorch_model if args.engine == "snntorch" else norse_model)
    summary = {"engine": args.engine, "threads": args.threads, "epochs": args.epochs, **result}
    summary |= {"peak_memory_mb": round(peak_mb(), 1), "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
