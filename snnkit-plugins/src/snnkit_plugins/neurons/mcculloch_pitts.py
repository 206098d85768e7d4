"""The ``mcculloch-pitts`` neuron model: a memoryless threshold unit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, hookimpl, spike


class McCullochPittsState(NamedTuple):
    v: Tensor  # this step's summed input (mV)


class McCullochPitts(NeuronGroup):
    """Threshold units: spike in every step whose summed input reaches ``threshold``.

    ``s[t] = (x[t] >= threshold)``, with no memory between steps and no refractory period.
    Reference: McCulloch & Pitts, Bull. Math. Biophys. 5 (1943).

    Args:
        shape: neurons in the layer.
        threshold: input at or above which a unit spikes, 1.0 (same unit as the input).

    State variables: ``v`` (this step's input).

    >>> layer = McCullochPitts(3)
    >>> spikes, _ = layer(torch.tensor([[0.5, 1.0, 2.0]]), layer.initial_state(1), Context())
    >>> spikes.tolist()
    [[0.0, 1.0, 1.0]]
    """

    differentiable = True

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        threshold: float = 1.0,
    ) -> None:
        super().__init__(shape)
        self.threshold = threshold

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> McCullochPittsState:
        return McCullochPittsState(torch.zeros((batch_size, *self.shape), device=device, dtype=dtype))

    def forward(self, input: Tensor, state: McCullochPittsState, ctx: Context) -> tuple[Tensor, McCullochPittsState]:
        return spike(input, self.threshold, self.surrogate)[0], McCullochPittsState(input)


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("mcculloch-pitts", McCullochPitts)
