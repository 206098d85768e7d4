"""The ``increasing-inhibition`` model: a self-organising map of spiking neurons (Hazan, Saunders et al. 2018)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from snnkit import Activity, Connection, Context, LearningRule, Network, get_plugin_manager, hookimpl
from snnkit.plugins import PluginManager


def grid_distances(n_neurons: int) -> Tensor:
    """Euclidean distances ``[n, n]`` between neurons placed row by row on a square grid.

    Neuron ``i`` sits at row ``i // side``, column ``i % side`` (``side = sqrt(n)``).

    >>> grid_distances(4)[0].tolist()  # a 2 x 2 grid: from neuron 0 to neurons 0, 1, 2, 3
    [0.0, 1.0, 1.0, 1.4142135381698608]
    """
    side = math.isqrt(n_neurons)
    if side * side != n_neurons or n_neurons < 4:
        raise ValueError(
            f"increasing-inhibition places its neurons on a square grid: n_neurons must be a square of at least 4"
            f" (e.g. {max(2, side) ** 2} or {(max(2, side) + 1) ** 2}), got {n_neurons}"
        )
    index = torch.arange(n_neurons)
    position = torch.stack([index // side, index % side], 1).float()
    return torch.cdist(position, position)


def inhibition_profile(n_neurons: int) -> Tensor:
    """``sqrt(d_ij / d_max)``: 0 on the diagonal, 1 between the grid's opposite corners."""
    d = grid_distances(n_neurons)
    return (d / d.max()).sqrt()


class GrowingInhibition(LearningRule):
    """Moves the lateral inhibition towards its final strength while the network learns.

    Each learning step (``dt`` ms)::

        w += dt / tc_grow * (w_final - w)

    so the strength goes from its start to ``w_final`` exponentially with time constant
    ``tc_grow`` (ms of training), with the distance profile unchanged. Stateless: the weights are
    the state, so a checkpoint resumes the growth exactly. Used by :func:`increasing_inhibition`
    (not a registered rule: it needs the final weights).

    Args:
        final: the weights at the end of growth ``[n, n]`` (mV).
        tc_grow: time constant of the growth, ms of training.

    >>> from snnkit_plugins.connections.dense import Dense
    >>> conn = Dense(2, 2, weight=torch.tensor([[0.0, -1.0], [-1.0, 0.0]]))
    >>> rule = GrowingInhibition(torch.tensor([[0.0, -3.0], [-3.0, 0.0]]), tc_grow=4.0)
    >>> _ = rule(conn, Activity(torch.zeros(1, 2)), Activity(torch.zeros(1, 2)), None, Context())
    >>> conn.weight[0, 1].item()  # -1 + 1/4 * (-3 - -1)
    -1.5
    """

    final: Tensor

    def __init__(self, final: Tensor, tc_grow: float) -> None:
        super().__init__()
        if tc_grow <= 0:
            raise ValueError(f"tc_grow must be a positive time in ms, got {tc_grow}")
        self.tc_grow = tc_grow
        self.register_buffer("final", torch.as_tensor(final, dtype=torch.float32).clone())

    def forward(
        self,
        connection: Connection,
        pre: Activity,
        post: Activity,
        state: Any,
        ctx: Context,
        reward: Tensor | None = None,
    ) -> Any:
        weight: Tensor = connection.weight  # type: ignore[assignment]
        rate = ctx.dt / self.tc_grow
        # w * (1 - rate) + final * rate, not w + (final - w) * rate: compiled steps chain this
        # update over many steps, and an expression that reads w twice doubles with each step
        weight.mul_(1.0 - rate).add_(self.final, alpha=rate)  # the network steps under no_grad
        return state


def increasing_inhibition(
    n_inputs: int = 784,
    n_neurons: int = 100,
    inh: float = 120.0,
    inh_start: float | None = None,
    tc_grow: float = 1e6,
    norm: float = 78.4,
    nu: tuple[float, float] = (1e-4, 1e-2),
    theta_plus: float = 0.05,
    tc_theta_decay: float = 1e7,
    dt: float = 1.0,
    seed: int = 0,
    plugins: PluginManager | None = None,
) -> Network:
    """A self-organising map of spiking neurons: inhibition that grows with distance on a 2-D grid.

    ``X`` (``n_inputs`` spike sources) -> all-to-all, ``post-pre`` STDP, weights in [0, 1] scaled
    to sum to ``norm`` per neuron -> ``Y`` (``n_neurons`` ``diehl-cook`` neurons with adaptive
    thresholds, as in ``diehl-cook-2015``), placed row by row on a ``sqrt(n) x sqrt(n)`` grid.
    Every ``Y`` neuron inhibits every other one directly (no inhibitory layer), the more the
    farther apart they are on the grid::

        w_ij = -inh * sqrt(d_ij / d_max)        (mV; d: Euclidean grid distance, w_ii = 0)

    Neighbours hardly inhibit each other, so they fire together and learn similar digits (the
    map's smooth lattice of filters); distant neurons compete as in Diehl & Cook. With
    ``inh_start``, the inhibition starts at ``inh_start`` (same profile) and grows towards ``inh``
    while the network learns, with time constant ``tc_grow`` ms of training (``GrowingInhibition``):
    the paper's "increasing inhibition", which lets the map organise before it specialises. The
    network's ``input_layer`` is ``"X"`` and its ``output_layer`` ``"Y"``. On MNIST with 100
    neurons, ``inh=480, inh_start=60`` (the ``mnist-increasing-inhibition`` experiment's) learned
    far better than 120 and 15: 83.4 % against 63.9 % after one epoch (benchmarks/README.md).
    Reference: H. Hazan, D. J. Saunders, D. T. Sanghavi, H. Siegelmann and R. Kozma, "Unsupervised
    learning with self-organizing spiking neural networks", IJCNN 2018 (arXiv:1807.09374).

    Args:
        n_inputs: input neurons, 784.
        n_neurons: grid neurons, a square number, 100.
        inh: largest inhibition (between opposite grid corners), mV, 120.
        inh_start: inhibition scale at the start when it grows; ``None``: fixed at ``inh``.
        tc_grow: time constant of the growth, ms of training, 1e6 (1000 digits of 350 ms: 1 - 1/e
            of the way after about 2900 digits).
        norm: total input weight per neuron, 78.4.
        nu: ``post-pre`` learning rates (pre, post), (1e-4, 1e-2).
        theta_plus: threshold increase per spike, mV, 0.05.
        tc_theta_decay: threshold decay time constant, ms, 1e7.

    >>> net = increasing_inhibition(n_inputs=16, n_neurons=9)  # doctest: +SKIP
    >>> list(net.connections)  # doctest: +SKIP
    ['X->Y', 'Y->Y']
    """
    plugins = plugins or get_plugin_manager()
    profile = inhibition_profile(n_neurons)
    if inh < 0 or (inh_start is not None and inh_start < 0):
        raise ValueError(f"inh and inh_start are inhibition strengths in mV, at least 0; got {inh}, {inh_start}")
    net = Network(dt=dt, seed=seed, plugins=plugins)
    net.add_layer("X", "input", n_inputs)
    net.add_layer("Y", "diehl-cook", n_neurons, v_reset=-60.0, theta_plus=theta_plus, tc_theta_decay=tc_theta_decay)
    rule = plugins.build("learning_rules", "post-pre", nu=tuple(nu), reduction="sum")
    net.add_connection("X", "Y", "dense", weight="uniform(0, 0.3)", wmin=0.0, wmax=1.0, norm=norm, rule=rule)
    final = -inh * profile + 0.0  # + 0.0: no -0.0 on the diagonal
    if inh_start is None:
        net.add_connection("Y", "Y", "dense", weight=final)
    else:
        grow = GrowingInhibition(final, tc_grow)
        net.add_connection("Y", "Y", "dense", weight=-inh_start * profile, rule=grow)
    net.input_layer, net.output_layer = "X", "Y"
    return net


@hookimpl
def snnkit_register_models(registry):
    registry.add("increasing-inhibition", increasing_inhibition)
