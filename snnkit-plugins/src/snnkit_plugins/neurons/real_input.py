"""The ``real-input`` neuron model: a layer that passes real values on instead of spikes."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, NoState, hookimpl


class RealInput(NeuronGroup):
    """Real-valued source: passes the values fed through ``Network.run(inputs=...)`` on unchanged.

    Where ``input`` turns its input into spikes, this layer's output is the input itself, so a
    connection from it injects ``value x weight`` into its target each step: a current rather than
    spikes. Its output is recorded as ``s`` like spikes.

    Args:
        shape: neurons in the layer.

    >>> layer = RealInput(2)
    >>> out, _ = layer(torch.tensor([[0.5, -2.0]]), layer.initial_state(1), Context())
    >>> out.tolist()
    [[0.5, -2.0]]
    """

    emits_real = True
    memoryless = True

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> NoState:
        return NoState()

    def forward(self, input: Tensor, state: NoState, ctx: Context) -> tuple[Tensor, NoState]:
        return input, state


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("real-input", RealInput)


# -- NIR (docs/nir.md): the graph's Input node (the input plugin imports it).


def export_nir(layer: RealInput, ctx):
    import nir
    import numpy as np

    return nir.Input(input_type=np.array(layer.shape), metadata={"snnkit_neuron": "real-input"})


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(RealInput, export_nir)
