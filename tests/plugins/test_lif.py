"""The ``lif`` neuron model against the closed-form solution of its dynamics."""

import itertools
import math

import pytest
import torch

from snnkit import Context, Network
from snnkit.errors import ParameterError
from snnkit.testing import NeuronContract


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    lif = plugins.get("neurons", "lif")
    assert lif.provider.distribution == "snnkit-plugins" and lif.provider.plugin == "lif"
    defaults = {p.name: p.default for p in lif.parameters}
    assert defaults["v_rest"] == -65.0 and defaults["v_reset"] == -65.0 and defaults["v_thresh"] == -52.0
    assert defaults["refractory"] == 5.0 and defaults["tau_mem"] == 100.0


class TestLIFContract(NeuronContract):
    name = "lif"


def simulate(layer, x: float, steps: int, dt: float):
    """Constant input ``x`` to one neuron; returns (spike steps, voltages)."""
    state = layer.initial_state(1, dtype=torch.float64)
    spikes, volts = [], []
    for step in range(steps):
        s, state = layer(torch.full((1, 1), x, dtype=torch.float64), state, Context(dt=dt))
        if s.item():
            spikes.append(step)
        volts.append(state.v.item())
    return spikes, volts


def steps_to_threshold(x, gap, d):
    """Steps of integration from rest until ``v - v_rest`` first reaches ``gap``: the smallest k with
    x (1 - d^k) / (1 - d) >= gap."""
    k = math.log(1 - gap * (1 - d) / x) / math.log(d)
    assert abs(k - round(k)) > 1e-3, "choose an input that does not land on the threshold"
    return math.ceil(k)


@pytest.mark.parametrize(("x", "dt", "tau_mem"), [(1.0, 1.0, 100.0), (2.5, 1.0, 20.0), (0.6, 0.5, 100.0)])
def test_spike_times_match_the_closed_form(plugins, x, dt, tau_mem):
    layer = plugins.build("neurons", "lif", 1, tau_mem=tau_mem)
    d = math.exp(-dt / tau_mem)
    k = steps_to_threshold(x, 13.0, d)  # threshold -52 is 13 mV above rest
    refractory_steps = round(5.0 / dt)
    spikes, volts = simulate(layer, x, 6 * (k + refractory_steps), dt)
    first = k - 1  # the first step already integrates
    assert spikes[0] == first  # time to first spike: k * dt ms
    assert all(b - a == refractory_steps + k for a, b in itertools.pairwise(spikes))  # inter-spike interval
    for step in range(first):
        assert volts[step] == pytest.approx(-65.0 + x * (1 - d ** (step + 1)) / (1 - d), abs=1e-9)
    # during the refractory period the neuron ignores its input and stays at reset
    assert volts[first + 1 : first + 1 + refractory_steps] == [-65.0] * refractory_steps
    assert volts[first + 1 + refractory_steps] == pytest.approx(-65.0 + x)


def test_reset_below_rest_relaxes_back_during_refractory(plugins):
    layer = plugins.build("neurons", "lif", 1, v_reset=-70.0, tau_mem=10.0, refractory=3.0)
    spikes, volts = simulate(layer, 14.0, 6, 1.0)
    assert spikes[0] == 0
    d = math.exp(-0.1)
    for j in (1, 2, 3):  # refractory: v = v_rest + d^j (v_reset - v_rest), input ignored
        assert volts[j] == pytest.approx(-65.0 - 5.0 * d**j)
    assert volts[4] == pytest.approx(-65.0 - 5.0 * d**4 + 14.0)


def test_zero_refractory_period_lets_the_neuron_fire_on_consecutive_steps(plugins):
    spikes, _ = simulate(plugins.build("neurons", "lif", 1, refractory=0.0), 20.0, 4, 1.0)
    assert spikes == [0, 1, 2, 3]


def test_invalid_parameters_are_refused(plugins):
    with pytest.raises(ValueError, match="tau_mem must be a positive"):
        plugins.build("neurons", "lif", 3, tau_mem=0.0)
    with pytest.raises(ParameterError, match=r"unknown parameter 'tau' .*did you mean 'tau_mem'"):
        plugins.build("neurons", "lif", 3, tau=10.0)


def build_two_layer(plugins, seed=0):
    net = Network(plugins=plugins, seed=seed)
    net.add_layer("in", "input", 20)
    net.add_layer("out", "lif", 5, tau_mem=20.0)
    net.add_connection("in", "out", "dense", wmin=0.0, wmax=3.0)
    net.add_monitor("v", "state", target="out", variables=["v", "s"])
    return net


def test_batch_run_matches_samples_run_one_by_one(plugins):
    x = torch.rand(100, 4, 20, generator=torch.Generator().manual_seed(2)) < 0.2
    net = build_two_layer(plugins)
    net.run({"in": x}, time=100)
    together = net.monitors["v"].get("v")
    assert net.monitors["v"].get("s").any()
    for b in range(4):
        alone = build_two_layer(plugins)
        alone.run({"in": x[:, b : b + 1]}, time=100)
        assert torch.equal(together[:, b], alone.monitors["v"].get("v")[:, 0])


def test_same_seed_same_weights_and_spikes(plugins):
    a, b, c = build_two_layer(plugins, 5), build_two_layer(plugins, 5), build_two_layer(plugins, 6)
    assert torch.equal(a.connections["in->out"].weight, b.connections["in->out"].weight)
    assert not torch.equal(a.connections["in->out"].weight, c.connections["in->out"].weight)
