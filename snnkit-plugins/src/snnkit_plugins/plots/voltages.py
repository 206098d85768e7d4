"""The ``voltages`` plot: membrane potentials over time."""

from __future__ import annotations

from typing import Any

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import NothingToPlot, panels


def voltages(
    recording: Recording, *, sample: int = 0, neurons: int = 5, last_steps: int = 1000, figure: Any = None
) -> Any:
    """Membrane potential ``v`` of the first ``neurons`` neurons of every monitor that records it.

    >>> voltages  # doctest: +ELLIPSIS
    <function voltages at ...>
    """
    monitors = [name for name, m in recording.monitors().items() if "v" in m["variables"]]
    if not monitors:
        raise NothingToPlot('no monitor records membrane potentials (variables = ["v"])')
    figure, axes = panels(len(monitors), figure=figure)
    for ax, name in zip(axes, monitors, strict=True):
        values = recording.values(name, "v")[-last_steps:, sample]
        v = values.reshape(values.shape[0], -1)
        ax.plot(v[:, :neurons].numpy(), linewidth=0.8)
        ax.set_title(f"{name}: membrane potential (sample {sample})")
        ax.set_xlabel("step")
        ax.set_ylabel("v (mV)")
    figure.tight_layout()
    return figure


@hookimpl
def snnkit_register_plots(registry):
    registry.add("voltages", voltages, requires=["matplotlib"], extra="plot")
