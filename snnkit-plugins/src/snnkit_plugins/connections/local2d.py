"""The ``local2d`` connection: locally connected synapses, a separate kernel per output location."""

from __future__ import annotations

import torch  # noqa: F401 (the example)

from snnkit import Context, hookimpl  # noqa: F401 (Context: the example)
from snnkit_plugins.connections._local import LocalNd


class Local2d(LocalNd):
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

    dims = 2


@hookimpl
def snnkit_register_connections(registry):
    registry.add("local2d", Local2d)
