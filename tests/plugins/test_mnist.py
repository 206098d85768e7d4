"""MNIST end to end on the real files (../shared/data, read with torchvision, download=False)."""

import os
from pathlib import Path

import pytest
import torch

import snnkit_plugins.experiments
from snnkit import recording as rec
from snnkit.experiment import load_experiment
from snnkit.runner import run_experiment
from snnkit.testing import DatasetContract, PipelineContract
from snnkit_plugins.datasets.torchvision import DatasetNotFoundError, data_root

EXPERIMENTS = Path(snnkit_plugins.experiments.__file__).parent
# the MNIST files: where SNNKIT_DATA says, else the shared folder beside the checkout
DATA = Path(os.environ.get("SNNKIT_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
pytestmark = pytest.mark.skipif(not (DATA / "MNIST" / "raw").exists(), reason=f"MNIST files not found in {DATA}")


@pytest.fixture
def mnist_env(monkeypatch):
    monkeypatch.setenv("SNNKIT_DATA", str(DATA))


def test_mnist_reads_the_shared_files_without_downloading(plugins, mnist_env):
    train = plugins.build("datasets", "mnist", download=False)
    test = plugins.build("datasets", "mnist", train=False, download=False)
    assert (len(train), len(test)) == (60000, 10000)
    image, label = train[0]
    assert image.shape == (28, 28) and image.dtype == torch.float32 and 0 <= image.min() and image.max() <= 1
    assert int(label) == 5  # the first training digit
    counts = torch.bincount(train.labels, minlength=10).tolist()
    assert counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]  # shared/data/MNIST/README.md
    assert train.images.float().mean().item() == pytest.approx(33.318, abs=1e-3)


def test_missing_files_give_one_clear_error(plugins, tmp_path, monkeypatch):
    monkeypatch.delenv("SNNKIT_DATA", raising=False)
    with pytest.raises(DatasetNotFoundError) as info:
        plugins.build("datasets", "mnist", root=str(tmp_path), download=False)
    message = str(info.value)
    assert f"MNIST was not found in {tmp_path / 'MNIST'}" in message
    assert "set SNNKIT_DATA" in message and str(tmp_path / "MNIST" / "raw") in message


def test_root_comes_from_parameter_then_environment_then_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("SNNKIT_DATA", str(tmp_path))
    assert data_root("/given") == Path("/given") and data_root(None) == tmp_path
    monkeypatch.delenv("SNNKIT_DATA")
    assert data_root(None) == Path.home() / ".cache" / "snnkit" / "data"


def test_diehl_cook_model_structure(plugins):
    net = plugins.build("models", "diehl-cook-2015", n_neurons=10, plugins=plugins)
    assert list(net.layers) == ["X", "Ae", "Ai"] and (net.input_layer, net.output_layer) == ("X", "Ae")
    w = net.connections["X->Ae"].weight
    torch.testing.assert_close(w.sum(0), torch.full((10,), 78.4))
    assert (w >= 0).all() and (w <= 1).all()
    assert torch.equal(net.connections["Ae->Ai"].weight, torch.full((10,), 22.5))
    inhibition = net.connections["Ai->Ae"].weight
    assert (inhibition.diagonal() == 0).all() and (inhibition + torch.eye(10) * -17.5 == -17.5).all()
    assert net.layers["Ae"].v_reset == -60.0 and net.layers["Ai"].params.v_thresh == -40.0


def small(tmp_path, name, *extra):
    return [
        "model.n_neurons=50",
        "pipeline.train_samples=800",
        "pipeline.test_samples=300",
        "pipeline.assign_every=200",
        "pipeline.window=400",
        "run.batch_size=16",
        "run.time=200",
        "run.flush_every=10",
        "run.checkpoint_every=1000",
        f'run.output="{tmp_path / name}"',
        *extra,
    ]


def test_a_short_training_run_beats_chance_clearly(plugins, mnist_env, tmp_path):
    experiment = load_experiment("mnist-diehl-cook", plugins, small(tmp_path, "short.h5"))
    result = run_experiment(experiment, plugins)
    assert result.status == "complete"
    accuracy = {k.split(".", 1)[1]: v for k, v in result.metrics.items() if k.startswith("test_accuracy")}
    assert set(accuracy) == {"all-activity", "proportion-weighting", "logistic-regression"}
    assert accuracy["all-activity"] > 0.25 and accuracy["proportion-weighting"] > 0.25  # chance: 0.10
    assert accuracy["logistic-regression"] > 0.4
    recording = rec.open(tmp_path / "short.h5")
    assert "accuracy.all-activity" in recording.metrics()  # running training accuracy at each assignment
    index, assignments = recording.arrays()["assignments"]
    assert index.tolist() == [207, 399, 607, 799] and assignments.shape == (4, 50)  # first batch past each 200
    assert len(set(assignments[-1].tolist()) - {-1}) >= 5  # the neurons cover several digits
    plots = plugins.get("plots", "assignments").build(recording)
    assert len(plots.axes) == 3  # the grid, its colour bar, the class histogram


def test_resumed_training_equals_an_uninterrupted_run(plugins, mnist_env, tmp_path):
    settings = [
        "model.n_neurons=20",
        "pipeline.train_samples=96",
        "pipeline.test_samples=32",
        "pipeline.assign_every=32",
        "pipeline.window=64",
        "run.batch_size=16",
        "run.time=40",
        "run.checkpoint_every=1000",
    ]
    full = run_experiment(
        load_experiment("mnist-diehl-cook", plugins, [*settings, f'run.output="{tmp_path / "full.h5"}"']), plugins
    )
    calls = []  # asked once before the recording starts, then before every unit
    part = load_experiment("mnist-diehl-cook", plugins, [*settings, f'run.output="{tmp_path / "part.h5"}"'])
    stopped = run_experiment(part, plugins, should_stop=lambda: calls.append(1) or len(calls) > 4)
    assert stopped.status == "interrupted" and stopped.units_done == 3
    resumed = run_experiment(part, plugins, resume=tmp_path / "part.h5")
    assert resumed.status == "complete" and resumed.metrics == full.metrics
    a, b = rec.open(tmp_path / "full.h5").checkpoint(), rec.open(tmp_path / "part.h5").checkpoint()
    for key in a["network"]:
        assert torch.equal(a["network"][key], b["network"][key]), key


def test_supervision_forces_the_label_groups_neurons_at_the_clamp_rate():
    from snnkit_plugins.pipelines.dataset import DatasetPipeline

    pipeline = DatasetPipeline(supervised=True, clamp_rate=50.0)
    pipeline.n_classes = 10
    labels = torch.tensor([3, 7, 3])
    forced = pipeline._teacher(labels, 40, 2000, 1.0, torch.Generator().manual_seed(0))
    assert forced.shape == (2000, 3, 40)
    fired = forced.any(0)
    assert fired[0].nonzero().flatten().tolist() == [12, 13, 14, 15]  # class 3: neurons 12-15 of 40
    assert fired[1].nonzero().flatten().tolist() == [28, 29, 30, 31]
    assert forced[:, 0, 12:16].float().mean().item() == pytest.approx(0.05, rel=0.1)  # 50 Hz at 1 ms
    one = DatasetPipeline(supervised=True, clamp_rate=1000.0, clamp_neurons=1)
    one.n_classes = 10
    forced = one._teacher(labels, 40, 5, 1.0, torch.Generator().manual_seed(0))
    assert forced.all(0).sum(1).tolist() == [1, 1, 1]  # one neuron, forced at every step
    assert all(4 * c <= int(forced[0, b].nonzero()) < 4 * c + 4 for b, c in enumerate(labels.tolist()))
    with pytest.raises(ValueError, match="clamp_rate"):
        DatasetPipeline(clamp_rate=0.0)


def test_supervised_training_teaches_each_group_its_class(plugins, mnist_env, tmp_path):
    settings = [
        "model.n_neurons=20",
        "pipeline.supervised=true",
        "pipeline.clamp_rate=100.0",
        "pipeline.train_samples=64",
        "pipeline.test_samples=0",
        "pipeline.assign_every=64",
        "run.batch_size=16",
        "run.time=40",
        "run.compile=false",
        f'run.output="{tmp_path / "supervised.h5"}"',
    ]
    result = run_experiment(load_experiment("mnist-diehl-cook", plugins, settings), plugins)
    assert result.status == "complete"
    _, assignments = rec.open(tmp_path / "supervised.h5").arrays()["assignments"]
    groups = torch.arange(20) // 2  # two neurons per class
    assert (torch.as_tensor(assignments[-1]) == groups).float().mean() >= 0.8  # chance: 0.1


def test_the_dataset_pipeline_asks_for_layers_a_network_does_not_name(plugins):
    from snnkit import Network
    from snnkit.errors import SnnkitError
    from snnkit.pipelines import RunContext
    from snnkit_plugins.encoders.poisson import Poisson
    from snnkit_plugins.pipelines.dataset import DatasetPipeline

    data = [(torch.zeros(4), 0)]
    context = RunContext(10, 1.0, 1, 1, torch.Generator(), Poisson(), data, load_dataset=lambda **_: data)
    net = Network(plugins=plugins)
    net.add_layer("a", "input", 4)
    net.add_layer("b", "lif", 2)
    with pytest.raises(
        SnnkitError, match=r"needs its input_layer: set \[pipeline\] input_layer to one of the layers \(a, b\)"
    ):
        DatasetPipeline(train_samples=1, test_samples=0).prepare(net, context)
    assert (net.input_layer, net.output_layer) == (None, None)  # until a model or the user names them


class TestMNISTContract(DatasetContract):
    name = "mnist"
    params = {"download": False}

    @pytest.fixture(autouse=True)
    def _files(self, mnist_env):
        """The shared MNIST files through SNNKIT_DATA."""


class TestDatasetPipelineContract(PipelineContract):
    name = "dataset"
    experiment = EXPERIMENTS.joinpath("mnist_diehl_cook.toml").read_text()
    overrides = (
        "model.n_neurons=10",
        "run.time=50",
        "run.compile=false",
        "pipeline.train_samples=6",
        "pipeline.test_samples=4",
        "pipeline.assign_every=2",
        "pipeline.window=4",
    )

    @pytest.fixture(autouse=True)
    def _files(self, mnist_env):
        """The shared MNIST files through SNNKIT_DATA."""
