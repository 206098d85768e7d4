"""The ``highest-rate`` action function: the action whose neurons fired most."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import ActionFunction, hookimpl
from snnkit.environments import pick_uniform


class HighestRate(ActionFunction):
    """The action whose group of output neurons fired the most spikes over the whole window.

    Ties are broken uniformly at random among the tied actions; silence (no spike at all) ties
    every action, so it gives a uniformly random action. Never a fixed default action.

    Args:
        epsilon: probability of replacing the choice by a uniformly random action, 0.

    >>> import torch
    >>> spikes = torch.tensor([[[1, 0, 1, 1]], [[0, 0, 1, 0]]], dtype=torch.bool)  # [time 2, batch 1, 4 neurons]
    >>> HighestRate()(spikes, n_actions=2).tolist()  # group 0: 1 spike, group 1: 3 spikes
    [1]
    """

    def choose(self, groups: Tensor, generator: torch.Generator | None) -> Tensor:
        counts = groups.sum((0, 3))  # [batch, n_actions]
        return pick_uniform(counts == counts.max(1, keepdim=True).values, generator)


@hookimpl
def snnkit_register_actions(registry):
    registry.add("highest-rate", HighestRate)
