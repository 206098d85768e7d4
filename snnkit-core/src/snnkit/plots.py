"""The plot interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from snnkit.recording import Recording


class Plot(Protocol):
    """Draws what a :class:`~snnkit.recording.Recording` holds and returns the matplotlib figure;
    ``params`` are the plot's own options (e.g. ``sample``). Raises an error naming what is
    missing when the recording holds nothing it can draw."""

    def __call__(self, recording: Recording, **params: Any) -> Any: ...
