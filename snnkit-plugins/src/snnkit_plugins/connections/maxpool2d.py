"""The ``maxpool2d`` connection: passes on the spikes of the most active neuron in each window."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from snnkit import Connection, Context, hookimpl
from snnkit_plugins.connections._spatial import check_maps, output_size, pair


class MaxPoolState(NamedTuple):
    rate: Tensor  # running spike count of each source neuron, decaying with tau_rate


class MaxPool2d(Connection):
    """Spiking max pooling: each target neuron relays the spikes of the most active source neuron
    in its window.

    Activity is a running spike count per source neuron that decays with ``tau_rate``; in each
    window the neuron with the highest count (the first on a tie) is the one whose spikes pass,
    multiplied by ``weight`` (a scalar gain, mV per relayed spike). This keeps pooling spike-based,
    as BindsNET's ``MaxPool2dConnection`` does; it has no learnable weights.

    Args:
        source_shape: ``(channels, height, width)``.
        target_shape: ``(channels, out height, out width)``.
        kernel_size: window size, an int or a pair.
        stride: stride; the window size by default.
        padding: padding, 0 by default.
        weight: input delivered to the target per relayed spike, 1.0.
        tau_rate: time constant of the activity estimate, 20 ms.
        delay: extra steps each spike takes, 0 for none.

    State variables: ``rate`` (decaying spike count of each source neuron).

    >>> pool = MaxPool2d((1, 2, 2), (1, 1, 1), kernel_size=2)
    >>> state = pool.initial_state(1)
    >>> left = torch.tensor([[[[True, False], [False, False]]]])
    >>> right = torch.tensor([[[[False, True], [False, False]]]])
    >>> for spikes in (left, left, right):
    ...     out, state = pool(spikes, state, Context())
    >>> out.item()  # the top-left neuron is the most active: the other's spike is not relayed
    0.0
    """

    weight: Tensor

    def __init__(
        self,
        source_shape: Sequence[int],
        target_shape: Sequence[int],
        *,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        weight: float = 1.0,
        tau_rate: float = 20.0,
        delay: int = 0,
    ) -> None:
        super().__init__(source_shape, target_shape, delay=delay)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else pair(stride, "stride")
        self.padding = pair(padding, "padding")
        if tau_rate <= 0:
            raise ValueError(f"tau_rate must be a positive time constant in ms, got {tau_rate}")
        self.tau_rate = tau_rate
        size = output_size("maxpool2d connection", self.source_shape, self.kernel_size, self.stride, self.padding)
        check_maps("maxpool2d connection", self.source_shape, self.target_shape, (self.source_shape[0], *size))
        self.register_buffer("weight", torch.tensor(float(weight)))

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> MaxPoolState:
        return MaxPoolState(torch.zeros((batch_size, *self.source_shape), device=device, dtype=dtype))

    def forward(self, spikes: Tensor, state: MaxPoolState, ctx: Context) -> tuple[Tensor, MaxPoolState]:
        x = spikes.to(state.rate.dtype)
        rate = state.rate * math.exp(-ctx.dt / self.tau_rate) + x
        _, winners = F.max_pool2d(rate, self.kernel_size, stride=self.stride, padding=self.padding, return_indices=True)
        relayed = x.flatten(2).gather(2, winners.flatten(2)).reshape(winners.shape)
        return relayed * self.weight.to(relayed.dtype), MaxPoolState(rate)


@hookimpl
def snnkit_register_connections(registry):
    registry.add("maxpool2d", MaxPool2d)


def export_nir(conn: MaxPool2d, ctx):
    ctx.unsupported(
        "it relays the spikes of the neuron with the highest running rate in each window (tau_rate), which no NIR"
        " node expresses (NIR pools by SumPool2d and AvgPool2d, which snnkit imports as conv2d)"
    )


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(MaxPool2d, export_nir)
