"""The ``dense`` connection: all-to-all synapses with a weight matrix."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from snnkit import Connection, NoState, hookimpl
from snnkit.errors import ShapeError


class Dense(Connection):
    """All-to-all synapses: each step the target receives ``spikes @ weight`` (mV per spike).

    ``weight`` has shape ``[source size, target size]``: row ``i`` holds the synapses of source
    neuron ``i``. Weights are a ``Parameter`` with ``requires_grad=False``, saved in ``state_dict``.

    Args:
        source_shape: shape of the source layer.
        target_shape: shape of the target layer.
        weight: initial weights: a tensor ``[source size, target size]``, a constant, or ``None``
            for uniform random weights in ``[wmin, wmax]`` when both bounds are finite and in
            ``[0, 0.3)`` otherwise (BindsNET's default).
        wmin: lower weight bound (hard clamp after learning), ``-inf`` for none.
        wmax: upper weight bound, ``inf`` for none.
        norm: each target neuron's incoming weights are scaled to sum to ``norm`` at construction
            and after every learning update; ``None`` for no normalisation.
        generator: random generator for the initial weights (the network passes its own).

    >>> conn = Dense(3, 2, weight=1.0)
    >>> out, _ = conn(torch.tensor([[True, False, True]]), conn.initial_state(1))
    >>> out.tolist()
    [[2.0, 2.0]]
    """

    def __init__(
        self,
        source_shape: int | Sequence[int],
        target_shape: int | Sequence[int],
        *,
        weight: Tensor | float | None = None,
        wmin: float = -math.inf,
        wmax: float = math.inf,
        norm: float | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(source_shape, target_shape, wmin=wmin, wmax=wmax, norm=norm)
        n_source, n_target = math.prod(self.source_shape), math.prod(self.target_shape)
        if weight is None:
            low, high = (wmin, wmax) if math.isfinite(wmin) and math.isfinite(wmax) else (0.0, 0.3)
            w = low + (high - low) * torch.rand(n_source, n_target, generator=generator)
        elif isinstance(weight, Tensor):
            if tuple(weight.shape) != (n_source, n_target):
                raise ShapeError("dense connection weight", (n_source, n_target), tuple(weight.shape))
            w = weight.detach().clone().float()
        else:
            w = torch.full((n_source, n_target), float(weight))
        self.weight = nn.Parameter(w, requires_grad=False)
        if norm is not None:
            self.normalize(norm)

    def forward(self, spikes: Tensor, state: NoState) -> tuple[Tensor, NoState]:
        x = spikes.reshape(spikes.shape[0], -1).to(self.weight.dtype)
        return (x @ self.weight).reshape(spikes.shape[0], *self.target_shape), state

    @torch.no_grad()
    def normalize(self, norm: float) -> None:
        total = self.weight.sum(0, keepdim=True)
        self.weight.mul_(norm / torch.where(total == 0, torch.ones_like(total), total))


@hookimpl
def snnkit_register_connections(registry):
    registry.add("dense", Dense)
