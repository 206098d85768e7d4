"""The ``if`` neuron model: integrate-and-fire without leak."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, hookimpl
from snnkit_plugins.neurons.lif import LIFState, fire


class IF(NeuronGroup):
    """Integrate-and-fire neurons without leak: the membrane keeps every input until it spikes.

    ``v[t] = v[t-1] + x[t]``; at ``v >= v_thresh`` the neuron spikes, ``v`` is set to ``v_reset``
    and input is ignored for ``refractory`` ms (whole steps). From reset, a constant input ``x > 0``
    fires after ``ceil((v_thresh - v_reset) / x)`` steps. Optional lower bound ``v_min`` keeps
    inhibition from driving ``v`` without limit. Reference: Lapicque (1907); defaults are
    BindsNET's ``IFNodes``.

    Args:
        shape: neurons in the layer.
        v_reset: reset and initial potential, -65 mV.
        v_thresh: spike threshold, -52 mV.
        refractory: refractory period, 5 ms.
        v_min: lower bound of the membrane potential (mV); ``None`` for none.

    State variables: ``v`` (mV) and ``refractory`` (ms left).

    >>> layer = IF(1)
    >>> state = layer.initial_state(1)
    >>> for _ in range(3):
    ...     spikes, state = layer(torch.tensor([[5.0]]), state, Context())
    >>> spikes.item(), state.v.item()
    (1.0, -65.0)
    """

    differentiable = True

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        v_reset: float = -65.0,
        v_thresh: float = -52.0,
        refractory: float = 5.0,
        v_min: float | None = None,
    ) -> None:
        super().__init__(shape)
        if refractory < 0:
            raise ValueError(f"refractory must be a non-negative time in ms, got {refractory}")
        self.v_reset, self.v_thresh, self.refractory, self.v_min = v_reset, v_thresh, refractory, v_min

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> LIFState:
        v = torch.full((batch_size, *self.shape), self.v_reset, device=device, dtype=dtype)
        return LIFState(v, torch.zeros_like(v))

    def forward(self, input: Tensor, state: LIFState, ctx: Context) -> tuple[Tensor, LIFState]:
        spikes, v, refractory = fire(
            state.v, input, state.refractory, self.v_thresh, self.v_reset, self.refractory, ctx.dt, self.surrogate
        )
        if self.v_min is not None:
            v = v.clamp_min(self.v_min)
        return spikes, LIFState(v, refractory)


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("if", IF)
