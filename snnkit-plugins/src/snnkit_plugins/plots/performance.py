"""The ``performance`` plot: every recorded metric over the run."""

from __future__ import annotations

from typing import Any

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import NothingToPlot, panels


def performance(recording: Recording, *, prefix: str = "", figure: Any = None) -> Any:
    """Metrics over units (samples, episodes): accuracy per evaluation method, rates, reward, ...

    One panel per group of metrics sharing the part of their name before the first dot
    (``accuracy.all-activity`` and ``accuracy.assign-labels`` share a panel); ``prefix`` keeps only
    metrics whose name starts with it.

    >>> performance  # doctest: +ELLIPSIS
    <function performance at ...>
    """
    metrics = {k: v for k, v in recording.metrics().items() if k.startswith(prefix)}
    if not metrics:
        raise NothingToPlot(f"no metrics{' starting with ' + repr(prefix) if prefix else ''}")
    groups: dict[str, list[str]] = {}
    for name in metrics:
        groups.setdefault(name.split(".")[0], []).append(name)
    figure, axes = panels(len(groups), figure=figure)
    for ax, (group, names) in zip(axes, groups.items(), strict=True):
        for name in names:
            index, value = metrics[name]
            # a metric with few points (a test accuracy measured once) gets markers, or a lone
            # point would draw as nothing
            ax.plot(index.numpy(), value.numpy(), label=name, marker="o" if len(index) < 20 else None)
        ax.set_title(group)
        ax.set_xlabel("unit")
        ax.legend(fontsize="small")
    figure.tight_layout()
    return figure


@hookimpl
def snnkit_register_plots(registry):
    registry.add("performance", performance, requires=["matplotlib"], extra="plot")
