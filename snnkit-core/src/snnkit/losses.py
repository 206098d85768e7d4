"""The loss interface for gradient training: what the output layer did, scored against labels."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar, cast

from torch import Tensor, nn

from snnkit.errors import LossInputError


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

    def __call__(self, output: Mapping[str, Tensor], labels: Tensor) -> Tensor:
        """:meth:`forward`, after :meth:`check`: a mistake is named here, not deep inside torch."""
        self.check(output, labels)
        return cast(Tensor, super().__call__(output, labels))

    def check(self, output: Mapping[str, Tensor], labels: Tensor | None = None) -> None:
        """Refuse what :meth:`forward` cannot score: ``output`` not a dict holding every variable
        in ``reads`` as ``[time, batch, classes]``, or ``labels`` that are not one class index
        (``0`` to ``classes - 1``) per sample."""
        name = type(self).__name__
        if not isinstance(output, Mapping):
            raise LossInputError(
                f"{name}: give the output layer's recorded variables as a dict, e.g. {{'s': spikes}} with spikes"
                f" [time, batch, classes]; got a {type(output).__name__}"
            )
        missing = [k for k in self.reads if k not in output]
        if missing:
            has = ", ".join(map(repr, output)) or "nothing"
            raise LossInputError(f"{name} reads {', '.join(map(repr, self.reads))}; the output has {has}")
        shapes = {k: tuple(output[k].shape) for k in self.reads if isinstance(output[k], Tensor)}
        wrong = [k for k in self.reads if k not in shapes or len(shapes[k]) != 3]
        if wrong:
            got = shapes.get(wrong[0], type(output[wrong[0]]).__name__)
            raise LossInputError(f"{name}: output {wrong[0]!r} must be a tensor [time, batch, classes], got {got}")
        if labels is None:
            return
        batch, classes = next(iter(shapes.values()))[1:]
        if not isinstance(labels, Tensor) or labels.dim() != 1 or len(labels) != batch or labels.is_floating_point():
            got = f"{labels.dtype} {tuple(labels.shape)}" if isinstance(labels, Tensor) else type(labels).__name__
            raise LossInputError(f"{name}: labels must be {batch} class indices (integers, [batch]), got {got}")
        outside = labels[(labels < 0) | (labels >= classes)]
        if len(outside):
            raise LossInputError(
                f"{name}: a label is {int(outside[0])}, but the output has {classes} neurons, one per class"
                f" (0 to {classes - 1}): give the output layer as many neurons as the data has classes"
            )
