"""The neuron-group interface that neuron-model plugins implement."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from snnkit.context import Context
from snnkit.errors import NetworkError
from snnkit.surrogates import Surrogate


def as_shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    """Normalise ``100`` or ``(28, 28)`` to a tuple of positive ints."""
    dims = (shape,) if isinstance(shape, int) else tuple(shape) if isinstance(shape, Sequence) else ()
    if not dims or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
        raise NetworkError(f"a shape must be a positive int or a sequence of them, e.g. 100 or (28, 28); got {shape!r}")
    return dims


class NeuronGroup(nn.Module, ABC):
    """A group of neurons of one model, stepped by a :class:`~snnkit.Network`.

    The contract (checked for any plugin by ``snnkit.testing.NeuronContract``):

    * ``shape`` is the shape of one sample; every tensor has a leading batch dimension.
    * Transient state (membrane potentials, refractory counters) is a ``NamedTuple`` of tensors
      returned by :meth:`initial_state` and threaded through :meth:`forward` by the network, which
      owns it. Learned per-neuron quantities (e.g. adaptive thresholds) are buffers, so they land
      in ``state_dict``; they may only change when ``ctx.learning`` is true.
    * :meth:`forward` maps the summed input of one step ``[batch, *shape]`` to spikes of the same
      shape and the next state. **Spikes are 0.0/1.0 in the input's float dtype**, in every
      execution mode (simulation, compiled, differentiable); a group that emits real values
      instead of spikes (``real-input``) sets ``emits_real = True``. It must not keep anything on
      ``self`` between steps, except learned buffers.
    * A model whose spikes come from a threshold crossing sets ``differentiable = True`` and emits
      ``snnkit.spike(v, threshold, self.surrogate)[0]``: the exact step forward, and the surrogate's
      pseudo-derivative backward when the network trains by gradient. The network sets
      :attr:`surrogate` (``add_layer(..., surrogate="atan")``); it is ``None`` otherwise.
    * The step must be differentiable where it can be: no in-place change of a tensor that
      carries a gradient, and learned buffers (adaptive thresholds) change only while
      ``ctx.learning`` is true, which it never is in a differentiable run.
    * Monitors can record ``"s"`` (spikes) and every field of the state by name.
    * A layer keeps no spike traces: learning rules keep the traces they need in their own state.

    Args:
        shape: neurons in the group, an int or a tuple such as ``(28, 28)``.
    """

    emits_real = False
    differentiable = False
    #: The output depends on this step's input alone (no state, no randomness): fed the same input
    #: every step, the layer emits the same, and the network reuses what it delivers.
    memoryless = False
    surrogate: Surrogate | None = None

    def __init__(self, shape: int | Sequence[int]) -> None:
        super().__init__()
        self.shape = as_shape(shape)

    @property
    def size(self) -> int:
        """Number of neurons in one sample."""
        return math.prod(self.shape)

    def check_input(self, name: str, x: Tensor) -> None:
        """Refuse external input this layer cannot take, once per ``Network.run`` (not per step):
        by default NaN and infinite values. Raise :class:`~snnkit.errors.NetworkError`."""
        if x.is_floating_point() and not bool(torch.isfinite(x.detach()).all()):
            raise NetworkError(f"input for layer {name!r} contains NaN or infinite values")

    @abstractmethod
    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> NamedTuple:
        """The resting state for ``batch_size`` samples."""

    @abstractmethod
    def forward(self, input: Tensor, state: Any, ctx: Context) -> tuple[Tensor, Any]:
        """Advance one step of ``ctx.dt`` ms: ``input`` ``[batch, *shape]`` to ``(spikes, state)``."""

    def extra_repr(self) -> str:
        return f"shape={self.shape}"
