"""The plot plugins, through the plot contract: each draws from a network in memory, redraws into
the figure it is given, and names what is missing."""

import pytest
import torch

from snnkit import Network
from snnkit.recording import RecordingError, from_network
from snnkit.testing import PlotContract

pytest.importorskip("matplotlib")


class TestSpikesPlot(PlotContract):
    name = "spikes"


class TestVoltagesPlot(PlotContract):
    name = "voltages"


class TestWeightsPlot(PlotContract):
    name = "weights"


class TestInputPlot(PlotContract):
    name = "input"


class TestPerformancePlot(PlotContract):
    name = "performance"


class TestRewardPlot(PlotContract):
    name = "reward"


class TestAssignmentsPlot(PlotContract):
    name = "assignments"


def test_a_network_in_memory_reads_back_what_its_monitors_hold(plugins):
    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "input", 3)
    net.add_layer("out", "lif", 2)
    net.add_connection("in", "out", "dense", weight=8.0)
    monitor = net.add_monitor("out", "state", target="out", variables=["s", "v"])
    net.run({"in": torch.ones(5, 2, 3)}, time=5)
    recording = from_network(net, metrics={"loss": torch.tensor([2.0, 1.0])})
    assert recording.monitors() == {"out": {"target": "out", "variables": ["s", "v"]}}
    assert torch.equal(recording.values("out", "v"), monitor.get("v"))
    events = recording.events("out")
    assert torch.equal(recording.spikes("out").nonzero()[:, 0], events["step"])
    ((index, weights),) = recording.weights().values()
    assert index.tolist() == [0] and torch.equal(weights[0], net.connections["in->out"].weight)
    assert recording.metrics()["loss"][0].tolist() == [0, 1]
    net.run({"in": torch.ones(3, 2, 3)}, time=3)  # read at each call: the same object follows the run
    assert recording.values("out", "v").shape[0] == 8
    with pytest.raises(RecordingError, match=r"no in-memory monitor .in.*monitors that keep values: out"):
        recording.spikes("in")


def test_a_plot_redraws_one_figure_in_a_training_loop(plugins):
    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "input", 4)
    net.add_monitor("in", "state", target="in")
    spikes = plugins.get("plots", "spikes").factory
    figure = None
    for count in (1, 3):
        net.reset_state()
        net.run({"in": torch.ones(5 * count, 1, 4)}, time=5 * count)
        figure = spikes(from_network(net), figure=figure)
    (ax,) = figure.axes
    assert len(ax.collections[0].get_offsets()) == 4 * 15  # the last call's spikes, in the first figure
