"""Spiking max pooling over any number of spatial dimensions, shared by ``maxpool1d``,
``maxpool2d`` and ``maxpool3d`` (not a plugin module: each of those registers its own subclass)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from snnkit import Connection, Context
from snnkit_plugins.connections._spatial import check_maps, ntuple, output_size, window_repr

_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}


class MaxPoolState(NamedTuple):
    rate: Tensor  # running spike count of each source neuron, decaying with tau_rate


class MaxPoolNd(Connection):
    """Spiking max pooling over ``dims`` spatial dimensions; subclasses set ``dims`` and document
    the plugin (see ``MaxPool2d`` for the parameters)."""

    dims: ClassVar[int]
    weight: Tensor

    def __init__(
        self,
        source_shape: Sequence[int],
        target_shape: Sequence[int],
        *,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] | None = None,
        padding: int | tuple[int, ...] = 0,
        weight: float = 1.0,
        tau_rate: float = 20.0,
        delay: int = 0,
    ) -> None:
        super().__init__(source_shape, target_shape, delay=delay)
        what = f"maxpool{self.dims}d connection"
        self.kernel_size = ntuple(kernel_size, self.dims, "kernel_size")
        self.stride = self.kernel_size if stride is None else ntuple(stride, self.dims, "stride")
        self.padding = ntuple(padding, self.dims, "padding")
        if tau_rate <= 0:
            raise ValueError(f"tau_rate must be a positive time constant in ms, got {tau_rate}")
        self.tau_rate = tau_rate
        size = output_size(what, self.source_shape, self.kernel_size, self.stride, self.padding)
        check_maps(what, self.source_shape, self.target_shape, (self.source_shape[0], *size))
        self.register_buffer("weight", torch.tensor(float(weight)))

    def extra_repr(self) -> str:
        return window_repr(self)

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> MaxPoolState:
        return MaxPoolState(torch.zeros((batch_size, *self.source_shape), device=device, dtype=dtype))

    def forward(self, spikes: Tensor, state: MaxPoolState, ctx: Context) -> tuple[Tensor, MaxPoolState]:
        x = spikes.to(state.rate.dtype)
        rate = state.rate * math.exp(-ctx.dt / self.tau_rate) + x
        _, winners = _MAX_POOL[self.dims](
            rate, self.kernel_size, stride=self.stride, padding=self.padding, return_indices=True
        )
        relayed = x.flatten(2).gather(2, winners.flatten(2)).reshape(winners.shape)
        return relayed * self.weight.to(relayed.dtype), MaxPoolState(rate)


def export_nir(conn: MaxPoolNd, ctx):
    ctx.unsupported(
        "it relays the spikes of the neuron with the highest running rate in each window (tau_rate), which no NIR"
        " node expresses (NIR pools by SumPool2d and AvgPool2d, which snnkit imports as conv2d)"
    )
