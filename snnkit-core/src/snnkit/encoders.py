"""The encoder interface: tensors to spike trains."""

from __future__ import annotations

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
