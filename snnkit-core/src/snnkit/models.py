"""The model and evaluation interfaces."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from torch import Tensor

if TYPE_CHECKING:
    from snnkit.network import Network


class Model(Protocol):
    """Builds a ready-to-run :class:`~snnkit.Network` from keyword parameters."""

    def __call__(self, **params: Any) -> Network: ...


class Evaluation(Protocol):
    """Scores activity: spike counts ``[batch, n]`` and labels ``[batch]`` to named metrics."""

    def __call__(self, spike_counts: Tensor, labels: Tensor, **params: Any) -> Mapping[str, float]: ...
