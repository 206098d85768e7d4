"""The ``hdf5`` recorder: one self-describing HDF5 file per run (layout in docs/recording.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from snnkit import Monitor, Network, hookimpl
from snnkit.recorders import Recorder
from snnkit.recording import FORMAT, FORMAT_VERSION, RecordingError

SPIKES = "s"
NEW_CHECKPOINT = "checkpoint-new"


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

    def __init__(self, *, compression: str = "gzip", chunk_steps: int = 256) -> None:
        if compression not in ("gzip", "lzf", "none"):
            raise ValueError(f"compression must be 'gzip', 'lzf' or 'none', got {compression!r}")
        self.compression = None if compression == "none" else compression
        self.chunk_steps = chunk_steps
        self.path: Path | None = None
        self._monitors: dict[str, _Stream] = {}
        self._steps: dict[str, int] = {}  # steps recorded so far per monitor (flushed or not)
        self._pending: dict[str, dict[str, list[np.ndarray]]] = {}
        self._metrics: list[tuple[int, dict[str, float]]] = []
        self._weights: list[tuple[int, dict[str, np.ndarray]]] = []
        self._arrays: list[tuple[int, str, np.ndarray]] = []

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self, path: Path, experiment: str, metadata: Mapping[str, Any]) -> None:
        import h5py

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(self.path, "w") as f:
            f.attrs["format"], f.attrs["format_version"] = FORMAT, FORMAT_VERSION
            f.attrs["status"], f.attrs["error"], f.attrs["ended"] = "running", "", ""
            for key, value in metadata.items():
                f.attrs[key] = json.dumps(value) if isinstance(value, dict) else value
            f.create_dataset("experiment", data=experiment, dtype=h5py.string_dtype())
            for group in ("monitors", "metrics", "weights"):
                f.create_group(group)

    def resume(self, path: Path) -> Mapping[str, Any]:
        import h5py

        self.path = Path(path)
        with h5py.File(self.path, "a") as f:
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
        import h5py

        self.flush()
        assert self.path is not None
        with h5py.File(self.path, "a") as f:
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
        import h5py

        self.flush()
        assert self.path is not None
        with h5py.File(self.path, "a") as f:
            # Write the new checkpoint beside the old one and swap only when it is complete.
            if NEW_CHECKPOINT in f:
                del f[NEW_CHECKPOINT]
            cp = f.create_group(NEW_CHECKPOINT)
            cp.attrs["index"] = index
            cp.attrs["monitor_steps"] = json.dumps(self._steps)
            cp.attrs["written"] = datetime.now(UTC).isoformat()
            for group_name, tensors in state.items():
                group = cp.create_group(group_name)
                for key, tensor in tensors.items():
                    group.create_dataset(key, data=torch.as_tensor(tensor).detach().cpu().numpy())
            cp.attrs["complete"] = True
            f.flush()
            if "checkpoint" in f:
                del f["checkpoint"]
            f.move(NEW_CHECKPOINT, "checkpoint")

    def flush(self) -> None:
        import h5py

        assert self.path is not None, "start() or resume() first"
        if not (self._metrics or self._weights or self._arrays or any(any(v) for v in self._pending.values())):
            return
        with h5py.File(self.path, "a") as f:
            for name, variables in self._pending.items():
                group = f["monitors"].require_group(name)
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
            self._commit(f)

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
                    item.resize(min(item.shape[0], keep), axis=0)
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


@hookimpl
def snnkit_register_recorders(registry):
    registry.add("hdf5", HDF5Recorder, requires=["h5py"], extra="hdf5")
