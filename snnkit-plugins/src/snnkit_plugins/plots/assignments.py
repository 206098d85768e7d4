"""The ``assignments`` plot: which class each output neuron was assigned to."""

from __future__ import annotations

import math
from typing import Any

import torch

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import NothingToPlot, panels


def assignments(recording: Recording, *, figure: Any = None) -> Any:
    """The last label assignment of the output neurons (``dataset`` pipeline runs store it): a grid
    of neurons coloured by class (-1: never fired), and how many neurons each class has.

    >>> assignments  # doctest: +ELLIPSIS
    <function assignments at ...>
    """
    arrays = recording.arrays()
    if "assignments" not in arrays:
        raise NothingToPlot("no label assignments (runs of the dataset pipeline store them)")
    index, values = arrays["assignments"]
    labels = values[-1].long()
    side = math.ceil(math.sqrt(labels.numel()))
    grid = torch.full((side * side,), -1.0)
    grid[: labels.numel()] = labels.float()
    figure, (top, bottom) = panels(2, height=3.0, figure=figure)
    shown = top.imshow(grid.reshape(side, side).numpy(), cmap="tab10", vmin=-1, vmax=9)
    top.set_title(f"class assigned to each output neuron after unit {int(index[-1])}")
    top.axis("off")
    figure.colorbar(shown, ax=top)
    classes = int(labels.max()) + 1 if labels.numel() and labels.max() >= 0 else 0
    counts = torch.bincount(labels[labels >= 0], minlength=classes) if classes else torch.zeros(0)
    bottom.bar(range(classes), counts.numpy())
    bottom.set_xlabel("class")
    bottom.set_ylabel("neurons")
    figure.tight_layout()
    return figure


@hookimpl
def snnkit_register_plots(registry):
    registry.add("assignments", assignments, requires=["matplotlib"], extra="plot")
