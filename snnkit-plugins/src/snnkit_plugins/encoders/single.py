"""The ``single`` encoder: time-to-first-spike (latency) coding."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import Encoder, hookimpl


class Single(Encoder):
    """One spike per neuron at a latency that falls linearly with intensity: an intensity of 1
    spikes at step 0, an intensity ``x`` at step ``round((1 - x) * (time - 1))``; intensities at or
    below ``threshold`` never spike. Data in [0, 1].

    Args:
        threshold: intensity at or below which a neuron stays silent, 0.0.

    >>> import torch
    >>> Single()(torch.tensor([[1.0, 0.5, 0.0]]), 5)[:, 0].nonzero().tolist()  # [step, neuron]
    [[0, 0], [2, 1]]
    """

    def __init__(self, threshold: float = 0.0) -> None:
        self.threshold = threshold

    def __call__(self, data: Tensor, time: int, *, dt: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        x = data.float().clamp(0.0, 1.0)
        latency = torch.round((1.0 - x) * (time - 1)).long()
        steps = torch.arange(time, device=data.device).reshape(time, *[1] * data.dim())
        return (steps == latency) & (x > self.threshold)


@hookimpl
def snnkit_register_encoders(registry):
    registry.add("single", Single)
