"""The ``local3d`` connection: locally connected synapses over three axes, a separate kernel per output location."""

from __future__ import annotations

import torch  # noqa: F401 (the example)

from snnkit import Context, hookimpl  # noqa: F401 (Context: the example)
from snnkit_plugins.connections._local import LocalNd


class Local3d(LocalNd):
    """3-D locally connected synapses: like ``conv3d``, but every output location has its own kernel.

    ``local2d`` with a third spatial axis: target neuron ``(f, z, y, x)`` sees the source block
    under the kernel at ``(z, y, x)`` through its own weights, so receptive fields are local
    without being shared (as in Saunders et al., "Locally connected spiking neural networks for
    unsupervised feature learning", Neural Netw. 2019, there in 2-D). ``weight`` is ``[filters,
    out locations, channels*kd*kh*kw]``, the locations in row-major order of the output grid;
    ``norm`` scales each target neuron's incoming weights to sum to ``norm``. Learning rules
    update it through ``add_outer``.

    Args:
        source_shape: ``(channels, depth, height, width)``.
        target_shape: ``(filters, out depth, out height, out width)``.
        kernel_size: kernel size, an int or a triple.
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

    >>> conn = Local3d((1, 3, 3, 3), (1, 2, 2, 2), kernel_size=2, weight=1.0)
    >>> out, _ = conn(torch.ones(1, 1, 3, 3, 3, dtype=torch.bool), conn.initial_state(1), Context())
    >>> out.flatten().tolist()
    [8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]
    """

    dims = 3


@hookimpl
def snnkit_register_connections(registry):
    registry.add("local3d", Local3d)
