"""``current-lif``, ``adaptive-lif`` and ``diehl-cook`` against hand-computed dynamics."""

import math

import pytest
import torch

from snnkit import Network
from snnkit.testing import NeuronContract

from .helpers import drive, spike_steps


@pytest.mark.parametrize("name", ["current-lif", "adaptive-lif", "diehl-cook"])
def test_discovered_through_the_snnkit_plugins_entry_point(plugins, name):
    assert plugins.get("neurons", name).provider.distribution == "snnkit-plugins"


class TestCurrentLIFContract(NeuronContract):
    name = "current-lif"


class TestAdaptiveLIFContract(NeuronContract):
    name = "adaptive-lif"


class TestDiehlCookContract(NeuronContract):
    name = "diehl-cook"
    params = {"one_spike": False}


class TestDiehlCookOneSpikeContract(NeuronContract):
    name = "diehl-cook"


def test_current_lif_current_decays_with_tau_syn_and_drives_the_membrane(plugins):
    layer = plugins.build("neurons", "current-lif", 1, tau_syn=2.0, tau_mem=10.0)
    _, states = drive(layer, [4.0] + [0.0] * 9)
    current = [s.i.item() for s in states]
    assert current == pytest.approx([4.0 * math.exp(-k / 2.0) for k in range(10)])
    d = math.exp(-1 / 10.0)
    expected, u = [], 0.0
    for i in current:  # v - v_rest integrates the current through the membrane's leak
        u = d * u + i
        expected.append(-65.0 + u)
    assert [s.v.item() for s in states] == pytest.approx(expected)


def test_current_lif_time_to_first_spike(plugins):
    layer = plugins.build("neurons", "current-lif", 1, tau_syn=2.0)
    spikes, _ = drive(layer, [1.0] * 40)
    a, d = math.exp(-0.5), math.exp(-0.01)
    i = [sum(a**j for j in range(k + 1)) for k in range(40)]  # current under a constant input
    u, first = 0.0, None
    for k in range(40):
        u = d * u + i[k]
        if u >= 13.0:
            first = k
            break
    assert spike_steps(spikes)[0] == first


def test_adaptive_lif_threshold_grows_per_spike_and_decays(plugins):
    layer = plugins.build("neurons", "adaptive-lif", 1, theta_plus=1.0, tc_theta_decay=50.0, refractory=0.0)
    inputs = [20.0, 20.0, 0.0, 0.0, 0.0]
    spikes, states = drive(layer, inputs)
    assert spike_steps(spikes) == [0, 1]
    r = math.exp(-1 / 50.0)
    assert [s.theta.item() for s in states] == pytest.approx(
        [1.0, 1.0 * r + 1.0, (r + 1) * r, (r + 1) * r**2, (r + 1) * r**3]
    )
    # a raised threshold needs more input: 13 mV fires from rest without adaptation, not with theta > 0
    fresh = plugins.build("neurons", "adaptive-lif", 1, theta_plus=1.0, refractory=0.0)
    spikes, _ = drive(fresh, [13.0, 13.0])
    assert spike_steps(spikes) == [0]


def test_adaptive_lif_theta_is_per_sample_state_reset_with_the_network(plugins):
    net = Network(plugins=plugins)
    net.add_layer("n", "adaptive-lif", 1, theta_plus=1.0, refractory=0.0)
    net.eval()  # adapts in evaluation too: adaptation is dynamics, not learning
    net.run({"n": torch.full((3, 2, 1), 20.0)}, time=3)
    assert net.state.layers["n"].theta.flatten().tolist() == pytest.approx([3.0, 3.0], abs=1e-5)
    assert net.state_dict() == {}
    net.reset_state()
    net.run({"n": torch.zeros(1, 1, 1)}, time=1)
    assert net.state.layers["n"].theta.item() == 0.0


def test_diehl_cook_theta_learns_only_in_training_and_persists(plugins):
    net = Network(plugins=plugins)
    net.add_layer("n", "diehl-cook", 2, theta_plus=0.5, refractory=0.0, one_spike=False)
    x = torch.zeros(4, 3, 2)
    x[:, :, 0] = 20.0  # neuron 0 fires every step in each of 3 samples
    net.eval()
    net.run({"n": x}, time=4)
    assert net.layers["n"].theta.tolist() == [0.0, 0.0]
    net.train()
    net.run({"n": x}, time=4)
    decay = math.exp(-1 / 1e7)
    expected = 0.0
    for _ in range(4):
        expected = expected * decay + 0.5 * 3  # summed over the batch
    assert net.layers["n"].theta.tolist() == pytest.approx([expected, 0.0])
    net.reset_state()
    assert net.layers["n"].theta[0].item() == pytest.approx(expected)  # a learned quantity
    assert "layers.n.theta" in net.state_dict()


def test_diehl_cook_one_spike_lets_the_largest_overshoot_win(plugins):
    layer = plugins.build("neurons", "diehl-cook", 4, refractory=0.0)
    spikes, _ = drive(layer, [torch.tensor([[14.0, 18.0, 16.0, 1.0], [1.0, 1.0, 1.0, 1.0]])])
    assert spikes[0].tolist() == [[False, True, False, False], [False, False, False, False]]
    # the losers keep their potential: neuron 2 (at -49 mV) wins the next step without new input
    spikes, _ = drive(layer, [torch.tensor([[14.0, 18.0, 16.0, 1.0]]), torch.zeros(1, 4)])
    assert spikes[1, 0].tolist() == [False, False, True, False]
