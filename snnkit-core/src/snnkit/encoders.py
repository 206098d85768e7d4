"""The encoder interface: tensors to spike trains."""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod

import torch
from torch import Tensor


class Encoder(ABC):
    """Turns data ``[batch, ...]`` into a spike train ``[time, batch, ...]`` (bool).

    Randomness comes only from ``generator`` (the run's), so a seed repeats an encoding exactly.
    """

    @abstractmethod
    def __call__(self, data: Tensor, time: int, *, dt: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        """Encode ``data`` over ``time`` steps of ``dt`` ms."""


class RateEncoder(Encoder):
    """An encoder whose spike rates scale with ``max_rate``, the rate (Hz) for an intensity of 1.

    Pipelines that present a sample again at a higher rate when it drew too few spikes (Diehl &
    Cook 2015) ask for that encoder with :meth:`with_max_rate`; the original is never changed.
    """

    max_rate: float

    def with_max_rate(self, max_rate: float) -> RateEncoder:
        """A copy of this encoder with another ``max_rate``."""
        changed = copy.copy(self)
        changed.max_rate = max_rate
        return changed
