"""The image-folder dataset: PNG trees in torchvision's ImageFolder layout."""

import numpy as np
import pytest
import torch

from snnkit.testing import DatasetContract
from snnkit_plugins.datasets.torchvision import DatasetNotFoundError

Image = pytest.importorskip("PIL.Image")


def write_images(folder, per_class, size=(6, 8), colour=True):
    """``per_class``: class -> number of images; image i of class c has value 10 * c + i everywhere."""
    for c, (name, n) in enumerate(per_class.items()):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            shape = (*size, 3) if colour else size
            Image.fromarray(np.full(shape, 10 * c + i, dtype=np.uint8)).save(folder / name / f"{i:02d}.png")


def test_discovered(plugins):
    assert plugins.get("datasets", "image-folder").provider.distribution == "snnkit-plugins"


def test_reads_pixels_labels_and_classes_of_a_train_test_layout(plugins, tmp_path):
    write_images(tmp_path / "train", {"cat": 2, "dog": 3})
    write_images(tmp_path / "test", {"dog": 1})
    train = plugins.build("datasets", "image-folder", root=str(tmp_path))
    assert train.classes == ["cat", "dog"] and len(train) == 5 and train.labels.tolist() == [0, 0, 1, 1, 1]
    image, label = train[3]
    assert image.shape == (3, 6, 8) and image.dtype == torch.float32 and int(label) == 1
    assert torch.allclose(image, torch.full((3, 6, 8), 11 / 255))  # class 1, image 1
    test = plugins.build("datasets", "image-folder", root=str(tmp_path), train=False)
    assert len(test) == 1 and int(test[0][1]) == 1 and test.classes == ["cat", "dog"]


def test_resize_and_grayscale(plugins, tmp_path):
    write_images(tmp_path / "train", {"a": 1}, size=(10, 20))
    write_images(tmp_path / "test", {"a": 1}, size=(10, 20))
    image = plugins.build("datasets", "image-folder", root=str(tmp_path), size=[5, 4], grayscale=True)[0][0]
    assert image.shape == (5, 4) and torch.allclose(image, torch.zeros(5, 4))
    square = plugins.build("datasets", "image-folder", root=str(tmp_path), size=3)[0][0]
    assert square.shape == (3, 3, 3)


def test_without_split_folders_the_split_is_per_class_and_deterministic(plugins, tmp_path):
    write_images(tmp_path, {"a": 10, "b": 5})
    build = lambda **p: plugins.build("datasets", "image-folder", root=str(tmp_path), **p)  # noqa: E731
    train, test = build(), build(train=False)
    assert (len(train), len(test)) == (12, 3)
    assert test.labels.tolist() == [0, 0, 1]  # 20 % of each class: 2 of a, 1 of b
    assert not set(train.paths) & set(test.paths) and set(train.paths) | set(test.paths) == set(
        str(p) for p in tmp_path.rglob("*.png")
    )
    assert build(train=False).paths == test.paths  # the same files every time
    assert build(train=False, seed=1).paths != test.paths or len(test) == 0
    assert len(build(train=False, test_fraction=0.5)) == 7  # 5 of a, 2 of b (Python rounds 2.5 to 2)


def test_missing_folder_is_one_clear_error(plugins, tmp_path):
    with pytest.raises(DatasetNotFoundError, match=f"image-folder found no images in {tmp_path / 'nope'}"):
        plugins.build("datasets", "image-folder", root=str(tmp_path / "nope"))
    with pytest.raises(DatasetNotFoundError, match="needs root"):
        plugins.build("datasets", "image-folder")


class TestImageFolderContract(DatasetContract):
    name = "image-folder"
    classes = 3

    @pytest.fixture(autouse=True)
    def _files(self, tmp_path):
        write_images(tmp_path, {"x": 3, "y": 3, "z": 2})
        self.params = {"root": str(tmp_path), "size": [4, 4]}
