"""The ``assignments`` plot: which class each output neuron was assigned to."""

from __future__ import annotations

import math
from typing import Any

import torch

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import NothingToPlot, colour_bar, experiment_of, integer_ticks, panels, unit_label

#: The colour of "never fired" (-1): a light grey that no class uses.
NEVER = "#e0e0e0"

#: Ten distinct class colours: matplotlib's tab10 with its grey (too close to "never fired")
#: replaced by black.
TEN = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#000000", "#bcbd22", "#17becf"]


def class_colours(count: int) -> list[Any]:
    """``count`` class colours, none of them grey: :data:`TEN` up to ten classes, tab20 without its
    greys up to 18, else evenly spaced hues (with more classes than colours can tell apart, the
    grid also writes each neuron's class)."""
    import matplotlib

    if count <= len(TEN):
        return TEN[:count]
    tab20 = [c for i, c in enumerate(matplotlib.colormaps["tab20"].colors) if i not in (14, 15)]
    if count <= len(tab20):
        return tab20[:count]
    hues = matplotlib.colormaps["hsv"]
    return [hues(i / count) for i in range(count)]


def assignments(recording: Recording, *, classes: int = 10, figure: Any = None) -> Any:
    """The last label assignment of the output neurons (``dataset`` pipeline runs store it): a grid
    of neurons, each coloured by its class (written in it when the grid is small), light grey for
    "never fired" (-1), with a colour bar of one swatch per class; and how many neurons each class
    has, in the same colours.

    ``classes`` is the number of classes shown (10 for MNIST and its kin); more when an assignment
    names a higher class.

    >>> assignments  # doctest: +ELLIPSIS
    <function assignments at ...>
    """
    import matplotlib
    from matplotlib.colors import BoundaryNorm, ListedColormap

    arrays = recording.arrays()
    if "assignments" not in arrays:
        raise NothingToPlot("no label assignments (runs of the dataset pipeline store them)")
    index, values = arrays["assignments"]
    labels = values[-1].long().flatten()
    count = max(classes, int(labels.max()) + 1 if labels.numel() else 0)
    colours = [NEVER, *class_colours(count)]
    cmap = ListedColormap(colours)
    norm = BoundaryNorm([c - 0.5 for c in range(-1, count + 1)], cmap.N)
    side = math.ceil(math.sqrt(labels.numel()))
    rows = math.ceil(labels.numel() / side)
    grid = torch.full((rows * side,), float("nan"))
    grid[: labels.numel()] = labels.float()
    figure, (top, bottom) = panels(2, height=3.0, figure=figure)
    cells = top.pcolormesh(
        _masked(grid, rows, side),
        cmap=cmap,
        norm=norm,
        edgecolors="white",
        linewidth=0.5,
    )
    top.set_aspect("equal")
    top.invert_yaxis()
    top.axis("off")
    unit = unit_label(experiment_of(recording))
    top.set_title(f"class of each output neuron after {unit} {int(index[-1])}", fontsize="medium")
    if side <= 20:  # the class written in each cell
        for n, label in enumerate(labels.tolist()):
            r, c = divmod(n, side)
            rgb = matplotlib.colors.to_rgb(colours[label + 1])
            ink = "white" if 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 0.5 else "black"
            top.text(
                c + 0.5,
                r + 0.5,
                "–" if label < 0 else str(label),
                ha="center",
                va="center",
                fontsize=8 if side <= 10 else 6,
                color=ink,
            )
    bar = colour_bar(figure, top, cells, ticks=range(-1, count))
    bar.ax.set_yticklabels(["never fired", *(str(c) for c in range(count))], fontsize="small")
    bar.ax.tick_params(length=0)
    bar.set_label("class")
    counts = torch.bincount(labels + 1, minlength=count + 1)
    bottom.bar(range(-1, count), counts.numpy(), color=colours, edgecolor="0.3", linewidth=0.5)
    bottom.set_xticks(range(-1, count), ["never\nfired", *(str(c) for c in range(count))], fontsize="small")
    bottom.set_xlabel("class")
    bottom.set_ylabel("neurons")
    integer_ticks(bottom.yaxis)
    bottom.set_title(f"{labels.numel()} output neurons per class")
    figure.tight_layout()
    return figure


def _masked(grid: torch.Tensor, rows: int, side: int) -> Any:
    """The grid with its padding cells (beyond the last neuron) masked out, so they are not drawn."""
    import numpy as np

    return np.ma.masked_invalid(grid.reshape(rows, side).numpy())


@hookimpl
def snnkit_register_plots(registry):
    registry.add("assignments", assignments, requires=["matplotlib"], extra="plot")
