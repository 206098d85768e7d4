"""The ``input`` neuron model: a layer whose spikes are given from outside."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, NoState, hookimpl, to_spikes
from snnkit.errors import NetworkError


class Input(NeuronGroup):
    """Spike source: emits exactly the spikes fed to it through ``Network.run(inputs=...)``.

    A neuron spikes in a step when its input that step is ``True`` or 1; it has no other state. Other
    values are refused (a 3 is no spike): encode real values first (e.g. ``poisson``) or feed them
    to a ``real-input`` layer. Use it for encoded data and as the first layer of most networks.

    Args:
        shape: neurons in the layer.

    >>> layer = Input(3)
    >>> spikes, _ = layer(torch.tensor([[1.0, 0.0, 1.0]]), layer.initial_state(1), Context())
    >>> spikes.tolist()
    [[1.0, 0.0, 1.0]]
    """

    memoryless = True

    def check_input(self, name: str, x: Tensor) -> None:
        if x.dtype != torch.bool and not bool(((x.detach() == 0) | (x.detach() == 1)).all()):
            bad = x.detach()[(x.detach() != 0) & (x.detach() != 1)].flatten()[0].item()
            raise NetworkError(
                f"input for layer {name!r} must be spikes (booleans or 0/1), found {bad!r}; encode real values"
                " first (e.g. the poisson encoder) or use a 'real-input' layer"
            )

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> NoState:
        return NoState()

    def forward(self, input: Tensor, state: NoState, ctx: Context) -> tuple[Tensor, NoState]:
        spikes = to_spikes(input, ctx.dtype) if input.dtype == torch.bool else to_spikes(input.bool(), input.dtype)
        if input.requires_grad:  # gradients pass straight through to the input
            spikes = input + (spikes - input).detach()
        return spikes, state


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("input", Input)


# -- NIR (docs/nir.md): an input layer is the graph's Input node. A graph from another tool may be fed
# currents as well as spikes (snnTorch's are): its Input imports as a real-input layer, which passes
# both on as given; snnkit's own graphs say which of the two each input layer was.


def export_nir(layer: Input, ctx):
    import nir
    import numpy as np

    return nir.Input(input_type=np.array(layer.shape), metadata={"snnkit_neuron": "input"})


def import_nir(node, ctx):
    metadata = getattr(node, "metadata", None) or {}
    if str(metadata.get("snnkit_neuron", "")) == "input" or ctx.plugins is None:
        return Input(ctx.source_shape)
    return ctx.plugins.build("neurons", "real-input", ctx.source_shape)


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(Input, export_nir)
    registry.importer("Input", import_nir)
