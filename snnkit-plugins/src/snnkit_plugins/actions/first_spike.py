"""The ``first-spike`` action function: the action whose neurons fired first."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import ActionFunction, hookimpl
from snnkit.environments import pick_uniform


class FirstSpike(ActionFunction):
    """The action whose group of output neurons fired first in the window (a latency code).

    Actions that fire first in the same step tie and are chosen between uniformly at random;
    silence (no spike at all) gives a uniformly random action. Never a fixed default action.

    Args:
        epsilon: probability of replacing the choice by a uniformly random action, 0.

    >>> import torch
    >>> spikes = torch.tensor([[[0, 0, 0, 0]], [[0, 0, 1, 0]], [[1, 1, 1, 1]]], dtype=torch.bool)
    >>> FirstSpike()(spikes, n_actions=2).tolist()  # group 1 fires at step 1, group 0 only at step 2
    [1]
    """

    def choose(self, groups: Tensor, generator: torch.Generator | None) -> Tensor:
        fired = groups.any(3)  # [time, batch, n_actions]
        time = fired.shape[0]
        steps = torch.arange(time, device=fired.device).reshape(time, 1, 1).expand_as(fired)
        first = torch.where(fired, steps, time).min(0).values  # [batch, n_actions]; time = never fired
        return pick_uniform((first == first.min(1, keepdim=True).values) & (first < time), generator)


@hookimpl
def snnkit_register_actions(registry):
    registry.add("first-spike", FirstSpike)
