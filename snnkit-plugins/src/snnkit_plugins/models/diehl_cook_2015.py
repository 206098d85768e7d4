"""The ``diehl-cook-2015`` model: unsupervised STDP learning of digits (Diehl & Cook 2015)."""

from __future__ import annotations

import torch

from snnkit import Network, get_plugin_manager, hookimpl
from snnkit.plugins import PluginManager


def diehl_cook_2015(
    n_inputs: int = 784,
    n_neurons: int = 100,
    exc: float = 22.5,
    inh: float = 17.5,
    norm: float = 78.4,
    nu: tuple[float, float] = (1e-4, 1e-2),
    theta_plus: float = 0.05,
    tc_theta_decay: float = 1e7,
    one_spike: bool = True,
    readout: int = 0,
    reduction: str = "first-spiking",
    dt: float = 1.0,
    seed: int = 0,
    plugins: PluginManager | None = None,
) -> Network:
    """Diehl & Cook's network: inputs, learning excitatory neurons, and inhibition between them.

    ``X`` (``n_inputs`` spike sources) -> all-to-all, ``post-pre`` STDP, weights in [0, 1] scaled to
    sum to ``norm`` per neuron -> ``Ae`` (``n_neurons`` ``diehl-cook`` neurons: rest -65 mV,
    reset -60 mV, threshold -52 mV + theta, refractory 5 ms, tau 100 ms) -> one-to-one, weight
    ``exc`` -> ``Ai`` (as many LIF neurons: rest -60, reset -45, threshold -40 mV, tau 10 ms,
    refractory 2 ms) -> weight ``-inh`` to every *other* excitatory neuron. The inhibition makes
    the excitatory neurons compete; the adaptive thresholds share the inputs among them.
    Parameters and neuron constants follow the paper and BindsNET's ``DiehlAndCook2015``. The
    network's ``input_layer`` is ``"X"`` and its ``output_layer`` ``"Ae"``.
    Reference: P. U. Diehl and M. Cook, Front. Comput. Neurosci. 9:99 (2015).

    Batches: ``reduction`` is the STDP rule's. The default ``"first-spiking"`` lets each neuron
    learn from one digit of a batch (the first that made it spike); ``"sum"`` adds the updates
    from all digits, which blends them and learns worse. At batch 1 the two are the same. A step
    of a batch of B digits stands for B digits' time: ``tc_theta_decay`` divided by B relaxes the
    thresholds per digit as at batch 1 (measured at batch 16: a little more accurate and faster).

    ``readout`` > 0 adds a layer ``R`` of that many non-spiking LIF neurons (tau 1 s, threshold out
    of reach: leaky integrators of ``Ae``'s spikes, read by their membrane potential) fed by ``Ae``
    through a learnable dense connection (initial weights normal(0, 0.5) mV): a readout that learns
    by gradient from the features the STDP layer learned, which stay fixed while it learns
    (``mnist-stdp-gradient-readout``).

    >>> net = diehl_cook_2015(n_inputs=16, n_neurons=4)  # doctest: +SKIP
    >>> list(net.layers), net.input_layer, net.output_layer  # doctest: +SKIP
    (['X', 'Ae', 'Ai'], 'X', 'Ae')
    """
    plugins = plugins or get_plugin_manager()
    net = Network(dt=dt, seed=seed, plugins=plugins)
    net.add_layer("X", "input", n_inputs)
    net.add_layer(
        "Ae",
        "diehl-cook",
        n_neurons,
        v_reset=-60.0,
        theta_plus=theta_plus,
        tc_theta_decay=tc_theta_decay,
        one_spike=one_spike,
    )
    net.add_layer("Ai", "lif", n_neurons, v_rest=-60.0, v_reset=-45.0, v_thresh=-40.0, tau_mem=10.0, refractory=2.0)
    rule = plugins.build("learning_rules", "post-pre", nu=tuple(nu), reduction=reduction)
    net.add_connection("X", "Ae", "dense", weight="uniform(0, 0.3)", wmin=0.0, wmax=1.0, norm=norm, rule=rule)
    net.add_connection("Ae", "Ai", "one-to-one", weight=exc)
    net.add_connection("Ai", "Ae", "dense", weight=-inh * (1 - torch.eye(n_neurons)))
    if readout < 0:
        raise ValueError(f"readout must be a number of neurons (0 for none), got {readout}")
    if readout:
        never = 1e9  # mV: R integrates and is read by its potential; it never spikes
        net.add_layer("R", "lif", readout, tau_mem=1000.0, v_thresh=never, refractory=0.0, surrogate="atan")
        net.add_connection("Ae", "R", "dense", weight="normal(0, 0.5)", learnable=True)
    net.input_layer, net.output_layer = "X", "Ae"
    return net


def two_layer(
    n_inputs: int = 784,
    n_neurons: int = 100,
    inhibition: float = 0.0,
    nu: tuple[float, float] = (1e-4, 1e-2),
    norm: float | None = None,
    tau_mem: float = 20.0,
    dt: float = 1.0,
    seed: int = 0,
    plugins: PluginManager | None = None,
) -> Network:
    """Two layers: inputs -> LIF neurons with ``post-pre`` STDP, optionally recurrent inhibition.

    ``X`` (``n_inputs``) -> all-to-all, weights in [0, 1], ``post-pre`` -> ``Y`` (``n_neurons`` LIF,
    tau ``tau_mem``); with ``inhibition`` > 0 every ``Y`` neuron inhibits the others by that
    much (mV). ``input_layer`` is ``"X"``, ``output_layer`` ``"Y"``. The simplest learning network,
    as in BindsNET's ``TwoLayerNetwork``.

    >>> net = two_layer(n_inputs=4, n_neurons=2, inhibition=5.0)  # doctest: +SKIP
    >>> list(net.connections)  # doctest: +SKIP
    ['X->Y', 'Y->Y']
    """
    plugins = plugins or get_plugin_manager()
    net = Network(dt=dt, seed=seed, plugins=plugins)
    net.add_layer("X", "input", n_inputs)
    net.add_layer("Y", "lif", n_neurons, tau_mem=tau_mem)
    rule = plugins.build("learning_rules", "post-pre", nu=tuple(nu))
    net.add_connection("X", "Y", "dense", weight="uniform(0, 0.3)", wmin=0.0, wmax=1.0, norm=norm, rule=rule)
    if inhibition > 0:
        net.add_connection("Y", "Y", "dense", weight=-inhibition * (1 - torch.eye(n_neurons)))
    net.input_layer, net.output_layer = "X", "Y"
    return net


@hookimpl
def snnkit_register_models(registry):
    registry.add("diehl-cook-2015", diehl_cook_2015)
    registry.add("two-layer", two_layer)
