"""The ``reservoir`` model: a liquid-state machine, a fixed random recurrent network of LIF neurons."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import Network, get_plugin_manager, hookimpl
from snnkit.plugins import PluginManager


def reservoir_weights(
    n_neurons: int, p: float, w_exc: float, w_inh: float, exc_fraction: float, generator: torch.Generator
) -> Tensor:
    """Random recurrent weights ``[n, n]`` (row: source) obeying Dale's law.

    The first ``round(exc_fraction * n)`` neurons are excitatory: each of their synapses (present
    with probability ``p``, never onto themselves) has weight ``w_exc * u``; the others are
    inhibitory, ``-w_inh * u``; ``u`` uniform in [0, 1).

    >>> w = reservoir_weights(5, 1.0, 2.0, 3.0, 0.6, torch.Generator().manual_seed(0))
    >>> bool((w[:3] >= 0).all() and (w[3:] <= 0).all() and (w.diagonal() == 0).all())
    True
    """
    n_exc = round(exc_fraction * n_neurons)
    present = (torch.rand(n_neurons, n_neurons, generator=generator) < p) & ~torch.eye(n_neurons, dtype=torch.bool)
    magnitude = torch.rand(n_neurons, n_neurons, generator=generator)
    scale = torch.cat([torch.full((n_exc, 1), w_exc), torch.full((n_neurons - n_exc, 1), -w_inh)])
    return present * magnitude * scale


def reservoir(
    n_inputs: int = 784,
    n_neurons: int = 500,
    p_in: float = 0.1,
    w_in: float = 1.5,
    p: float = 0.1,
    w_exc: float = 0.5,
    w_inh: float = 2.0,
    exc_fraction: float = 0.8,
    tau_mem: float = 20.0,
    refractory: float = 2.0,
    dt: float = 1.0,
    seed: int = 0,
    plugins: PluginManager | None = None,
) -> Network:
    """A liquid-state machine: inputs drive a fixed random recurrent network of LIF neurons.

    ``X`` (``n_inputs`` spike sources) -> random sparse synapses (each present with probability
    ``p_in``, weight ``w_in * u`` mV, ``u`` uniform in [0, 1)) -> ``R`` (``n_neurons`` LIF neurons:
    rest and reset -65 mV, threshold -52 mV, ``tau_mem``, ``refractory``) -> ``R`` (random
    recurrent synapses, probability ``p``, no self-connections; ``exc_fraction`` of the neurons
    excitatory with weights ``w_exc * u``, the rest inhibitory with ``-w_inh * u``: Dale's law).
    Nothing in the network learns: the "liquid" turns each input into a high-dimensional,
    fading trace of spikes, and a linear readout trained on ``R``'s spike counts classifies
    (the ``dataset`` pipeline with ``evaluations = ["logistic-regression"]`` and a ``window``
    as large as the training set; see the ``mnist-reservoir`` experiment). The network's
    ``input_layer`` is ``"X"`` and its ``output_layer`` ``"R"``. All weights are drawn from the
    run's ``seed``.
    Reference: W. Maass, T. Natschlaeger and H. Markram, "Real-time computing without stable
    states: a new framework for neural computation based on perturbations", Neural Computation
    14 (2002) 2531-2560.

    Args:
        n_inputs: input neurons, 784.
        n_neurons: reservoir neurons, 500.
        p_in: input connection probability, 0.1.
        w_in: largest input weight, mV, 1.5.
        p: recurrent connection probability, 0.1.
        w_exc: largest excitatory recurrent weight, mV, 0.5.
        w_inh: largest inhibitory recurrent weight (magnitude), mV, 2.
        exc_fraction: share of excitatory reservoir neurons, 0.8.
        tau_mem: membrane time constant, ms, 20.
        refractory: refractory period, ms, 2.

    >>> net = reservoir(n_inputs=16, n_neurons=20)  # doctest: +SKIP
    >>> list(net.connections), net.output_layer  # doctest: +SKIP
    (['X->R', 'R->R'], 'R')
    """
    plugins = plugins or get_plugin_manager()
    for name, value in (("p_in", p_in), ("p", p), ("exc_fraction", exc_fraction)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must be a probability in [0, 1], got {value}")
    if min(w_in, w_exc, w_inh) < 0:
        raise ValueError(f"w_in, w_exc and w_inh are magnitudes in mV, at least 0; got {w_in}, {w_exc}, {w_inh}")
    draw = torch.Generator().manual_seed(seed)
    inputs = (torch.rand(n_inputs, n_neurons, generator=draw) < p_in) * torch.rand(n_inputs, n_neurons, generator=draw)
    recurrent = reservoir_weights(n_neurons, p, w_exc, w_inh, exc_fraction, draw)
    net = Network(dt=dt, seed=seed, plugins=plugins)
    net.add_layer("X", "input", n_inputs)
    net.add_layer("R", "lif", n_neurons, tau_mem=tau_mem, refractory=refractory)
    net.add_connection("X", "R", "dense", weight=w_in * inputs)
    net.add_connection("R", "R", "dense", weight=recurrent)
    net.input_layer, net.output_layer = "X", "R"
    return net


@hookimpl
def snnkit_register_models(registry):
    registry.add("reservoir", reservoir)
