"""Reading runs back: the :class:`Recording` interface; ``snnkit.recording.open(path)``, which
asks the installed recorder plugins which of them wrote the file and returns its reader; and
``snnkit.recording.from_network(network)``, the same interface over a network's in-memory monitors.

Plots, ``snnkit inspect`` and ``--resume`` use only this interface, so the runs of a third-party
recorder are inspected, plotted and resumed like the built-in ``hdf5`` recorder's, and a script
plots its own network while it trains.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import Tensor

from snnkit.errors import SnnkitError
from snnkit.runlock import writer

if TYPE_CHECKING:
    from snnkit.network import Network
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


class NetworkRecording(Recording):
    """A :class:`Recording` of a network in memory: what its monitors that keep values (``state``)
    hold now, its current weights, and the metrics and arrays the caller hands over. Read at each
    call, so one object serves a whole training loop."""

    def __init__(
        self,
        network: Network,
        metrics: Mapping[str, Sequence[float] | Tensor] | None = None,
        arrays: Mapping[str, Tensor] | None = None,
    ) -> None:
        self.network, self.path = network, Path("<memory>")
        self._metrics, self._arrays = metrics or {}, arrays or {}

    @property
    def attrs(self) -> dict[str, Any]:
        return {"status": "running", "name": "network", "seed": self.network.seed, "error": ""}

    @property
    def experiment(self) -> str:
        layer = self.network.input_layer
        return f"[pipeline]\ninput_layer = {layer!r}\n" if layer else ""

    @property
    def writer(self) -> dict[str, Any] | None:
        return None

    def _monitor(self, name: str) -> Any:
        monitors = {n: m for n, m in self.network.monitors.items() if m.keeps_values}
        if name not in monitors:
            known = ", ".join(monitors) or "none"
            raise RecordingError(f"the network has no in-memory monitor {name!r} (monitors that keep values: {known})")
        return monitors[name]

    def monitors(self) -> dict[str, dict[str, Any]]:
        return {
            name: {"target": m.target, "variables": list(m.variables)}
            for name, m in self.network.monitors.items()
            if m.keeps_values
        }

    def _get(self, monitor: str, variable: str) -> Tensor:
        value: Tensor = self._monitor(monitor).get(variable)
        return value.detach().cpu()

    def events(self, monitor: str) -> dict[str, Tensor]:
        spikes = self.spikes(monitor)
        step, sample, index = spikes.reshape(*spikes.shape[:2], -1).nonzero(as_tuple=True)
        return {"step": step, "sample": sample, "index": index}

    def spikes(self, monitor: str) -> Tensor:
        return self._get(monitor, "s").bool()

    def values(self, monitor: str, variable: str) -> Tensor:
        return self._get(monitor, variable)

    def metrics(self) -> dict[str, tuple[Tensor, Tensor]]:
        return {name: _series(values) for name, values in self._metrics.items()}

    def weights(self) -> dict[str, tuple[Tensor, Tensor]]:
        out = {}
        for name, conn in self.network.connections.items():
            weight = cast(Tensor, conn.weight)
            out[name] = (torch.zeros(1, dtype=torch.int64), weight.detach().cpu()[None])
        return out

    def arrays(self) -> dict[str, tuple[Tensor, Tensor]]:
        return {name: _series(values) for name, values in self._arrays.items()}

    def checkpoint(self) -> dict[str, dict[str, Tensor]]:
        return {}

    def tree(self) -> list[tuple[str, tuple[int, ...] | None, str]]:
        out: list[tuple[str, tuple[int, ...] | None, str]] = []
        for name, monitor in self.monitors().items():
            for variable in monitor["variables"]:
                value = self._get(name, variable)
                out.append((f"monitors/{name}/{variable}", tuple(value.shape), str(value.dtype)))
        return out


def _series(values: Sequence[float] | Tensor) -> tuple[Tensor, Tensor]:
    """``(unit index 0..n-1, values)`` from one value per unit."""
    tensor = torch.as_tensor(values).detach().cpu()
    return torch.arange(tensor.shape[0] if tensor.dim() else 1), tensor.reshape(-1, *tensor.shape[1:])


def from_network(
    network: Network,
    *,
    metrics: Mapping[str, Sequence[float] | Tensor] | None = None,
    arrays: Mapping[str, Tensor] | None = None,
) -> Recording:
    """A :class:`Recording` of ``network`` as it is now, for plots inside a script's training loop:
    the monitors that keep values (``state``), the current weights, and ``metrics`` (name to one
    value per unit) and ``arrays`` (name to one row per unit, e.g. ``assignments``) if given.

    >>> from snnkit import Network
    >>> net = Network(seed=0)
    >>> from_network(net, metrics={"accuracy": [0.5, 0.75]}).metrics()["accuracy"][1].tolist()
    [0.5, 0.75]
    """
    return NetworkRecording(network, metrics, arrays)


__all__ = ["NetworkRecording", "Recording", "RecordingError", "from_network", "open"]
