"""A sweep's results as a matplotlib figure (``snnkit sweep --plot``); matplotlib belongs to the
plot plugins' extra, so this lives here rather than in the core's :mod:`snnkit.sweep_results`."""

from __future__ import annotations

from typing import Any

from snnkit.errors import SnnkitError
from snnkit.sweep_results import SweepResults


def plot_sweep(results: SweepResults, metric: str | None = None, *, figure: Any = None) -> Any:
    """``metric`` (default: the sweep's objective, else the first ``test_`` metric, else the
    first one) against each swept parameter, one panel per parameter: the mean over seeds with
    their standard deviation as error bars, one line per setting of the other parameters.
    Returns the matplotlib figure."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise SnnkitError("plotting a sweep needs matplotlib: pip install 'snnkit-plugins[plot]'") from None
    metric = results.pick(metric)
    summary = results.summary()
    count = max(len(results.parameters), 1)
    if figure is None:
        figure = plt.figure(figsize=(4.5 * count, 3.6))
    else:
        figure.clear()
    axes = figure.subplots(1, count, squeeze=False)[0]
    for ax, parameter in zip(axes, results.parameters, strict=False):
        others = [p for p in results.parameters if p != parameter]
        lines: dict[str, list[dict[str, Any]]] = {}
        for line in summary:
            if line[f"{metric}.mean"] is not None:
                label = ", ".join(f"{p}={line[p]}" for p in others)
                lines.setdefault(label, []).append(line)
        values = sorted({line[parameter] for line in summary}, key=_order)
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        for label, points in lines.items():
            points.sort(key=lambda line: _order(line[parameter]))
            x = [line[parameter] if numeric else values.index(line[parameter]) for line in points]
            y = [line[f"{metric}.mean"] for line in points]
            err = [line[f"{metric}.std"] or 0.0 for line in points]
            ax.errorbar(x, y, yerr=err, marker="o", capsize=4, label=label or None)
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values])
        ax.set_xlabel(parameter)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.25)
        if len(lines) > 1:
            ax.legend(fontsize="x-small", framealpha=0.7)
    seeds = max((line["seeds"] for line in summary), default=0)
    figure.suptitle(f"{metric}: mean over {seeds} seed{'s' if seeds != 1 else ''}, error bars one s.d.")
    figure.tight_layout()
    return figure


def _order(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) and not isinstance(value, bool) else (1, str(value))
