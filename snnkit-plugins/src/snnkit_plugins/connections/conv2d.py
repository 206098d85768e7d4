"""The ``conv2d`` connection: convolutional synapses with shared kernels."""

from __future__ import annotations

import torch

from snnkit import Context, hookimpl  # noqa: F401 (Context: the example)
from snnkit_plugins.connections._conv import ConvNd
from snnkit_plugins.connections._spatial import output_size


class Conv2d(ConvNd):
    """Convolutional synapses: each target map applies one shared kernel to the source's maps.

    The source is ``[channels, height, width]``; the target must be ``[filters, out height, out
    width]`` as ``torch.nn.functional.conv2d`` computes it (the error says which shape is needed).
    ``weight`` is ``[filters, channels, kernel height, kernel width]``. ``norm`` scales each filter
    to sum to ``norm`` (every target neuron of a map then receives that total weight). Learning
    rules update it through ``add_outer``, which sums the outer products over every location that
    shares a kernel weight.

    Args:
        source_shape: ``(channels, height, width)``.
        target_shape: ``(filters, out height, out width)``.
        kernel_size: kernel size, an int or a pair.
        stride: stride, 1 by default.
        padding: zero padding, 0 by default.
        pool: max-pool the currents over windows of this size (stride the same, remainders
            dropped) before they reach the target, which is then that much smaller; 1 (the
            default) for none. The usual layout of gradient-trained convolutional networks
            (convolve, pool, then spike). Local learning rules need ``pool=1`` (pool spikes with
            a ``maxpool2d`` connection into a layer of its own instead); NIR export refuses it.
        weight: initial weights: a tensor ``[filters, channels, kh, kw]``, a number, or a name
            (``"uniform"``, ``"uniform(low, high)"``, ``"normal(mean, std)"``, ``"constant(v)"``).
        wmin: lower weight bound (hard clamp after learning), ``-inf`` for none.
        wmax: upper weight bound, ``inf`` for none.
        norm: sum of each filter's weights, restored after every update; ``None`` for none.
        weight_decay: decay rate of the weights towards zero while learning (1/ms), 0 for none.
        delay: extra steps each spike takes, 0 for none.
        bias: input added to every target neuron of each map every step (mV): a number or a
            tensor ``[filters]``; ``None`` for none (NIR's ``Conv2d`` carries one).
        generator: random generator for the initial weights (the network passes its own).
        learnable: train the kernels (and the bias) by gradient descent.

    >>> conv = Conv2d((1, 3, 3), (1, 2, 2), kernel_size=2, weight=1.0)
    >>> out, _ = conv(torch.ones(1, 1, 3, 3, dtype=torch.bool), conv.initial_state(1), Context())
    >>> out.tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
    """

    dims = 2


@hookimpl
def snnkit_register_connections(registry):
    registry.add("conv2d", Conv2d)


# -- NIR (docs/nir.md): Conv2d <-> nir.Conv2d; nir.SumPool2d and nir.AvgPool2d import as fixed conv2d kernels.


def export_nir(conn: Conv2d, ctx):
    import nir
    import numpy as np

    if conn.pooled:
        ctx.unsupported(f"it max-pools its currents (pool={conn.pool}); NIR has no such node")

    filters = conn.weight.shape[0]
    bias = np.zeros(filters, dtype=np.float32) if conn.bias is None else conn.bias.detach().cpu().numpy().copy()
    return nir.Conv2d(
        input_shape=tuple(conn.source_shape[1:]),
        weight=conn.weight.detach().cpu().numpy().copy(),
        stride=conn.stride,
        padding=conn.padding,
        dilation=(1, 1),
        groups=1,
        bias=bias,
    )


def _source_maps(node, ctx) -> tuple[int, int, int]:
    if len(ctx.source_shape) != 3:
        from snnkit.errors import NIRShapeError

        raise NIRShapeError(
            ctx.name, type(node).__name__, f"it takes [channels, height, width] but receives {ctx.input_shape}"
        )
    return ctx.source_shape  # type: ignore[no-any-return]


def import_nir(node, ctx) -> Conv2d:
    import numpy as np

    channels, _, _ = _source_maps(node, ctx)
    weight = np.asarray(node.weight, dtype=np.float32)
    if weight.ndim != 4 or weight.shape[1] != channels:
        from snnkit.errors import NIRShapeError

        raise NIRShapeError(ctx.name, "Conv2d", f"its kernels {weight.shape} do not take {channels} channels")
    if tuple(np.broadcast_to(np.asarray(node.dilation), (2,))) != (1, 1) or int(node.groups) != 1:
        ctx.unsupported("snnkit's conv2d has no dilation and no groups (both must be 1)")
    kernel = weight.shape[2:]
    padding = node.padding
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif all(k % 2 == 1 for k in kernel) and tuple(np.broadcast_to(np.asarray(node.stride), (2,))) == (1, 1):
            padding = tuple((k - 1) // 2 for k in kernel)
        else:
            ctx.unsupported("padding='same' with an even kernel or a stride is not symmetric; give it in numbers")
    stride = tuple(int(v) for v in np.broadcast_to(np.asarray(node.stride), (2,)))
    padding = tuple(int(v) for v in np.broadcast_to(np.asarray(padding), (2,)))
    size = output_size("conv2d connection", ctx.source_shape, kernel, stride, padding)
    bias = np.asarray(node.bias, dtype=np.float32).reshape(-1) if node.bias is not None else None
    return Conv2d(
        ctx.source_shape,
        (weight.shape[0], *size),
        kernel_size=tuple(kernel),
        stride=stride,
        padding=padding,
        weight=torch.as_tensor(weight.copy()),
        bias=None
        if bias is None or not bias.any()
        else torch.as_tensor(np.broadcast_to(bias, (weight.shape[0],)).copy()),
    )


def import_pool(node, ctx) -> Conv2d:
    """Sum or average pooling as a conv2d whose kernels pass each channel to itself."""
    import numpy as np

    channels, _, _ = _source_maps(node, ctx)
    kernel = tuple(int(v) for v in np.broadcast_to(np.asarray(node.kernel_size), (2,)))
    stride = tuple(int(v) for v in np.broadcast_to(np.asarray(node.stride), (2,)))
    padding = tuple(int(v) for v in np.broadcast_to(np.asarray(node.padding), (2,)))
    value = 1.0 if type(node).__name__ == "SumPool2d" else 1.0 / (kernel[0] * kernel[1])
    weight = torch.eye(channels)[:, :, None, None] * torch.full(kernel, value)
    size = output_size("pooling", ctx.source_shape, kernel, stride, padding)
    return Conv2d(
        ctx.source_shape, (channels, *size), kernel_size=kernel, stride=stride, padding=padding, weight=weight
    )


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(Conv2d, export_nir)
    registry.importer("Conv2d", import_nir)
    registry.importer("SumPool2d", import_pool)
    registry.importer("AvgPool2d", import_pool)
