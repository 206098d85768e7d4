"""The ``multinomial`` action function: a randomly drawn output spike picks the action."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import ActionFunction, hookimpl
from snnkit.environments import pick_uniform


class Multinomial(ActionFunction):
    """Draws one output spike of the window uniformly at random; its neuron's group is the action.

    So each action's probability is its group's share of all spikes (a population code read out
    by sampling). Silence gives a uniformly random action.

    Args:
        epsilon: probability of replacing the choice by a uniformly random action, 0.

    >>> import torch
    >>> Multinomial()(torch.tensor([[[0, 0, 1, 1]]], dtype=torch.bool), n_actions=2).tolist()
    [1]
    """

    def choose(self, groups: Tensor, generator: torch.Generator | None) -> Tensor:
        counts = groups.sum((0, 3)).float()  # [batch, n_actions]
        silent = counts.sum(1) == 0
        if silent.all():
            return pick_uniform(torch.zeros_like(counts, dtype=torch.bool), generator)
        counts[silent] = 1.0
        return torch.multinomial(counts, 1, generator=generator).squeeze(1)


@hookimpl
def snnkit_register_actions(registry):
    registry.add("multinomial", Multinomial)
