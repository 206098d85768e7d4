"""The ``gradient`` pipeline on the real MNIST files: it learns, resumes exactly, and refuses bad
input before training."""

import os
from pathlib import Path

import pytest
import torch

import snnkit_plugins.experiments
from snnkit import recording as rec
from snnkit.errors import SnnkitError
from snnkit.experiment import ExperimentError, load_experiment
from snnkit.runner import run_experiment
from snnkit.testing import PipelineContract

# the MNIST files: where SNNKIT_DATA says, else the shared folder beside the checkout
DATA = Path(os.environ.get("SNNKIT_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
needs_mnist = pytest.mark.skipif(not (DATA / "MNIST" / "raw").exists(), reason=f"MNIST files not found in {DATA}")

SMALL = [  # mnist-surrogate-fc with 100 hidden neurons and 10 steps: seconds, not minutes
    "network.layers.1.shape=100",
    "network.connections.1.weight='uniform(-0.1, 0.1)'",
    "run.time=10",
    "run.batch_size=64",
    "pipeline.lr=2e-3",
    "run.compile=false",  # the experiment's compile=true costs tens of seconds per test
    "run.threads=1",  # runs compared digit for digit must sum in one order ("auto" follows the load)
]


@pytest.fixture
def mnist_env(monkeypatch):
    monkeypatch.setenv("SNNKIT_DATA", str(DATA))


def small(plugins, tmp_path, name, *more):
    return load_experiment("mnist-surrogate-fc", plugins, [*SMALL, *more, f'run.output="{tmp_path / name}"'])


def test_discovered_through_the_entry_point(plugins):
    assert plugins.get("pipelines", "gradient").provider.plugin == "gradient"
    assert plugins.get("experiments", "mnist-surrogate-fc").provider.distribution == "snnkit-plugins"


@needs_mnist
def test_a_short_training_run_learns_mnist(plugins, mnist_env, tmp_path):
    settings = ["pipeline.train_samples=3200", "pipeline.test_samples=1000", "pipeline.epochs=1", "run.compile=true"]
    result = run_experiment(small(plugins, tmp_path, "run.h5", *settings), plugins)  # compiled, as shipped
    assert result.status == "complete" and result.units_done == 50 + 16
    assert result.metrics["test_accuracy"] > 0.75  # chance: 0.10
    metrics = rec.open(tmp_path / "run.h5").metrics()
    losses = metrics["loss"][1]
    assert losses[-10:].mean() < 0.6 * losses[:10].mean()
    assert {"rate.hidden", "rate.output", "accuracy"} <= set(metrics)


@needs_mnist
def test_resumed_training_equals_an_uninterrupted_run(plugins, mnist_env, tmp_path):
    settings = [
        "pipeline.train_samples=320",
        "pipeline.test_samples=128",
        "pipeline.epochs=2",
        "pipeline.scheduler='steplr'",
        "pipeline.scheduler_params={step_size=1, gamma=0.5}",
        "run.checkpoint_every=1000",
    ]
    full = run_experiment(small(plugins, tmp_path, "full.h5", *settings), plugins)
    calls = []  # asked once before the recording starts, then before every unit
    part = small(plugins, tmp_path, "part.h5", *settings)
    stopped = run_experiment(part, plugins, should_stop=lambda: calls.append(1) or len(calls) > 7)
    assert stopped.status == "interrupted" and stopped.units_done == 6  # 5 training batches, then 1 of 2 test ones
    resumed = run_experiment(part, plugins, resume=tmp_path / "part.h5")
    assert resumed.status == "complete" and resumed.metrics == full.metrics
    a, b = rec.open(tmp_path / "full.h5"), rec.open(tmp_path / "part.h5")
    for key, value in a.checkpoint()["network"].items():
        assert torch.equal(value, b.checkpoint()["network"][key]), key
    for name, (units, values) in a.metrics().items():
        assert torch.equal(units, b.metrics()[name][0]) and torch.equal(values, b.metrics()[name][1]), name


@needs_mnist
def test_output_size_must_match_the_classes(plugins, mnist_env, tmp_path):
    experiment = small(plugins, tmp_path, "run.h5", "network.layers.2.shape=12")
    with pytest.raises(SnnkitError, match="layer 'output' has 12 neurons for 10 classes; give it 10"):
        run_experiment(experiment, plugins)


@needs_mnist
def test_a_network_with_nothing_learnable_is_refused(plugins, mnist_env, tmp_path):
    experiment = small(
        plugins, tmp_path, "run.h5", "network.connections.0.learnable=false", "network.connections.1.learnable=false"
    )
    with pytest.raises(SnnkitError, match="gradient training needs learnable tensors"):
        run_experiment(experiment, plugins)


def test_a_surrogate_on_an_input_layer_is_refused(plugins, tmp_path):
    experiment = small(plugins, tmp_path, "run.h5", "network.layers.0.surrogate='atan'")
    with pytest.raises(Exception, match="layer 'input': RealInput neurons take no surrogate gradient"):
        run_experiment(experiment, plugins)


@needs_mnist
def test_an_unknown_surrogate_optimizer_or_loss_names_the_closest(plugins, mnist_env, tmp_path):
    with pytest.raises(ExperimentError, match="unknown surrogate gradient 'fast-sigmod'; did you mean 'fast-sigmoid'"):
        small(plugins, tmp_path, "run.h5", "network.layers.1.surrogate='fast-sigmod'")
    with pytest.raises(SnnkitError, match="unknown optimizer 'sgdd'; did you mean 'sgd'"):
        run_experiment(small(plugins, tmp_path, "a.h5", "pipeline.optimizer='sgdd'"), plugins)
    experiment = small(plugins, tmp_path, "b.h5", "pipeline.loss='rate-crossentropy'")
    with pytest.raises(Exception, match="did you mean 'rate-cross-entropy'"):
        run_experiment(experiment, plugins)


@needs_mnist
def test_truncated_backpropagation_learns_and_one_window_is_the_whole_sample(plugins, mnist_env, tmp_path):
    settings = ["pipeline.train_samples=1280", "pipeline.test_samples=500", "pipeline.epochs=1"]
    whole = run_experiment(small(plugins, tmp_path, "whole.h5", *settings), plugins)
    one_window = run_experiment(small(plugins, tmp_path, "one.h5", *settings, "pipeline.tbptt=10"), plugins)
    assert one_window.metrics == whole.metrics  # a window of all 10 steps is plain BPTT
    halves = run_experiment(small(plugins, tmp_path, "halves.h5", *settings, "pipeline.tbptt=5"), plugins)
    assert halves.metrics != whole.metrics and halves.metrics["test_accuracy"] > 0.6  # chance: 0.10


@needs_mnist
def test_the_convolutional_experiment_learns(plugins, mnist_env, tmp_path):
    settings = ["pipeline.train_samples=1280", "pipeline.test_samples=500", "pipeline.epochs=1", "run.compile=false"]
    experiment = load_experiment("mnist-surrogate-conv", plugins, [*settings, f'run.output="{tmp_path / "conv.h5"}"'])
    result = run_experiment(experiment, plugins)
    assert result.metrics["test_accuracy"] > 0.5, result.metrics  # chance: 0.10 (0.708 measured)


@needs_mnist
class TestGradientPipelineContract(PipelineContract):
    name = "gradient"
    experiment = (Path(snnkit_plugins.experiments.__file__).parent / "mnist_surrogate_fc.toml").read_text()
    overrides = (*SMALL, "pipeline.train_samples=192", "pipeline.test_samples=64", "pipeline.epochs=2")

    @pytest.fixture(autouse=True)
    def _files(self, mnist_env):
        """The shared MNIST files through SNNKIT_DATA."""


def test_a_dataset_without_classes_or_labels_is_a_clear_error():
    from snnkit_plugins.pipelines.gradient import _labels_max

    assert _labels_max(type("Labelled", (), {"labels": [0, 3, 1]})()) == 3
    with pytest.raises(SnnkitError, match=r"neither `classes` .* nor `labels`"):
        _labels_max(object())
