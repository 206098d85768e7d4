"""The ``bernoulli`` encoder: one independent coin flip per step and neuron."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import Encoder, hookimpl


class Bernoulli(Encoder):
    """Each step, each neuron spikes with probability ``data * max_prob`` (data in [0, 1]).

    Args:
        max_prob: spike probability per step for an intensity of 1, 1.0.

    >>> import torch
    >>> Bernoulli()(torch.tensor([[0.0, 1.0]]), 3, generator=torch.Generator()).tolist()
    [[[False, True]], [[False, True]], [[False, True]]]
    """

    def __init__(self, max_prob: float = 1.0) -> None:
        if not 0.0 <= max_prob <= 1.0:
            raise ValueError(f"max_prob must be a probability in [0, 1], got {max_prob}")
        self.max_prob = max_prob

    def __call__(self, data: Tensor, time: int, *, dt: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        p = (data.float() * self.max_prob).clamp(0.0, 1.0)
        return torch.rand((time, *data.shape), generator=generator, device=data.device) < p


@hookimpl
def snnkit_register_encoders(registry):
    registry.add("bernoulli", Bernoulli)
