"""The plot interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from snnkit.recording import Recording


class Plot(Protocol):
    """Draws what a :class:`~snnkit.recording.Recording` holds and returns the matplotlib figure;
    ``params`` are the plot's own options (e.g. ``sample``). Given ``figure``, it clears that figure
    and draws into it, so a training loop or ``snnkit run --live`` redraws one window in place.
    Raises an error naming what is missing when the recording holds nothing it can draw.

    The recording comes from a file (``snnkit.recording.open``) or from a network in memory
    (``snnkit.recording.from_network``)."""

    def __call__(self, recording: Recording, *, figure: Any = None, **params: Any) -> Any: ...
