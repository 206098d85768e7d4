"""The recorder interface: writes a run (metadata, monitored values, metrics, checkpoints) to storage."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torch import Tensor

if TYPE_CHECKING:
    from snnkit.monitors import Monitor
    from snnkit.network import Network
    from snnkit.recording import Recording


class Recorder(ABC):
    """Records one run. The runner calls :meth:`start` (or :meth:`resume`), then per unit
    :meth:`log` and on schedules :meth:`snapshot`, :meth:`checkpoint` and :meth:`flush`, and always
    :meth:`finish` with ``complete``, ``interrupted`` or ``failed``, so that the stored run stays
    readable whatever happens.

    Reading back is part of the interface: :meth:`recognizes` tells a file this recorder wrote and
    :meth:`open` returns a :class:`~snnkit.recording.Recording` for it, which is how
    ``snnkit.recording.open``, ``snnkit inspect``, ``snnkit plot`` and ``--resume`` find it.
    """

    #: file name suffix of the default output, ``runs/{name}`` + suffix (e.g. ``".h5"``)
    suffix: str = ""

    @classmethod
    def recognizes(cls, path: Path) -> bool:
        """Whether ``path`` looks like a file this recorder writes (cheap: e.g. its first bytes)."""
        return False

    @classmethod
    def open(cls, path: Path) -> Recording:
        """A reader for the recording at ``path``."""
        raise NotImplementedError(f"{cls.__name__} cannot read recordings back")

    @abstractmethod
    def start(self, path: Path, experiment: str, metadata: Mapping[str, Any]) -> None:
        """Create the record at ``path`` with the resolved experiment (TOML) and metadata."""

    @abstractmethod
    def resume(self, path: Path) -> Mapping[str, Any]:
        """Reopen an existing record to continue it; return its last checkpoint (see
        :meth:`checkpoint`). Drop everything recorded after that checkpoint (monitored steps,
        metrics, snapshots, arrays) and set the status back to ``running``. The runner has called
        :meth:`monitor` for every monitor before: keep those monitors' streams."""

    @abstractmethod
    def monitor(self, name: str, target: str, variables: Sequence[str]) -> Monitor:
        """A monitor whose values this recorder stores."""

    @abstractmethod
    def log(self, index: int, metrics: Mapping[str, float]) -> None:
        """Store the metrics of unit ``index``."""

    @abstractmethod
    def snapshot(self, index: int, network: Network) -> None:
        """Store the weights of every connection after unit ``index``."""

    @abstractmethod
    def record_array(self, index: int, name: str, value: Tensor) -> None:
        """Store an array a pipeline produced after unit ``index`` (e.g. label assignments)."""

    @abstractmethod
    def checkpoint(self, index: int, state: Mapping[str, Mapping[str, Tensor]]) -> None:
        """Store everything needed to continue after unit ``index`` (groups of named tensors)."""

    @abstractmethod
    def flush(self) -> None:
        """Write buffered data to storage so that memory stays bounded."""

    @abstractmethod
    def finish(self, status: str, error: str | None = None) -> None:
        """Flush, write the final status and close."""
