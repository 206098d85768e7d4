"""``snnkit export RUN.h5|EXPERIMENT --format nir``: the learned network of a recorded run as a NIR file."""

import pytest
import torch
from click.testing import CliRunner

import snnkit
from snnkit.experiment import load_experiment
from snnkit.recording import open as open_recording
from snnkit.runner import run_experiment
from snnkit_cli.main import cli

nir = pytest.importorskip("nir")

SMALL = [
    "run.time=40",
    "run.samples=4",
    "run.flush_every=2",
    "run.checkpoint_every=2",
    "network.layers.1.refractory=0.0",
]


def test_export_a_recorded_run_and_an_experiment(entry_point_plugins, tmp_path):
    run = tmp_path / "demo.h5"
    experiment = load_experiment("poisson-lif-demo", entry_point_plugins, [*SMALL, f'run.output="{run}"'])
    assert run_experiment(experiment, entry_point_plugins).status == "complete"
    runner = CliRunner()
    out = tmp_path / "model.nir"
    result = runner.invoke(cli, ["export", str(run), "--format", "nir", "-o", str(out)], obj=entry_point_plugins)
    assert result.exit_code == 2 and "post-pre" in result.output and "--drop-rules" in result.output
    assert not out.exists()
    args = ["export", str(run), "--format", "nir", "-o", str(out), "--drop-rules"]
    result = runner.invoke(cli, args, obj=entry_point_plugins)
    assert result.exit_code == 0, result.output
    assert "last checkpoint" in result.output
    learned = open_recording(run).checkpoint()["network"]["connections.input->output.weight"]
    graph = nir.read(out)
    assert torch.equal(torch.as_tensor(graph.nodes["input->output"].weight).T, learned)
    back = snnkit.from_nir(out, plugins=entry_point_plugins)  # one-step delays became Delay nodes
    assert back.connections["input->output"].delay == 1 and torch.equal(
        back.connections["input->output"].weight, learned
    )
    again = runner.invoke(cli, args, obj=entry_point_plugins)
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(cli, [*args, "--force"], obj=entry_point_plugins).exit_code == 0
    # An experiment's initial network; the demo's default refractory period cannot be exported
    result = runner.invoke(cli, ["export", "poisson-lif-demo", "-o", str(tmp_path / "x.nir")], obj=entry_point_plugins)
    assert result.exit_code == 2 and "layer 'output'" in result.output and "refractory" in result.output
    assert "Traceback" not in result.output
