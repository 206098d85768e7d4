"""The ``weights`` plot: the last weight snapshot of every connection."""

from __future__ import annotations

import math
from typing import Any

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import NothingToPlot, panels


def weights(recording: Recording, *, max_fields: int = 100, figure: Any = None) -> Any:
    """The last recorded weights of each connection (``[run] weights_every`` > 0 records them).

    When the source is a square image (e.g. 784 = 28 x 28 inputs), each target neuron's receptive
    field is drawn as a tile of a grid (up to ``max_fields``); otherwise the matrix as a heat map.

    >>> weights  # doctest: +ELLIPSIS
    <function weights at ...>
    """
    snapshots = recording.weights()
    if not snapshots:
        raise NothingToPlot("no weight snapshots (set [run] weights_every)")
    figure, axes = panels(len(snapshots), width=8.0, height=6.0, figure=figure)
    for ax, (name, (index, values)) in zip(axes, snapshots.items(), strict=True):
        w = values[-1]
        side = math.isqrt(w.shape[0]) if w.dim() == 2 else 0
        if side > 1 and side * side == w.shape[0]:
            fields = min(w.shape[1], max_fields)
            per_row = math.ceil(math.sqrt(fields))
            grid = w.new_zeros(per_row * side, per_row * side)
            for j in range(fields):
                r, c = divmod(j, per_row)
                grid[r * side : (r + 1) * side, c * side : (c + 1) * side] = w[:, j].reshape(side, side)
            image = ax.imshow(grid.numpy(), cmap="hot_r")
            ax.set_title(f"{name}: receptive fields after unit {int(index[-1])}")
            ax.axis("off")
        else:
            image = ax.imshow(w.reshape(w.shape[0], -1).numpy(), aspect="auto", cmap="viridis")
            ax.set_title(f"{name}: weights after unit {int(index[-1])}")
            ax.set_xlabel("target")
            ax.set_ylabel("source")
        figure.colorbar(image, ax=ax)
    figure.tight_layout()
    return figure


@hookimpl
def snnkit_register_plots(registry):
    registry.add("weights", weights, requires=["matplotlib"], extra="plot")
