"""The plot interface."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from torch import Tensor


class Plot(Protocol):
    """Draws recorded ``data`` (series by name) and returns the figure; ``ax`` reuses an axes."""

    def __call__(self, data: Mapping[str, Tensor], *, ax: Any = None, **params: Any) -> Any: ...
