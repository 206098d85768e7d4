"""The ``voltages`` plot: membrane potentials over time."""

from __future__ import annotations

from typing import Any

import torch

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import (
    NothingToPlot,
    check_sample,
    experiment_of,
    integer_ticks,
    panels,
    recorded_steps,
    step_label,
    threshold,
)


def voltages(
    recording: Recording,
    *,
    sample: int = 0,
    neurons: int | list[int] = 5,
    last_steps: int = 1000,
    figure: Any = None,
) -> Any:
    """Membrane potential ``v`` (mV) of some neurons of every monitor that records it, over the last
    ``last_steps`` steps of batch sample ``sample``: the first ``neurons`` neurons, or the neurons
    listed (``neurons = [3, 17]``), each named in the legend by its index.

    The layer's firing threshold is a dashed line where it is known (the layer's ``v_thresh``, or
    its neuron model's default); when the monitor also records spikes, each spike is a tick on it
    (the potential is reset in the step it crosses, so the trace itself never shows the crossing).
    Steps are numbered from the start of the run and the x range is the same as the ``spikes``
    plot's with the same ``last_steps``, so the two line up.

    >>> voltages  # doctest: +ELLIPSIS
    <function voltages at ...>
    """
    monitors = {name: m for name, m in recording.monitors().items() if "v" in m["variables"]}
    if not monitors:
        raise NothingToPlot('no monitor records membrane potentials (variables = ["v"])')
    experiment = experiment_of(recording)
    steps = recorded_steps(recording)
    start = max(steps - last_steps, 0)
    figure, axes = panels(len(monitors), figure=figure, sharex=True)
    for ax, (name, monitor) in zip(axes, monitors.items(), strict=True):
        values = recording.values(name, "v")
        check_sample(sample, values.shape[1])
        v = values[start:, sample].reshape(values[start:].shape[0], -1)
        chosen = list(range(min(neurons, v.shape[1]))) if isinstance(neurons, int) else [int(n) for n in neurons]
        chosen = [n for n in chosen if 0 <= n < v.shape[1]]
        x = torch.arange(start, start + v.shape[0]).numpy()
        for i, n in enumerate(chosen):
            ax.plot(x, v[:, n].numpy(), linewidth=0.8, color=f"C{i % 10}", label=f"neuron {n}")
        level = threshold(recording, experiment, str(monitor["target"]))
        if level is not None:
            ax.axhline(level, color="0.3", linestyle="--", linewidth=0.8, label=f"threshold {level:g} mV")
            low, high = ax.get_ylim()
            ax.set_ylim(min(low, level), max(high, level) + 0.08 * (max(high, level) - min(low, level)))
            if "s" in monitor["variables"]:
                events = recording.events(name)
                for i, n in enumerate(chosen):
                    keep = (events["sample"] == sample) & (events["step"] >= start) & (events["index"] == n)
                    times = events["step"][keep].numpy()
                    ax.scatter(times, [level] * len(times), marker="|", s=49, color=f"C{i % 10}", linewidths=1.0)
        ax.set_xlim(start - 0.5, max(steps, start + 1) - 0.5)
        ax.set_title(f"{name}: membrane potential (sample {sample})")
        ax.set_ylabel("v (mV)")
        integer_ticks(ax.xaxis)
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    axes[-1].set_xlabel(step_label(experiment))
    figure.tight_layout()
    return figure


@hookimpl
def snnkit_register_plots(registry):
    registry.add("voltages", voltages, requires=["matplotlib"], extra="plot")
