"""Reading runs back: the :class:`Recording` interface, and ``snnkit.recording.open(path)``, which
asks the installed recorder plugins which of them wrote the file and returns its reader.

Plots, ``snnkit inspect`` and ``--resume`` use only this interface, so the runs of a third-party
recorder are inspected, plotted and resumed like the built-in ``hdf5`` recorder's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torch import Tensor

from snnkit.errors import SnnkitError
from snnkit.runlock import writer

if TYPE_CHECKING:
    from snnkit.plugins import PluginManager


class RecordingError(SnnkitError, ValueError):
    """A file that is not a recording, or a name it does not contain."""


class Recording(ABC):
    """Read access to one recorded run: metadata, monitored values, metrics, weights, checkpoint.

    Series are ``(unit index, values)`` pairs of tensors; monitored values are ``[time, batch,
    *shape]``. A reader may be used while the run still writes: it sees what was written so far.
    """

    path: Path

    @property
    @abstractmethod
    def attrs(self) -> dict[str, Any]:
        """Run metadata: ``status``, ``error``, ``name``, ``seed``, start and end times, versions."""

    @property
    def status(self) -> str:
        """``running``, ``complete``, ``interrupted`` or ``failed``."""
        return str(self.attrs["status"])

    @property
    @abstractmethod
    def experiment(self) -> str:
        """The resolved experiment, as TOML text (what ``--resume`` rebuilds from)."""

    @property
    def writer(self) -> dict[str, Any] | None:
        """The process writing this recording now (``pid``, ``host``, ``started``), or ``None``. A
        run whose status says ``running`` but that has no writer died (``kill -9``, a crash, a
        power cut) and can be continued with ``snnkit run --resume``."""
        return writer(self.path)

    @abstractmethod
    def monitors(self) -> dict[str, dict[str, Any]]:
        """Monitor name to ``{"target": ..., "variables": [...]}``."""

    @abstractmethod
    def events(self, monitor: str) -> dict[str, Tensor]:
        """The spikes of ``monitor`` as events: ``step``, ``sample`` and flat neuron ``index``."""

    @abstractmethod
    def spikes(self, monitor: str) -> Tensor:
        """The spikes of ``monitor`` as a boolean tensor ``[time, batch, *shape]``."""

    @abstractmethod
    def values(self, monitor: str, variable: str) -> Tensor:
        """A monitored variable other than spikes, ``[time, batch, *shape]``."""

    @abstractmethod
    def metrics(self) -> dict[str, tuple[Tensor, Tensor]]:
        """Metric name to ``(unit index, value)`` series."""

    @abstractmethod
    def weights(self) -> dict[str, tuple[Tensor, Tensor]]:
        """Connection name to ``(unit index, weights [snapshots, ...])``."""

    @abstractmethod
    def arrays(self) -> dict[str, tuple[Tensor, Tensor]]:
        """Arrays stored by pipelines (e.g. ``assignments``): name to ``(unit index, values)``."""

    @abstractmethod
    def checkpoint(self) -> dict[str, dict[str, Tensor]]:
        """The last checkpoint: groups (``network``, ``transient``, ``generators``, ``pipeline``,
        ``progress``) of named tensors; empty if the run wrote none."""

    @abstractmethod
    def tree(self) -> list[tuple[str, tuple[int, ...] | None, str]]:
        """Everything stored, as ``(path, shape or None for groups, dtype)``."""


def open(path: str | Path, plugins: PluginManager | None = None) -> Recording:
    """Open the recording at ``path`` with the reader of the recorder plugin that wrote it."""
    from snnkit.plugins import get_plugin_manager

    path = Path(path)
    if not path.exists():
        raise RecordingError(f"{path}: no such file")
    if path.is_dir():
        raise RecordingError(f"{path} is a directory, not a recording")
    plugins = plugins or get_plugin_manager()
    recorders = plugins.components("recorders")
    for component in recorders:
        if component.available and component.factory.recognizes(path):
            recording: Recording = component.factory.open(path)
            return recording
    for component in recorders:
        if not component.available:
            raise RecordingError(
                f"{path} is not a recording the installed recorders can read; the {component.name!r} recorder"
                f" needs {', '.join(component.missing)}: {component.install}"
            )
    names = ", ".join(c.name for c in recorders) or "none installed"
    raise RecordingError(f"{path} is not a recording any installed recorder wrote (recorders: {names})")


__all__ = ["Recording", "RecordingError", "open"]
