"""The ``spikes`` plot: a raster per spike monitor."""

from __future__ import annotations

from typing import Any

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import NothingToPlot, panels


def spikes(recording: Recording, *, sample: int = 0, last_steps: int = 1000, figure: Any = None) -> Any:
    """Spike raster of every monitor that records spikes: neuron index against time step.

    One panel per monitor, for batch sample ``sample`` and the last ``last_steps`` steps.

    >>> spikes  # doctest: +ELLIPSIS
    <function spikes at ...>
    """
    monitors = [name for name, m in recording.monitors().items() if "s" in m["variables"]]
    if not monitors:
        raise NothingToPlot('no monitor records spikes (variables = ["s"])')
    figure, axes = panels(len(monitors), figure=figure)
    for ax, name in zip(axes, monitors, strict=True):
        events = recording.events(name)
        steps = int(events["step"].max()) + 1 if events["step"].numel() else 0
        keep = (events["sample"] == sample) & (events["step"] >= steps - last_steps)
        ax.scatter(events["step"][keep].numpy(), events["index"][keep].numpy(), s=1, c="k", marker="|")
        ax.set_title(f"{name}: spikes (sample {sample})")
        ax.set_xlabel("step")
        ax.set_ylabel("neuron")
    figure.tight_layout()
    return figure


@hookimpl
def snnkit_register_plots(registry):
    registry.add("spikes", spikes, requires=["matplotlib"], extra="plot")
