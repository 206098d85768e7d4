"""The dataset interface.

A dataset component is a callable returning a ``torch.utils.data.Dataset`` whose items are
``(data, label)`` pairs of tensors; an encoder turns ``data`` into spikes. The factory takes at
least ``root`` (where files live; a dataset made in memory accepts and ignores it) and ``train``
(which split). Pipelines that need the number of classes read the dataset's ``classes`` (a list
of class names) or, failing that, its ``labels`` (a tensor of every item's label)::

    def mnist(root: str | None = None, train: bool = True, download: bool = True) -> Dataset: ...
"""

from __future__ import annotations

from typing import Any, Protocol

from torch.utils.data import Dataset


class DatasetFactory(Protocol):
    """Builds a dataset of ``(data, label)`` pairs."""

    def __call__(self, *, root: str | None = None, train: bool = True, **params: Any) -> Dataset[Any]: ...
