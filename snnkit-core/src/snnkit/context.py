"""Values handed to components on every simulation step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from torch import Tensor


@dataclass(frozen=True)
class Context:
    """What a step needs besides tensors; built once per :meth:`Network.run`, not per step.

    Attributes:
        dt: simulation time step (ms).
        learning: whether plastic quantities (weights, adaptive thresholds) may change: true in
            ``train()`` mode when ``run(learning=True)``.
        generator: the network's random generator on its device; stochastic models draw from it
            so that a seed repeats a run exactly.
        dtype: the network's float dtype, which spikes take.
    """

    dt: float = 1.0
    learning: bool = False
    generator: torch.Generator | None = None
    dtype: torch.dtype = torch.float32


class Activity(NamedTuple):
    """What a learning rule sees of a layer: its spikes ``[batch, *shape]`` (0/1 floats) and its
    state (e.g. the firing probability of ``srm0`` neurons). Traces are the rule's own (its state)."""

    spikes: Tensor
    state: Any = None


class NoState(NamedTuple):
    """The state of a component that keeps none."""
