"""The ``state`` monitor."""

import math

import pytest
import torch

from snnkit import Network
from snnkit.errors import SnnkitError
from snnkit.testing import MonitorContract


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


def test_records_a_learning_rules_traces_on_its_connection(plugins):
    # traces belong to the rule: a monitor of the connection records them by field name
    net = Network(plugins=plugins)
    net.add_layer("in", "input", 1)
    net.add_layer("out", "lif", 1)
    net.add_connection("in", "out", "dense", weight=0.0, rule=plugins.build("learning_rules", "post-pre", tc_pre=10.0))
    monitor = net.add_monitor("m", "state", target="in->out", variables=["pre", "post"])
    x = torch.zeros(4, 1, 1)
    x[0] = 1.0
    net.run({"in": x}, time=4, learning=True)
    # the spike of step 0 arrives at step 1 (one-step delay), then decays by exp(-dt / tc_pre)
    assert monitor.get("pre").flatten().tolist() == pytest.approx([0.0, 1.0, math.exp(-0.1), math.exp(-0.2)])
    assert monitor.get("post").abs().sum() == 0
    with pytest.raises(SnnkitError, match="trace"):
        net.add_monitor("bad", "state", target="out", variables=["trace"])


class TestStateMonitorContract(MonitorContract):
    name = "state"


class TestStateMonitorOnCPUContract(MonitorContract):
    name = "state"
    params = {"device": "cpu"}
