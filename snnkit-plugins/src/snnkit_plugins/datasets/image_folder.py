"""The ``image-folder`` dataset: your own images, one folder per class (torchvision's ImageFolder layout)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor
from torch.utils.data import Dataset

from snnkit import hookimpl
from snnkit_plugins.datasets.torchvision import DatasetNotFoundError


def split_indices(labels: list[int], train: bool, test_fraction: float, seed: int) -> list[int]:
    """The items of one split, chosen class by class: of each class's items (in file-name order),
    a permutation drawn from ``seed`` puts ``round(n * test_fraction)`` in the test split (at least
    one when the class has two or more items, and never all of them), the rest in the training split.
    The same files, fraction and seed always give the same split.

    >>> split_indices([0, 0, 0, 0, 1, 1], train=False, test_fraction=0.25, seed=0)
    [0, 4]
    """
    generator = torch.Generator().manual_seed(seed)
    chosen: list[int] = []
    for label in sorted(set(labels)):
        members = [i for i, y in enumerate(labels) if y == label]
        n_test = min(max(round(len(members) * test_fraction), 1 if len(members) > 1 else 0), len(members) - 1)
        order = torch.randperm(len(members), generator=generator).tolist()
        test = {members[i] for i in order[:n_test]}
        chosen += [i for i in members if (i in test) != train]
    return sorted(chosen)


class ImageFiles(Dataset[tuple[Tensor, Tensor]]):
    """Image files read on demand as float tensors in [0, 1]: ``[H, W]`` grey, ``[3, H, W]`` colour."""

    def __init__(
        self, samples: list[tuple[str, int]], classes: list[str], size: tuple[int, int] | None, grayscale: bool
    ) -> None:
        self.samples, self.classes, self.size, self.grayscale = samples, classes, size, grayscale
        self.labels = torch.tensor([label for _, label in samples], dtype=torch.long)
        self.paths = [path for path, _ in samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        import numpy as np
        from PIL import Image

        with Image.open(self.paths[index]) as image:
            image = image.convert("L" if self.grayscale else "RGB")
            if self.size is not None:
                image = image.resize((self.size[1], self.size[0]), Image.Resampling.BILINEAR)
            pixels = torch.from_numpy(np.array(image, dtype=np.uint8))
        if not self.grayscale:
            pixels = pixels.permute(2, 0, 1)
        return pixels.float() / 255.0, self.labels[index]


def image_folder(
    root: str | None = None,
    train: bool = True,
    size: int | list[int] | None = None,
    grayscale: bool = False,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> ImageFiles:
    """Your own images, one sub-folder per class (torchvision's ImageFolder layout), with resizing and a split.

    Images become float tensors in [0, 1] with integer labels (the classes are the folder names, sorted).
    ``root`` is the folder (required: there is no default for your own data). If it holds ``train``
    and ``test`` folders, each with the class folders, those are the splits (the classes come from
    ``train``). Otherwise the class folders are directly in ``root`` and split deterministically:
    of each class, ``round(n * test_fraction)`` images (at least one, in a permutation drawn from
    ``seed``) form the test split and the rest the training split. Image types: torchvision's
    ``IMG_EXTENSIONS`` (png, jpg, bmp, tif, webp, ...).

    Args:
        root: the image folder.
        train: the training split (else the test split).
        size: resize every image to this ``[height, width]`` (an integer: a square), bilinear;
            ``None`` keeps the files' sizes (they must then all be the same to batch).
        grayscale: one channel, ``[H, W]`` (else three, ``[3, H, W]``).
        test_fraction: share of each class in the test split when there are no train/test folders, 0.2.
        seed: seed of that split, 0.

    >>> image_folder(root="/nonexistent")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    DatasetNotFoundError: image-folder found no images in /nonexistent ...
    """
    from torchvision.datasets.folder import IMG_EXTENSIONS, find_classes, make_dataset

    if not 0 <= test_fraction < 1:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    shape = None if size is None else ((size, size) if isinstance(size, int) else (int(size[0]), int(size[1])))
    if shape is not None and (len(shape) != 2 or min(shape) < 1):
        raise ValueError(f"size must be [height, width] in pixels (or one integer), got {size}")
    if root is None:
        raise DatasetNotFoundError("image-folder needs root: the folder that holds one sub-folder of images per class")
    folder = Path(root).expanduser()
    layout = folder / "train", folder / "test"
    try:
        if all(p.is_dir() for p in layout):
            classes, class_to_idx = find_classes(str(layout[0]))
            where = layout[0] if train else layout[1]
            present = {c: i for c, i in class_to_idx.items() if (where / c).is_dir()}
            samples = make_dataset(str(where), present, extensions=IMG_EXTENSIONS, allow_empty=True)
        else:
            classes, class_to_idx = find_classes(str(folder))
            everything = make_dataset(str(folder), class_to_idx, extensions=IMG_EXTENSIONS, allow_empty=True)
            keep = split_indices([label for _, label in everything], train, test_fraction, seed)
            samples = [everything[i] for i in keep]
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise DatasetNotFoundError(
            f"image-folder found no images in {folder} ({exc}). Put one folder of images per class in it"
            f" ({folder}/<class>/<image>.png), or train and test folders that each hold them"
        ) from None
    if not samples:
        split = "training" if train else "test"
        raise DatasetNotFoundError(f"image-folder found no images for the {split} split in {folder}")
    return ImageFiles(samples, list(classes), shape, grayscale)


@hookimpl
def snnkit_register_datasets(registry):
    registry.add("image-folder", image_folder, requires=["torchvision", "PIL"], extra="vision")
