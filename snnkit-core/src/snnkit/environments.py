"""The environment and action-function interfaces for closed-loop (reinforcement-learning) runs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import NamedTuple, Protocol

import torch
from torch import Tensor

from snnkit.errors import EnvironmentSetupError, ShapeError


class Transition(NamedTuple):
    """What one environment step returns."""

    observation: Tensor
    reward: float
    terminated: bool  # the episode ended in the task's own terminal state (failure, goal)
    truncated: bool  # the episode was cut off (time limit), not ended by the task


class Environment(Protocol):
    """An episodic environment with ``n_actions`` discrete actions and tensor observations."""

    n_actions: int

    def reset(self, seed: int | None = None) -> Tensor:
        """Start an episode (from ``seed``, when given) and return the first observation."""
        ...

    def step(self, action: int) -> Transition:
        """Apply ``action`` and return the transition."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...


def pick_uniform(candidates: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """One index per row, drawn uniformly among the ``True`` entries of ``candidates`` ``[batch, n]``.

    Rows with no candidate draw among all ``n``. Used to break ties and to act on silence.
    """
    weights = candidates.float()
    weights[weights.sum(1) == 0] = 1.0
    return torch.multinomial(weights, 1, generator=generator).squeeze(1)


class ActionFunction(ABC):
    """Chooses one action per sample from output spikes ``[time, batch, n]``.

    The ``n`` output neurons are split into ``n_actions`` equal groups in order (a population code:
    neurons ``0 .. n/n_actions - 1`` stand for action 0, and so on). Subclasses implement
    :meth:`choose` and say how they resolve silence and ties; none falls back to a fixed default
    action. With ``epsilon`` > 0, each choice is replaced by a uniformly random action with that
    probability (epsilon-greedy exploration). Randomness comes only from ``generator``.
    """

    def __init__(self, epsilon: float = 0.0) -> None:
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must be a probability in [0, 1], got {epsilon}")
        self.epsilon = epsilon

    def __call__(
        self, spikes: Tensor, n_actions: int, *, generator: torch.Generator | None = None, explore: bool = True
    ) -> Tensor:
        """Actions ``[batch]`` (int64) chosen from ``spikes`` ``[time, batch, n]``; ``explore=False``
        leaves out the epsilon-greedy replacements (for evaluating a trained agent)."""
        if spikes.dim() != 3:
            raise ShapeError(f"{type(self).__name__} spikes", "[time, batch, neurons]", tuple(spikes.shape))
        if n_actions < 1 or spikes.shape[2] % n_actions:
            raise EnvironmentSetupError(
                f"{type(self).__name__}: the output layer's {spikes.shape[2]} neurons cannot be split evenly into"
                f" {n_actions} action groups; give it a multiple of {n_actions} neurons"
            )
        time, batch, n = spikes.shape
        groups = spikes.reshape(time, batch, n_actions, n // n_actions)
        actions = self.choose(groups, generator)
        if explore and self.epsilon > 0:
            replaced = torch.rand(batch, generator=generator, device=spikes.device) < self.epsilon
            random = torch.randint(n_actions, (batch,), generator=generator, device=spikes.device)
            actions = torch.where(replaced, random, actions)
        return actions

    @abstractmethod
    def choose(self, groups: Tensor, generator: torch.Generator | None) -> Tensor:
        """Actions ``[batch]`` from spikes grouped by action, ``[time, batch, n_actions, group size]``."""
