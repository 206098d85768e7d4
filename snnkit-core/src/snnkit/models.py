"""The model and evaluation interfaces."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from torch import Tensor

if TYPE_CHECKING:
    from snnkit.network import Network


class Model(Protocol):
    """Builds a ready-to-run :class:`~snnkit.Network` from keyword parameters.

    Parameters named ``seed``, ``dt`` and ``plugins``, when the model takes them, receive the
    run's seed, time step and plugin manager (build the network with them). A model also says how
    a pipeline drives it through the network it returns: ``input_layer`` (the layer that receives
    encoded data) and ``output_layer`` (the layer whose spikes are evaluated).
    """

    def __call__(self, **params: Any) -> Network: ...


class Evaluation(ABC):
    """Reads class predictions out of spiking activity: learns from labelled activity, then predicts.

    ``counts`` are spike counts per sample and output neuron ``[samples, neurons]``;
    ``sequences``, when a readout needs spike order, hold each sample's output neuron indices
    in the order they spiked.
    """

    #: Whether :meth:`fit` and :meth:`predict` need ``sequences``.
    needs_sequences: bool = False

    @abstractmethod
    def fit(self, counts: Tensor, labels: Tensor, n_classes: int, sequences: Sequence[Tensor] | None = None) -> None:
        """Learn the readout from labelled activity."""

    @abstractmethod
    def predict(self, counts: Tensor, sequences: Sequence[Tensor] | None = None) -> Tensor:
        """Predicted class per sample; ``-1`` where the activity gives no basis for a prediction."""

    def accuracy(self, counts: Tensor, labels: Tensor, sequences: Sequence[Tensor] | None = None) -> float:
        """Fraction of samples predicted correctly (a ``-1`` prediction counts as wrong)."""
        return float((self.predict(counts, sequences) == labels).float().mean()) if len(labels) else 0.0
