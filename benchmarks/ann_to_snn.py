"""ANN-to-SNN conversion on MNIST: a small CNN trained with torch, converted, and its spiking accuracy.

Trains Conv(1->6, 5x5)-ReLU-AvgPool(2)-Conv(6->12, 5x5)-ReLU-AvgPool(2)-Flatten-Linear(192->10)
on the 60,000 MNIST training digits (pixels in [0, 1], Adam, lr 1e-3, batches of 64, a couple of
epochs, seed 0), converts it with ``snnkit_plugins.conversion.ann_to_snn`` (integrate-and-fire
neurons resetting by subtraction, weights normalised at the 99.9th percentile of the activations
of 1000 training digits, pixels as a constant input current), and prints the ANN's accuracy on
the 10,000 test digits beside the spiking network's after 50, 100, 200 and 500 steps (one run of
500 steps per batch gives every figure), as a JSON line and a table.

    SNNKIT_DATA=../shared/data flock /tmp/heavy.lock python benchmarks/ann_to_snn.py --epochs 2
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from torch import nn


def model() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Conv2d(6, 12, 5),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(192, 10),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps", default="50,100,200,500")
    parser.add_argument("--calibration", type=int, default=1000)
    parser.add_argument("--percentile", type=float, default=99.9)
    parser.add_argument("--test-samples", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=250, help="test digits per spiking run")
    parser.add_argument("--threads", type=int, default=1, help="1: on a shared 2-core machine, 2 threads spin")
    parser.add_argument("--compile", action="store_true", help="fuse the spiking steps with torch.compile")
    parser.add_argument("--save", default=None, help="also save the trained ANN here (torch.save of the module)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from snnkit_plugins.conversion import ann_to_snn, spiking_accuracy
    from snnkit_plugins.datasets.torchvision import mnist

    train, test = mnist(train=True, download=False), mnist(train=False, download=False)
    x_train, y_train = train.images.float().div(255).unsqueeze(1), train.labels
    x_test, y_test = test.images.float().div(255).unsqueeze(1), test.labels
    x_test, y_test = x_test[: args.test_samples], y_test[: args.test_samples]

    torch.manual_seed(0)
    ann = model()
    optimiser = torch.optim.Adam(ann.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(args.epochs):
        ann.train()
        for i in torch.randperm(len(x_train)).split(64):
            optimiser.zero_grad()
            nn.functional.cross_entropy(ann(x_train[i]), y_train[i]).backward()
            optimiser.step()
    train_s = time.perf_counter() - start
    ann.eval()
    if args.save:
        torch.save(ann, args.save)
    with torch.no_grad():
        ann_accuracy = float((ann(x_test).argmax(1) == y_test).float().mean())

    calibration = x_train[torch.randperm(len(x_train), generator=torch.Generator().manual_seed(0))[: args.calibration]]
    start = time.perf_counter()
    snn = ann_to_snn(ann, calibration, percentile=args.percentile)
    snn.use_compile = args.compile
    convert_s = time.perf_counter() - start
    steps = [int(s) for s in args.steps.split(",")]
    start = time.perf_counter()
    accuracy = spiking_accuracy(snn, x_test, y_test, steps=steps, batch_size=args.batch_size)
    simulate_s = time.perf_counter() - start
    print(
        json.dumps(
            {
                "epochs": args.epochs,
                "test_samples": len(y_test),
                "ann_accuracy": ann_accuracy,
                "snn_accuracy": {str(t): a for t, a in accuracy.items()},
                "train_s": round(train_s, 1),
                "convert_s": round(convert_s, 2),
                "simulate_s": round(simulate_s, 1),
                "percentile": args.percentile,
                "calibration": args.calibration,
                "threads": args.threads,
                "compile": args.compile,
            }
        )
    )
    print(f"\nANN: {100 * ann_accuracy:.2f} %")
    print("| steps | SNN accuracy (%) | SNN - ANN (points) |\n|---|---|---|")
    for t, a in accuracy.items():
        print(f"| {t} | {100 * a:.2f} | {100 * (a - ann_accuracy):+.2f} |")


if __name__ == "__main__":
    main()
