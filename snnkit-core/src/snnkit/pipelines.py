"""The pipeline interface: drives a whole run (data or environment, network, recording)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snnkit.network import Network


class Pipeline(ABC):
    """Runs ``network`` through a task and returns its final metrics by name."""

    @abstractmethod
    def run(self, network: Network) -> Mapping[str, float]:
        """Run the whole task."""
