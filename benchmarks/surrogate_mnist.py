"""Surrogate-gradient training on MNIST, snnkit beside snnTorch (and Norse where it installs).

The network of snnTorch's tutorial 5 in every engine: 784 pixel values as a constant input current
for 25 steps of 1 ms, a learnable dense layer (with bias) into 1000 LIF neurons (decay 0.95 per
step, threshold 1, reset to zero), a learnable dense layer into 10 LIF neurons, the fast-sigmoid
surrogate (slope 25), Adam at lr 5e-4, batches of 128 (whole batches only), and the same loss:
cross-entropy on the output membrane's mean over the steps (``--loss membrane``, the
experiment's) or on the output spike counts (``--loss rate``). snnkit runs its named experiment
``mnist-surrogate-fc`` through the ``gradient`` pipeline (recording to HDF5 included); the peers
run a plain training loop over the same tensors. Norse's LIF cell is a current-based ODE: with a
synaptic time constant of one step and its input scaled by tau_mem / dt = 20 it integrates what
the others do, to the discretisation.

Prints one JSON line per run: test accuracy after each epoch, training samples/s (the training
batches only, evaluation excluded: over the whole run, and after the first 10 batches, which for a
compiled run include compiling) and the process's peak memory (max RSS). Each engine runs in a
process of its own, so peak memory is its own.

    SNNKIT_DATA=../shared/data python benchmarks/surrogate_mnist.py --engine snnkit --epochs 5
    SNNKIT_DATA=../shared/data python benchmarks/surrogate_mnist.py --engine snntorch --epochs 5
    SNNKIT_DATA=../shared/data python benchmarks/surrogate_mnist.py --engine norse --epochs 5  # if norse installs
    SNNKIT_DATA=../shared/data python benchmarks/surrogate_mnist.py --engine snnkit --loss rate
    SNNKIT_DATA=../shared/data python benchmarks/surrogate_mnist.py --experiment mnist-surrogate-conv --epochs 3
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
    overrides = [f"pipeline.epochs={args.epochs}", f"run.threads={json.dumps(args.threads)}", *args.overrides]
    if args.loss == "rate":
        overrides += ["pipeline.loss='rate-cross-entropy'", "pipeline.loss_params={}"]
    if args.train_samples:
        overrides.append(f"pipeline.train_samples={args.train_samples}")
    if args.test_samples:
        overrides.append(f"pipeline.test_samples={args.test_samples}")
    accuracies: list[float] = []
    train_seconds, train_samples, batches, warm_seconds, warm_samples = 0.0, 0, 0, 0.0, 0
    with tempfile.TemporaryDirectory() as folder:
        overrides.append(f"run.output={Path(folder) / 'run.h5'}")
        experiment = load_experiment(args.experiment, plugins, overrides)
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
    n_train = (args.train_samples or len(y_train)) // BATCH * BATCH  # whole batches, as the gradient pipeline
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
            loss = loss_fn(readout(model(x_train[ids]), args.loss), y_train[ids])
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
                scores = readout(model(x_test[i : i + BATCH]), args.loss)
                correct += int((scores.argmax(1) == y_test[i : i + BATCH]).sum())
        accuracies.append(correct / n_test)
        print(json.dumps({"engine": args.engine, "epoch": epoch + 1, "test_accuracy": accuracies[-1]}), flush=True)
    return {
        "test_accuracy": accuracies,
        "train_samples_per_s": seen / train_seconds,
        "after_10_batches_samples_per_s": warm_samples / max(warm_seconds, 1e-9),
    }


def readout(output: tuple[torch.Tensor, torch.Tensor], loss: str) -> torch.Tensor:
    """The scores the loss sees: the output membrane's mean over time, or the spike counts."""
    spikes, membrane = output
    return membrane.mean(0) if loss == "membrane" else spikes.sum(0)


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

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            mem1, mem2 = self.lif1.init_leaky(), self.lif2.init_leaky()
            spikes, membrane = [], []
            for _ in range(STEPS):
                spk1, mem1 = self.lif1(self.fc1(x), mem1)
                spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
                spikes.append(spk2)
                membrane.append(mem2)
            return torch.stack(spikes), torch.stack(membrane)

    return Net()


def norse_model() -> torch.nn.Module:
    import norse.torch as norse

    p = norse.LIFParameters(
        tau_syn_inv=torch.tensor(1000.0),  # 1/s: the synaptic current lasts one step of 1 ms
        tau_mem_inv=torch.tensor(1000.0 * (1 - BETA)),  # 1/s: a decay of 0.95 per step
        v_leak=torch.tensor(0.0),
        v_th=torch.tensor(1.0),
        v_reset=torch.tensor(0.0),
        method="super",  # SuperSpike: the fast sigmoid
        alpha=torch.tensor(25.0),
    )
    scale = 1.0 / (1 - BETA)  # Norse integrates dt / tau_mem of its input per step

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2 = torch.nn.Linear(784, 1000), torch.nn.Linear(1000, 10)
            self.lif1, self.lif2 = norse.LIFCell(p), norse.LIFCell(p)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            s1 = s2 = None
            spikes, membrane = [], []
            for _ in range(STEPS):
                z1, s1 = self.lif1(scale * self.fc1(x), s1)
                z2, s2 = self.lif2(scale * self.fc2(z1), s2)
                spikes.append(z2)
                membrane.append(s2.v)
            return torch.stack(spikes), torch.stack(membrane)

    return Net()


def threads(text: str) -> int | str:
    """``--threads``: a number, or "auto" (snnkit's own choice, see snnkit.threads)."""
    return text if text == "auto" else int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["snnkit", "snntorch", "norse"], default="snnkit")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=threads, default=2, help="a number, or auto (snnkit only)")
    parser.add_argument("--loss", choices=["membrane", "rate"], default="membrane", help="what the loss scores")
    parser.add_argument("--experiment", default="mnist-surrogate-fc", help="snnkit only: e.g. mnist-surrogate-conv")
    parser.add_argument("--train-samples", type=int, default=None, help="per epoch; default all 60,000")
    parser.add_argument("--test-samples", type=int, default=None, help="default all 10,000")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="snnkit experiment override")
    args = parser.parse_args()
    if isinstance(args.threads, int):
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    if args.engine == "snnkit":
        result = run_snnkit(args)
    else:
        result = run_peer(args, snntorch_model if args.engine == "snntorch" else norse_model)
    summary = {"engine": args.engine, "threads": args.threads, "epochs": args.epochs, "loss": args.loss, **result}
    if args.engine == "snnkit":
        summary["experiment"] = args.experiment
    summary |= {"peak_memory_mb": round(peak_mb(), 1), "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
