"""The ``spikes`` plot: a raster per spike monitor."""

from __future__ import annotations

import math
from typing import Any

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import (
    NothingToPlot,
    check_sample,
    experiment_of,
    integer_ticks,
    layer_shape,
    panels,
    raster_size,
    recorded_steps,
    step_label,
)


def spikes(recording: Recording, *, sample: int = 0, last_steps: int = 1000, figure: Any = None) -> Any:
    """Spike raster of every monitor that records spikes: neuron index against time step.

    One panel per monitor, for batch sample ``sample`` and the last ``last_steps`` steps of the
    recording. Steps are numbered from the start of the run and the x range is the same as the
    ``voltages`` plot's with the same ``last_steps``, so the two line up.

    >>> spikes  # doctest: +ELLIPSIS
    <function spikes at ...>
    """
    monitors = {name: m for name, m in recording.monitors().items() if "s" in m["variables"]}
    if not monitors:
        raise NothingToPlot('no monitor records spikes (variables = ["s"])')
    experiment = experiment_of(recording)
    check_sample(sample, experiment.get("run", {}).get("batch_size"))
    steps = recorded_steps(recording)
    start = max(steps - last_steps, 0)
    figure, axes = panels(len(monitors), figure=figure, sharex=True)
    for ax, (name, monitor) in zip(axes, monitors.items(), strict=True):
        events = recording.events(name)
        keep = (events["sample"] == sample) & (events["step"] >= start)
        shape = layer_shape(recording, experiment, str(monitor["target"]))
        neurons = math.prod(shape) if shape else (int(events["index"].max()) + 1 if events["index"].numel() else 1)
        ax.scatter(
            events["step"][keep].numpy(),
            events["index"][keep].numpy(),
            s=raster_size(neurons),
            c="k",
            marker="|",
            linewidths=0.8,
        )
        ax.set_xlim(start - 0.5, max(steps, start + 1) - 0.5)
        ax.set_ylim(-0.5, neurons - 0.5)
        ax.set_title(f"{name}: spikes of {neurons} neurons (sample {sample})")
        ax.set_ylabel("neuron index")
        integer_ticks(ax.yaxis)
        integer_ticks(ax.xaxis)
    axes[-1].set_xlabel(step_label(experiment))
    figure.tight_layout()
    return figure


@hookimpl
def snnkit_register_plots(registry):
    registry.add("spikes", spikes, requires=["matplotlib"], extra="plot")
