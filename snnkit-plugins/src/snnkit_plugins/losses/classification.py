"""The classification losses for gradient training: ``rate-cross-entropy``, ``count-mse``,
``membrane-cross-entropy`` and ``first-spike-cross-entropy``.

Each reads the output layer over a sample's steps (``[time, batch, n]``, one neuron per class)
and returns the batch's mean loss; ``predict`` reads the class the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from snnkit import Loss, hookimpl


class RateCrossEntropy(Loss):
    """Cross-entropy on output spike counts: ``CE(softmax(sum_t s[t]), label)``.

    The class whose neuron fires most wins. Reference: snnTorch tutorial 5 and Neftci, Mostafa &
    Zenke (2019), "Surrogate gradient learning in spiking neural networks".

    >>> spikes = torch.tensor([[[1.0, 0.0]], [[1.0, 0.0]]])  # [time, batch, classes]
    >>> RateCrossEntropy().predict({"s": spikes}).tolist()
    [0]
    """

    def forward(self, output: Mapping[str, Tensor], labels: Tensor) -> Tensor:
        return F.cross_entropy(output["s"].sum(0), labels)

    def predict(self, output: Mapping[str, Tensor]) -> Tensor:
        return output["s"].sum(0).argmax(1)


class CountMSE(Loss):
    """Mean squared error between spike counts and targets: the correct class's neuron should
    fire on ``correct_rate`` of the steps, the others on ``incorrect_rate`` (snnTorch's
    ``mse_count_loss``).

    Args:
        correct_rate: target fraction of steps with a spike for the label's neuron, 0.8.
        incorrect_rate: target fraction for every other neuron, 0.2.

    >>> spikes = torch.tensor([[[1.0, 0.0]]] * 5)  # 5 steps, neuron 0 always fires
    >>> round(CountMSE(1.0, 0.0)({"s": spikes}, torch.tensor([0])).item(), 6)
    0.0
    """

    def __init__(self, correct_rate: float = 0.8, incorrect_rate: float = 0.2) -> None:
        super().__init__()
        if not 0.0 <= incorrect_rate <= 1.0 or not 0.0 <= correct_rate <= 1.0:
            raise ValueError("correct_rate and incorrect_rate are fractions of the steps, in [0, 1]")
        self.correct_rate, self.incorrect_rate = correct_rate, incorrect_rate

    def forward(self, output: Mapping[str, Tensor], labels: Tensor) -> Tensor:
        spikes = output["s"]
        time = spikes.shape[0]
        target = torch.full_like(spikes[0], self.incorrect_rate * time)
        target = target.scatter(1, labels[:, None], self.correct_rate * time)
        return F.mse_loss(spikes.sum(0), target)  # mean over batch and neurons

    def predict(self, output: Mapping[str, Tensor]) -> Tensor:
        return output["s"].sum(0).argmax(1)


class MembraneCrossEntropy(Loss):
    """Cross-entropy on the output membrane potential (mV) over the sample's steps, its maximum
    (``over_time = "max"``) or its mean (``"mean"``): ``CE(softmax(max_t v[t]), label)``.

    Often used with a non-spiking (leaky-integrator) readout, a ``lif`` output layer whose
    threshold is never reached; on a firing layer it scores the membrane between resets
    (``mnist-surrogate-fc`` does that, and learns faster than on spike counts). Reference:
    Cramer, Stradmann, Schemmel & Zenke (2022), "The Heidelberg spiking data sets", IEEE TNNLS
    (max-over-time readout).

    Args:
        over_time: ``"max"`` or ``"mean"``.

    >>> v = torch.tensor([[[0.0, 2.0]], [[3.0, 1.0]]])
    >>> MembraneCrossEntropy().predict({"v": v}).tolist(), MembraneCrossEntropy("mean").predict({"v": v}).tolist()
    ([0], [0])
    """

    reads: ClassVar[tuple[str, ...]] = ("v",)

    def __init__(self, over_time: str = "max") -> None:
        super().__init__()
        if over_time not in ("max", "mean"):
            raise ValueError(f"over_time must be 'max' or 'mean', got {over_time!r}")
        self.over_time = over_time

    def logits(self, output: Mapping[str, Tensor]) -> Tensor:
        v = output["v"]
        return v.amax(0) if self.over_time == "max" else v.mean(0)

    def forward(self, output: Mapping[str, Tensor], labels: Tensor) -> Tensor:
        return F.cross_entropy(self.logits(output), labels)

    def predict(self, output: Mapping[str, Tensor]) -> Tensor:
        return self.logits(output).argmax(1)


def first_spike_times(spikes: Tensor) -> Tensor:
    """Each neuron's first spike step ``[batch, n]`` (``time`` if it never fires), differentiable
    through the spikes: ``sum_t t f[t] + time (1 - sum_t f[t])`` with ``f[t] = s[t] prod_{u<t} (1 - s[u])``."""
    time = spikes.shape[0]
    silent_so_far = torch.cumprod(1.0 - spikes, 0)
    before = torch.cat([torch.ones_like(spikes[:1]), silent_so_far[:-1]])
    first = spikes * before
    steps = torch.arange(time, dtype=spikes.dtype, device=spikes.device).reshape(-1, 1, 1)
    return (steps * first).sum(0) + time * (1.0 - first.sum(0))


class FirstSpikeCrossEntropy(Loss):
    """Time-to-first-spike cross-entropy: ``CE(softmax(-t_first / tau), label)``, so the label's
    neuron should fire first (snnTorch's ``ce_temporal_loss``).

    Reference: Mostafa (2018), "Supervised learning based on temporal coding in spiking neural
    networks", IEEE TNNLS 29; first spike times as :func:`first_spike_times` gives them.

    Args:
        tau: temperature of the softmax (steps), 1.

    >>> spikes = torch.tensor([[[0.0, 1.0]], [[1.0, 1.0]]])
    >>> FirstSpikeCrossEntropy().predict({"s": spikes}).tolist()
    [1]
    """

    def __init__(self, tau: float = 1.0) -> None:
        super().__init__()
        if not tau > 0:
            raise ValueError(f"tau must be a positive number of steps, got {tau}")
        self.tau = tau

    def forward(self, output: Mapping[str, Tensor], labels: Tensor) -> Tensor:
        return F.cross_entropy(-first_spike_times(output["s"]) / self.tau, labels)

    def predict(self, output: Mapping[str, Tensor]) -> Tensor:
        return (-first_spike_times(output["s"])).argmax(1)


@hookimpl
def snnkit_register_losses(registry):
    registry.add("rate-cross-entropy", RateCrossEntropy)
    registry.add("count-mse", CountMSE)
    registry.add("membrane-cross-entropy", MembraneCrossEntropy)
    registry.add("first-spike-cross-entropy", FirstSpikeCrossEntropy)
