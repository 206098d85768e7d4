"""The loss interface for gradient training: what the output layer did, scored against labels."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar

from torch import Tensor, nn


class Loss(nn.Module, ABC):
    """A differentiable loss on the output layer's recorded activity, and the prediction it implies.

    The pipeline records the output layer's variables named in ``reads`` (``"s"`` for spikes,
    ``"v"`` for the membrane potential, ...) over a sample's ``time`` steps, each
    ``[time, batch, n]`` with ``n`` output neurons, one per class, and hands them to
    :meth:`forward` with the labels ``[batch]``; the result is a scalar to back-propagate.
    :meth:`predict` gives the class each sample is read as, for accuracies.
    """

    reads: ClassVar[tuple[str, ...]] = ("s",)

    @abstractmethod
    def forward(self, output: Mapping[str, Tensor], labels: Tensor) -> Tensor:
        """The mean loss over the batch."""

    @abstractmethod
    def predict(self, output: Mapping[str, Tensor]) -> Tensor:
        """The predicted class of each sample, ``[batch]``."""
