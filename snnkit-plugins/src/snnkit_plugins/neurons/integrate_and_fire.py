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


# -- NIR (docs/nir.md): IF <-> nir.IF (dv/dt = r I); snnkit exports r = 1/dt, so each step adds its input.


def export_nir(layer: IF, ctx):
    import nir

    if layer.refractory > 0:
        ctx.unsupported(f"its refractory period is {layer.refractory} ms and NIR's IF has none (use refractory=0)")
    if layer.v_min is not None:
        ctx.unsupported(f"its membrane is bounded below by v_min = {layer.v_min} mV, which NIR's IF is not")
    if layer.v_reset != 0:
        ctx.unsupported(
            f"it starts at v_reset = {layer.v_reset} mV, while NIR's IF starts at 0 and has no resting potential"
            " to say otherwise (use v_reset=0 and shift v_thresh by the same)"
        )
    return nir.IF(r=ctx.array(1.0 / ctx.dt_s), v_threshold=ctx.array(layer.v_thresh), v_reset=ctx.array(layer.v_reset))


def import_nir(node, ctx) -> IF:
    import numpy as np

    shape = ctx.shape(node.r, node.v_threshold, node.v_reset)
    gain = ctx.gain(np.asarray(node.r) * ctx.dt_s)
    values = {
        "v_reset": ctx.uniform(np.asarray(node.v_reset) / gain),
        "v_thresh": ctx.uniform(np.asarray(node.v_threshold) / gain),
    }
    varying = [k for k, v in values.items() if isinstance(v, torch.Tensor)]
    if varying:
        ctx.unsupported(f"if takes one value per layer, but {', '.join(varying)} differ between neurons")
    if values["v_reset"] != 0:
        ctx.unsupported("snnkit's if starts at v_reset, NIR's IF at 0: a nonzero v_reset cannot be imported")
    return IF(shape, **values, refractory=0.0)


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(IF, export_nir)
    registry.importer("IF", import_nir)
