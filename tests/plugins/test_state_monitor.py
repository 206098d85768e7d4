"""The ``state`` monitor."""

import pytest
import torch

from snnkit import Network
from snnkit.errors import SnnkitError


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    assert plugins.get("monitors", "state").provider.distribution == "snnkit-plugins"


def test_records_copies_with_a_time_axis(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "input", 3)
    net.add_layer("out", "lif", 2)
    net.add_connection("in", "out", "dense", weight=5.0)
    monitor = net.add_monitor("m", "state", target="out", variables=["v", "s"], device="cpu")
    with pytest.raises(SnnkitError, match="recorded nothing yet"):
        monitor.get("v")
    net.run({"in": torch.ones(4, 2, 3)}, time=4)
    v = monitor.get("v")
    assert v.shape == (4, 2, 2)
    # step 0 receives nothing (one-step delay), step 1 receives 15 mV and crosses threshold
    assert v[0].eq(-65.0).all() and monitor.get("s")[1].all()
    with pytest.raises(SnnkitError, match="records v, s, not 'w'"):
        monitor.get("w")
    net.reset_state()
    with pytest.raises(SnnkitError, match="recorded nothing yet"):
        monitor.get("v")
