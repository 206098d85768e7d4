"""The ``weights`` plot: the last weight snapshot of every learning connection."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import (
    NothingToPlot,
    colour_bar,
    connection_ends,
    experiment_of,
    image_shape,
    integer_ticks,
    panels,
    unit_label,
)


def learning(experiment: dict[str, Any], name: str, snapshots: Tensor) -> bool | None:
    """Whether connection ``name`` learns: ``False`` when its weights never change across two or
    more snapshots, or when the experiment declares it with neither a ``rule`` nor ``learnable``;
    ``True`` when they change or it declares one; ``None`` when nothing tells (one snapshot of a
    connection a model builds)."""
    if len(snapshots) > 1:
        return not bool((snapshots == snapshots[0]).all())
    for table in experiment.get("network", {}).get("connections", []):
        if table.get("name", f"{table.get('source')}->{table.get('target')}") == name:
            return bool(table.get("rule") or table.get("learnable"))
    return None


def weights(recording: Recording, *, max_fields: int = 100, fixed: bool = False, figure: Any = None) -> Any:
    """The last recorded weights of each learning connection (``[run] weights_every`` > 0
    records them), one panel per connection.

    A connection whose source layer is an image draws each target neuron's receptive field as a
    tile of a grid (up to ``max_fields``): sources with a 2-D or 3-D shape, and the flat input layer
    of a run that reads a ``[dataset]`` when its size is a square image's (784 = 28 x 28, as the
    ``diehl-cook-2015`` model's ``X``). A convolution draws its kernels as tiles. Any other
    connection (a 1-D layer of 100 inputs is not an image) draws its matrix: source neuron against
    target neuron. Weights of both signs use a diverging colour map centred on 0.

    Fixed connections are left out: those whose weights never change across the snapshots, or
    that the experiment declares without a learning ``rule`` or ``learnable`` (e.g. Diehl &
    Cook's inhibition); the figure names them. ``fixed=True`` draws them too, after the learning
    ones; when no connection learns, the fixed ones are drawn anyway.

    >>> weights  # doctest: +ELLIPSIS
    <function weights at ...>
    """
    snapshots = recording.weights()
    if not snapshots:
        raise NothingToPlot("no weight snapshots (set [run] weights_every)")
    experiment = experiment_of(recording)
    status = {name: learning(experiment, name, values) for name, (_, values) in snapshots.items()}
    learners = [name for name in snapshots if status[name] is not False]
    fixed_ones = [name for name in snapshots if status[name] is False]
    shown = learners + fixed_ones if fixed or not learners else learners
    left_out = [name for name in fixed_ones if name not in shown]
    targets = {ends[1] for ends in (connection_ends(experiment, n) for n in snapshots) if ends}
    unit = unit_label(experiment)
    figure, axes = panels(len(shown), width=8.0, height=6.0, figure=figure)
    for ax, name in zip(axes, shown, strict=True):
        index, values = snapshots[name]
        w = values[-1].float()
        when = f"after {unit} {int(index[-1])}" + ("" if status[name] is not False else ", fixed")
        ends = connection_ends(experiment, name)
        image = image_shape(recording, experiment, ends[0], w.shape[0], targets) if ends and w.dim() == 2 else None
        if w.dim() == 4:  # a convolution: [out channels, in channels, kh, kw]
            shown_image, count = _kernels(w, max_fields)
            drawn = _draw(ax, shown_image, w, "equal")
            ax.set_title(f"{name}: {count} of {w.shape[0] * w.shape[1]} kernels {when}")
            ax.axis("off")
        elif image is not None:
            fields = min(w.shape[1], max_fields)
            tiles = w[:, :fields].T.reshape(fields, *image)
            if len(image) == 3:  # channels side by side in each tile
                tiles = tiles.permute(0, 2, 1, 3).reshape(fields, image[1], image[0] * image[2])
            drawn = _draw(ax, _grid(tiles), w, "equal")
            shape = " x ".join(str(n) for n in image)
            of = f"{fields} of {w.shape[1]}" if fields < w.shape[1] else f"{fields}"
            ax.set_title(f"{name}: receptive fields ({shape}) of {of} target neurons, {when}", fontsize="medium")
            ax.axis("off")
        else:
            matrix = w.reshape(w.shape[0], -1) if w.dim() > 1 else torch.diag(w)
            drawn = _draw(ax, matrix, w, "auto")
            source, target = ends if ends else ("source", "target")
            ax.set_title(f"{name}: weights {when}")
            ax.set_ylabel(f"source neuron ({source})")
            ax.set_xlabel(f"target neuron ({target})")
            integer_ticks(ax.xaxis)
            integer_ticks(ax.yaxis)
        colour_bar(figure, ax, drawn, label="weight")
    if left_out:
        names = ", ".join(left_out)
        figure.text(0.01, 0.005, f"fixed connections left out: {names} (fixed=true draws them)", fontsize="small")
    figure.tight_layout(rect=(0, 0.02 if left_out else 0, 1, 1))
    return figure


def _draw(ax: Any, image: Tensor, w: Tensor, aspect: str) -> Any:
    """``image`` with a colour scale over all of ``w``: diverging around 0 for weights of both
    signs, else white (smallest) through yellow and red to black (largest). NaN (the gaps of a grid) shows grey."""
    import matplotlib

    low, high = float(w.min()), float(w.max())
    if low < 0 < high:
        bound = max(-low, high)
        cmap, low, high = matplotlib.colormaps["RdBu_r"], -bound, bound
    else:
        cmap = matplotlib.colormaps["hot_r"]
    cmap = cmap.with_extremes(bad="0.75")
    if low == high:
        low, high = low - 1, high + 1
    return ax.imshow(image.numpy(), cmap=cmap, vmin=low, vmax=high, aspect=aspect, interpolation="nearest")


def _grid(tiles: Tensor) -> Tensor:
    """``tiles [n, h, w]`` in a near-square grid, one NaN pixel between them."""
    count, h, w = tiles.shape
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = torch.full((rows * (h + 1) - 1, columns * (w + 1) - 1), float("nan"))
    for j in range(count):
        r, c = divmod(j, columns)
        grid[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = tiles[j]
    return grid


def _kernels(w: Tensor, max_fields: int) -> tuple[Tensor, int]:
    """The kernels of a convolution as a grid: a row per output channel, a column per input
    channel, as many whole rows as ``max_fields`` allows (at least one)."""
    out_channels, in_channels, kh, kw = w.shape
    if in_channels == 1:
        count = min(out_channels, max(1, max_fields))
        return _grid(w[:count, 0]), count
    rows = max(1, min(out_channels, max_fields // in_channels))
    grid = torch.full((rows * (kh + 1) - 1, in_channels * (kw + 1) - 1), float("nan"))
    for r in range(rows):
        for c in range(in_channels):
            grid[r * (kh + 1) : r * (kh + 1) + kh, c * (kw + 1) : c * (kw + 1) + kw] = w[r, c]
    return grid, rows * in_channels


@hookimpl
def snnkit_register_plots(registry):
    registry.add("weights", weights, requires=["matplotlib"], extra="plot")
