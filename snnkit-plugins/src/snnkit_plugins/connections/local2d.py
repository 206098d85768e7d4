"""The ``local2d`` connection: locally connected synapses, a separate kernel per output location."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from snnkit import Connection, Context, NoState, hookimpl
from snnkit.init import WeightSpec, initial_weights
from snnkit_plugins.connections._spatial import check_maps, output_size, pair


class Local2d(Connection):
    """Locally connected synapses: like ``conv2d``, but every output location has its own kernel.

    Target neuron ``(f, y, x)`` sees the source patch under the kernel at ``(y, x)`` through its
    own weights, so receptive fields are local without being shared (as in Saunders et al.,
    "Locally connected spiking neural networks for unsupervised feature learning", Neural Netw.
    2019). ``weight`` is ``[filters, out locations, channels*kh*kw]``; ``norm`` scales each target
    neuron's incoming weights to sum to ``norm``. Learning rules update it through ``add_outer``.

    Args:
        source_shape: ``(channels, height, width)``.
        target_shape: ``(filters, out height, out width)``.
        kernel_size: kernel size, an int or a pair.
        stride: stride, 1 by default.
        padding: zero padding, 0 by default.
        weight: initial weights: a tensor of ``weight``'s shape, a number, or a name
            (``"uniform"``, ``"uniform(low, high)"``, ``"normal(mean, std)"``, ``"constant(v)"``).
        wmin: lower weight bound (hard clamp after learning), ``-inf`` for none.
        wmax: upper weight bound, ``inf`` for none.
        norm: total incoming weight per target neuron, restored after every update; ``None`` for none.
        weight_decay: decay rate of the weights towards zero while learning (1/ms), 0 for none.
        delay: extra steps each spike takes, 0 for none.
        generator: random generator for the initial weights (the network passes its own).

    >>> conn = Local2d((1, 3, 3), (1, 2, 2), kernel_size=2, weight=1.0)
    >>> out, _ = conn(torch.ones(1, 1, 3, 3, dtype=torch.bool), conn.initial_state(1), Context())
    >>> out.tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
    """

    def __init__(
        self,
        source_shape: Sequence[int],
        target_shape: Sequence[int],
        *,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        weight: WeightSpec = "uniform",
        wmin: float = -math.inf,
        wmax: float = math.inf,
        norm: float | None = None,
        weight_decay: float = 0.0,
        delay: int = 0,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(
            source_shape, target_shape, wmin=wmin, wmax=wmax, norm=norm, weight_decay=weight_decay, delay=delay
        )
        self.kernel_size, self.stride = pair(kernel_size, "kernel_size"), pair(stride, "stride")
        self.padding = pair(padding, "padding")
        size = output_size("local2d connection", self.source_shape, self.kernel_size, self.stride, self.padding)
        channels = self.source_shape[0]
        check_maps("local2d connection", self.source_shape, self.target_shape, (self.target_shape[0], *size))
        shape = (self.target_shape[0], math.prod(size), channels * math.prod(self.kernel_size))
        self.weight = nn.Parameter(
            initial_weights(weight, shape, wmin=wmin, wmax=wmax, generator=generator), requires_grad=False
        )
        self.constrain()
        self.renormalize()

    def unfold(self, x: Tensor) -> Tensor:
        """Source activity to patches ``[batch, channels*kh*kw, locations]``."""
        x = x.reshape(x.shape[0], *self.source_shape).to(self.weight.dtype)
        return F.unfold(x, self.kernel_size, stride=self.stride, padding=self.padding)

    def forward(self, spikes: Tensor, state: NoState, ctx: Context) -> tuple[Tensor, NoState]:
        out = torch.einsum("bkl,flk->bfl", self.unfold(spikes), self.weight)
        return out.reshape(spikes.shape[0], *self.target_shape), state

    def outer(self, pre: Tensor, post: Tensor) -> Tensor:
        maps = post.reshape(post.shape[0], self.target_shape[0], -1).to(self.weight.dtype)
        return torch.einsum("bkl,bfl->bflk", self.unfold(pre), maps)

    def add_outer(self, pre: Tensor, post: Tensor, factor: Callable[[Tensor], Tensor] | None = None) -> None:
        maps = post.reshape(post.shape[0], self.target_shape[0], -1).to(self.weight.dtype)
        update = torch.einsum("bkl,bfl->flk", self.unfold(pre), maps)
        self.weight.add_(update if factor is None else update * factor(self.weight))

    def normalize(self, norm: float) -> None:
        total = self.weight.sum(2, keepdim=True)
        self.weight.mul_(norm / torch.where(total == 0, torch.ones_like(total), total))


@hookimpl
def snnkit_register_connections(registry):
    registry.add("local2d", Local2d)
