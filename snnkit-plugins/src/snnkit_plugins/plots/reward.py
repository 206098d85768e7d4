"""The ``reward`` plot: return and reward per episode."""

from __future__ import annotations

from typing import Any

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import (
    LABELS,
    NothingToPlot,
    break_gaps,
    experiment_of,
    integer_ticks,
    panels,
    running_mean,
    unit_label,
)


def reward(recording: Recording, *, window: int = 20, figure: Any = None) -> Any:
    """One panel per metric named ``return...`` or ``reward...``, per unit (episode), with its
    running mean over the last ``window`` units (over fewer at the start, so it begins with the
    first episode) and the test episodes' values of the same metric (``test_return``, measured
    without learning or exploration) as markers. Running means that the run recorded itself
    (``..._mean``) are left out: this plot draws its own.

    >>> reward  # doctest: +ELLIPSIS
    <function reward at ...>
    """
    found = recording.metrics()
    metrics = {k: v for k, v in found.items() if k.startswith(("reward", "return")) and not k.endswith("_mean")}
    if not metrics:
        raise NothingToPlot("no reward or return metrics (environment runs record them)")
    figure, axes = panels(len(metrics), figure=figure, sharex=True)
    for ax, (name, (index, value)) in zip(axes, metrics.items(), strict=True):
        ax.plot(*break_gaps(index, value), color="C0", linewidth=0.8, alpha=0.4, label=name)
        if window > 1 and len(value) > 1:
            mean = running_mean(value, window)
            ax.plot(*break_gaps(index, mean), color="C0", linewidth=1.8, label=f"mean of the last {window}")
        if f"test_{name}" in found:
            test_index, test_value = found[f"test_{name}"]
            last = f" (last: {float(test_value[-1]):.4g})" if len(test_value) else ""
            ax.plot(
                *break_gaps(test_index, test_value), color="C1", marker="o", markersize=4, label=f"test_{name}{last}"
            )
        ax.set_ylabel(name)
        ax.set_title(LABELS.get(name.split(".")[0], name), fontsize="medium")
        integer_ticks(ax.xaxis)
        ax.grid(alpha=0.25)
        ax.legend(fontsize="x-small", framealpha=0.7)
    axes[-1].set_xlabel(unit_label(experiment_of(recording)))
    figure.tight_layout()
    return figure


@hookimpl
def snnkit_register_plots(registry):
    registry.add("reward", reward, requires=["matplotlib"], extra="plot")
