"""The torchvision dataset: any torchvision.datasets class by name (offline: FakeData, and SVHN's absence)."""

import pytest
import torch

from snnkit.testing import DatasetContract
from snnkit_plugins.datasets.torchvision import DatasetNotFoundError

pytest.importorskip("torchvision")
FAKE = {"class": "FakeData", "size": 6, "image_size": [3, 5, 4], "num_classes": 3}


def test_discovered(plugins):
    assert plugins.get("datasets", "torchvision").provider.distribution == "snnkit-plugins"


def test_items_are_float_images_and_integer_labels(plugins):
    dataset = plugins.build("datasets", "torchvision", **FAKE)
    image, label = dataset[2]
    assert image.shape == (3, 5, 4) and image.dtype == torch.float32 and 0 <= image.min() and image.max() <= 1
    assert label.dtype == torch.long and 0 <= int(label) < 3 and len(dataset) == 6 and len(dataset.classes) == 3


def test_split_classes_get_split_and_test_split(plugins, tmp_path, monkeypatch):
    import functools

    import torchvision.datasets

    seen = []

    @functools.wraps(torchvision.datasets.SVHN.__init__)  # keeps SVHN's signature, which the plugin reads
    def record(self, **params):
        seen.append(params)

    monkeypatch.setattr(torchvision.datasets.SVHN, "__init__", record)
    plugins.build("datasets", "torchvision", root=str(tmp_path), **{"class": "svhn"})
    plugins.build("datasets", "torchvision", root=str(tmp_path), train=False, download=False, **{"class": "SVHN"})
    assert seen == [
        {"root": str(tmp_path), "download": True, "split": "train"},
        {"root": str(tmp_path), "download": False, "split": "test"},
    ]


def test_missing_files_and_unknown_classes_are_clear_errors(plugins, tmp_path, monkeypatch):
    monkeypatch.setenv("SNNKIT_DATA", str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as info:
        plugins.build("datasets", "torchvision", download=False, **{"class": "SVHN"})
    assert f"SVHN was not found in {tmp_path} and download=False" in str(info.value)
    assert "set SNNKIT_DATA" in str(info.value)
    with pytest.raises(ValueError, match="did you mean 'SVHN'"):
        plugins.build("datasets", "torchvision", **{"class": "SVNH"})


class TestTorchvisionContract(DatasetContract):
    name = "torchvision"
    classes = 3
    params = FAKE
