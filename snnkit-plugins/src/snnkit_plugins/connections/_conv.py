"""Convolutional synapses over any number of spatial dimensions, shared by ``conv1d``, ``conv2d`` and
``conv3d`` (not a plugin module: each of those registers its own subclass)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from snnkit import Connection, Context, NoState
from snnkit.errors import NetworkError
from snnkit.init import WeightSpec, initial_weights
from snnkit_plugins.connections._spatial import check_maps, ntuple, output_size, unfold, window_repr

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_MAXPOOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}


class ConvNd(Connection):
    """Convolutional synapses over ``dims`` spatial dimensions; subclasses set ``dims`` and document
    the plugin (see ``Conv2d`` for the parameters)."""

    dims: ClassVar[int]

    def __init__(
        self,
        source_shape: Sequence[int],
        target_shape: Sequence[int],
        *,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] = 0,
        pool: int | tuple[int, ...] = 1,
        weight: WeightSpec = "uniform",
        wmin: float = -math.inf,
        wmax: float = math.inf,
        norm: float | None = None,
        weight_decay: float = 0.0,
        delay: int = 0,
        bias: float | Tensor | None = None,
        generator: torch.Generator | None = None,
        learnable: bool = False,
    ) -> None:
        super().__init__(
            source_shape, target_shape, wmin=wmin, wmax=wmax, norm=norm, weight_decay=weight_decay, delay=delay
        )
        what = f"conv{self.dims}d connection"
        self.kernel_size = ntuple(kernel_size, self.dims, "kernel_size")
        self.stride = ntuple(stride, self.dims, "stride")
        self.padding = ntuple(padding, self.dims, "padding")
        size = output_size(what, self.source_shape, self.kernel_size, self.stride, self.padding)
        self.pool = ntuple(pool, self.dims, "pool", positive=True)
        self.pooled = max(self.pool) > 1  # whether the currents are max-pooled
        if self.pooled and min(size) >= 1 and any(s < p for s, p in zip(size, self.pool, strict=True)):
            raise ValueError(f"{what}: the pool window {self.pool} is larger than the convolution's output {size}")
        size = tuple(s // p for s, p in zip(size, self.pool, strict=True))
        channels, filters = self.source_shape[0], self.target_shape[0]
        by = "kernel, stride, padding and pool" if self.pooled else "kernel, stride and padding"
        check_maps(what, self.source_shape, self.target_shape, (filters, *size), by)
        shape = (filters, channels, *self.kernel_size)
        self.weight = nn.Parameter(
            initial_weights(weight, shape, wmin=wmin, wmax=wmax, generator=generator), requires_grad=learnable
        )
        if bias is None:
            self.bias = None
        else:
            b = torch.as_tensor(bias, dtype=torch.float32).expand(filters).clone()
            self.bias = nn.Parameter(b, requires_grad=learnable)
        with torch.no_grad():
            self.constrain()
            self.renormalize()

    def extra_repr(self) -> str:
        return window_repr(self, ("kernel_size", "stride", "padding", "pool"))

    def forward(self, spikes: Tensor, state: NoState, ctx: Context) -> tuple[Tensor, NoState]:
        x = spikes.to(self.weight.dtype)
        out = _CONV[self.dims](x, self.weight, self.bias, stride=self.stride, padding=self.padding)
        return (_MAXPOOL[self.dims](out, self.pool) if self.pooled else out), state

    def local_learning_refusal(self) -> str | None:
        """Local rules need each target neuron's own kernel location, which pooling hides."""
        if not self.pooled:
            return None
        return (
            f"its currents are max-pooled (pool={self.pool}), which hides the location each came from; "
            f"use pool=1 and a maxpool{self.dims}d connection into a layer of its own"
        )

    def _refuse_pooled(self) -> None:
        """For a rule attached outside a network, which does not ask :meth:`local_learning_refusal`."""
        refusal = self.local_learning_refusal()
        if refusal is not None:
            raise NetworkError(f"conv{self.dims}d connection cannot learn by a local rule: {refusal}")

    def unfold(self, x: Tensor) -> Tensor:
        """Source activity ``[batch, source size]`` to patches ``[batch, channels*prod(kernel), locations]``."""
        x = x.reshape(x.shape[0], *self.source_shape).to(self.weight.dtype)
        return unfold(x, self.kernel_size, self.stride, self.padding)

    def outer(self, pre: Tensor, post: Tensor) -> Tensor:
        self._refuse_pooled()
        maps = post.reshape(post.shape[0], self.target_shape[0], -1).to(self.weight.dtype)
        return torch.einsum("bkl,bfl->bfk", self.unfold(pre), maps).reshape(pre.shape[0], *self.weight.shape)

    def add_outer(self, pre: Tensor, post: Tensor, factor: Callable[[Tensor], Tensor] | None = None) -> None:
        self._refuse_pooled()
        maps = post.reshape(post.shape[0], self.target_shape[0], -1).to(self.weight.dtype)
        update = torch.einsum("bkl,bfl->fk", self.unfold(pre), maps).reshape(self.weight.shape)
        self.weight.add_(update if factor is None else update * factor(self.weight))

    def normalize(self, norm: float) -> None:
        total = self.weight.sum(dim=tuple(range(1, self.weight.dim())), keepdim=True)
        self.weight.mul_(norm / torch.where(total == 0, torch.ones_like(total), total))
