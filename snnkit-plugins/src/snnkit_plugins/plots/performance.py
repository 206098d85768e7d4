"""The ``performance`` plot: every recorded metric over the run, grouped into a few panels."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from snnkit import hookimpl
from snnkit.recording import Recording
from snnkit_plugins.plots._common import (
    FRACTIONS,
    LABELS,
    NothingToPlot,
    break_gaps,
    experiment_of,
    integer_ticks,
    panels,
    running_mean,
    unit_label,
)

#: Families drawn first, in this order; the others follow in the order the recording lists them.
HEADLINE = ("accuracy", "return", "loss")


def family(name: str) -> str:
    """The panel a metric belongs on: its name without ``test_``, ``_mean`` and what follows the
    first dot (``test_accuracy.all-activity``, ``accuracy`` -> ``accuracy``; ``return_mean`` ->
    ``return``)."""
    return name.removeprefix("test_").split(".")[0].removesuffix("_mean")


def _same(a: tuple[Tensor, Tensor], b: tuple[Tensor, Tensor]) -> bool:
    return a[0].shape == b[0].shape and a[1].shape == b[1].shape and torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def performance(recording: Recording, *, prefix: str = "", window: int = 20, figure: Any = None) -> Any:
    """Metrics over the run's units (samples, batches, episodes), a few panels on one x axis.

    Metrics are grouped by family: the name without a ``test_`` prefix, a ``_mean`` suffix (a
    running mean the run recorded) and the part after the first dot, so ``accuracy``,
    ``test_accuracy``, ``accuracy.all-activity`` share a panel, and ``return``, ``return_mean``,
    ``test_return`` another. Series that are equal value for value are drawn once and named
    together (CartPole's ``return = length``), and a family whose every series equals one of
    another family joins that panel. A long series (``5 * window`` units or more) without a recorded running
    mean gets one over ``window`` units (0: none) drawn over the faint raw values; short series (a test accuracy
    measured once) get markers and their last value written. ``epoch`` and ``phase`` metrics
    (the ``gradient`` and ``phases`` pipelines) are drawn as dotted lines where each begins, not as
    panels. The x axis is the unit, in whole
    numbers; lines break where a series has no values (a test phase). ``prefix`` keeps only
    metrics whose name starts with it.

    >>> performance  # doctest: +ELLIPSIS
    <function performance at ...>
    """
    metrics = {k: v for k, v in recording.metrics().items() if k.startswith(prefix)}
    if not metrics:
        raise NothingToPlot(f"no metrics{' starting with ' + repr(prefix) if prefix else ''}")
    boundaries = {k: metrics.pop(k) for k in BOUNDARIES if k in metrics and len(metrics) > 1}
    families: dict[str, list[str]] = {}
    for name in metrics:
        families.setdefault(family(name), []).append(name)
    aliases: dict[str, list[str]] = {name: [] for name in metrics}  # names drawn as the same line
    titles = {f: [f] for f in families}
    merged = True
    while merged:  # a family whose every series is one of another's joins it
        merged = False
        for small in list(families):
            for big in families:
                if big == small or len(families[big]) < len(families[small]):
                    continue
                matches = [
                    next((b for b in families[big] if _same(metrics[s], metrics[b])), None) for s in families[small]
                ]
                if all(matches):
                    for s, b in zip(families[small], matches, strict=True):
                        aliases[str(b)] += [s, *aliases.pop(s)]
                    titles[big] += titles.pop(small)
                    del families[small]
                    merged = True
                    break
            if merged:
                break
    for names in families.values():  # equal series in one family: one line
        for i, name in enumerate(list(names)):
            if name not in names:
                continue
            for other in names[i + 1 :]:
                if _same(metrics[name], metrics[other]):
                    aliases[name] += [other, *aliases.pop(other)]
                    names.remove(other)
    order = [f for f in HEADLINE if f in families] + [f for f in families if f not in HEADLINE]
    experiment = experiment_of(recording)
    figure, axes = panels(len(order), figure=figure, sharex=True)
    colours = [f"C{i}" for i in range(10)]
    for ax, group in zip(axes, order, strict=True):
        names = families[group]
        keys = list(dict.fromkeys(n.removesuffix("_mean") for n in names))
        integral, drawn = True, []
        for name in names:
            index, value = metrics[name]
            drawn.append(value)
            colour = colours[keys.index(name.removesuffix("_mean")) % len(colours)]
            label = " = ".join([name, *aliases[name]])
            if len(index) <= 3:  # a test result: its value in the legend
                label += f" (last: {float(value[-1]):.4g})"
            x, y = break_gaps(index, value)
            own_mean = metrics[f"{name}_mean"] if f"{name}_mean" in names else None
            if name.endswith("_mean"):
                ax.plot(x, y, color=colour, linewidth=1.8, label=label, marker="o" if len(index) < 20 else None)
                continue
            integral &= bool(torch.equal(value, value.round()))
            if own_mean is not None and 2 * len(own_mean[0]) >= len(index):  # the run's own running mean
                ax.plot(x, y, color=colour, linewidth=0.8, alpha=0.35, label=label)
            elif own_mean is None and window > 0 and len(value) >= 5 * window:
                ax.plot(x, y, color=colour, linewidth=0.8, alpha=0.35, label=label)
                mx, my = break_gaps(index, running_mean(value, window))
                ax.plot(mx, my, color=colour, linewidth=1.8, label=f"{name}: mean of the last {window}")
            else:
                # a metric with few points (a test accuracy measured once) gets markers, or a lone
                # point would draw as nothing
                ax.plot(x, y, color=colour, label=label, marker="o" if len(index) < 20 else None, markersize=4)
        values = torch.cat([v.double().flatten() for v in drawn])
        if bool((values == values[0]).all()):  # a constant: a sensible range, not +-0.05 around it
            v = float(values[0])
            ax.set_ylim(*((-0.05, 1.05) if group in FRACTIONS and 0 <= v <= 1 else (v - 1, v + 1)))
        for name, (at, value) in boundaries.items():
            _boundary_lines(ax, name, at, value, labelled=ax is axes[0])
        ax.set_title(" = ".join(titles[group]))
        ax.set_ylabel(LABELS.get(group, group), fontsize="small")
        integer_ticks(ax.xaxis)
        if integral:
            integer_ticks(ax.yaxis)
        ax.grid(alpha=0.25)
        ax.legend(fontsize="x-small", framealpha=0.7)
    axes[-1].set_xlabel(unit_label(experiment))
    figure.tight_layout()
    return figure


#: Metrics that count stages of a run (an epoch, a phase): drawn as lines where each stage begins.
BOUNDARIES = ("epoch", "phase")


def _boundary_lines(ax: Any, name: str, index: Tensor, value: Tensor, *, labelled: bool) -> None:
    """Dotted lines where each stage (epoch, phase) after the first begins, named on the top panel."""
    changes = (value[1:] != value[:-1]).nonzero().flatten() + 1
    for i in changes.tolist():
        x = float(index[i]) - 0.5
        ax.axvline(x, color="0.5", linestyle=":", linewidth=1.0)
        if labelled:
            ax.text(
                x, 1.0, f" {name} {float(value[i]):g}", transform=ax.get_xaxis_transform(), fontsize="x-small", va="top"
            )


@hookimpl
def snnkit_register_plots(registry):
    registry.add("performance", performance, requires=["matplotlib"], extra="plot")
