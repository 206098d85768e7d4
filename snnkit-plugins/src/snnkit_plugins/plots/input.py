"""The ``input`` plot: what an input layer received in the last sample, as an image and spikes."""

from __future__ import annotations

import math
import tomllib
from typing import Any

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import NothingToPlot, panels


def input(recording: Recording, *, monitor: str | None = None, sample: int = 0, figure: Any = None) -> Any:
    """The input of the last sample: spike counts per input neuron drawn as an image (the layer's
    2-D shape, or a square when its size is one) and the spike train as a raster.

    ``monitor`` defaults to the spike monitor of the pipeline's input layer (``input_layer``,
    else a layer named ``input``).

    >>> input  # doctest: +ELLIPSIS
    <function input at ...>
    """
    experiment = tomllib.loads(recording.experiment)
    layer = experiment.get("pipeline", {}).get("input_layer", "input")
    monitors = recording.monitors()
    if monitor is None:
        monitor = next((n for n, m in monitors.items() if m["target"] == layer and "s" in m["variables"]), None)
    if monitor is None or monitor not in monitors:
        raise NothingToPlot(f"no spike monitor on the input layer {layer!r}")
    spikes = recording.spikes(monitor)
    steps = int(experiment.get("run", {}).get("time", spikes.shape[0]))
    window = spikes[-steps:, sample]  # [steps, *shape]
    counts = window.reshape(window.shape[0], -1).sum(0).float()
    shape = tuple(window.shape[1:])
    if len(shape) >= 2:
        image = counts.reshape(shape[-2:]) if len(shape) == 2 else counts.reshape(shape).sum(0)
    else:
        side = math.isqrt(counts.numel())
        image = counts.reshape(side, side) if side * side == counts.numel() else counts.reshape(1, -1)
    figure, (top, bottom) = panels(2, height=3.0, figure=figure)
    shown = top.imshow(image.numpy(), cmap="gray_r", aspect="auto" if image.shape[0] == 1 else "equal")
    top.set_title(f"{monitor}: spike counts in the last sample (sample {sample})")
    top.axis("off")
    figure.colorbar(shown, ax=top)
    step, neuron = window.reshape(window.shape[0], -1).nonzero(as_tuple=True)
    bottom.scatter(step.numpy(), neuron.numpy(), s=1, c="k", marker="|")
    bottom.set_xlabel("step of the sample")
    bottom.set_ylabel("input neuron")
    figure.tight_layout()
    return figure


@hookimpl
def snnkit_register_plots(registry):
    registry.add("input", input, requires=["matplotlib"], extra="plot")
