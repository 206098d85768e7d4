"""The tensors dataset: .npz, .pt and HDF5 files of inputs and labels, and tensors from Python."""

import numpy as np
import pytest
import torch

from snnkit.testing import DatasetContract
from snnkit_plugins.datasets.torchvision import DatasetNotFoundError


def test_discovered(plugins):
    assert plugins.get("datasets", "tensors").provider.distribution == "snnkit-plugins"


def test_npz_with_keras_style_splits(plugins, tmp_path):
    x = np.arange(24, dtype=np.uint8).reshape(6, 2, 2)
    np.savez(tmp_path / "d.npz", x_train=x[:4], y_train=[0, 1, 2, 1], x_test=x[4:], y_test=[2, 0])
    train = plugins.build("datasets", "tensors", path=str(tmp_path / "d.npz"))
    test = plugins.build("datasets", "tensors", path="d.npz", root=str(tmp_path), train=False)
    assert (len(train), len(test), train.classes) == (4, 2, ["0", "1", "2"])
    data, label = test[1]
    assert data.dtype == torch.float32 and torch.allclose(data, torch.tensor([[20.0, 21], [22, 23]]) / 255)
    assert label.dtype == torch.long and int(label) == 0


def test_pt_pair_split_per_class(plugins, tmp_path):
    x, y = torch.randn(20, 3), torch.arange(20) % 2
    torch.save((x, y), tmp_path / "d.pt")
    train = plugins.build("datasets", "tensors", path=str(tmp_path / "d.pt"))
    test = plugins.build("datasets", "tensors", path=str(tmp_path / "d.pt"), train=False)
    assert (len(train), len(test)) == (16, 4) and sorted(test.labels.tolist()) == [0, 0, 1, 1]
    assert {tuple(r.tolist()) for r in torch.cat([train.data, test.data])} == {tuple(r.tolist()) for r in x}


def test_hdf5_with_named_keys_and_a_test_file(plugins, tmp_path):
    h5py = pytest.importorskip("h5py")
    for name, n in (("train.h5", 5), ("test.h5", 3)):
        with h5py.File(tmp_path / name, "w") as f:
            f["inputs"] = np.ones((n, 7), dtype=np.float64)
            f["targets"] = np.arange(n) % 3
            f["spikes"] = np.zeros((n, 2), dtype=np.float32)  # data_key picks this one instead
    build = lambda **p: plugins.build("datasets", "tensors", path=str(tmp_path / "train.h5"), **p)  # noqa: E731
    assert len(build()) == 3 and build()[0][0].shape == (7,)  # no test file: one of classes 0 and 1 is held out
    test_file = str(tmp_path / "test.h5")
    assert len(build(test_path=test_file)) == 5
    test = build(train=False, test_path=test_file, data_key="spikes")
    assert len(test) == 3 and test[0][0].shape == (2,) and test.labels.tolist() == [0, 1, 2]


def test_from_python_and_the_clear_errors(plugins, tmp_path):
    ds = plugins.build("datasets", "tensors", data=np.zeros((10, 4, 5), dtype=np.float32), labels=[0, 1] * 5)
    assert ds[0][0].shape == (4, 5) and len(ds) == 8
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        plugins.build("datasets", "tensors", path=str(tmp_path / "missing.npz"))
    np.savez(tmp_path / "odd.npz", pixels=np.zeros((2, 2)), y=[0, 1])
    with pytest.raises(KeyError, match=r"no data array .* it holds pixels, y"):
        plugins.build("datasets", "tensors", path=str(tmp_path / "odd.npz"))
    assert len(plugins.build("datasets", "tensors", path=str(tmp_path / "odd.npz"), data_key="pixels")) == 2
    with pytest.raises(ValueError, match="2 inputs but 3 labels"):
        plugins.build("datasets", "tensors", data=torch.zeros(2, 1), labels=[0, 1, 2])


class TestTensorsContract(DatasetContract):
    name = "tensors"
    classes = 3

    @pytest.fixture(autouse=True)
    def _files(self, tmp_path):
        np.savez(tmp_path / "d.npz", data=np.random.default_rng(0).random((12, 5)), labels=np.arange(12) % 3)
        self.params = {"path": str(tmp_path / "d.npz")}


@pytest.mark.parametrize("pipeline", ["dataset", "gradient"])
def test_samples_that_do_not_fit_the_input_layer_are_refused_before_the_run(plugins, tmp_path, pipeline):
    from snnkit.errors import SnnkitError
    from snnkit.experiment import parse_experiment
    from snnkit.runner import check_run

    np.savez(tmp_path / "d.npz", data=np.random.default_rng(0).random((8, 10, 10)), labels=[0, 1] * 4)
    learnable = "\nlearnable = true" if pipeline == "gradient" else ""
    surrogate = '\nsurrogate = "atan"' if pipeline == "gradient" else ""
    text = f"""
[run]
output = "{tmp_path / "run.h5"}"
[pipeline]
plugin = "{pipeline}"
input_layer = "input"
output_layer = "out"
[dataset]
plugin = "tensors"
path = "{tmp_path / "d.npz"}"
[encoder]
plugin = "poisson"
[[network.layers]]
name = "input"
neuron = "input"
shape = 99
[[network.layers]]
name = "out"
neuron = "lif"
shape = 2{surrogate}
[[network.connections]]
source = "input"
target = "out"{learnable}
"""
    experiment = parse_experiment(text, plugins)
    with pytest.raises(
        SnnkitError, match=r"samples have shape \(10, 10\) \(100 values\), and the input layer 'input' has 99"
    ):
        check_run(experiment, plugins)  # what --dry-run does, and every run before its file is made
    assert not (tmp_path / "run.h5").exists()
