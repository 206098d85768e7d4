"""The plot interface, and :func:`plot`, which draws a plot plugin from a network in memory, a
recording, or a recorded file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from snnkit.network import Network
    from snnkit.plugins import PluginManager
    from snnkit.recording import Recording


class Plot(Protocol):
    """Draws what a :class:`~snnkit.recording.Recording` holds and returns the matplotlib figure;
    ``params`` are the plot's own options (e.g. ``sample``). Given ``figure``, it clears that figure
    and draws into it, so a training loop or ``snnkit run --live`` redraws one window in place.
    Raises an error naming what is missing when the recording holds nothing it can draw.

    The recording comes from a file (``snnkit.recording.open``) or from a network in memory
    (``snnkit.recording.from_network``)."""

    def __call__(self, recording: Recording, *, figure: Any = None, **params: Any) -> Any: ...


def plot(
    name: str,
    source: Network | Recording | str | Path,
    *,
    figure: Any = None,
    plugins: PluginManager | None = None,
    **params: Any,
) -> Any:
    """Draw the plot plugin ``name`` from ``source`` and return its matplotlib figure.

    ``source`` is a network (its in-memory monitors and current weights, through
    :func:`snnkit.recording.from_network`), a :class:`~snnkit.recording.Recording`, or the path of
    a recorded run. Given ``figure`` (what an earlier call returned), the plot redraws into it, so
    a training loop updates one window; with ``matplotlib.pyplot.ion()`` the window shows and
    ``plt.pause(0.01)`` lets it redraw. ``params`` are the plot's own (``sample=``, ...).
    """
    from snnkit.network import Network
    from snnkit.plugins import get_plugin_manager
    from snnkit.recording import Recording, from_network
    from snnkit.recording import open as open_recording

    if isinstance(source, Network):
        plugins = plugins or source.plugins
        recording: Recording = from_network(source)
    elif isinstance(source, Recording):
        recording = source
    else:
        recording = open_recording(source, plugins)
    plugins = plugins or get_plugin_manager()
    return plugins.build("plots", name, recording, figure=figure, **params)
