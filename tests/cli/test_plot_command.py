"""`snnkit plot`: which plots it draws (the experiment's list, --plot, --all) and their parameters (--param)."""

import pytest
import torch
from click.testing import CliRunner

from snnkit import Network
from snnkit_cli.commands.plot import plot_params
from snnkit_cli.main import cli

pytest.importorskip("matplotlib")

LAYERS = """
[pipeline]
plugin = "simulate"
input_layer = "in"

[[network.layers]]
name = "in"
neuron = "input"
shape = 16

[[network.layers]]
name = "out"
neuron = "lif"
shape = 4
"""


def record(plugins, path, plots=None):
    """A small recording written by the hdf5 recorder: spikes and ``v`` of two layers over 3 units
    of 20 steps, a metric per unit and two weight snapshots; its experiment lists ``plots``."""
    head = "" if plots is None else f"plots = {plots!r}\n".replace("'", '"')
    recorder = plugins.build("recorders", "hdf5")
    recorder.start(path, head + LAYERS, {"seed": 0})
    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "input", 16)
    net.add_layer("out", "lif", 4)
    net.add_connection("in", "out", "dense", weight="uniform(0, 5)", wmin=0.0, wmax=5.0, rule="post-pre")
    net.add_monitor("in", recorder.monitor("in", "in", ["s"]))
    net.add_monitor("out", recorder.monitor("out", "out", ["s", "v"]))
    generator = torch.Generator().manual_seed(0)
    for unit in range(3):
        net.run({"in": torch.rand(20, 1, 16, generator=generator) < 0.3}, time=20)
        recorder.log(unit, {"rate.out": float(unit)})
        if unit:
            recorder.snapshot(unit, net)
    recorder.finish("complete")
    return path


def plot(plugins, *args):
    return CliRunner().invoke(cli, ["plot", *map(str, args)], obj=plugins)


def test_the_experiments_plots_are_drawn_and_every_plot_with_data_when_it_lists_none(entry_point_plugins, tmp_path):
    path = record(entry_point_plugins, tmp_path / "listed.h5", ["spikes", "performance"])
    result = plot(entry_point_plugins, path, "--out", tmp_path / "listed")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "listed").iterdir()) == ["performance.png", "spikes.png"]
    assert "the experiment's plots: spikes, performance" in result.output
    everything = plot(entry_point_plugins, path, "--all", "--out", tmp_path / "all")
    assert everything.exit_code == 0, everything.output
    drawn = {p.stem for p in (tmp_path / "all").iterdir()}
    assert {"spikes", "voltages", "weights", "performance", "input"} <= drawn and "reward" not in drawn
    unlisted = record(entry_point_plugins, tmp_path / "unlisted.h5")
    result = plot(entry_point_plugins, unlisted, "--out", tmp_path / "unlisted")
    assert result.exit_code == 0, result.output
    assert {p.stem for p in (tmp_path / "unlisted").iterdir()} == drawn
    assert plot(entry_point_plugins, path, "--all", "--plot", "spikes").exit_code == 2


def test_a_listed_plot_without_data_is_skipped_and_named(entry_point_plugins, tmp_path):
    path = record(entry_point_plugins, tmp_path / "r.h5", ["reward", "spikes"])
    result = plot(entry_point_plugins, path, "--out", tmp_path / "out")
    assert result.exit_code == 0 and "skipped reward: no reward or return metrics" in result.output
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["spikes.png"]


def test_param_sets_a_plots_parameter_read_as_toml(entry_point_plugins, tmp_path):
    path = record(entry_point_plugins, tmp_path / "r.h5", ["voltages", "spikes"])
    components = [entry_point_plugins.get("plots", n) for n in ("voltages", "spikes")]
    params = ("voltages.neurons=[1, 3]", "last_steps=25", "spikes.sample=0")
    assert plot_params(params, components, entry_point_plugins) == {
        "voltages": {"neurons": [1, 3], "last_steps": 25},
        "spikes": {"last_steps": 25, "sample": 0},
    }
    default = plot(entry_point_plugins, path, "--out", tmp_path / "default")
    one = plot(entry_point_plugins, path, "--out", tmp_path / "one", "--param", "voltages.neurons=1")
    assert default.exit_code == one.exit_code == 0, one.output
    assert (tmp_path / "one" / "voltages.png").read_bytes() != (tmp_path / "default" / "voltages.png").read_bytes()
    assert (tmp_path / "one" / "spikes.png").read_bytes() == (tmp_path / "default" / "spikes.png").read_bytes()


@pytest.mark.parametrize(
    ("param", "message"),
    [
        (
            "voltages.neuron=3",
            "Error: plot 'voltages': unknown parameter 'neuron' (did you mean 'neurons'?)."
            " Accepted parameters: sample, neurons, last_steps.",
        ),
        (
            "voltages.neurons=many",
            "Error: plot 'voltages': parameter 'neurons' must be int or a list of int, got str 'many'.",
        ),
        ("voltage.neurons=3", "Error: unknown plot 'voltage'; did you mean 'voltages'?"),
        ("weights.fixed=true", "plot 'weights' is not drawn here (drawn: voltages, spikes); add --plot weights"),
        ("bins=3", "no plot drawn here takes 'bins' (parameters of voltages: sample, neurons, last_steps; spikes:"),
        ("neurons", "write it as PLOT.NAME=VALUE or NAME=VALUE"),
    ],
)
def test_a_parameter_the_plot_does_not_take_is_a_clear_error(entry_point_plugins, tmp_path, param, message):
    path = record(entry_point_plugins, tmp_path / "r.h5", ["voltages", "spikes"])
    result = plot(entry_point_plugins, path, "--out", tmp_path / "out", "--param", param)
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "out" / "voltages.png").exists()


def test_a_broken_plot_is_skipped_under_all_and_in_the_list_but_fails_when_asked_for(entry_point_plugins, tmp_path):
    from types import SimpleNamespace

    def broken(recording, *, figure=None):
        return recording.metrics()["no-such-metric"]  # a KeyError, not an SnnkitError

    entry_point_plugins.register(
        SimpleNamespace(snnkit_register_plots=lambda registry: registry.add("broken", broken)), name="broken"
    )
    path = record(entry_point_plugins, tmp_path / "r.h5", ["broken", "spikes"])
    skipped = "skipped broken: the plot failed (KeyError: 'no-such-metric'); it comes from (registered in code)"
    for args in ((), ("--all",)):
        result = plot(entry_point_plugins, path, "--out", tmp_path / "out", *args)
        assert result.exit_code == 0 and skipped in result.output and (tmp_path / "out" / "spikes.png").exists()
    named = plot(entry_point_plugins, path, "--plot", "broken")
    assert named.exit_code == 2 and "Error: the plot failed (KeyError" in named.output


def test_a_sample_the_run_does_not_have_is_an_error_not_an_empty_plot(entry_point_plugins, tmp_path):
    from snnkit.experiment import load_experiment
    from snnkit.runner import run_experiment

    path = tmp_path / "demo.h5"
    settings = ["run.samples=2", "run.time=20", f'run.output="{path}"']
    run_experiment(load_experiment("poisson-lif-demo", entry_point_plugins, settings), entry_point_plugins)
    for plot in ("spikes", "voltages", "input"):
        result = CliRunner().invoke(
            cli, ["plot", str(path), "--plot", plot, "--param", "sample=3"], obj=entry_point_plugins
        )
        assert result.exit_code == 2, (plot, result.output)
        assert "sample 3 is out of range: the run has 1 sample per batch (sample = 0)" in result.output
