"""The ``reward`` plot: return and reward per episode."""

from __future__ import annotations

from typing import Any

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import NothingToPlot, panels


def reward(recording: Recording, *, window: int = 20, figure: Any = None) -> Any:
    """One panel per metric named ``return...`` or ``reward...`` (running means that the run recorded
    itself, ``..._mean``, are left out), each per unit (episode) with its running mean over
    ``window`` units.

    >>> reward  # doctest: +ELLIPSIS
    <function reward at ...>
    """
    metrics = {
        k: v for k, v in recording.metrics().items() if k.startswith(("reward", "return")) and not k.endswith("_mean")
    }
    if not metrics:
        raise NothingToPlot("no reward or return metrics (environment runs record them)")
    figure, axes = panels(len(metrics), figure=figure)
    for ax, (name, (index, value)) in zip(axes, metrics.items(), strict=True):
        ax.plot(index.numpy(), value.numpy(), alpha=0.4, label=name)
        if len(value) >= window:
            kernel = value.new_ones(window) / window
            smooth = value.unfold(0, window, 1) @ kernel
            ax.plot(index[window - 1 :].numpy(), smooth.numpy(), label=f"mean of {window}")
        ax.set_ylabel(name)
        ax.legend(fontsize="small")
    axes[-1].set_xlabel("episode")
    figure.tight_layout()
    return figure


@hookimpl
def snnkit_register_plots(registry):
    registry.add("reward", reward, requires=["matplotlib"], extra="plot")
