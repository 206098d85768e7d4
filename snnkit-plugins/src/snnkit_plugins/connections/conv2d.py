"""The ``conv2d`` connection: convolutional synapses with shared kernels."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from snnkit import Connection, Context, NoState, hookimpl
from snnkit.init import WeightSpec, initial_weights
from snnkit_plugins.connections._spatial import check_maps, output_size, pair


class Conv2d(Connection):
    """Convolutional synapses: each target map applies one shared kernel to the source's maps.

    The source is ``[channels, height, width]``; the target must be ``[filters, out height, out
    width]`` as ``torch.nn.functional.conv2d`` computes it (the error says which shape is needed).
    ``weight`` is ``[filters, channels, kernel height, kernel width]``. ``norm`` scales each filter
    to sum to ``norm`` (every target neuron of a map then receives that total weight). Learning
    rules update it through ``add_outer``, which sums the outer products over every location that
    shares a kernel weight.

    Args:
        source_shape: ``(channels, height, width)``.
        target_shape: ``(filters, out height, out width)``.
        kernel_size: kernel size, an int or a pair.
        stride: stride, 1 by default.
        padding: zero padding, 0 by default.
        weight: initial weights: a tensor ``[filters, channels, kh, kw]``, a number, or a name
            (``"uniform"``, ``"uniform(low, high)"``, ``"normal(mean, std)"``, ``"constant(v)"``).
        wmin: lower weight bound (hard clamp after learning), ``-inf`` for none.
        wmax: upper weight bound, ``inf`` for none.
        norm: sum of each filter's weights, restored after every update; ``None`` for none.
        weight_decay: decay rate of the weights towards zero while learning (1/ms), 0 for none.
        delay: extra steps each spike takes, 0 for none.
        generator: random generator for the initial weights (the network passes its own).
        learnable: train the kernels by gradient descent.

    >>> conv = Conv2d((1, 3, 3), (1, 2, 2), kernel_size=2, weight=1.0)
    >>> out, _ = conv(torch.ones(1, 1, 3, 3, dtype=torch.bool), conv.initial_state(1), Context())
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
        learnable: bool = False,
    ) -> None:
        super().__init__(
            source_shape, target_shape, wmin=wmin, wmax=wmax, norm=norm, weight_decay=weight_decay, delay=delay
        )
        self.kernel_size, self.stride = pair(kernel_size, "kernel_size"), pair(stride, "stride")
        self.padding = pair(padding, "padding")
        size = output_size("conv2d connection", self.source_shape, self.kernel_size, self.stride, self.padding)
        channels, filters = self.source_shape[0], self.target_shape[0]
        check_maps("conv2d connection", self.source_shape, self.target_shape, (filters, *size))
        shape = (filters, channels, *self.kernel_size)
        self.weight = nn.Parameter(
            initial_weights(weight, shape, wmin=wmin, wmax=wmax, generator=generator), requires_grad=learnable
        )
        with torch.no_grad():
            self.constrain()
            self.renormalize()

    def forward(self, spikes: Tensor, state: NoState, ctx: Context) -> tuple[Tensor, NoState]:
        x = spikes.to(self.weight.dtype)
        return F.conv2d(x, self.weight, stride=self.stride, padding=self.padding), state

    def unfold(self, x: Tensor) -> Tensor:
        """Source activity ``[batch, source size]`` to patches ``[batch, channels*kh*kw, locations]``."""
        x = x.reshape(x.shape[0], *self.source_shape).to(self.weight.dtype)
        return F.unfold(x, self.kernel_size, stride=self.stride, padding=self.padding)

    def outer(self, pre: Tensor, post: Tensor) -> Tensor:
        maps = post.reshape(post.shape[0], self.target_shape[0], -1).to(self.weight.dtype)
        return torch.einsum("bkl,bfl->bfk", self.unfold(pre), maps).reshape(pre.shape[0], *self.weight.shape)

    def add_outer(self, pre: Tensor, post: Tensor, factor: Callable[[Tensor], Tensor] | None = None) -> None:
        maps = post.reshape(post.shape[0], self.target_shape[0], -1).to(self.weight.dtype)
        update = torch.einsum("bkl,bfl->fk", self.unfold(pre), maps).reshape(self.weight.shape)
        self.weight.add_(update if factor is None else update * factor(self.weight))

    def normalize(self, norm: float) -> None:
        total = self.weight.sum(dim=(1, 2, 3), keepdim=True)
        self.weight.mul_(norm / torch.where(total == 0, torch.ones_like(total), total))


@hookimpl
def snnkit_register_connections(registry):
    registry.add("conv2d", Conv2d)
