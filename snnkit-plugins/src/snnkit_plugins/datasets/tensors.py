"""The ``tensors`` dataset: inputs and labels from a ``.pt``, ``.npz`` or HDF5 file, or given from Python."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset

from snnkit import hookimpl
from snnkit_plugins.datasets.image_folder import split_indices
from snnkit_plugins.datasets.torchvision import DatasetNotFoundError

DATA_KEYS = ("data", "x", "inputs", "images", "X")
LABEL_KEYS = ("labels", "y", "targets", "Y")
SUFFIXES = {".pt": "torch", ".pth": "torch", ".npz": "numpy", ".h5": "hdf5", ".hdf5": "hdf5"}


class TensorData(Dataset[tuple[Tensor, Tensor]]):
    """Items ``(data[i], labels[i])``: float data, integer labels, ``classes`` named ``"0"``, ``"1"``, ..."""

    def __init__(self, data: Tensor, labels: Tensor, classes: list[str]) -> None:
        self.data, self.labels, self.classes = data, labels, classes

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        return self.data[index], self.labels[index]


def _read(path: Path) -> dict[str, Any]:
    """Every array of the file by name (a ``.pt`` holding a ``(data, labels)`` pair gives those two)."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"tensors reads .pt, .pth, .npz, .h5 and .hdf5 files, not {path.name}")
    if not path.is_file():
        raise DatasetNotFoundError(f"tensors: {path} does not exist (give path = the file of inputs and labels)")
    if kind == "torch":
        content = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(content, (tuple, list)) and len(content) == 2:
            return {"data": content[0], "labels": content[1]}
        if not isinstance(content, dict):
            what = type(content).__name__
            raise ValueError(f"{path} holds a {what}: save a dict of tensors or a (data, labels) pair")
        return dict(content)
    if kind == "numpy":
        import numpy as np

        with np.load(path, allow_pickle=False) as arrays:
            return {k: arrays[k] for k in arrays.files}
    try:
        import h5py
    except ImportError:
        raise ImportError(f"reading {path.name} needs h5py: pip install 'snnkit-plugins[hdf5]'") from None
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in f if isinstance(f[k], h5py.Dataset)}


def _pick(arrays: dict[str, Any], given: str | None, names: tuple[str, ...], split: str | None, what: str) -> Any:
    """The array named ``given``, else the first of ``names`` (for a split: ``x_train`` or ``train_x`` first)."""
    candidates = [given] if given else list(names)
    if split is not None:
        split_names = [n for c in candidates for n in (f"{c}_{split}", f"{split}_{c}")]
        found = [n for n in split_names if n in arrays]
        if found:
            return arrays[found[0]]
    found = [n for n in candidates if n in arrays]
    if not found:
        raise KeyError(
            f"tensors: no {what} array ({', '.join(candidates)}) in the file; it holds {', '.join(sorted(arrays))}."
            f" Name it with {what}_key = ..."
        )
    return arrays[found[0]]


def _as_data(values: Any) -> Tensor:
    data = torch.as_tensor(values)
    if data.dtype == torch.uint8:  # 8-bit images: scaled to [0, 1] as the image datasets are
        return data.float() / 255.0
    return data.to(torch.get_default_dtype()) if not data.is_floating_point() else data


def _as_labels(values: Any) -> Tensor:
    labels = torch.as_tensor(values)
    if labels.is_floating_point() and not torch.equal(labels, labels.round()):
        raise ValueError("tensors: labels must be whole class numbers 0, 1, 2, ...")
    return labels.long().reshape(-1)


def tensors(
    root: str | None = None,
    train: bool = True,
    path: str | None = None,
    test_path: str | None = None,
    data_key: str | None = None,
    labels_key: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    data: Any = None,
    labels: Any = None,
) -> TensorData:
    """Your own inputs and labels from one file, or given from Python: items ``(data[i], labels[i])``.

    Files: ``.pt``/``.pth`` (``torch.save`` of a dict of tensors, or of a ``(data, labels)`` pair),
    ``.npz`` (``numpy.savez``) or ``.h5``/``.hdf5`` (datasets at the top level). Inputs are the
    array named ``data_key``, else the first of ``data``, ``x``, ``inputs``, ``images``, ``X``;
    labels ``labels_key``, else ``labels``, ``y``, ``targets``, ``Y``. Splits, in this order: arrays
    of the split by name (``x_train``/``x_test`` as Keras's ``mnist.npz``, or ``train_x``/``test_x``),
    else ``test_path`` (a second file for the test split), else a deterministic split by class of
    the one file (``test_fraction`` of each class, drawn from ``seed``, as ``image-folder``).

    Data become float tensors (8-bit integers are divided by 255, other integers kept as values);
    labels integers, one per item, classes ``0 .. max label`` (``classes`` are their names "0", "1",
    ...). ``[N, *shape]`` data give items of shape ``shape``: ``[N, frames, *shape]`` sequences
    suit the ``events`` or ``delta`` encoders.

    Args:
        root: folder that a relative ``path`` is read from (else the working directory).
        train: the training split (else the test split).
        path: the file.
        test_path: a file with the test split (same keys), if the first holds no split.
        data_key: name of the inputs' array.
        labels_key: name of the labels' array.
        test_fraction: share of each class in the test split when the split is drawn, 0.2.
        seed: seed of that split, 0.
        data: from Python, instead of a file: the inputs ``[N, *shape]`` (a tensor or array).
        labels: from Python: the labels ``[N]``.

    >>> import torch
    >>> ds = tensors(data=torch.rand(10, 4), labels=torch.arange(10) % 2)
    >>> len(ds), ds[0][0].shape, ds.classes
    (8, torch.Size([4]), ['0', '1'])
    """
    if not 0 <= test_fraction < 1:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    split = "train" if train else "test"
    if data is not None or labels is not None:
        if data is None or labels is None or path is not None:
            raise ValueError("tensors takes either path (a file) or both data and labels (from Python)")
        x, y, drawn = data, labels, True
    else:
        if path is None:
            raise ValueError("tensors needs path (a .pt, .npz or .h5 file) or data and labels")
        base = Path(root).expanduser() if root else Path()
        arrays = _read(base / Path(path).expanduser())
        x = _pick(arrays, data_key, DATA_KEYS, split, "data")
        y = _pick(arrays, labels_key, LABEL_KEYS, split, "labels")
        drawn = not any(f"{k}_{split}" in arrays or f"{split}_{k}" in arrays for k in (data_key, *DATA_KEYS) if k)
        if drawn and test_path is not None:
            drawn = False
            if not train:
                arrays = _read(base / Path(test_path).expanduser())
                x = _pick(arrays, data_key, DATA_KEYS, None, "data")
                y = _pick(arrays, labels_key, LABEL_KEYS, None, "labels")
    x, y = _as_data(x), _as_labels(y)
    if len(x) != len(y):
        raise ValueError(f"tensors: {len(x)} inputs but {len(y)} labels")
    if len(y) and int(y.min()) < 0:
        raise ValueError("tensors: labels must be 0 or more")
    n_classes = int(y.max()) + 1 if len(y) else 0
    if drawn:
        keep = torch.tensor(split_indices(y.tolist(), train, test_fraction, seed), dtype=torch.long)
        x, y = x[keep], y[keep]
    return TensorData(x, y, [str(i) for i in range(n_classes)])


@hookimpl
def snnkit_register_datasets(registry):
    registry.add("tensors", tensors)
