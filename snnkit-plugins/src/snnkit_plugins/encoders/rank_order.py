"""The ``rank-order`` encoder: one spike per neuron, stronger inputs first."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import Encoder, hookimpl


class RankOrder(Encoder):
    """One spike per neuron with nonzero input, ordered by intensity: the strongest input spikes at
    step 0, the others follow in decreasing order of intensity, spread evenly over the window
    (ties spike together). Zero inputs never spike. Reference: Thorpe & Gautrais (1998).

    >>> import torch
    >>> spikes = RankOrder()(torch.tensor([[0.2, 0.9, 0.0, 0.5]]), 4)
    >>> spikes[:, 0].nonzero().tolist()  # [step, neuron]: 0.9 first, then 0.5, then 0.2
    [[0, 1], [1, 3], [2, 0]]
    """

    def __call__(self, data: Tensor, time: int, *, dt: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        flat = data.reshape(data.shape[0], -1).float()
        levels = torch.unique(flat[flat > 0], sorted=True).flip(0)  # distinct intensities, strongest first
        rank = torch.searchsorted(-levels, -flat.clamp_min(0), right=False)  # position of each value
        step = (rank * time) // max(len(levels), 1)
        spikes = torch.zeros((time, *flat.shape), dtype=torch.bool, device=data.device)
        active = flat > 0
        batch, neuron = active.nonzero(as_tuple=True)
        spikes[step[batch, neuron], batch, neuron] = True
        return spikes.reshape(time, *data.shape)


@hookimpl
def snnkit_register_encoders(registry):
    registry.add("rank-order", RankOrder)
