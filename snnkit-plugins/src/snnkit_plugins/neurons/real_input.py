"""The ``real-input`` neuron model: a layer that passes real values on instead of spikes."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, NoState, hookimpl


class RealInput(NeuronGroup):
    """Real-valued source: passes the values fed through ``Network.run(inputs=...)`` on unchanged.

    Where ``input`` turns its input into spikes, this layer's output is the input itself, so a
    connection from it injects ``value x weight`` into its target each step: a current rather than
    spikes. Its output is recorded as ``s`` like spikes; a trace, when kept, counts nonzero outputs.

    Args:
        shape: neurons in the layer.
        trace_tau: time constant (ms) of the trace for learning rules; ``None`` keeps none.
        trace_additive: add the value per step (``True``) or reset the trace to 1 (``False``).

    >>> layer = RealInput(2)
    >>> out, _ = layer(torch.tensor([[0.5, -2.0]]), layer.initial_state(1), Context())
    >>> out.tolist()
    [[0.5, -2.0]]
    """

    emits_real = True
    memoryless = True

    def __init__(
        self, shape: int | Sequence[int], *, trace_tau: float | None = None, trace_additive: bool = False
    ) -> None:
        super().__init__(shape, trace_tau=trace_tau, trace_additive=trace_additive)

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> NoState:
        return NoState()

    def forward(self, input: Tensor, state: NoState, ctx: Context) -> tuple[Tensor, NoState]:
        return input, state


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("real-input", RealInput)
