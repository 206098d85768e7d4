"""The ``conv3d`` connection: convolutional synapses with shared kernels over three axes."""

from __future__ import annotations

import torch  # noqa: F401 (the example)

from snnkit import Context, hookimpl  # noqa: F401 (Context: the example)
from snnkit_plugins.connections._conv import ConvNd


class Conv3d(ConvNd):
    """3-D convolutional synapses: each target map applies one shared kernel to the source's maps.

    ``conv2d`` with a third spatial axis (a volume, or frames of an event camera stacked as
    depth): the source is ``[channels, depth, height, width]``; the target must be ``[filters,
    out depth, out height, out width]`` as ``torch.nn.functional.conv3d`` computes it (the error
    says which shape is needed). ``weight`` is ``[filters, channels, kd, kh, kw]``. ``norm``
    scales each filter to sum to ``norm``. Learning rules update it through ``add_outer``, which
    sums the outer products over every location that shares a kernel weight. NIR has no 3-D
    convolution node, so it does not export.

    Args:
        source_shape: ``(channels, depth, height, width)``.
        target_shape: ``(filters, out depth, out height, out width)``.
        kernel_size: kernel size, an int or a triple.
        stride: stride, 1 by default.
        padding: zero padding, 0 by default.
        pool: max-pool the currents over windows of this size (stride the same, remainders
            dropped) before they reach the target, which is then that much smaller; 1 (the
            default) for none. The usual layout of gradient-trained convolutional networks
            (convolve, pool, then spike). Local learning rules need ``pool=1`` (pool spikes with
            a ``maxpool3d`` connection into a layer of its own instead); NIR export refuses it.
        weight: initial weights: a tensor ``[filters, channels, kd, kh, kw]``, a number, or a name
            (``"uniform"``, ``"uniform(low, high)"``, ``"normal(mean, std)"``, ``"constant(v)"``).
        wmin: lower weight bound (hard clamp after learning), ``-inf`` for none.
        wmax: upper weight bound, ``inf`` for none.
        norm: sum of each filter's weights, restored after every update; ``None`` for none.
        weight_decay: decay rate of the weights towards zero while learning (1/ms), 0 for none.
        delay: extra steps each spike takes, 0 for none.
        bias: input added to every target neuron of each map every step (mV): a number or a
            tensor ``[filters]``; ``None`` for none.
        generator: random generator for the initial weights (the network passes its own).
        learnable: train the kernels (and the bias) by gradient descent.

    >>> conv = Conv3d((1, 3, 3, 3), (1, 2, 2, 2), kernel_size=2, weight=1.0)
    >>> out, _ = conv(torch.ones(1, 1, 3, 3, 3, dtype=torch.bool), conv.initial_state(1), Context())
    >>> out.flatten().tolist()
    [8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]
    """

    dims = 3


@hookimpl
def snnkit_register_connections(registry):
    registry.add("conv3d", Conv3d)
