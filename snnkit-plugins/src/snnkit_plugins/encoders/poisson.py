"""The ``poisson`` encoder: intensities to Poisson spike trains."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from snnkit import RateEncoder, hookimpl


class Poisson(RateEncoder):
    """Poisson spike trains whose rates are proportional to the data: ``rate = data * max_rate``.

    Over a window of ``time`` steps of ``dt`` ms each neuron's spike count is drawn from a Poisson
    distribution with mean ``rate * time * dt / 1000`` (at most one spike per step, so counts are
    capped at ``time``), and the spikes fall on distinct steps chosen uniformly: the counts have
    exact Poisson statistics (mean = variance) and the timing is that of a Poisson process on the
    step grid. Data must be non-negative (intensities, e.g. pixels scaled to [0, 1]).

    Args:
        max_rate: rate (Hz) for an intensity of 1, 63.75 Hz (Diehl & Cook 2015: 255 / 4).

    >>> import torch
    >>> spikes = Poisson(max_rate=100.0)(torch.tensor([[0.0, 1.0]]), 1000, generator=torch.Generator().manual_seed(0))
    >>> spikes.shape, spikes[:, 0, 0].sum().item()
    (torch.Size([1000, 1, 2]), 0)
    """

    def __init__(self, max_rate: float = 63.75) -> None:
        if not 0 <= max_rate < math.inf:
            raise ValueError(f"max_rate must be a non-negative, finite rate in Hz, got {max_rate}")
        self.max_rate = max_rate

    def __call__(self, data: Tensor, time: int, *, dt: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        if not bool(((data >= 0) & (data < math.inf)).all()):  # NaN fails both comparisons
            bad = data[~((data >= 0) & (data < math.inf))].flatten()[0].item()
            raise ValueError(f"poisson encoder: data must be finite, non-negative intensities, found {bad}")
        mean = data.float() * self.max_rate * time * dt / 1000.0
        goal = torch.poisson(mean, generator=generator).clamp_max(time).reshape(-1).long()
        # Each neuron's `goal` spikes fall on distinct, uniformly chosen steps: draw steps for the
        # spikes still missing, until none is (a draw that hits a taken step is lost and drawn
        # again). Nothing here favours any step, so every set of distinct steps is equally likely.
        taken = torch.zeros((goal.numel(), time), dtype=torch.bool, device=data.device)
        neurons = goal.nonzero().squeeze(1)  # most pixels of a digit are dark: none drawn
        missing = goal[neurons]
        while neurons.numel():
            owners = torch.repeat_interleave(neurons, missing)
            steps = torch.randint(0, time, (owners.numel(),), generator=generator, device=data.device)
            taken[owners, steps] = True
            missing = goal[neurons] - taken[neurons].sum(1)
            left = missing > 0
            neurons, missing = neurons[left], missing[left]
        spikes = taken.T.contiguous()
        spikes = spikes.reshape(time, *data.shape)
        return spikes


@hookimpl
def snnkit_register_encoders(registry):
    registry.add("poisson", Poisson)
