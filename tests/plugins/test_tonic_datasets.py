"""Neuromorphic datasets through tonic: files in their real formats, read by tonic's own classes, binned."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from snnkit import recording as rec
from snnkit.experiment import load_experiment
from snnkit.runner import run_experiment
from snnkit.testing import DatasetContract
from snnkit_cli.main import cli
from snnkit_plugins.datasets.torchvision import DatasetNotFoundError

from .event_files import random_nmnist, random_shd, write_hsd, write_nmnist

pytest.importorskip("tonic")

NAMES = ["nmnist", "dvs-gesture", "shd", "ssc", "tonic"]


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("SNNKIT_DATA", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("name", NAMES)
def test_discovered_with_the_events_extra(plugins, name):
    component = plugins.get("datasets", name)
    assert component.provider.distribution == "snnkit-plugins" and "tonic" in component.requires


def test_nmnist_events_come_out_in_their_steps_pixels_and_polarities(plugins, data):
    events = [(3, 5, 1, 0), (3, 5, 1, 400), (33, 0, 0, 2_500), (0, 33, 1, 299_999), (7, 7, 0, 300_000)]
    write_nmnist(data, "Train", {"00001": (4, events)})
    write_nmnist(data, "Test", {"00002": (9, [(1, 2, 0, 1_000)])})
    train = plugins.build("datasets", "nmnist", download=False)
    frames, label = train[0]
    assert frames.shape == (300, 2, 34, 34) and frames.dtype == torch.float32 and int(label) == 4
    assert frames[0, 1, 5, 3] == 2  # two on events of pixel (x 3, y 5) in the first millisecond
    assert frames[2, 0, 0, 33] == 1  # an off event at 2.5 ms, x 33, y 0
    assert frames[299, 1, 33, 0] == 1  # the last bin; the event at 300 ms is after the duration
    assert frames.sum() == 4
    test = plugins.build("datasets", "nmnist", train=False, download=False, bin_width=2.0, duration=10.0)
    frames, label = test[0]
    assert frames.shape == (5, 2, 34, 34) and frames[0, 0, 2, 1] == 1 and int(label) == 9
    assert train.classes[4] == "4 - four" and len(train.classes) == 10


def test_tonic_transforms_by_name(plugins, data):
    burst = [(10, 10, 1, t) for t in (1_000, 1_200, 1_400)]  # neighbours in time: kept by denoise
    write_nmnist(data, "Train", {"00001": (1, [*burst, (30, 30, 0, 100_000)])})  # an isolated event
    denoise = [{"name": "denoise", "filter_time": 5000}]  # us, tonic's unit
    denoised = plugins.build("datasets", "nmnist", download=False, transforms=denoise)
    assert denoised[0][0][:, :, 30, 30].sum() == 0
    small = plugins.build(
        "datasets", "nmnist", download=False, transforms=[{"name": "downsample", "spatial_factor": 0.5}]
    )
    frames = small[0][0]
    assert frames.shape == (300, 2, 17, 17) and frames[1, 1, 5, 5] == 3 and frames[100, 0, 15, 15] == 1
    cropped = plugins.build("datasets", "nmnist", download=False, transforms=[{"name": "crop", "size": 20}])
    assert cropped[0][0].shape == (300, 2, 20, 20) and cropped[0][0][1, 1, 3, 3] == 3  # offset (34 - 20) // 2
    with pytest.raises(ValueError, match="unknown tonic transform 'denoize'; did you mean 'denoise'"):
        plugins.build("datasets", "nmnist", download=False, transforms=["denoize"])


def test_shd_spikes_come_out_in_their_steps_and_channels(plugins, data):
    write_hsd(data / "SHD" / "shd_train.h5", [(7, [0.0005, 0.0009, 0.0125, 0.9999, 1.2], [3, 3, 699, 0, 5])])
    write_hsd(data / "SHD" / "shd_test.h5", [(19, [0.05], [10])])
    train = plugins.build("datasets", "shd", download=False, bin_width=10.0)
    frames, label = train[0]
    assert frames.shape == (100, 700) and int(label) == 7 and train.classes[7] == "english-7"
    assert frames[0, 3] == 2 and frames[1, 699] == 1 and frames[99, 0] == 1 and frames.sum() == 4  # 1.2 s: after
    test = plugins.build("datasets", "shd", train=False, download=False)
    assert test[0][0].shape == (1000, 700) and test[0][0][50, 10] == 1 and int(test[0][1]) == 19


def test_ssc_reads_its_splits(plugins, data):
    keys = [f"word-{i}".encode() for i in range(35)]
    write_hsd(data / "SSC" / "ssc_train.h5", [(34, [0.001], [1])], keys)
    write_hsd(data / "SSC" / "ssc_valid.h5", [(2, [0.002], [2])], keys)
    assert int(plugins.build("datasets", "ssc", download=False)[0][1]) == 34
    valid = plugins.build("datasets", "ssc", train=False, test_split="valid", download=False)
    assert valid[0][0][2, 2] == 1 and len(valid.classes) == 35


def test_dvs_gesture_reads_tonics_npy_layout(plugins, data):
    folder = data / "DVSGesture" / "ibmGestureTrain" / "user01_fluorescent"
    folder.mkdir(parents=True)
    np.save(folder / "3.npy", np.array([[5, 6, 1, 0], [127, 0, 0, 12]], dtype=np.float64))  # x, y, p, t (ms)
    dataset = plugins.build(
        "datasets", "dvs-gesture", download=False, bin_width=5.0, duration=20.0, transforms=["merge-polarities"]
    )
    frames, label = dataset[0]
    assert frames.shape == (4, 1, 128, 128) and int(label) == 3
    assert frames[0, 0, 6, 5] == 1 and frames[2, 0, 0, 127] == 1 and frames.sum() == 2


def test_any_tonic_class_by_name(plugins, data):
    write_nmnist(data, "Test", {"00001": (6, [(1, 1, 1, 5_000)])})
    dataset = plugins.build("datasets", "tonic", train=False, download=False, duration=10.0, **{"class": "nmnist"})
    frames, label = dataset[0]
    assert frames.shape == (10, 2, 34, 34) and frames[5, 1, 1, 1] == 1 and int(label) == 6
    with pytest.raises(ValueError, match="did you mean 'NMNIST'"):
        plugins.build("datasets", "tonic", **{"class": "NMINST"})


@pytest.mark.parametrize(
    ("name", "params", "where"),
    [
        ("nmnist", {}, "NMNIST/Train"),
        ("nmnist", {"train": False}, "NMNIST/Test"),
        ("dvs-gesture", {}, "DVSGesture/ibmGestureTrain"),
        ("shd", {}, "SHD/shd_train.h5"),
        ("ssc", {"train": False}, "SSC/ssc_test.h5"),
        ("tonic", {"class": "SHD"}, "SHD/shd_train.h5"),
    ],
)
def test_missing_files_give_one_clear_error_naming_where(plugins, tmp_path, name, params, where):
    with pytest.raises(DatasetNotFoundError) as info:
        plugins.build("datasets", name, root=str(tmp_path), download=False, **params)
    message = str(info.value)
    assert f"was not found in {tmp_path / where}" in message and "download=False" in message
    assert "set SNNKIT_DATA" in message


def test_a_failed_download_is_the_same_clear_error(plugins, tmp_path, monkeypatch):
    import tonic.datasets

    def offline(self):
        raise OSError("network is unreachable")

    monkeypatch.setattr(tonic.datasets.SHD, "download", offline)
    expected = r"shd_train\.h5 and could not be downloaded \(network is unreachable\)"
    with pytest.raises(DatasetNotFoundError, match=expected):
        plugins.build("datasets", "shd", root=str(tmp_path))


class TestNMNISTContract(DatasetContract):
    name = "nmnist"
    params = {"download": False, "duration": 20.0}

    @pytest.fixture(autouse=True)
    def _files(self, data):
        random_nmnist(data, {"Train": 3, "Test": 2}, events=20)


class TestSHDContract(DatasetContract):
    name = "shd"
    classes = 20
    params = {"download": False, "bin_width": 10.0}

    @pytest.fixture(autouse=True)
    def _files(self, data):
        random_shd(data, {"train": 3, "test": 2}, spikes=20)


def test_nmnist_diehl_cook_runs_end_to_end_through_snnkit_run(entry_point_plugins, data, tmp_path):
    random_nmnist(data, {"Train": 20, "Test": 10}, events=4000)  # about as many events as real samples
    output = tmp_path / "nmnist.h5"
    overrides = [
        "model.n_neurons=10",
        "run.time=60",
        "dataset.duration=60.0",
        "run.compile=false",
        "pipeline.train_samples=20",
        "pipeline.test_samples=10",
        "pipeline.assign_every=10",
        "pipeline.window=20",
        'pipeline.evaluations=["all-activity"]',
        "run.flush_every=5",
    ]
    args = ["run", "nmnist-diehl-cook", "--quiet", "--json", "--output", str(output)]
    result = CliRunner().invoke(cli, [*args, *[a for o in overrides for a in ("--set", o)]], obj=entry_point_plugins)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert summary["status"] == "complete"
    r = rec.open(output)
    assert r.attrs["status"] == "complete"
    metrics = r.metrics()
    assert "test_accuracy.all-activity" in metrics and metrics["output_spikes"][1].sum() > 0


def test_shd_surrogate_trains_on_shd_format_files(entry_point_plugins, data, tmp_path):
    random_shd(data, {"train": 8, "test": 4}, spikes=100)
    experiment = load_experiment(
        "shd-surrogate",
        entry_point_plugins,
        [
            "run.batch_size=4",
            "run.time=20",
            "dataset.duration=200.0",
            "network.layers.1.shape=16",
            "pipeline.epochs=2",
            f'run.output="{tmp_path / "shd.h5"}"',
        ],
    )
    result = run_experiment(experiment, entry_point_plugins)
    assert result.status == "complete"
    metrics = rec.open(tmp_path / "shd.h5").metrics()
    assert len(metrics["loss"][1]) == 4 and metrics["test_accuracy"][1].numel() == 2
    assert torch.isfinite(metrics["loss"][1]).all()
