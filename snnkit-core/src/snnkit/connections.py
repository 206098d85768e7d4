"""The connection interface that connection-type plugins implement."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from snnkit.context import NoState
from snnkit.neurons import as_shape


class Connection(nn.Module, ABC):
    """Synapses from a source layer to a target layer, with weights and optional plasticity.

    The contract (checked for any plugin by ``snnkit.testing.ConnectionContract``):

    * ``weight`` is a tensor attribute (a buffer or a parameter) that learning rules update in place.
    * :meth:`forward` maps the source's boolean spikes ``[batch, *source_shape]`` to the input they
      deliver to the target ``[batch, *target_shape]``. Transient state (e.g. a delay line) is a
      ``NamedTuple`` from :meth:`initial_state`, owned by the network like a neuron's state.
    * After every learning update the network calls :meth:`constrain`, which clamps weights to
      ``[wmin, wmax]`` and then, when ``norm`` is set, calls :meth:`normalize`.

    Args:
        source_shape: shape of the source layer.
        target_shape: shape of the target layer.
        wmin: lower weight bound (hard clamp), ``-inf`` for none.
        wmax: upper weight bound (hard clamp), ``inf`` for none.
        norm: total incoming weight per target neuron, restored after each update; ``None`` for none.
    """

    weight: Tensor

    def __init__(
        self,
        source_shape: int | Sequence[int],
        target_shape: int | Sequence[int],
        *,
        wmin: float = -math.inf,
        wmax: float = math.inf,
        norm: float | None = None,
    ) -> None:
        super().__init__()
        self.source_shape = as_shape(source_shape)
        self.target_shape = as_shape(target_shape)
        if wmin > wmax:
            raise ValueError(f"wmin ({wmin}) must not exceed wmax ({wmax})")
        self.wmin, self.wmax, self.norm = wmin, wmax, norm

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> NamedTuple:
        """Transient state for ``batch_size`` samples; none by default."""
        return NoState()

    @abstractmethod
    def forward(self, spikes: Tensor, state: Any) -> tuple[Tensor, Any]:
        """Deliver one step of source spikes: ``[batch, *source_shape]`` to ``(input, state)``."""

    @torch.no_grad()
    def constrain(self) -> None:
        """Clamp weights to ``[wmin, wmax]``, then normalise them if ``norm`` is set."""
        if self.wmin > -math.inf or self.wmax < math.inf:
            self.weight.clamp_(self.wmin, self.wmax)
        if self.norm is not None:
            self.normalize(self.norm)

    def normalize(self, norm: float) -> None:
        """Scale the weights so that each target neuron's incoming weights sum to ``norm``."""
        raise NotImplementedError(f"{type(self).__name__} does not support weight normalisation (norm=...)")

    def extra_repr(self) -> str:
        return f"source_shape={self.source_shape}, target_shape={self.target_shape}"
