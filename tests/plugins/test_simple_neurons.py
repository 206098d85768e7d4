"""``real-input``, ``mcculloch-pitts`` and ``if``: discovery, contracts and hand-computed dynamics."""

import itertools
import math

import pytest
import torch

from snnkit import Network
from snnkit.testing import NeuronContract

from .helpers import drive, spike_steps


@pytest.mark.parametrize("name", ["real-input", "mcculloch-pitts", "if"])
def test_discovered_through_the_snnkit_plugins_entry_point(plugins, name):
    component = plugins.get("neurons", name)
    assert component.provider.distribution == "snnkit-plugins"


class TestRealInputContract(NeuronContract):
    name = "real-input"


class TestMcCullochPittsContract(NeuronContract):
    name = "mcculloch-pitts"


class TestIFContract(NeuronContract):
    name = "if"


def test_real_input_injects_value_times_weight(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "real-input", 2)
    net.add_layer("out", "mcculloch-pitts", 1, threshold=100.0)
    net.add_connection("in", "out", "dense", weight=torch.tensor([[2.0], [-1.0]]))
    net.add_monitor("out", "state", target="out", variables=["v"])
    net.add_monitor("in", "state", target="in", variables=["s"])
    x = torch.tensor([[[0.5, 0.25]], [[3.0, 1.0]], [[0.0, 0.0]]])
    net.run({"in": x}, time=3)
    assert torch.equal(net.monitors["in"].get("s"), x)
    # one step later the target receives 2 * a - b
    assert net.monitors["out"].get("v").flatten().tolist() == [0.0, 0.75, 5.0]


def test_mcculloch_pitts_fires_exactly_at_threshold(plugins):
    layer = plugins.build("neurons", "mcculloch-pitts", 4, threshold=2.0)
    spikes, states = drive(layer, [torch.tensor([[1.9, 2.0, 5.0, -3.0]]), torch.zeros(1, 4)])
    assert spikes[0, 0].tolist() == [False, True, True, False]
    assert not spikes[1].any()  # no memory
    assert states[0].v[0].tolist() == pytest.approx([1.9, 2.0, 5.0, -3.0])


@pytest.mark.parametrize(("x", "refractory"), [(1.0, 5.0), (2.5, 2.0), (13.0, 0.0)])
def test_if_spike_times_match_hand_computation(plugins, x, refractory):
    layer = plugins.build("neurons", "if", 1, refractory=refractory)
    spikes, states = drive(layer, [x] * 80)
    k = math.ceil(13.0 / x)  # steps from reset (-65) to threshold (-52), no leak
    period = k + round(refractory)
    times = spike_steps(spikes)
    assert times[0] == k - 1
    assert all(b - a == period for a, b in itertools.pairwise(times))
    assert [s.v.item() for s in states[: k - 1]] == pytest.approx([-65.0 + x * (n + 1) for n in range(k - 1)])


def test_if_does_not_leak_and_respects_its_lower_bound(plugins):
    layer = plugins.build("neurons", "if", 1)
    _, states = drive(layer, [3.0, 0.0, 0.0, 0.0])
    assert [s.v.item() for s in states] == [-62.0] * 4
    bounded = plugins.build("neurons", "if", 1, v_min=-70.0)
    _, states = drive(bounded, [-4.0] * 3)
    assert [s.v.item() for s in states] == [-69.0, -70.0, -70.0]
