"""Locally connected synapses over any number of spatial dimensions, shared by ``local1d``,
``local2d`` and ``local3d`` (not a plugin module: each of those registers its own subclass)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import ClassVar

import torch
from torch import Tensor, nn

from snnkit import Connection, Context, NoState
from snnkit.init import WeightSpec, initial_weights
from snnkit_plugins.connections._spatial import check_maps, ntuple, output_size, unfold, window_repr


class LocalNd(Connection):
    """Locally connected synapses over ``dims`` spatial dimensions; subclasses set ``dims`` and
    document the plugin (see ``Local2d`` for the parameters)."""

    dims: ClassVar[int]

    def __init__(
        self,
        source_shape: Sequence[int],
        target_shape: Sequence[int],
        *,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] = 0,
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
        what = f"local{self.dims}d connection"
        self.kernel_size = ntuple(kernel_size, self.dims, "kernel_size")
        self.stride = ntuple(stride, self.dims, "stride")
        self.padding = ntuple(padding, self.dims, "padding")
        size = output_size(what, self.source_shape, self.kernel_size, self.stride, self.padding)
        channels = self.source_shape[0]
        check_maps(what, self.source_shape, self.target_shape, (self.target_shape[0], *size))
        shape = (self.target_shape[0], math.prod(size), channels * math.prod(self.kernel_size))
        self.weight = nn.Parameter(
            initial_weights(weight, shape, wmin=wmin, wmax=wmax, generator=generator), requires_grad=False
        )
        self.constrain()
        self.renormalize()

    def extra_repr(self) -> str:
        return window_repr(self)

    def unfold(self, x: Tensor) -> Tensor:
        """Source activity to patches ``[batch, channels*prod(kernel), locations]``."""
        x = x.reshape(x.shape[0], *self.source_shape).to(self.weight.dtype)
        return unfold(x, self.kernel_size, self.stride, self.padding)

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
