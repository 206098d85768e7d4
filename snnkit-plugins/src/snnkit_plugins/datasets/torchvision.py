"""Image datasets through torchvision: ``mnist``, ``fashion-mnist``, ``kmnist``, ``emnist``, ``cifar10``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset

from snnkit import hookimpl
from snnkit.errors import SnnkitError

DATA_VARIABLE = "SNNKIT_DATA"


class DatasetNotFoundError(SnnkitError, FileNotFoundError):
    """A data set that is neither on disk nor downloadable."""


def data_root(root: str | None) -> Path:
    """``root``, else ``$SNNKIT_DATA``, else ``~/.cache/snnkit/data``."""
    if root:
        return Path(root).expanduser()
    if os.environ.get(DATA_VARIABLE):
        return Path(os.environ[DATA_VARIABLE]).expanduser()
    return Path.home() / ".cache" / "snnkit" / "data"


class Images(Dataset[tuple[Tensor, Tensor]]):
    """Images as float tensors in [0, 1] (``[H, W]`` grey, ``[3, H, W]`` colour) with integer labels."""

    def __init__(self, images: Tensor, labels: Tensor, classes: list[str]) -> None:
        self.images, self.labels, self.classes = images, labels.long(), classes

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        return self.images[index].float() / 255.0, self.labels[index]


def _load(cls_name: str, folder: str, root: str | None, train: bool, download: bool, **kwargs: Any) -> Images:
    import torchvision.datasets

    where = data_root(root)
    cls = getattr(torchvision.datasets, cls_name)
    split = {"train": train} if cls_name != "EMNIST" else {"train": train, "split": kwargs.pop("split")}
    try:
        dataset = cls(str(where), download=download, **split, **kwargs)
    except (RuntimeError, OSError, ValueError) as exc:  # torchvision's "not found" and network errors
        failed = "could not be downloaded" if download else "download=False"
        raise DatasetNotFoundError(
            f"{cls_name} was not found in {where / folder} and {failed}"
            f" ({exc}). Place the files in {where / folder}/raw (torchvision's layout), set {DATA_VARIABLE} to the"
            " folder that contains them, or pass root=..."
        ) from None
    images = torch.as_tensor(dataset.data)
    if images.dim() == 4:  # CIFAR: [N, H, W, 3] -> [N, 3, H, W]
        images = images.permute(0, 3, 1, 2).contiguous()
    return Images(images, torch.as_tensor(dataset.targets), list(dataset.classes))


def mnist(root: str | None = None, train: bool = True, download: bool = True) -> Images:
    """MNIST handwritten digits: 28 x 28 grey images in [0, 1], labels 0-9 (60,000 train, 10,000 test).

    Files are read from ``root`` (else ``$SNNKIT_DATA``, else ``~/.cache/snnkit/data``) in
    torchvision's layout, ``<root>/MNIST/raw``; missing files are downloaded unless
    ``download=False``. Reference: LeCun, Cortes & Burges, the MNIST database.

    >>> mnist(root="/nonexistent", download=False)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    DatasetNotFoundError: MNIST was not found in /nonexistent/MNIST ...
    """
    return _load("MNIST", "MNIST", root, train, download)


def fashion_mnist(root: str | None = None, train: bool = True, download: bool = True) -> Images:
    """Fashion-MNIST clothing images: 28 x 28 grey, 10 classes (Xiao, Rasul & Vollgraf 2017).

    Same root and download rules as ``mnist``; files in ``<root>/FashionMNIST/raw``.

    >>> fashion_mnist.__name__
    'fashion_mnist'
    """
    return _load("FashionMNIST", "FashionMNIST", root, train, download)


def kmnist(root: str | None = None, train: bool = True, download: bool = True) -> Images:
    """Kuzushiji-MNIST cursive Japanese characters: 28 x 28 grey, 10 classes (Clanuwat et al. 2018).

    Same root and download rules as ``mnist``; files in ``<root>/KMNIST/raw``.

    >>> kmnist.__name__
    'kmnist'
    """
    return _load("KMNIST", "KMNIST", root, train, download)


def emnist(root: str | None = None, train: bool = True, download: bool = True, split: str = "balanced") -> Images:
    """EMNIST handwritten letters and digits, 28 x 28 grey (Cohen et al. 2017); ``split`` is one of
    torchvision's (``balanced``, ``byclass``, ``bymerge``, ``digits``, ``letters``, ``mnist``).

    Same root and download rules as ``mnist``; files in ``<root>/EMNIST/raw``.

    >>> emnist.__name__
    'emnist'
    """
    return _load("EMNIST", "EMNIST", root, train, download, split=split)


def cifar10(root: str | None = None, train: bool = True, download: bool = True) -> Images:
    """CIFAR-10 colour images: 3 x 32 x 32 in [0, 1], 10 classes (Krizhevsky 2009).

    Same root and download rules as ``mnist``; files in ``<root>/cifar-10-batches-py``.

    >>> cifar10.__name__
    'cifar10'
    """
    return _load("CIFAR10", "cifar-10-batches-py", root, train, download)


@hookimpl
def snnkit_register_datasets(registry):
    for name, factory in [
        ("mnist", mnist),
        ("fashion-mnist", fashion_mnist),
        ("kmnist", kmnist),
        ("emnist", emnist),
        ("cifar10", cifar10),
    ]:
        registry.add(name, factory, requires=["torchvision"], extra="vision")
