"""Image datasets through torchvision: ``mnist``, ``fashion-mnist``, ``kmnist``, ``emnist``, ``cifar10``, and
any other torchvision dataset class by name (``torchvision``)."""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset

from snnkit import hookimpl
from snnkit.errors import SnnkitError, closest

DATA_VARIABLE = "SNNKIT_DATA"


class DatasetNotFoundError(SnnkitError, FileNotFoundError):
    """A data set that is neither on disk nor downloadable."""


def dataset_class(module: Any, name: Any, library: str, base: type = object) -> type:
    """The dataset class ``name`` (any case, a subclass of ``base``) of ``module``
    (``torchvision.datasets``, ``tonic.datasets``), or a ValueError suggesting the closest and
    listing the known ones."""
    known = {
        n.lower(): n for n, c in vars(module).items() if isinstance(c, type) and n[0].isupper() and issubclass(c, base)
    }
    if not isinstance(name, str) or name.lower() not in known:
        match = closest(str(name).lower(), list(known))
        hint = f"; did you mean {known[match[0]]!r}?" if match else "."
        raise ValueError(
            f"{library} needs class = the name of a {library} dataset, got {name!r}{hint}"
            f" Known: {', '.join(sorted(known.values()))}"
        )
    cls: type = getattr(module, known[name.lower()])
    return cls


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


class Converted(Dataset[tuple[Tensor, Tensor]]):
    """A torchvision dataset's items as ``(float tensor, integer label)``: images in [0, 1] (``[H, W]``
    grey, ``[C, H, W]`` colour), integer tensors of 8 bits divided by 255, other tensors as floats."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        classes = getattr(dataset, "classes", None)
        if classes is None and getattr(dataset, "num_classes", None) is not None:  # FakeData
            classes = [str(i) for i in range(dataset.num_classes)]
        if classes is not None:
            self.classes = list(classes)
        else:
            labels = getattr(dataset, "targets", None)
            labels = getattr(dataset, "labels", None) if labels is None else labels
            if labels is not None:
                self.labels = torch.as_tensor(labels).long()

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        import numpy as np

        data, label = self.dataset[index]
        if not isinstance(data, Tensor):  # a PIL image or an array
            array = np.array(data)
            data = torch.from_numpy(array.transpose(2, 0, 1).copy() if array.ndim == 3 else array)
        if data.dtype == torch.uint8:
            data = data.float() / 255.0
        elif not data.is_floating_point():
            data = data.float()
        return data, torch.as_tensor(int(label))


def any_torchvision(
    root: str | None = None,
    train: bool = True,
    download: bool = True,
    split: str = "train",
    test_split: str = "test",
    **params: Any,
) -> Converted:
    """Any dataset class of ``torchvision.datasets`` by name, with its parameters (``class = "SVHN"``).

    E.g. ``{ plugin = "torchvision", class = "SVHN" }``; items become float tensors with integer labels.
    ``class`` names the class (``SVHN``, ``STL10``, ``CIFAR100``, ``FakeData``, ...; any case); the
    other parameters go to it. Files are read from ``root`` (else ``$SNNKIT_DATA``, else
    ``~/.cache/snnkit/data``), where the class keeps them, and downloaded if missing unless
    ``download=False`` (for classes that download). Which split: classes with a ``train`` flag get
    ``train``; classes with a ``split`` parameter get ``split`` for training and ``test_split`` for
    testing; a class with neither (``FakeData``) gives the same items to both. Images (PIL or
    8-bit tensors) become floats in [0, 1], ``[H, W]`` grey or ``[C, H, W]`` colour.

    Args:
        root: folder of the data (see above).
        train: the training split (else the test split).
        download: download missing files.
        split: the training split's name, for classes with a ``split`` parameter, "train".
        test_split: the test split's name, "test".
        **params: ``class`` and the class's own parameters.

    >>> fake = any_torchvision(**{"class": "FakeData", "size": 4, "image_size": [1, 8, 8], "num_classes": 3})
    >>> image, label = fake[0]
    >>> image.shape, image.dtype, len(fake.classes)
    (torch.Size([8, 8]), torch.float32, 3)
    """
    import torchvision.datasets

    cls = dataset_class(torchvision.datasets, params.pop("class", None), "torchvision", Dataset)
    accepted = inspect.signature(cls).parameters
    where = data_root(root)
    for key, value in (("root", str(where)), ("download", download)):
        if key in accepted and key not in params:
            params[key] = value
    if "train" in accepted:
        params["train"] = train
    elif "split" in accepted:
        params["split"] = split if train else test_split
    for key in ("image_size",):  # TOML gives lists where torchvision wants tuples
        if isinstance(params.get(key), list):
            params[key] = tuple(params[key])
    try:
        dataset = cls(**params)
    except (RuntimeError, OSError) as exc:  # torchvision's "not found" and network errors
        failed = "could not be downloaded" if params.get("download") else "download=False"
        raise DatasetNotFoundError(
            f"{cls.__name__} was not found in {where} and {failed} ({exc}). Place the files where torchvision's"
            f" {cls.__name__} expects them under {where}, set {DATA_VARIABLE} to the folder that contains them,"
            " or pass root=..."
        ) from None
    return Converted(dataset)


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
    registry.add("torchvision", any_torchvision, requires=["torchvision"], extra="vision")
