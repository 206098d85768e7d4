"""Shared by the matplotlib plot plugins (not a plugin module)."""

from __future__ import annotations

from typing import Any

from snnkit.errors import SnnkitError


class NothingToPlot(SnnkitError):
    """The recording holds no data this plot draws."""


def pyplot() -> Any:
    """matplotlib's pyplot on the non-interactive Agg backend unless one was chosen already."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def panels(count: int, *, width: float = 8.0, height: float = 2.5, figure: Any = None) -> tuple[Any, list[Any]]:
    """``count`` stacked axes: in ``figure``, cleared, when given (a redraw of a live figure), else in
    a new figure."""
    if figure is None:
        plt = pyplot()
        figure = plt.figure(figsize=(width, height * count))
    else:
        figure.clear()
    axes = figure.subplots(count, 1, squeeze=False)
    return figure, [row[0] for row in axes]
