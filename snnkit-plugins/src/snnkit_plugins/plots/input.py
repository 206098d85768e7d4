"""The ``input`` plot: what an input layer received in the last sample, as rates and spikes."""

from __future__ import annotations

from typing import Any

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import (
    NothingToPlot,
    check_sample,
    colour_bar,
    dt_of,
    experiment_of,
    image_shape,
    integer_ticks,
    panels,
    raster_size,
    step_label,
)


def input(recording: Recording, *, monitor: str | None = None, sample: int = 0, figure: Any = None) -> Any:
    """The input of the last sample: each input neuron's firing rate (Hz) in it, drawn as an image
    when the layer is one (a 2-D or 3-D shape, or the flat input of a data set's square images)
    and as bars over the neuron index otherwise; below, the spike train as a raster.

    ``monitor`` defaults to the spike monitor of the pipeline's input layer (``input_layer``,
    else a layer named ``input``). Steps are numbered from the start of the run, as in ``spikes``.

    >>> input  # doctest: +ELLIPSIS
    <function input at ...>
    """
    experiment = experiment_of(recording)
    layer = experiment.get("pipeline", {}).get("input_layer", "input")
    monitors = recording.monitors()
    if monitor is None:
        monitor = next((n for n, m in monitors.items() if m["target"] == layer and "s" in m["variables"]), None)
    if monitor is None or monitor not in monitors:
        raise NothingToPlot(f"no spike monitor on the input layer {layer!r}")
    layer = str(monitors[monitor]["target"])
    spikes = recording.spikes(monitor)
    total = spikes.shape[0]  # rows are the steps of the run
    steps = min(int(experiment.get("run", {}).get("time", total)), total)
    start = total - steps
    check_sample(sample, spikes.shape[1])
    window = spikes[start:, sample]  # [steps, *shape]
    flat = window.reshape(window.shape[0], -1)
    seconds = steps * dt_of(experiment) / 1000.0
    rates = flat.sum(0).float() / max(seconds, 1e-12)
    image = image_shape(recording, experiment, layer, rates.numel())
    figure, (top, bottom) = panels(2, height=3.0, figure=figure)
    title = f"{monitor}: firing rate in the last sample (steps {start} to {total - 1}, sample {sample})"
    if image is not None:
        picture = rates.reshape(image) if len(image) == 2 else rates.reshape(image).mean(0)
        shown = top.imshow(picture.numpy(), cmap="gray_r", interpolation="nearest")
        top.axis("off")
        colour_bar(figure, top, shown, label="rate (Hz)")
    else:
        top.bar(range(rates.numel()), rates.numpy(), width=1.0, color="0.3")
        top.set_xlim(-0.5, rates.numel() - 0.5)
        top.set_xlabel("input neuron index")
        top.set_ylabel("rate (Hz)")
        integer_ticks(top.xaxis)
    top.set_title(title, fontsize="medium")
    step, neuron = flat.nonzero(as_tuple=True)
    bottom.scatter((step + start).numpy(), neuron.numpy(), s=raster_size(flat.shape[1], 3.0), c="k", marker="|")
    bottom.set_xlim(start - 0.5, total - 0.5)
    bottom.set_ylim(-0.5, flat.shape[1] - 0.5)
    bottom.set_xlabel(step_label(experiment))
    bottom.set_ylabel("input neuron index")
    integer_ticks(bottom.xaxis)
    integer_ticks(bottom.yaxis)
    figure.tight_layout()
    return figure


@hookimpl
def snnkit_register_plots(registry):
    registry.add("input", input, requires=["matplotlib"], extra="plot")
