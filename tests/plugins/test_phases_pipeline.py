"""The ``phases`` pipeline: pipelines one after another on one network, resumed exactly across
the phase boundary; and the hybrid experiment built on it (STDP features, gradient readout)."""

import os
from pathlib import Path

import pytest
import torch

import snnkit_plugins.experiments
from snnkit import recording as rec
from snnkit.experiment import ExperimentError, load_experiment
from snnkit.runner import check_run, run_experiment
from snnkit.testing import PipelineContract

# the MNIST files: where SNNKIT_DATA says, else the shared folder beside the checkout
DATA = Path(os.environ.get("SNNKIT_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
needs_mnist = pytest.mark.skipif(not (DATA / "MNIST" / "raw").exists(), reason=f"MNIST files not found in {DATA}")
EXPERIMENTS = Path(snnkit_plugins.experiments.__file__).parent
SMALL = (  # the hybrid experiment in seconds: 10 STDP neurons, 30 steps per digit
    "model.n_neurons=10",
    "run.time=30",
    "pipeline.phases.0.train_samples=6",
    "pipeline.phases.0.test_samples=4",
    "pipeline.phases.0.assign_every=3",
    "pipeline.phases.0.window=6",
    "pipeline.phases.0.evaluations=['all-activity']",
    "pipeline.phases.1.batch_size=8",
    "pipeline.phases.1.train_samples=24",
    "pipeline.phases.1.test_samples=8",
    "run.threads=1",
    "run.compile=false",  # the experiment compiles: a minute per test
)


@pytest.fixture
def mnist_env(monkeypatch):
    monkeypatch.setenv("SNNKIT_DATA", str(DATA))


class TestPhasesOfSimulationContract(PipelineContract):
    name = "phases"
    experiment = (
        (EXPERIMENTS / "poisson_lif_demo.toml")
        .read_text()
        .replace(
            'plugin = "simulate"\ninput_layer = "input"',
            'plugin = "phases"\nphases = [{ plugin = "simulate", input_layer = "input" },'
            ' { plugin = "simulate", input_layer = "input", intensity = 0.5 }]',
        )
    )
    overrides = ("run.samples=4", "run.time=50", "run.checkpoint_every=1")


@needs_mnist
class TestHybridContract(PipelineContract):
    name = "phases"
    experiment = (EXPERIMENTS / "mnist_stdp_gradient_readout.toml").read_text()
    overrides = (*SMALL, "run.checkpoint_every=1")

    @pytest.fixture(autouse=True)
    def _files(self, mnist_env):
        """The shared MNIST files through SNNKIT_DATA."""


def test_phases_need_a_pipeline_each(plugins, tmp_path):
    text = (
        (EXPERIMENTS / "poisson_lif_demo.toml")
        .read_text()
        .replace('plugin = "simulate"\ninput_layer = "input"', 'plugin = "phases"\nphases = [{ name = "simulate" }]')
    )
    path = tmp_path / "x.toml"
    path.write_text(text)
    experiment = load_experiment(path, plugins, [f'run.output="{tmp_path / "x.h5"}"'])
    with pytest.raises(ExperimentError, match=r'\[pipeline\].*phases\[0\] must name its pipeline with plugin = "..."'):
        check_run(experiment, plugins)  # what snnkit run --dry-run and every run do before anything is written


@needs_mnist
def test_the_readout_learns_by_gradient_while_the_stdp_features_stay_fixed(plugins, mnist_env, tmp_path):
    experiment = load_experiment("mnist-stdp-gradient-readout", plugins, [*SMALL, f'run.output="{tmp_path / "h.h5"}"'])
    experiment.data["run"]["weights_every"] = 1
    result = run_experiment(experiment, plugins)
    assert result.status == "complete"
    recording = rec.open(tmp_path / "h.h5")
    phase = recording.metrics()["phase"][1]
    first = int((phase == 1).sum())  # units of the STDP phase (6 samples and 4 test samples)
    assert first == 10 and int((phase == 2).sum()) == 3 + 1  # 3 batches of 8, one test batch
    (_, features), (_, readout) = recording.weights()["X->Ae"], recording.weights()["Ae->R"]
    assert torch.equal(features[first - 1], features[-1])  # fixed while the readout learns
    assert not torch.equal(features[0], features[first - 1])  # learned by STDP before
    assert torch.equal(readout[0], readout[first - 1])  # the readout does not change during STDP
    assert not torch.equal(readout[first - 1], readout[-1])  # and learns by gradient after
    metrics = recording.metrics()
    assert "test_accuracy.all-activity" in metrics and "test_accuracy" in metrics  # both readouts scored
