"""The ``gaussian-population`` encoder: each real value drives a population with Gaussian tuning."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from snnkit import Encoder, hookimpl


class GaussianPopulation(Encoder):
    """Population coding of a real vector: each value drives ``neurons`` neurons whose preferred
    values are spread evenly over ``[low, high]``, with Gaussian receptive fields of width
    ``sigma`` (default: the spacing of the centres). A neuron's firing probability per step is
    ``max_prob * exp(-(x - centre)^2 / (2 sigma^2))``; spikes are Bernoulli draws. Data
    ``[batch, features]`` becomes spikes ``[time, batch, features * neurons]`` (feature-major), e.g.
    for gymnasium observations. Reference: Eliasmith & Anderson, *Neural Engineering* (2003).

    Args:
        neurons: neurons per feature, 10.
        low: lowest preferred value, a number or one per feature, -1.
        high: highest preferred value, a number or one per feature, 1.
        sigma: width of the receptive fields; ``None`` uses the spacing of the centres.
        max_prob: spike probability per step at a neuron's preferred value, 1.0.

    >>> import torch
    >>> enc = GaussianPopulation(neurons=5, low=0.0, high=1.0, max_prob=1.0)
    >>> [round(p, 3) for p in enc.probabilities(torch.tensor([[0.5]]))[0].tolist()]
    [0.135, 0.607, 1.0, 0.607, 0.135]
    """

    def __init__(
        self,
        neurons: int = 10,
        low: float | Sequence[float] = -1.0,
        high: float | Sequence[float] = 1.0,
        sigma: float | None = None,
        max_prob: float = 1.0,
    ) -> None:
        if neurons < 2:
            raise ValueError(f"neurons must be at least 2 per feature, got {neurons}")
        self.neurons, self.max_prob = neurons, max_prob
        self.low = torch.as_tensor(low, dtype=torch.float32)
        self.high = torch.as_tensor(high, dtype=torch.float32)
        if (self.high <= self.low).any():
            raise ValueError("every high must exceed its low")
        self.sigma = sigma

    def probabilities(self, data: Tensor) -> Tensor:
        """Firing probability per step, ``[batch, features * neurons]``."""
        x = data.float().reshape(data.shape[0], -1, 1)  # [batch, features, 1]
        fraction = torch.linspace(0.0, 1.0, self.neurons, device=x.device)
        low, high = self.low.to(x.device).reshape(-1, 1), self.high.to(x.device).reshape(-1, 1)
        centres = low + (high - low) * fraction  # [features or 1, neurons]
        sigma = self.sigma if self.sigma is not None else (high - low) / (self.neurons - 1)
        p = self.max_prob * torch.exp(-((x - centres) ** 2) / (2 * sigma**2))
        return p.reshape(data.shape[0], -1)

    def __call__(self, data: Tensor, time: int, *, dt: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        p = self.probabilities(data)
        return torch.rand((time, *p.shape), generator=generator, device=p.device) < p


@hookimpl
def snnkit_register_encoders(registry):
    registry.add("gaussian-population", GaussianPopulation)
