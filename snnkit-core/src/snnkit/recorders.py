"""The recorder interface: writes a run (metadata, monitored values, metrics) to storage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from torch import Tensor


class Recorder(Protocol):
    """Records one run. ``finish`` is always called, with ``status`` ``complete``,
    ``interrupted`` or ``failed``, so that the stored run stays readable whatever happens."""

    def start(self, metadata: Mapping[str, Any]) -> None:
        """Open storage and write the run's metadata."""
        ...

    def record(self, name: str, step: int, value: Tensor) -> None:
        """Append ``value`` at ``step`` to the series ``name``."""
        ...

    def finish(self, status: str, error: str | None = None) -> None:
        """Flush, write the final status and close."""
        ...
