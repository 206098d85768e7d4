"""The ``maxpool1d`` connection: passes on the spikes of the most active neuron in each window along one axis."""

from __future__ import annotations

import torch  # noqa: F401 (the example)

from snnkit import Context, hookimpl  # noqa: F401 (Context: the example)
from snnkit_plugins.connections._maxpool import MaxPoolNd, export_nir


class MaxPool1d(MaxPoolNd):
    """1-D spiking max pooling: each target relays the spikes of the most active source in its window.

    ``maxpool2d`` with a single spatial axis. Activity is a running spike count per source neuron
    that decays with ``tau_rate``: ``r <- r exp(-dt / tau_rate) + s``; in each window the neuron
    with the highest count (the first on a tie) is the one whose spikes pass, multiplied by
    ``weight`` (a scalar gain, mV per relayed spike). The source is ``[channels, length]``, the
    target ``[channels, out length]`` with out length ``(length + 2 padding - kernel) // stride +
    1``. It has no learnable weights.

    Args:
        source_shape: ``(channels, length)``.
        target_shape: ``(channels, out length)``.
        kernel_size: window length, an int (or a 1-tuple).
        stride: stride; the window length by default.
        padding: padding at each end (never the most active), 0 by default.
        weight: input delivered to the target per relayed spike, 1.0.
        tau_rate: time constant of the activity estimate, 20 ms.
        delay: extra steps each spike takes, 0 for none.

    State variables: ``rate`` (decaying spike count of each source neuron).

    >>> pool = MaxPool1d((1, 2), (1, 1), kernel_size=2)
    >>> state = pool.initial_state(1)
    >>> left, right = torch.tensor([[[True, False]]]), torch.tensor([[[False, True]]])
    >>> for spikes in (left, left, right):
    ...     out, state = pool(spikes, state, Context())
    >>> out.item()  # the left neuron is the most active: the right one's spike is not relayed
    0.0
    """

    dims = 1


@hookimpl
def snnkit_register_connections(registry):
    registry.add("maxpool1d", MaxPool1d)


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(MaxPool1d, export_nir)
