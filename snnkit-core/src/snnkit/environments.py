"""The environment and action-function interfaces for closed-loop (reinforcement-learning) runs."""

from __future__ import annotations

from typing import NamedTuple, Protocol

import torch
from torch import Tensor


class Transition(NamedTuple):
    """What one environment step returns."""

    observation: Tensor
    reward: float
    terminated: bool
    truncated: bool


class Environment(Protocol):
    """An episodic environment with ``n_actions`` discrete actions and tensor observations."""

    n_actions: int

    def reset(self, seed: int | None = None) -> Tensor:
        """Start an episode and return the first observation."""
        ...

    def step(self, action: int) -> Transition:
        """Apply ``action`` and return the transition."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...


class ActionFunction(Protocol):
    """Chooses actions ``[batch]`` from output spikes ``[time, batch, n]``.

    Silence and ties must be resolved explicitly (documented per plugin), never by a silent
    default action; randomness comes only from ``generator``.
    """

    def __call__(self, spikes: Tensor, *, generator: torch.Generator | None = None) -> Tensor: ...
