"""The ``local1d`` connection: locally connected synapses along one axis, a separate kernel per output location."""

from __future__ import annotations

import torch  # noqa: F401 (the example)

from snnkit import Context, hookimpl  # noqa: F401 (Context: the example)
from snnkit_plugins.connections._local import LocalNd


class Local1d(LocalNd):
    """1-D locally connected synapses: like ``conv1d``, but every output location has its own kernel.

    ``local2d`` with a single spatial axis: target neuron ``(f, x)`` sees the source segment under
    the kernel at ``x`` through its own weights, so receptive fields are local without being
    shared (as in Saunders et al., "Locally connected spiking neural networks for unsupervised
    feature learning", Neural Netw. 2019, there in 2-D). The source is ``[channels, length]``,
    the target ``[filters, out length]`` with out length ``(length + 2 padding - kernel) // stride
    + 1``. ``weight`` is ``[filters, out length, channels*k]``; ``norm`` scales each target
    neuron's incoming weights to sum to ``norm``. Learning rules update it through ``add_outer``.

    Args:
        source_shape: ``(channels, length)``.
        target_shape: ``(filters, out length)``.
        kernel_size: kernel length, an int (or a 1-tuple).
        stride: stride, 1 by default.
        padding: zero padding at each end, 0 by default.
        weight: initial weights: a tensor of ``weight``'s shape, a number, or a name
            (``"uniform"``, ``"uniform(low, high)"``, ``"normal(mean, std)"``, ``"constant(v)"``).
        wmin: lower weight bound (hard clamp after learning), ``-inf`` for none.
        wmax: upper weight bound, ``inf`` for none.
        norm: total incoming weight per target neuron, restored after every update; ``None`` for none.
        weight_decay: decay rate of the weights towards zero while learning (1/ms), 0 for none.
        delay: extra steps each spike takes, 0 for none.
        generator: random generator for the initial weights (the network passes its own).

    >>> conn = Local1d((1, 4), (1, 3), kernel_size=2, weight=torch.tensor([[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]]))
    >>> out, _ = conn(torch.tensor([[[True, True, False, True]]]), conn.initial_state(1), Context())
    >>> out.tolist()
    [[[2.0, 2.0, 3.0]]]
    """

    dims = 1


@hookimpl
def snnkit_register_connections(registry):
    registry.add("local1d", Local1d)
