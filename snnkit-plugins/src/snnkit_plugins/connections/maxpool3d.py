"""The ``maxpool3d`` connection: passes on the spikes of the most active neuron in each window over three axes."""

from __future__ import annotations

import torch  # noqa: F401 (the example)

from snnkit import Context, hookimpl  # noqa: F401 (Context: the example)
from snnkit_plugins.connections._maxpool import MaxPoolNd, export_nir


class MaxPool3d(MaxPoolNd):
    """3-D spiking max pooling: each target relays the spikes of the most active source in its window.

    ``maxpool2d`` with a third spatial axis. Activity is a running spike count per source neuron
    that decays with ``tau_rate``: ``r <- r exp(-dt / tau_rate) + s``; in each window the neuron
    with the highest count (the first in row-major order on a tie) is the one whose spikes pass,
    multiplied by ``weight`` (a scalar gain, mV per relayed spike). The source is ``[channels,
    depth, height, width]``, the target ``[channels, out depth, out height, out width]``. It has
    no learnable weights.

    Args:
        source_shape: ``(channels, depth, height, width)``.
        target_shape: ``(channels, out depth, out height, out width)``.
        kernel_size: window size, an int or a triple.
        stride: stride; the window size by default.
        padding: padding (never the most active), 0 by default.
        weight: input delivered to the target per relayed spike, 1.0.
        tau_rate: time constant of the activity estimate, 20 ms.
        delay: extra steps each spike takes, 0 for none.

    State variables: ``rate`` (decaying spike count of each source neuron).

    >>> pool = MaxPool3d((1, 2, 2, 2), (1, 1, 1, 1), kernel_size=2)
    >>> state = pool.initial_state(1)
    >>> front, back = torch.zeros(2, 1, 1, 2, 2, 2, dtype=torch.bool)
    >>> front[0, 0, 0, 0, 0], back[0, 0, 1, 1, 1] = True, True
    >>> for spikes in (front, front, back):
    ...     out, state = pool(spikes, state, Context())
    >>> out.item()  # the front corner is the most active: the back one's spike is not relayed
    0.0
    """

    dims = 3


@hookimpl
def snnkit_register_connections(registry):
    registry.add("maxpool3d", MaxPool3d)


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(MaxPool3d, export_nir)
