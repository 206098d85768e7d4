"""The ``logistic-regression`` readout: a linear classifier on spike counts."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from snnkit import hookimpl
from snnkit.errors import SnnkitError
from snnkit.models import Evaluation


class LogisticRegression(Evaluation):
    """Multinomial logistic regression on (standardised) spike counts, fitted with L-BFGS and an
    L2 penalty: the supervised upper bound of what a linear readout can get out of the spikes.

    Args:
        l2: weight of the L2 penalty on the coefficients, 1e-3.
        steps: L-BFGS iterations, 100.

    >>> import torch
    >>> readout = LogisticRegression()
    >>> readout.fit(torch.tensor([[3.0, 0], [0, 3], [4, 1], [1, 4]]), torch.tensor([0, 1, 0, 1]), 2)
    >>> readout.predict(torch.tensor([[5.0, 0], [0, 5]])).tolist()
    [0, 1]
    """

    def __init__(self, l2: float = 1e-3, steps: int = 100) -> None:
        self.l2, self.steps = l2, steps
        self.linear: torch.nn.Linear | None = None
        self.mean: Tensor | None = None
        self.std: Tensor | None = None

    def fit(self, counts: Tensor, labels: Tensor, n_classes: int, sequences: Sequence[Tensor] | None = None) -> None:
        x = counts.float()
        self.mean, self.std = x.mean(0), x.std(0).clamp_min(1e-6) if len(x) > 1 else torch.ones(x.shape[1])
        x = (x - self.mean) / self.std
        # Coefficients start at zero: the loss is convex, so no random start (and no draw from the
        # user's global random stream) is needed, and the fit is deterministic.
        linear = torch.nn.Linear(x.shape[1], n_classes, device="meta").to_empty(device=x.device)
        with torch.no_grad():
            linear.weight.zero_()
            linear.bias.zero_()
        optimizer = torch.optim.LBFGS(linear.parameters(), max_iter=self.steps, line_search_fn="strong_wolfe")

        def closure() -> Tensor:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(linear(x), labels) + self.l2 * linear.weight.square().sum()
            loss.backward()
            return loss

        with torch.enable_grad():
            optimizer.step(closure)
        self.linear = linear

    def predict(self, counts: Tensor, sequences: Sequence[Tensor] | None = None) -> Tensor:
        if self.linear is None or self.mean is None or self.std is None:
            raise SnnkitError("logistic-regression: fit() it on labelled activity before predict()")
        with torch.no_grad():
            return self.linear((counts.float() - self.mean) / self.std).argmax(1)


@hookimpl
def snnkit_register_evaluations(registry):
    registry.add("logistic-regression", LogisticRegression)
