"""The ``locally-connected`` model: STDP feature learning with local receptive fields (Saunders et al. 2019)."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import Network, get_plugin_manager, hookimpl
from snnkit.plugins import PluginManager
from snnkit_plugins.connections._spatial import output_size, pair


def competition_weights(n_filters: int, locations: int, inh: float) -> Tensor:
    """Lateral inhibition ``[n, n]`` over a ``[filters, locations]`` layer (flattened filter-major):
    ``-inh`` between two neurons at the same location with different filters, 0 otherwise.

    >>> competition_weights(2, 2, 5.0).tolist()  # neurons (f0,l0), (f0,l1), (f1,l0), (f1,l1)
    [[0.0, 0.0, -5.0, 0.0], [0.0, 0.0, 0.0, -5.0], [-5.0, 0.0, 0.0, 0.0], [0.0, -5.0, 0.0, 0.0]]
    """
    same_place = torch.eye(locations, dtype=torch.bool).repeat(n_filters, n_filters)
    same_filter = torch.block_diag(*[torch.ones(locations, locations)] * n_filters).bool()
    return torch.where(same_place & ~same_filter, -float(inh), 0.0)


def locally_connected(
    input_shape: tuple[int, int, int] | list[int] = (1, 28, 28),
    kernel_size: int | list[int] = 12,
    stride: int | list[int] = 8,
    n_filters: int = 25,
    inh: float = 25.0,
    norm: float | None = None,
    nu: tuple[float, float] = (1e-4, 1e-2),
    theta_plus: float = 0.05,
    tc_theta_decay: float = 1e7,
    dt: float = 1.0,
    seed: int = 0,
    plugins: PluginManager | None = None,
) -> Network:
    """A locally connected spiking network: each location of the image has its own competing filters.

    ``X`` (``input_shape`` = ``[channels, height, width]`` spike sources) -> ``local2d`` (kernel
    ``kernel_size``, ``stride``; weights in [0, 1], each neuron's ``norm``-scaled, ``post-pre``
    STDP) -> ``Y`` (``[n_filters, out height, out width]`` ``diehl-cook`` neurons with adaptive
    thresholds). Every ``Y`` neuron sees one patch of the image through weights of its own (not
    shared, unlike a convolution), and the ``n_filters`` neurons that see the same patch inhibit
    each other::

        w[(f, y, x), (f', y', x')] = -inh   if (y, x) == (y', x') and f != f',   else 0   (mV)

    so at each location the filters compete (winner-take-all, as in Diehl & Cook, per patch) and
    learn different local features, while distinct locations learn in parallel. The output is
    all of ``Y``, read out by the label-assignment evaluations or ``logistic-regression``. The
    network's ``input_layer`` is ``"X"`` and its ``output_layer`` ``"Y"``.
    Reference: D. J. Saunders, D. Patel, H. Hazan, H. T. Siegelmann and R. Kozma, "Locally connected
    spiking neural networks for unsupervised feature learning", Neural Networks 119 (2019) 332-340.

    Args:
        input_shape: ``[channels, height, width]`` of the input, (1, 28, 28).
        kernel_size: patch size, 12.
        stride: patch stride, 8: 3 x 3 locations on MNIST, with 25 filters the size of the
            paper's smallest network (225 neurons, 32,400 input synapses).
        n_filters: filters per location, 25.
        inh: inhibition between filters at one location, mV, 25.
        norm: total input weight per neuron; ``None``: 0.25 per pixel of the patch (36 for 12 x 12).
        nu: ``post-pre`` learning rates (pre, post), (1e-4, 1e-2).
        theta_plus: threshold increase per spike, mV, 0.05.
        tc_theta_decay: threshold decay time constant, ms, 1e7.

    >>> net = locally_connected(kernel_size=12, stride=8, n_filters=25)  # doctest: +SKIP
    >>> net.layers["Y"].shape  # doctest: +SKIP
    (25, 3, 3)
    """
    plugins = plugins or get_plugin_manager()
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3:
        raise ValueError(f"input_shape must be [channels, height, width], got {list(input_shape)}")
    kernel, step = pair(kernel_size, "kernel_size"), pair(stride, "stride")
    out = output_size("locally-connected", shape, kernel, step, (0, 0))
    if min(out) < 1:
        raise ValueError(f"kernel_size {list(kernel)} does not fit the input {list(shape[1:])}")
    if n_filters < 1 or inh < 0:
        raise ValueError(f"n_filters must be at least 1 and inh (mV) at least 0; got {n_filters}, {inh}")
    norm = 0.25 * shape[0] * kernel[0] * kernel[1] if norm is None else norm
    net = Network(dt=dt, seed=seed, plugins=plugins)
    net.add_layer("X", "input", shape)
    net.add_layer(
        "Y", "diehl-cook", (n_filters, *out), v_reset=-60.0, theta_plus=theta_plus, tc_theta_decay=tc_theta_decay
    )
    rule = plugins.build("learning_rules", "post-pre", nu=tuple(nu), reduction="sum")
    net.add_connection(
        "X",
        "Y",
        "local2d",
        kernel_size=list(kernel),
        stride=list(step),
        weight="uniform(0, 0.3)",
        wmin=0.0,
        wmax=1.0,
        norm=norm,
        rule=rule,
    )
    net.add_connection("Y", "Y", "dense", weight=competition_weights(n_filters, out[0] * out[1], inh))
    net.input_layer, net.output_layer = "X", "Y"
    return net


@hookimpl
def snnkit_register_models(registry):
    registry.add("locally-connected", locally_connected)
