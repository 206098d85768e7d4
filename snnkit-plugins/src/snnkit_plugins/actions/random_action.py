"""The ``random`` action function: a uniformly random action, whatever the spikes (a baseline)."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import ActionFunction, hookimpl


class Random(ActionFunction):
    """A uniformly random action each time, ignoring the spikes: the random-policy baseline.

    >>> import torch
    >>> Random()(torch.zeros(5, 3, 4, dtype=torch.bool), n_actions=2).shape
    torch.Size([3])
    """

    def __init__(self) -> None:
        super().__init__(epsilon=0.0)

    def choose(self, groups: Tensor, generator: torch.Generator | None) -> Tensor:
        batch, n_actions = groups.shape[1], groups.shape[2]
        return torch.randint(n_actions, (batch,), generator=generator, device=groups.device)


@hookimpl
def snnkit_register_actions(registry):
    registry.add("random", Random)
