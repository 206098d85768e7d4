"""The ``conv1d`` connection: convolutional synapses with shared kernels along one axis."""

from __future__ import annotations

import torch

from snnkit import Context, hookimpl  # noqa: F401 (Context: the example)
from snnkit_plugins.connections._conv import ConvNd
from snnkit_plugins.connections._spatial import output_size


class Conv1d(ConvNd):
    """1-D convolutional synapses: each target map applies one shared kernel to the source's maps.

    ``conv2d`` with a single spatial axis (a sequence, a row of sensors, a tonotopic axis): the
    source is ``[channels, length]``; the target must be ``[filters, out length]`` as
    ``torch.nn.functional.conv1d`` computes it, ``(length + 2 padding - kernel) // stride + 1``
    (the error says which shape is needed). ``weight`` is ``[filters, channels, kernel length]``.
    ``norm`` scales each filter to sum to ``norm``. Learning rules update it through
    ``add_outer``, which sums the outer products over every location that shares a kernel weight.

    Args:
        source_shape: ``(channels, length)``.
        target_shape: ``(filters, out length)``.
        kernel_size: kernel length, an int (or a 1-tuple).
        stride: stride, 1 by default.
        padding: zero padding at each end, 0 by default.
        pool: max-pool the currents over windows of this size (stride the same, remainders
            dropped) before they reach the target, which is then that much smaller; 1 (the
            default) for none. The usual layout of gradient-trained convolutional networks
            (convolve, pool, then spike). Local learning rules need ``pool=1`` (pool spikes with
            a ``maxpool1d`` connection into a layer of its own instead); NIR export refuses it.
        weight: initial weights: a tensor ``[filters, channels, k]``, a number, or a name
            (``"uniform"``, ``"uniform(low, high)"``, ``"normal(mean, std)"``, ``"constant(v)"``).
        wmin: lower weight bound (hard clamp after learning), ``-inf`` for none.
        wmax: upper weight bound, ``inf`` for none.
        norm: sum of each filter's weights, restored after every update; ``None`` for none.
        weight_decay: decay rate of the weights towards zero while learning (1/ms), 0 for none.
        delay: extra steps each spike takes, 0 for none.
        bias: input added to every target neuron of each map every step (mV): a number or a
            tensor ``[filters]``; ``None`` for none (NIR's ``Conv1d`` carries one).
        generator: random generator for the initial weights (the network passes its own).
        learnable: train the kernels (and the bias) by gradient descent.

    >>> conv = Conv1d((1, 4), (1, 3), kernel_size=2, weight=1.0)
    >>> out, _ = conv(torch.tensor([[[True, True, False, True]]]), conv.initial_state(1), Context())
    >>> out.tolist()
    [[[2.0, 1.0, 1.0]]]
    """

    dims = 1


@hookimpl
def snnkit_register_connections(registry):
    registry.add("conv1d", Conv1d)


# -- NIR (docs/nir.md): Conv1d <-> nir.Conv1d.


def export_nir(conn: Conv1d, ctx):
    import nir
    import numpy as np

    if conn.pooled:
        ctx.unsupported(f"it max-pools its currents (pool={conn.pool}); NIR has no such node")

    filters = conn.weight.shape[0]
    bias = np.zeros(filters, dtype=np.float32) if conn.bias is None else conn.bias.detach().cpu().numpy().copy()
    return nir.Conv1d(
        input_shape=int(conn.source_shape[1]),
        weight=conn.weight.detach().cpu().numpy().copy(),
        stride=conn.stride[0],
        padding=conn.padding[0],
        dilation=1,
        groups=1,
        bias=bias,
    )


def import_nir(node, ctx) -> Conv1d:
    import numpy as np

    from snnkit.errors import NIRShapeError

    if len(ctx.source_shape) != 2:
        raise NIRShapeError(ctx.name, "Conv1d", f"it takes [channels, length] but receives {ctx.input_shape}")
    weight = np.asarray(node.weight, dtype=np.float32)
    if weight.ndim != 3 or weight.shape[1] != ctx.source_shape[0]:
        raise NIRShapeError(
            ctx.name, "Conv1d", f"its kernels {weight.shape} do not take {ctx.source_shape[0]} channels"
        )
    if int(np.asarray(node.dilation).reshape(-1)[0]) != 1 or int(node.groups) != 1:
        ctx.unsupported("snnkit's conv1d has no dilation and no groups (both must be 1)")
    kernel, stride = weight.shape[2], int(np.asarray(node.stride).reshape(-1)[0])
    padding = node.padding
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif kernel % 2 == 1 and stride == 1:
            padding = (kernel - 1) // 2
        else:
            ctx.unsupported("padding='same' with an even kernel or a stride is not symmetric; give it in numbers")
    padding = int(np.asarray(padding).reshape(-1)[0])
    (size,) = output_size("conv1d connection", ctx.source_shape, (kernel,), (stride,), (padding,))
    bias = np.asarray(node.bias, dtype=np.float32).reshape(-1) if node.bias is not None else None
    return Conv1d(
        ctx.source_shape,
        (weight.shape[0], size),
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        weight=torch.as_tensor(weight.copy()),
        bias=None
        if bias is None or not bias.any()
        else torch.as_tensor(np.broadcast_to(bias, (weight.shape[0],)).copy()),
    )


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(Conv1d, export_nir)
    registry.importer("Conv1d", import_nir)
