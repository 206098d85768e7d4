"""The ``one-to-one`` connection: neuron ``i`` of the source drives neuron ``i`` of the target."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from snnkit import Connection, Context, NoState, hookimpl
from snnkit.errors import ShapeError
from snnkit.init import WeightSpec, initial_weights


class OneToOne(Connection):
    """One synapse per neuron: source neuron ``i`` drives target neuron ``i`` with ``weight[i]``.

    Source and target must have the same number of neurons (their shapes may differ, e.g.
    ``(28, 28)`` to ``784``; neurons pair up in flattened order). Learning rules update it through
    ``add_outer``, which only touches the diagonal.

    Args:
        source_shape: shape of the source layer.
        target_shape: shape of the target layer, as many neurons as the source.
        weight: initial weights: a tensor of the source's shape, a number, or a name
            (``"uniform"``, ``"uniform(low, high)"``, ``"normal(mean, std)"``, ``"constant(v)"``);
            1.0 by default.
        wmin: lower weight bound (hard clamp after learning), ``-inf`` for none.
        wmax: upper weight bound, ``inf`` for none.
        weight_decay: decay rate of the weights towards zero while learning (1/ms), 0 for none.
        delay: extra steps each spike takes, 0 for none.
        generator: random generator for the initial weights (the network passes its own).

    >>> conn = OneToOne(3, 3, weight=torch.tensor([1.0, 2.0, 3.0]))
    >>> out, _ = conn(torch.tensor([[True, False, True]]), conn.initial_state(1), Context())
    >>> out.tolist()
    [[1.0, 0.0, 3.0]]
    """

    def __init__(
        self,
        source_shape: int | Sequence[int],
        target_shape: int | Sequence[int],
        *,
        weight: WeightSpec = 1.0,
        wmin: float = -math.inf,
        wmax: float = math.inf,
        weight_decay: float = 0.0,
        delay: int = 0,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(source_shape, target_shape, wmin=wmin, wmax=wmax, weight_decay=weight_decay, delay=delay)
        if self.source_size != self.target_size:
            raise ShapeError(
                "one-to-one connection: the target needs as many neurons as the source",
                f"{self.source_size} neurons",
                f"{self.target_size} ({self.target_shape})",
            )
        w = initial_weights(weight, self.source_shape, wmin=wmin, wmax=wmax, generator=generator)
        self.weight = nn.Parameter(w, requires_grad=False)

    def forward(self, spikes: Tensor, state: NoState, ctx: Context) -> tuple[Tensor, NoState]:
        out = spikes.to(self.weight.dtype) * self.weight
        return out.reshape(spikes.shape[0], *self.target_shape), state

    def outer(self, pre: Tensor, post: Tensor) -> Tensor:
        a = pre.reshape(pre.shape[0], -1).to(self.weight.dtype)
        b = post.reshape(post.shape[0], -1).to(self.weight.dtype)
        return (a * b).reshape(pre.shape[0], *self.weight.shape)


@hookimpl
def snnkit_register_connections(registry):
    registry.add("one-to-one", OneToOne)


# -- NIR (docs/nir.md): OneToOne <-> nir.Scale.


def export_nir(conn: OneToOne, ctx):
    import nir

    if conn.source_shape != conn.target_shape:
        ctx.unsupported(f"it pairs shape {conn.source_shape} with {conn.target_shape}; NIR's Scale keeps the shape")
    return nir.Scale(scale=conn.weight.detach().cpu().numpy().copy())


def import_nir(node, ctx) -> OneToOne:
    import numpy as np

    scale = np.asarray(node.scale, dtype=np.float32)
    if scale.size not in (1, math.prod(ctx.source_shape)):
        from snnkit.errors import NIRShapeError

        raise NIRShapeError(ctx.name, "Scale", f"it scales shape {scale.shape} but receives {ctx.input_shape}")
    weight = torch.as_tensor(
        np.array(np.broadcast_to(scale.reshape(-1) if scale.size > 1 else scale, (math.prod(ctx.source_shape),)))
    )
    return OneToOne(ctx.source_shape, ctx.source_shape, weight=weight.reshape(ctx.source_shape))


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(OneToOne, export_nir)
    registry.importer("Scale", import_nir)
