"""Reading the ``hdf5`` recorder's files back, through the core's ``snnkit.recording.Recording``
interface (``snnkit.recording.open(path)`` finds this reader). The layout is documented in
``docs/recording.md``. Needs h5py, imported only when a file is read.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from snnkit.errors import SnnkitError, closest
from snnkit.recording import Recording, RecordingError
from snnkit.runlock import writer

FORMAT = "snnkit-recording"
FORMAT_VERSION = 1

SIGNATURE = b"\x89HDF\r\n\x1a\n"


def is_hdf5(path: Path) -> bool:
    """Whether ``path`` starts like an HDF5 file (at byte 0 or a power of two from 512 on), read
    without h5py."""
    try:
        with path.open("rb") as f:
            for offset in (0, 512, 1024, 2048, 4096):
                f.seek(offset)
                if f.read(8) == SIGNATURE:
                    return True
    except OSError:
        return False
    return False


def _h5py() -> Any:
    try:
        import h5py
    except ImportError:
        raise SnnkitError("reading recordings needs h5py: pip install 'snnkit-plugins[hdf5]'") from None
    return h5py


def _rows(dataset: Any) -> np.ndarray:
    """The complete rows of a dataset: those counted by the recorder's last finished flush."""
    count = dataset.attrs.get("count")
    rows = dataset[()] if count is None or not dataset.shape else dataset[: int(count)]
    return np.asarray(rows)


def repair_truncated(path: Path, error: OSError) -> bool:
    """Make a file that a killed run left shorter than HDF5's record of its end readable again.

    A run killed while HDF5 closes the file can leave the superblock's end-of-file address a few
    kilobytes past the last byte written: the missing tail is space HDF5 had reserved and not yet
    filled, and HDF5 refuses the file ("truncated file"). Extending the file with zeros to that
    address restores it. Done only when no run is writing the file, the gap is small, and the whole
    file then reads back; otherwise the file is cut back to its exact original bytes. Returns
    whether the file was repaired."""
    match = re.search(r"truncated file: eof = (\d+).*stored_eof = (\d+)", str(error))
    if match is None or writer(path) is not None:
        return False
    eof, stored = int(match.group(1)), int(match.group(2))
    if not eof < stored <= eof + REPAIRABLE_GAP or path.stat().st_size != eof:
        return False
    os.truncate(path, stored)
    try:
        with _h5py().File(path, "r") as f:
            f.visititems(lambda name, obj: [obj.attrs[k] for k in obj.attrs])
            [f.attrs[k] for k in f.attrs]
    except Exception:
        os.truncate(path, eof)  # only zeros were added: this restores the file exactly
        return False
    return True


#: The largest tail a kill during HDF5's close leaves unwritten (a few metadata blocks).
REPAIRABLE_GAP = 64 << 10


class HDF5Recording(Recording):
    """Read access to one run's HDF5 file. Every method opens the file briefly, so a recording can
    be read while its run is still writing between flushes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            raise RecordingError(f"{path}: no such file")
        if path.is_dir():
            raise RecordingError(f"{path} is a directory, not a recording")
        with self._file() as f:
            if f.attrs.get("format") != FORMAT:
                raise RecordingError(f"{path} is not a snnkit recording (no format attribute {FORMAT!r})")

    def _file(self) -> Any:
        """The file, opened for reading. The writer holds it for a moment at each flush; a reader
        waits for that moment to pass."""
        h5py = _h5py()
        for attempt in range(50):
            try:
                return h5py.File(self.path, "r")
            except BlockingIOError:
                if attempt == 49:
                    raise RecordingError(f"{self.path} stayed locked for writing by another program") from None
                time.sleep(0.1)
            except OSError as exc:
                if repair_truncated(self.path, exc):
                    continue
                if not is_hdf5(self.path):
                    raise RecordingError(f"{self.path} is not an HDF5 file, so not a snnkit recording") from None
                raise RecordingError(
                    f"{self.path} is not a readable HDF5 recording (truncated or damaged?): {exc}"
                ) from None
        raise AssertionError("unreachable")

    # -- metadata --------------------------------------------------------------------------------

    @property
    def attrs(self) -> dict[str, Any]:
        """Run metadata: status, error, seed, host, start and end times, versions, ..."""
        with self._file() as f:
            attrs = {k: _plain(v) for k, v in f.attrs.items()}
        if isinstance(attrs.get("versions"), str):
            attrs["versions"] = json.loads(attrs["versions"])
        return attrs

    @property
    def experiment(self) -> str:
        """The resolved experiment, as TOML text."""
        with self._file() as f:
            value = f["experiment"][()]
        return value.decode() if isinstance(value, bytes) else str(value)

    # -- monitors --------------------------------------------------------------------------------

    def monitors(self) -> dict[str, dict[str, Any]]:
        """Monitor name to ``{"target": ..., "variables": [...]}``."""
        with self._file() as f:
            return {
                name: {"target": _plain(g.attrs["target"]), "variables": json.loads(g.attrs["variables"])}
                for name, g in f["monitors"].items()
            }

    def _monitor(self, f: Any, name: str) -> Any:
        if name not in f["monitors"]:
            known = list(f["monitors"])
            hint = f"; did you mean {closest(name, known)[0]!r}?" if closest(name, known) else "."
            raise RecordingError(f"{self.path} has no monitor {name!r}{hint} Monitors: {', '.join(known) or 'none'}.")
        return f["monitors"][name]

    def events(self, monitor: str) -> dict[str, Tensor]:
        """The spikes of ``monitor`` as events: ``step``, ``sample`` and flat neuron ``index``."""
        with self._file() as f:
            events = self._monitor(f, monitor)["s"]
            data = {k: _rows(events[k]) for k in ("step", "sample", "index")}
        count = min(len(v) for v in data.values())
        return {k: torch.from_numpy(v[:count]) for k, v in data.items()}

    def spikes(self, monitor: str) -> Tensor:
        """The spikes of ``monitor`` as a boolean tensor ``[time, batch, *shape]``."""
        with self._file() as f:
            events = self._monitor(f, monitor)["s"]
            shape = json.loads(events.attrs["shape"])
            batch = int(events.attrs["batch"])
        found = self.events(monitor)
        step, sample, index = (found[k].numpy() for k in ("step", "sample", "index"))
        steps = self._steps(monitor)
        dense = np.zeros((steps, batch, int(np.prod(shape)) if shape else 1), dtype=bool)
        keep = step < steps
        step, sample, index = step[keep], sample[keep], index[keep]
        dense[step, sample, index] = True
        return torch.from_numpy(dense.reshape(steps, batch, *shape))

    def _steps(self, monitor: str) -> int:
        """Steps recorded completely for ``monitor`` (the same for all its variables)."""
        with self._file() as f:
            group = self._monitor(f, monitor)
            counts = [int(item.attrs.get("count", item.shape[0])) for name, item in group.items() if name != "s"]
            if "s" in group:
                counts.append(int(group["s"].attrs["steps"]))
        return min(counts) if counts else 0

    def values(self, monitor: str, variable: str) -> Tensor:
        """A monitored variable other than spikes, ``[time, batch, ...]`` (float32)."""
        if variable == "s":
            return self.spikes(monitor)
        with self._file() as f:
            group = self._monitor(f, monitor)
            if variable not in group:
                raise RecordingError(f"monitor {monitor!r} has no variable {variable!r}; it has {', '.join(group)}")
            values = _rows(group[variable])
        return torch.from_numpy(values[: self._steps(monitor)])

    # -- metrics, weights, checkpoint ------------------------------------------------------------

    def metrics(self) -> dict[str, tuple[Tensor, Tensor]]:
        """Metric name to ``(unit index, value)`` series."""
        with self._file() as f:
            return {name: _series(g) for name, g in f["metrics"].items()}

    def weights(self) -> dict[str, tuple[Tensor, Tensor]]:
        """Connection name to ``(unit index, weights [snapshots, ...])``."""
        with self._file() as f:
            return {name: _series(g) for name, g in f["weights"].items()}

    def arrays(self) -> dict[str, tuple[Tensor, Tensor]]:
        """Arrays stored by pipelines (e.g. ``assignments``): name to ``(unit index, values)``."""
        with self._file() as f:
            return {name: _series(g) for name, g in f["arrays"].items()} if "arrays" in f else {}

    def checkpoint(self) -> dict[str, dict[str, Tensor]]:
        """The last checkpoint: groups (``network``, ``transient``, ``generators``, ``pipeline``,
        ``progress``) of named tensors; empty if the run wrote none."""
        with self._file() as f:
            name = "checkpoint" if "checkpoint" in f else "checkpoint-new"  # killed while swapping
            if name not in f or not f[name].attrs.get("complete", True):
                return {}
            return {
                group_name: {k: torch.from_numpy(np.asarray(ds[()])) for k, ds in group.items()}
                for group_name, group in f[name].items()
            }

    def tree(self) -> list[tuple[str, tuple[int, ...] | None, str]]:
        """Every group and dataset as ``(path, shape or None for groups, dtype)``."""
        items: list[tuple[str, tuple[int, ...] | None, str]] = []
        with self._file() as f:
            h5py = _h5py()

            def visit(name: str, obj: Any) -> None:
                if isinstance(obj, h5py.Dataset):
                    items.append((name, tuple(obj.shape), str(obj.dtype)))
                else:
                    items.append((name, None, "group"))

            f.visititems(visit)
        return items


def _series(group: Any) -> tuple[Tensor, Tensor]:
    index, value = _rows(group["index"]), _rows(group["value"])
    count = min(len(index), len(value))
    return torch.from_numpy(index[:count]), torch.from_numpy(value[:count])


def _plain(value: Any) -> Any:
    """HDF5 attribute values as plain Python values."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


__all__ = ["FORMAT", "FORMAT_VERSION", "HDF5Recording", "is_hdf5", "repair_truncated"]
