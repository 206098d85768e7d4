"""Data-parallel runs: one process per rank of a ``torch.distributed`` group, as ``torchrun`` starts them.

``torchrun --nproc-per-node 2 -m snnkit_cli run EXPERIMENT`` (or ``snnkit run --nproc 2 EXPERIMENT``)
starts one process per rank with ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` in
its environment. The runner joins that group (:func:`start`: gloo on a CPU, nccl on CUDA) and runs
the experiment in every process; rank 0 alone records (the others record into a
:class:`Replica`, which keeps nothing) and prints progress. Only a pipeline that says
``distributed = True`` (``gradient``: each rank trains on its share of every batch, and the
gradients are averaged) runs in such a group; any other is refused, as each process would repeat
the same run. A group made by the caller (``torch.distributed.init_process_group`` before
``run_experiment``) is used as it is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from snnkit.errors import SnnkitError
from snnkit.monitors import Monitor
from snnkit.recorders import Recorder

if TYPE_CHECKING:
    from snnkit.network import Network


class DistributedError(SnnkitError):
    """A data-parallel run that cannot go on as asked (its pipeline, its world size)."""


def _group() -> Any:
    """``torch.distributed`` if a process group is up, else ``None``."""
    dist = torch.distributed
    return dist if dist.is_available() and dist.is_initialized() else None


def world() -> tuple[int, int]:
    """This process's rank and the number of processes of the run: ``(0, 1)`` outside a group."""
    dist = _group()
    return (dist.get_rank(), dist.get_world_size()) if dist is not None else (0, 1)


def start(device: str) -> bool:
    """Join the process group that ``torchrun`` describes in the environment (``WORLD_SIZE`` above
    1), unless one is up already; return whether this call made it (and so should end it, :func:`stop`)."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1 or _group() is not None:
        return False
    if not torch.distributed.is_available():
        raise DistributedError(f"WORLD_SIZE is {size} but this torch was built without torch.distributed")
    cuda = torch.device(device).type == "cuda"
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    torch.distributed.init_process_group("nccl" if cuda else "gloo")
    return True


def stop() -> None:
    """Leave the process group :func:`start` made."""
    if _group() is not None:
        torch.distributed.destroy_process_group()


def share(value: Any) -> Any:
    """Rank 0's ``value`` in every process (pickled: for small things and checkpoints)."""
    dist = _group()
    if dist is None or dist.get_world_size() == 1:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def agreed(should_stop: Callable[[], bool]) -> Callable[[], bool]:
    """``should_stop`` asked in every process at once: true as soon as it is true in any of them, so
    that all ranks stop after the same unit (one waiting for the others would wait for ever)."""
    dist = _group()
    if dist is None or dist.get_world_size() == 1:
        return should_stop

    def any_rank() -> bool:
        flag = torch.tensor([1.0 if should_stop() else 0.0], device=_device())
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())

    return any_rank


def _device() -> torch.device:
    """The device collectives run on: the current GPU under nccl, else the CPU."""
    dist = _group()
    if dist is not None and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def threads(setting: int | str) -> int:
    """Torch threads per process of a run on this machine: ``setting`` if it is a number, else the
    cores shared evenly among the processes that ``torchrun`` started here (``LOCAL_WORLD_SIZE``)."""
    if isinstance(setting, int):
        return setting
    local = int(os.environ.get("LOCAL_WORLD_SIZE") or world()[1])
    return max(1, (os.cpu_count() or 1) // max(local, 1))


class _Discard(Monitor):
    def record(self, values: Mapping[str, Tensor]) -> None:
        pass

    def record_steps(self, values: Mapping[str, Tensor]) -> None:
        pass


class Replica(Recorder):
    """The recorder of every rank but 0: writes nothing, so that one file holds the run. Its
    :meth:`resume` gives no checkpoint; the runner hands every rank rank 0's (:func:`share`)."""

    def start(self, path: Path, experiment: str, metadata: Mapping[str, Any]) -> None:
        pass

    def resume(self, path: Path) -> Mapping[str, Any]:
        return {}

    def monitor(self, name: str, target: str, variables: Sequence[str]) -> Monitor:
        return _Discard(target, variables)

    def log(self, index: int, metrics: Mapping[str, float]) -> None:
        pass

    def snapshot(self, index: int, network: Network) -> None:
        pass

    def record_array(self, index: int, name: str, value: Tensor) -> None:
        pass

    def checkpoint(self, index: int, state: Mapping[str, Mapping[str, Tensor]]) -> None:
        pass

    def flush(self) -> None:
        pass

    def finish(self, status: str, error: str | None = None) -> None:
        pass
