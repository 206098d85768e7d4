"""The ``repeat`` encoder: the same input every step."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import Encoder, hookimpl


class Repeat(Encoder):
    """Repeats the data (times ``scale``) at every step: a constant current for ``real-input`` or
    ``lif`` layers, or constant spikes for boolean data.

    Args:
        scale: factor applied to the data, 1.0.

    >>> import torch
    >>> Repeat(scale=2.0)(torch.tensor([[0.5, 1.0]]), 2).tolist()
    [[[1.0, 2.0]], [[1.0, 2.0]]]
    """

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def __call__(self, data: Tensor, time: int, *, dt: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        values = data if data.dtype == torch.bool and self.scale == 1.0 else data.float() * self.scale
        return values.unsqueeze(0).expand(time, *data.shape).clone()


@hookimpl
def snnkit_register_encoders(registry):
    registry.add("repeat", Repeat)
