"""The ``input`` spike source."""

import torch

from snnkit import Network
from snnkit.testing import NeuronContract


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    assert plugins.get("neurons", "input").provider.distribution == "snnkit-plugins"


class TestInputContract(NeuronContract):
    name = "input"


def test_emits_exactly_the_given_spikes(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "input", (2, 3))
    net.add_monitor("in", "state", target="in")
    x = torch.rand(7, 2, 2, 3, generator=torch.Generator().manual_seed(0)) < 0.5
    net.run({"in": x}, time=7)
    assert torch.equal(net.monitors["in"].get("s"), x)
