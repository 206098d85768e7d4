"""The ``maxpool2d`` connection: passes on the spikes of the most active neuron in each window."""

from __future__ import annotations

import torch  # noqa: F401 (the example)

from snnkit import Context, hookimpl  # noqa: F401 (Context: the example)
from snnkit_plugins.connections._maxpool import MaxPoolNd, MaxPoolState, export_nir

__all__ = ["MaxPool2d", "MaxPoolState"]


class MaxPool2d(MaxPoolNd):
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

    dims = 2


@hookimpl
def snnkit_register_connections(registry):
    registry.add("maxpool2d", MaxPool2d)


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(MaxPool2d, export_nir)
