"""The ``reservoir`` model: a fixed random recurrent LIF network (a liquid-state machine)."""

from importlib.metadata import entry_points

import pytest
import torch


def test_the_model_is_registered_through_its_entry_point(plugins):
    assert "reservoir" in {ep.name for ep in entry_points(group="snnkit")}
    assert plugins.get("models", "reservoir").provider.distribution == "snnkit-plugins"


def test_structure_obeys_dales_law_and_the_connection_probabilities(plugins):
    net = plugins.build("models", "reservoir", n_neurons=400, p=0.1, p_in=0.2, w_in=2.0, plugins=plugins)
    assert (net.input_layer, net.output_layer) == ("X", "R") and len(net.rules) == 0  # nothing learns
    w = net.connections["R->R"].weight
    assert (w[:320] >= 0).all() and (w[320:] <= 0).all()  # 80 % excitatory rows, 20 % inhibitory
    assert (w.diagonal() == 0).all()
    density = (w != 0).float().mean().item()
    assert density == pytest.approx(0.1 * 399 / 400, abs=0.005)  # p = 0.1, no self-connections
    assert w[:320].max().item() <= 0.5 and w[320:].min().item() >= -2.0  # w_exc, w_inh
    w_in = net.connections["X->R"].weight
    assert (w_in != 0).float().mean().item() == pytest.approx(0.2, abs=0.005) and w_in.max().item() <= 2.0


def test_the_same_seed_gives_the_same_reservoir_and_another_a_different_one(plugins):
    a, b, c = (plugins.build("models", "reservoir", n_neurons=50, seed=s, plugins=plugins) for s in (1, 1, 2))
    assert torch.equal(a.connections["R->R"].weight, b.connections["R->R"].weight)
    assert not torch.equal(a.connections["R->R"].weight, c.connections["R->R"].weight)


def test_recurrence_keeps_the_liquid_spiking_after_the_input_stops(plugins):
    strong = {"n_inputs": 100, "n_neurons": 200, "w_in": 6.0, "w_exc": 8.0, "w_inh": 8.0, "plugins": plugins}
    net = plugins.build("models", "reservoir", **strong)
    quiet = plugins.build("models", "reservoir", **strong | {"p": 0.0})  # the same inputs, no recurrence
    spikes = torch.zeros(60, 1, 100, dtype=torch.bool)
    spikes[:20] = torch.rand(20, 1, 100, generator=torch.Generator().manual_seed(0)) < 0.3
    counts = []
    for network in (net, quiet):
        network.add_monitor("r", plugins.build("monitors", "state", "R", ["s"]))
        network.run({"X": spikes}, time=60)
        counts.append(network.monitors["r"].get("s")[25:].sum().item())  # from 5 ms after the input ended
    assert counts[0] > 100 and counts[1] == 0  # only recurrent excitation outlasts the input


def test_bad_probabilities_are_refused(plugins):
    with pytest.raises(ValueError, match=r"p_in must be a probability in \[0, 1\], got 1\.5"):
        plugins.build("models", "reservoir", p_in=1.5, plugins=plugins)
