"""Label-assignment readouts (Diehl & Cook 2015): ``assign-labels``, ``all-activity``,
``proportion-weighting``, ``ngram``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import torch
from torch import Tensor

from snnkit import hookimpl
from snnkit.errors import SnnkitError
from snnkit.models import Evaluation


class NotFittedError(SnnkitError, RuntimeError):
    """A readout asked to predict before it was fitted."""


class AssignLabels(Evaluation):
    """Each neuron's class is the class during which it fired at the highest mean rate; a sample is
    predicted as the class of its most active assigned neuron.

    Neurons that never spiked during fitting get no class (``-1``), not class 0; a sample in
    which no assigned neuron spiked is predicted ``-1`` (counted wrong), never a silent default.

    >>> import torch
    >>> readout = AssignLabels()
    >>> readout.fit(torch.tensor([[5.0, 0, 0], [0, 4, 0]]), torch.tensor([0, 1]), n_classes=2)
    >>> readout.assignments.tolist(), readout.predict(torch.tensor([[0.0, 2, 0], [0, 0, 3]])).tolist()
    ([0, 1, -1], [1, -1])
    """

    def __init__(self) -> None:
        self.assignments: Tensor | None = None
        self.rates: Tensor | None = None  # mean count per class and neuron [classes, neurons]

    def fit(self, counts: Tensor, labels: Tensor, n_classes: int, sequences: Sequence[Tensor] | None = None) -> None:
        counts = counts.float()
        rates = torch.zeros(n_classes, counts.shape[1])
        for c in range(n_classes):
            members = labels == c
            if members.any():
                rates[c] = counts[members].mean(0)
        best, assignments = rates.max(0)
        assignments[best == 0] = -1
        self.rates, self.assignments = rates, assignments

    def _fitted(self) -> tuple[Tensor, Tensor]:
        if self.assignments is None or self.rates is None:
            raise NotFittedError(f"{type(self).__name__}: fit() it on labelled activity before predict()")
        return self.assignments, self.rates

    def predict(self, counts: Tensor, sequences: Sequence[Tensor] | None = None) -> Tensor:
        assignments, _ = self._fitted()
        masked = torch.where(assignments >= 0, counts.float(), torch.full_like(counts.float(), -1.0))
        best, neuron = masked.max(1)
        return torch.where(best > 0, assignments[neuron], torch.full_like(neuron, -1))


class AllActivity(AssignLabels):
    """Diehl & Cook's readout: a sample's class is the one whose assigned neurons fired most on
    average (mean count over the neurons assigned to it); ``-1`` when none of them fired.

    >>> import torch
    >>> readout = AllActivity()
    >>> readout.fit(torch.tensor([[5.0, 3, 0], [0, 0, 4]]), torch.tensor([0, 1]), n_classes=2)
    >>> readout.predict(torch.tensor([[1.0, 1, 3]])).tolist()  # class 0: mean 1, class 1: mean 3
    [1]
    """

    def scores(self, counts: Tensor) -> Tensor:
        members = self._members()
        return counts.float() @ members / members.sum(0).clamp_min(1)  # classes without neurons: 0

    def _members(self) -> Tensor:
        """``[neurons, classes]``: 1 where the neuron is assigned to the class (one product per
        prediction instead of a loop over the classes)."""
        assignments, rates = self._fitted()
        return (assignments[:, None] == torch.arange(rates.shape[0], device=assignments.device)).float()

    def predict(self, counts: Tensor, sequences: Sequence[Tensor] | None = None) -> Tensor:
        best, label = self.scores(counts).max(1)
        return torch.where(best > 0, label, torch.full_like(label, -1))


class ProportionWeighting(AllActivity):
    """Like ``all-activity``, with each neuron's vote weighted by the share of its fitting activity
    that fell on its own class (BindsNET's proportion weighting): specific neurons count more.

    >>> import torch
    >>> readout = ProportionWeighting()
    >>> readout.fit(torch.tensor([[4.0, 2], [0, 2]]), torch.tensor([0, 1]), n_classes=2)
    >>> readout.predict(torch.tensor([[1.0, 1]])).tolist()  # neuron 1 is unspecific: half a vote
    [0]
    """

    def scores(self, counts: Tensor) -> Tensor:
        _, rates = self._fitted()
        proportions = rates / rates.sum(0, keepdim=True).clamp_min(1e-12)  # [classes, neurons]
        members = self._members()
        return counts.float() @ (members * proportions.T) / members.sum(0).clamp_min(1)


class NGram(Evaluation):
    """Spike-order readout: counts, per class, the n-grams (runs of ``n`` consecutive output
    neurons in firing order) seen while fitting; a sample's class has the largest summed count of
    its own n-grams (BindsNET's ``ngram``). ``-1`` when none of its n-grams was seen.

    Args:
        n: length of the n-grams, 2.

    >>> import torch
    >>> readout = NGram(n=2)
    >>> seqs = [torch.tensor([3, 1, 2]), torch.tensor([2, 0])]
    >>> readout.fit(torch.zeros(2, 4), torch.tensor([0, 1]), 2, seqs)
    >>> readout.predict(torch.zeros(2, 4), [torch.tensor([3, 1]), torch.tensor([1, 1])]).tolist()
    [0, -1]
    """

    needs_sequences = True

    def __init__(self, n: int = 2) -> None:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        self.n = n
        self.table: dict[tuple[int, ...], Tensor] | None = None
        self.n_classes = 0

    def _grams(self, sequence: Tensor) -> list[tuple[int, ...]]:
        items = sequence.tolist()
        return [tuple(items[i : i + self.n]) for i in range(len(items) - self.n + 1)]

    def fit(self, counts: Tensor, labels: Tensor, n_classes: int, sequences: Sequence[Tensor] | None = None) -> None:
        if sequences is None:
            raise SnnkitError("ngram needs the order of output spikes (sequences)")
        table: dict[tuple[int, ...], Tensor] = {}
        for sequence, label in zip(sequences, labels.tolist(), strict=True):
            for gram, count in Counter(self._grams(sequence)).items():
                table.setdefault(gram, torch.zeros(n_classes))[label] += count
        self.table, self.n_classes = table, n_classes

    def predict(self, counts: Tensor, sequences: Sequence[Tensor] | None = None) -> Tensor:
        if self.table is None:
            raise NotFittedError("ngram: fit() it on labelled activity before predict()")
        if sequences is None:
            raise SnnkitError("ngram needs the order of output spikes (sequences)")
        predictions = []
        for sequence in sequences:
            score = torch.zeros(self.n_classes)
            for gram in self._grams(sequence):
                if gram in self.table:
                    score += self.table[gram]
            predictions.append(int(score.argmax()) if score.max() > 0 else -1)
        return torch.tensor(predictions, dtype=torch.long)


@hookimpl
def snnkit_register_evaluations(registry):
    registry.add("assign-labels", AssignLabels)
    registry.add("all-activity", AllActivity)
    registry.add("proportion-weighting", ProportionWeighting)
    registry.add("ngram", NGram)
