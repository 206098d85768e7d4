"""The ``softmax`` action function: actions drawn with probabilities from a softmax of spike counts."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import ActionFunction, hookimpl


class Softmax(ActionFunction):
    """Draws an action with probability ``softmax(counts / temperature)``, where ``counts`` are the
    spikes of each action's group over the window.

    Low temperatures approach ``highest-rate``; high ones approach ``random``. Silence gives equal
    counts, so a uniformly random action, as do exact ties among the tied actions.

    Args:
        temperature: in spikes, 1.0.
        epsilon: probability of replacing the choice by a uniformly random action, 0.

    >>> import torch
    >>> Softmax(temperature=0.01)(torch.tensor([[[0, 1]]], dtype=torch.bool), n_actions=2).tolist()
    [1]
    """

    def __init__(self, temperature: float = 1.0, *, epsilon: float = 0.0) -> None:
        super().__init__(epsilon)
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = temperature

    def choose(self, groups: Tensor, generator: torch.Generator | None) -> Tensor:
        counts = groups.sum((0, 3)).float()  # [batch, n_actions]
        probabilities = torch.softmax(counts / self.temperature, dim=1)
        return torch.multinomial(probabilities, 1, generator=generator).squeeze(1)


@hookimpl
def snnkit_register_actions(registry):
    registry.add("softmax", Softmax)
