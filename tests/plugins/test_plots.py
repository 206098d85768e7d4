"""The plot plugins, through the plot contract: each draws from a network in memory, redraws into
the figure it is given, and names what is missing."""

from pathlib import Path

import numpy as np
import pytest
import torch

from snnkit import Network
from snnkit.recording import Recording, RecordingError, from_network
from snnkit.testing import PlotContract

pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


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


# -- what the plots look like: checked on their pixels --------------------------------------------


class Made(Recording):
    """A recording made in the test: metrics, weights, arrays and an experiment as given."""

    def __init__(self, experiment="", metrics=(), weights=(), arrays=()):
        self.path, self._experiment = Path("<test>"), experiment
        self._metrics, self._weights, self._arrays = dict(metrics), dict(weights), dict(arrays)

    attrs = property(lambda self: {"status": "complete", "name": "test", "seed": 0, "error": ""})
    experiment = property(lambda self: self._experiment)
    writer = property(lambda self: None)

    def monitors(self):
        return {}

    def events(self, monitor):
        raise RecordingError(monitor)

    def spikes(self, monitor):
        raise RecordingError(monitor)

    def values(self, monitor, variable):
        raise RecordingError(monitor)

    def metrics(self):
        return self._metrics

    def weights(self):
        return self._weights

    def arrays(self):
        return self._arrays

    def checkpoint(self):
        return {}

    def tree(self):
        return []


def series(values, start=0):
    return torch.arange(start, start + len(values)), torch.tensor(values, dtype=torch.float64)


def pixels(figure):
    """The figure as an RGB array, rows from the top."""
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())[..., :3].astype(int)


def inside(figure, image, ax, inset=3):
    """The pixels inside ``ax``'s frame (the frame itself left out)."""
    box = ax.get_window_extent()
    height = image.shape[0]
    return image[int(height - box.y1) + inset : int(height - box.y0) - inset, int(box.x0) + inset : int(box.x1) - inset]


def pixel_at(figure, image, ax, x, y):
    """The colour of the pixel at data coordinates ``(x, y)`` of ``ax``."""
    px, py = ax.transData.transform((x, y))
    return tuple(image[int(image.shape[0] - py), int(px)])


def panels_of(figure):
    """The figure's panels, without its colour bars."""
    bars = {id(m.colorbar.ax) for ax in figure.axes for m in [*ax.images, *ax.collections] if m.colorbar}
    return [ax for ax in figure.axes if id(ax) not in bars]


@pytest.mark.parametrize("name", ["spikes", "voltages", "weights", "input", "performance", "reward", "assignments"])
def test_every_panel_with_data_shows_it_and_every_axis_is_labelled(plugins, name):
    figure = plugins.build("plots", name, PlotContract().recording(plugins))
    image = pixels(figure)
    for ax in figure.axes:
        drawn = len(ax.lines) + len(ax.collections) + len(ax.images) + len(ax.patches)
        if not drawn:
            continue
        region = inside(figure, image, ax)
        # more than a faint grid: some pixel far from the white background
        assert (np.abs(region - 255).max(axis=-1) > 60).any(), f"{name}: panel {ax.get_title()!r} shows nothing"
    for ax in panels_of(figure):
        if not ax.axison:  # an image (receptive fields, the assignment grid): no axes to label
            continue
        assert ax.get_ylabel(), f"{name}: panel {ax.get_title()!r} has no y label"
        shared = [other for other in ax.get_shared_x_axes().get_siblings(ax) if other.get_xlabel()]
        assert ax.get_xlabel() or shared, f"{name}: panel {ax.get_title()!r} has no x label"


def test_performance_groups_metrics_with_their_means_and_ticks_units_in_whole_numbers(plugins):
    returns = [9.0, 8.0, 14.0, 15.0, 26.0, 11.0, 20.0]
    recording = Made(
        "[run]\nbatch_size = 1\n",
        {
            "length": series(returns),  # CartPole: length equals return
            "return": series(returns),
            "return_mean": series([sum(returns[: i + 1]) / (i + 1) for i in range(7)]),
            "reward": series([0.1, -0.2, 0.3, 0.0, 0.2, -0.4, 0.1]),
            "silent": series([0.0] * 7),
            "test_length": series([19.0, 22.0], 7),
            "test_return": series([19.0, 22.0], 7),
            "test_return_mean": series([20.5], 8),
        },
    )
    figure = plugins.build("plots", "performance", recording)
    axes = panels_of(figure)
    assert [ax.get_title() for ax in axes] == ["return = length", "reward", "silent"]  # not 8 panels
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert labels == [
        "return = length",
        "return_mean",
        "test_return = test_length (last: 22)",
        "test_return_mean (last: 20.5)",
    ]
    pixels(figure)
    for ax in axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), f"fractional unit ticks {ticks}"
    low, high = axes[2].get_ylim()
    assert low < 0 < 1 < high  # a constant fraction gets the range of a fraction, not 0 +- 0.05
    assert all(float(t).is_integer() for t in axes[0].get_yticks())  # returns are whole numbers


def test_performance_draws_epochs_as_lines_and_breaks_lines_over_test_phases(plugins):
    index = torch.tensor([0, 1, 2, 3, 8, 9, 10, 11])
    loss = torch.tensor([2.0, 1.5, 1.2, 1.0, 0.9, 0.8, 0.7, 0.6], dtype=torch.float64)
    recording = Made(
        "",
        {
            "loss": (index, loss),
            "test_loss": series([0.95, 0.65]),
            "epoch": (torch.arange(14), torch.tensor([1.0] * 7 + [2.0] * 7)),
        },
    )
    (ax,) = panels_of(plugins.build("plots", "performance", recording))
    assert ax.get_title() == "loss"  # epoch is not a panel
    x = ax.lines[0].get_xdata()
    assert np.isnan(x).sum() == 1  # the line breaks once, where the test phase was
    assert [line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == ":"] == [6.5]


def assignment_recording(labels):
    return Made(arrays={"assignments": (torch.tensor([99]), torch.tensor([labels]))})


def test_assignments_give_each_class_its_own_colour_and_the_colour_bar_ticks_sit_on_them(plugins):
    labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, 9, 8]
    figure = plugins.build("plots", "assignments", assignment_recording(labels))
    grid, counts = panels_of(figure)
    key = grid.collections[0].colorbar.ax
    image = pixels(figure)
    side = 4  # 13 neurons: a 4 x 4 grid, the last 3 cells empty
    colour = {}
    for n, label in enumerate(labels):
        r, c = divmod(n, side)
        colour.setdefault(label, set()).add(pixel_at(figure, image, grid, c + 0.2, r + 0.2))  # off the number
    assert all(len(found) == 1 for found in colour.values()), "one class, one colour"
    colours = [next(iter(colour[label])) for label in range(-1, 10)]

    def apart(a, b):
        return max(abs(x - y) for x, y in zip(a, b, strict=True)) > 40

    assert all(apart(a, b) for i, a in enumerate(colours) for b in colours[i + 1 :]), f"alike colours: {colours}"
    empty = pixel_at(figure, image, grid, 3 + 0.5, 3 + 0.5)
    assert empty == (255, 255, 255)  # padding is not drawn as "never fired"
    ticks = list(key.get_yticks())
    assert ticks == list(range(-1, 10))
    assert key.get_yticklabels()[0].get_text() == "never fired"
    for tick, expected in zip(ticks, colours, strict=True):
        px, py = key.transData.transform((0.5, tick))
        found = tuple(image[int(image.shape[0] - py), int(px)])
        assert not apart(found, expected), f"colour bar at tick {tick}: {found}, grid colour {expected}"
    bars = [tuple(int(255 * v) for v in p.get_facecolor()[:3]) for p in counts.patches]
    assert len(bars) == 11 and all(not apart(b, c) for b, c in zip(bars, colours, strict=True))
    assert [p.get_height() for p in counts.patches] == [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2]


def test_weights_draw_receptive_fields_of_images_matrices_otherwise_and_leave_fixed_ones_out(plugins):
    learning = torch.stack([torch.rand(784, 4), torch.rand(784, 4)])
    weights = {
        "X->Ae": (torch.tensor([9, 19]), learning),
        "Ae->Ai": (torch.tensor([9, 19]), torch.full((2, 4), 22.5)),
        "Ai->Ae": (torch.tensor([9, 19]), (-120 * (1 - torch.eye(4))).expand(2, 4, 4)),
    }
    experiment = '[dataset]\nplugin = "mnist"\n\n[model]\nplugin = "diehl-cook-2015"\n'
    figure = plugins.build("plots", "weights", Made(experiment, weights=weights))
    (ax,) = panels_of(figure)
    assert "X->Ae: receptive fields (28 x 28) of 4 target neurons" in ax.get_title()
    assert ax.images[0].get_array().shape == (57, 57)  # 2 x 2 fields of 28 x 28, one pixel apart
    assert "fixed connections left out: Ae->Ai, Ai->Ae" in figure.texts[0].get_text()
    everything = panels_of(plugins.build("plots", "weights", Made(experiment, weights=weights), fixed=True))
    assert [ax.get_title().split(":")[0] for ax in everything] == ["X->Ae", "Ae->Ai", "Ai->Ae"]  # learning first
    flat = """
[[network.layers]]
name = "input"
neuron = "input"
shape = 100

[[network.layers]]
name = "output"
neuron = "lif"
shape = 50
"""
    (ax,) = panels_of(
        plugins.build(
            "plots", "weights", Made(flat, weights={"input->output": (torch.tensor([4]), torch.rand(1, 100, 50))})
        )
    )
    assert ax.images[0].get_array().shape == (100, 50)  # 100 inputs in a row are not a 10 x 10 image
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("source neuron (input)", "target neuron (output)")


def test_voltages_name_their_neurons_show_the_threshold_and_share_the_steps_of_the_spikes(plugins):
    recording = PlotContract().recording(plugins)  # 50 steps; output: lif, v_thresh -52 mV
    figure = plugins.build("plots", "voltages", recording, neurons=3, last_steps=30)
    (ax,) = panels_of(figure)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["neuron 0", "neuron 1", "neuron 2", "threshold -52 mV"]
    assert ax.get_ylabel() == "v (mV)" and "ms" in ax.get_xlabel()
    raster = panels_of(plugins.build("plots", "spikes", recording, last_steps=30))
    assert ax.get_xlim() == raster[-1].get_xlim() == (19.5, 49.5)  # the same steps, numbered alike
    assert ax.lines[0].get_xdata()[0] == 20 and raster[-1].collections[0].get_offsets()[:, 0].min() >= 20
    chosen = panels_of(plugins.build("plots", "voltages", recording, neurons=[3]))[0]
    assert chosen.get_legend().get_texts()[0].get_text() == "neuron 3"


def test_the_input_of_a_flat_layer_is_drawn_as_rates_not_folded_into_a_square(plugins):
    figure = plugins.build("plots", "input", PlotContract().recording(plugins))  # 16 inputs, 1-D
    top, _ = panels_of(figure)
    assert not top.images and len(top.patches) == 16 and top.get_ylabel() == "rate (Hz)"
