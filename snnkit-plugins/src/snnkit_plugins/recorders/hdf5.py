"""The ``hdf5`` recorder: one self-describing HDF5 file per run (layout in docs/recording.md)."""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

import numpy as np
import torch
from torch import Tensor

from snnkit import Monitor, Network, hookimpl
from snnkit.errors import SnnkitError
from snnkit.recorders import Recorder
from snnkit.recording import RecordingError
from snnkit.resources import describe_bytes
from snnkit_plugins.recorders.hdf5_recording import FORMAT, FORMAT_VERSION, HDF5Recording, is_hdf5, repair_truncated

SPIKES = "s"
NEW_CHECKPOINT = "checkpoint-new"
OLD_CHECKPOINT = "checkpoint-old"
SPACE_MARGIN = 1 << 20  # bytes kept free beyond twice the estimated size of a write
EVENT_BYTES = 20  # bytes per stored spike event (step, sample, index)


class RecorderError(SnnkitError, OSError):
    """The recording cannot be written (disk full, file held for writing by another program)."""


class _Stream(Monitor):
    """A monitor whose every step goes to the recorder's buffers."""

    def __init__(self, recorder: HDF5Recorder, name: str, target: str, variables: Sequence[str]) -> None:
        super().__init__(target, variables)
        self.recorder, self.name = recorder, name

    def record(self, values: Mapping[str, Tensor]) -> None:
        self.recorder._buffer_step(self.name, values)

    def reset(self) -> None:
        """Recording continues across ``Network.reset_state``: nothing to forget."""


class HDF5Recorder(Recorder):
    """Record a run into one HDF5 file: metadata, monitored variables, metrics, weights, checkpoints.

    Only plain HDF5 types are written (numbers, strings, arrays; no pickles), so any HDF5 tool opens
    the file. Spikes (variable ``s``) are stored as events (step, sample, flat neuron index), other
    variables as chunked, extendible arrays with a time axis. Everything is buffered in memory and
    written at each flush; the file is closed between flushes, and each flush ends by updating the
    ``count`` attribute of every dataset, so a run killed at any moment, even in a flush, leaves a
    file that opens with everything up to the last complete flush. Read it back with
    ``snnkit.recording.open(path)``.

    Crash safety decides what is compressed: appending to a compressed chunk rewrites it, and a
    kill during that rewrite would destroy rows that were already safe. So the growing arrays
    (monitored values, spike events, metrics) are stored uncompressed, and compression applies to
    weight snapshots, whose chunks are written once, whole.

    Args:
        compression: HDF5 filter for weight snapshots (``"gzip"``, ``"lzf"``, or ``"none"``).
        chunk_steps: time steps per chunk of the monitored arrays, 256.

    >>> HDF5Recorder(compression="lzf").compression
    'lzf'
    """

    suffix = ".h5"  # of the default output, runs/{name}.h5

    @classmethod
    def recognizes(cls, path: Path) -> bool:
        return is_hdf5(Path(path))

    @classmethod
    def open(cls, path: Path) -> HDF5Recording:
        return HDF5Recording(Path(path))

    def __init__(self, *, compression: str = "gzip", chunk_steps: int = 256) -> None:
        if compression not in ("gzip", "lzf", "none"):
            raise ValueError(f"compression must be 'gzip', 'lzf' or 'none', got {compression!r}")
        if chunk_steps < 1:
            raise ValueError(f"chunk_steps must be a positive number of time steps, got {chunk_steps}")
        self.compression = None if compression == "none" else compression
        self.chunk_steps = chunk_steps
        self.path: Path | None = None
        self._monitors: dict[str, _Stream] = {}
        self._steps: dict[str, int] = {}  # steps recorded so far per monitor (flushed or not)
        self._pending: dict[str, dict[str, list[np.ndarray]]] = {}
        self._metrics: list[tuple[int, dict[str, float]]] = []
        self._weights: list[tuple[int, dict[str, np.ndarray]]] = []
        self._arrays: list[tuple[int, str, np.ndarray]] = []
        self._broken: str | None = None  # why HDF5 failed in a write: the file is not touched again
        self._warned_readers = False

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self, path: Path, experiment: str, metadata: Mapping[str, Any]) -> None:
        import h5py

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._check_space(len(experiment) + 4096)
        with h5py.File(self.path, "w") as f:
            f.attrs["format"], f.attrs["format_version"] = FORMAT, FORMAT_VERSION
            f.attrs["status"], f.attrs["error"], f.attrs["ended"] = "running", "", ""
            for key, value in metadata.items():
                f.attrs[key] = json.dumps(value) if isinstance(value, dict) else value
            f.create_dataset("experiment", data=experiment, dtype=h5py.string_dtype())
            for group in ("monitors", "metrics", "weights"):
                f.create_group(group)

    def resume(self, path: Path) -> Mapping[str, Any]:
        self.path = Path(path)
        with self._open() as f:
            if "checkpoint" not in f and NEW_CHECKPOINT in f and f[NEW_CHECKPOINT].attrs.get("complete"):
                f.move(NEW_CHECKPOINT, "checkpoint")  # killed between writing a checkpoint and swapping it in
            if "checkpoint" not in f:
                raise RecordingError(f"{path} has no checkpoint to resume from (status {f.attrs.get('status')!r})")
            cp = f["checkpoint"]
            checkpoint = {
                name: {key: torch.from_numpy(np.asarray(ds[()])) for key, ds in group.items()}
                for name, group in cp.items()
            }
            index = int(cp.attrs["index"])
            steps = {name: int(value) for name, value in json.loads(cp.attrs["monitor_steps"]).items()}
            self._truncate(f, index, steps)
            self._steps = steps
            f.attrs["status"], f.attrs["ended"] = "running", ""
            f.attrs["resumed"] = datetime.now(UTC).isoformat()
        return checkpoint

    def finish(self, status: str, error: str | None = None) -> None:
        """Flush and write the final status. After a failed write (disk full) the buffered data is
        dropped and only the status is written, into the space kept free for it; after a write
        that HDF5 could not complete the file is left alone (it reads as a run that died)."""
        try:
            self.flush()
        except Exception as exc:  # out of space, out of memory: keep the cause, drop the buffers
            status, error = "failed", error or f"{type(exc).__name__}: {exc}"
            self._drop_buffers()
        if self._broken is not None:
            return
        with self._writing() as f:
            f.attrs["status"], f.attrs["error"] = status, error or ""
            f.attrs["ended"] = datetime.now(UTC).isoformat()

    # -- data ------------------------------------------------------------------------------------

    def monitor(self, name: str, target: str, variables: Sequence[str]) -> Monitor:
        stream = _Stream(self, name, target, variables)
        self._monitors[name] = stream
        self._steps.setdefault(name, 0)
        self._pending[name] = {v: [] for v in variables}
        return stream

    def _buffer_step(self, name: str, values: Mapping[str, Tensor]) -> None:
        for variable, value in values.items():
            self._pending[name][variable].append(value.detach().to("cpu", copy=True).numpy())
        self._steps[name] += 1

    def log(self, index: int, metrics: Mapping[str, float]) -> None:
        self._metrics.append((index, {k: float(v) for k, v in metrics.items()}))

    def snapshot(self, index: int, network: Network) -> None:
        weights = {
            name: conn.weight.detach().to("cpu", copy=True).numpy() for name, conn in network.connections.items()
        }
        self._weights.append((index, weights))

    def record_array(self, index: int, name: str, value: Tensor) -> None:
        self._arrays.append((index, name, value.detach().to("cpu", copy=True).numpy()))

    def checkpoint(self, index: int, state: Mapping[str, Mapping[str, Tensor]]) -> None:
        self.flush()
        self._check_space(sum(torch.as_tensor(t).nbytes for group in state.values() for t in group.values()))
        with self._writing() as f:
            # Write the new checkpoint beside the current one and swap only when it is complete. The
            # one before the current was kept until now: deleting it before writing lets HDF5 reuse
            # its space in this same session, so a file holds at most two checkpoints.
            for stale in (NEW_CHECKPOINT, OLD_CHECKPOINT):
                if stale in f:
                    del f[stale]
            cp = f.create_group(NEW_CHECKPOINT)
            cp.attrs["index"] = index
            cp.attrs["monitor_steps"] = _fixed(json.dumps(self._steps))
            cp.attrs["written"] = _fixed(datetime.now(UTC).isoformat())
            for group_name, tensors in state.items():
                group = cp.create_group(group_name)
                for key, tensor in tensors.items():
                    group.create_dataset(key, data=torch.as_tensor(tensor).detach().cpu().numpy())
            cp.attrs["complete"] = True
            f.flush()
            if "checkpoint" in f:
                f.move("checkpoint", OLD_CHECKPOINT)
            f.move(NEW_CHECKPOINT, "checkpoint")

    def flush(self) -> None:
        assert self.path is not None, "start() or resume() first"
        if not (self._metrics or self._weights or self._arrays or any(any(v) for v in self._pending.values())):
            return
        self._check_space(self._pending_bytes())
        with self._writing() as f:
            for name, variables in self._pending.items():
                group = f["monitors"].require_group(name)
                if "target" not in group.attrs:
                    group.attrs["target"] = self._monitors[name].target
                    group.attrs["variables"] = json.dumps(list(variables))
                for variable, steps in variables.items():
                    if steps:
                        self._write_variable(group, variable, steps, self._steps[name] - len(steps))
                        steps.clear()
            for index, metrics in self._metrics:
                for key, value in metrics.items():
                    group = f["metrics"].require_group(key)
                    self._append(group, "index", np.array([index], dtype=np.int64))
                    self._append(group, "value", np.array([value], dtype=np.float64))
            self._metrics.clear()
            for index, weights in self._weights:
                for key, value in weights.items():
                    group = f["weights"].require_group(key)
                    self._append(group, "index", np.array([index], dtype=np.int64))
                    self._append(group, "value", value[None], chunk_rows=1, compression=self.compression)
            self._weights.clear()
            for index, name, value in self._arrays:
                group = f.require_group("arrays").require_group(name)
                self._append(group, "index", np.array([index], dtype=np.int64))
                self._append(group, "value", value[None], chunk_rows=1)
            self._arrays.clear()
            self._commit(f)  # HDF5 writes the rows before this metadata when it closes the file

    # -- writing safely --------------------------------------------------------------------------

    def _drop_buffers(self) -> None:
        for variables in self._pending.values():
            for steps in variables.values():
                steps.clear()
        self._metrics.clear()
        self._weights.clear()
        self._arrays.clear()

    def _pending_bytes(self) -> int:
        """About how many bytes the next flush writes."""
        total = sum(w.nbytes for _, weights in self._weights for w in weights.values())
        total += sum(a.nbytes for _, _, a in self._arrays) + sum(16 * len(m) for _, m in self._metrics)
        for variables in self._pending.values():
            for variable, steps in variables.items():
                for step in steps:
                    total += EVENT_BYTES * int(np.count_nonzero(step)) if variable == SPIKES else 4 * step.size
        return total

    def _check_space(self, nbytes: int) -> None:
        """Refuse a write the disk has no room for, before HDF5 starts it: HDF5 cannot recover
        from a write that fails half-way, and the status must still fit afterwards."""
        assert self.path is not None
        free = shutil.disk_usage(self.path.parent).free
        if free < 2 * nbytes + SPACE_MARGIN:
            raise RecorderError(
                f"not enough disk space to record to {self.path}: the next write needs about"
                f" {describe_bytes(2 * nbytes + SPACE_MARGIN)} and {describe_bytes(free)} are free. The file holds"
                f" everything up to its last write; free some space, then continue with"
                f" `snnkit run --resume {self.path}`"
            )

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        """The file opened for appending; a write HDF5 fails in marks the recorder broken, so that
        nothing touches the file again from this process (HDF5 may crash after such a failure)."""
        if self._broken is not None:
            raise RecorderError(f"{self.path} can no longer be written: {self._broken}")
        try:
            with self._open() as f:
                yield f
        except OSError as exc:
            if isinstance(exc, SnnkitError):
                raise
            self._broken = str(exc)
            raise RecorderError(
                f"writing {self.path} failed: {exc}. The file holds everything up to its last complete"
                f" write; continue with `snnkit run --resume {self.path}` once the cause is fixed"
            ) from None

    def _open(self) -> Any:
        """Open the file for appending. A program that holds it open for reading (HDFView, a
        notebook) holds HDF5's shared lock; after a short wait the recorder writes without HDF5's
        lock then, which is safe because only readers hold it (the run's lock file keeps other
        snnkit writers away), and those readers see the file as it was when they opened it."""
        import h5py

        for _ in range(1 if self._warned_readers else 5):  # wait once for a brief reader to finish
            try:
                return h5py.File(self.path, "a")
            except BlockingIOError:
                time.sleep(0.1)
            except OSError as exc:
                if not repair_truncated(self.path, exc):
                    raise
        if not _only_readers(self.path):
            raise RecorderError(f"{self.path} is open for writing in another program; close it there")
        if not self._warned_readers:
            warnings.warn(
                f"{self.path} is held open by another program; recording goes on, and that program"
                " sees new data once it reopens the file",
                stacklevel=3,
            )
            self._warned_readers = True
        return h5py.File(self.path, "a", locking=False)

    @staticmethod
    def _commit(f: Any) -> None:
        """Record how many rows of each dataset are complete. Written last in a flush, so a run
        killed in the middle of one leaves counts that point at fully written rows only."""

        def visit(name: str, obj: Any) -> None:
            if hasattr(obj, "shape") and obj.shape:
                obj.attrs["count"] = obj.shape[0]

        for section in ("monitors", "metrics", "weights", "arrays"):
            if section in f:
                f[section].visititems(visit)

    # -- HDF5 helpers ----------------------------------------------------------------------------

    def _write_variable(self, group: Any, variable: str, steps: list[np.ndarray], first_step: int) -> None:
        block = np.stack(steps)  # [time, batch, *shape]
        if variable == SPIKES and block.dtype == np.bool_:
            events = group.require_group(SPIKES)
            if "shape" not in events.attrs:
                events.attrs["shape"] = json.dumps(list(block.shape[2:]))
            step, sample, *index = np.nonzero(block)
            flat = np.ravel_multi_index(index, block.shape[2:]) if index else np.zeros_like(step)
            self._append(events, "step", (step + first_step).astype(np.int64))
            self._append(events, "sample", sample.astype(np.int32))
            self._append(events, "index", flat.astype(np.int64))
            events.attrs["steps"] = first_step + block.shape[0]
            events.attrs["batch"] = block.shape[1]
        else:
            self._append(group, variable, block.astype(np.float32, copy=False))

    def _append(
        self, group: Any, name: str, data: np.ndarray, *, chunk_rows: int | None = None, compression: str | None = None
    ) -> None:
        """Append rows to a dataset; readers trust only the rows counted in its ``count``
        attribute, which :meth:`flush` updates after all data is written."""
        if name not in group:
            rows = chunk_rows or (self.chunk_steps if data.ndim > 1 else 4096)
            group.create_dataset(
                name,
                data=data,
                maxshape=(None, *data.shape[1:]),
                chunks=(rows, *data.shape[1:]),
                compression=compression,
            )
            return
        dataset = group[name]
        start = dataset.shape[0]
        dataset.resize(start + data.shape[0], axis=0)
        dataset[start:] = data

    @staticmethod
    def _truncate(f: Any, index: int, steps: Mapping[str, int]) -> None:
        """Drop what was recorded after the checkpoint, so that a resumed run writes it again."""
        for name, group in f["monitors"].items():
            keep = steps.get(name, 0)
            for variable, item in group.items():
                if variable == SPIKES and "step" in item:
                    count = int(item["step"].attrs.get("count", item["step"].shape[0]))
                    for key in ("step", "sample", "index"):
                        item[key].resize(count, axis=0)
                    mask = item["step"][()] < keep
                    for key in ("step", "sample", "index"):
                        values = item[key][()][mask]
                        item[key].resize(values.shape[0], axis=0)
                        item[key][:] = values
                        item[key].attrs["count"] = values.shape[0]
                    item.attrs["steps"] = keep
                elif hasattr(item, "resize"):
                    item.resize(min(int(item.attrs.get("count", item.shape[0])), keep), axis=0)
                    item.attrs["count"] = item.shape[0]
        for section in ("metrics", "weights", "arrays"):
            for group in f[section].values() if section in f else []:
                count = int(group["index"].attrs.get("count", group["index"].shape[0]))
                mask = group["index"][:count] <= index
                for key in ("index", "value"):
                    values = group[key][:count][mask]
                    group[key].resize(values.shape[0], axis=0)
                    group[key][:] = values
                    group[key].attrs["count"] = values.shape[0]


def _only_readers(path: Path) -> bool:
    """Whether the programs holding HDF5's lock on ``path`` only read it (shared locks)."""
    if fcntl is None:  # pragma: no cover - Windows
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def _fixed(text: str) -> np.bytes_:
    """Text for an attribute that is written again and again: a fixed-length string lives in the
    object's header, where a variable-length one would leave its old value in the file's heap."""
    return np.bytes_(text.encode())


@hookimpl
def snnkit_register_recorders(registry):
    registry.add("hdf5", HDF5Recorder, requires=["h5py"], extra="hdf5", default=True)
