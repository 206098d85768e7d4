"""Running an experiment: the loop around a pipeline that records, checkpoints and stops cleanly.

The runner never imports click or h5py: the CLI passes a progress callback and a stop flag, and
the recorder is a plugin. A requested stop happens between units (samples, batches, episodes),
after which a checkpoint is written; a stop at once (KeyboardInterrupt) keeps the last checkpoint as
the resume point. Either way a resumed run equals an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import platform
import signal
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import distributions, packages_distributions
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import snnkit
from snnkit import distributed
from snnkit.errors import SnnkitError
from snnkit.experiment import Experiment, ExperimentError, build_network, build_plugin, building
from snnkit.network import Network
from snnkit.pipelines import Pipeline, RunContext
from snnkit.plugins import PluginManager
from snnkit.recorders import Recorder
from snnkit.recording import open as open_recording
from snnkit.resources import ResourceError
from snnkit.runlock import OutputError, RunLock, lock_path
from snnkit.threads import choose as choose_threads

Progress = Callable[[int, int, Mapping[str, float]], None]


@dataclass
class RunResult:
    """How a run ended, where it is recorded, and the metrics of its last unit."""

    status: str
    path: Path
    units_done: int
    units: int
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None


def metadata(experiment: Experiment, plugins: PluginManager) -> dict[str, Any]:
    """Seed, host, user, start time and the versions of snnkit, its own dependencies, every plugin
    distribution and the libraries their components say they import (``requires``)."""
    components = plugins.components()
    wanted = {"snnkit-core", "torch", "numpy", "pluggy"} | {c.provider.distribution for c in components}
    by_module = packages_distributions()
    wanted |= {dist for c in components for module in c.requires for dist in by_module.get(module, [])}
    versions = {d.metadata["name"]: d.version for d in distributions() if d.metadata["name"] in wanted}
    return {
        "name": experiment.run["name"],
        "seed": experiment.run["seed"],
        "host": socket.gethostname(),
        "user": getpass.getuser(),
        "platform": platform.platform(),
        "snnkit_version": snnkit.__version__,
        "threads": torch.get_num_threads(),
        "world_size": distributed.world()[1],  # processes of a data-parallel run (torchrun)
        "versions": versions,
        "started": datetime.now(UTC).isoformat(),
    }


def checkpoint_state(network: Network, pipeline: Pipeline, index: int) -> dict[str, dict[str, Tensor]]:
    """Everything needed to continue after unit ``index``: learned and transient network state,
    the random generators, the pipeline's progress."""
    generators = network.random_state()
    return {
        "network": {k: v.detach().cpu() for k, v in network.state_dict().items()},
        "transient": {k: v.detach().cpu() for k, v in network.state_tensors().items()},
        "generators": generators,
        "pipeline": dict(pipeline.state_dict()),
        "progress": {"index": torch.tensor(index)},
    }


def restore(network: Network, pipeline: Pipeline, checkpoint: Mapping[str, Mapping[str, Tensor]]) -> int:
    """Load a checkpoint; return the index of the next unit to run (0 for the checkpoint every run
    writes before its first unit)."""
    network.load_state_dict(dict(checkpoint["network"]))
    network.load_state_tensors(dict(checkpoint.get("transient", {})))
    network.load_random_state(checkpoint.get("generators", {}))
    pipeline.load_state_dict(checkpoint.get("pipeline", {}))
    return int(checkpoint["progress"]["index"]) + 1


def prepare_run(experiment: Experiment, plugins: PluginManager) -> tuple[Network, Pipeline, Recorder, RunContext]:
    """Build everything a run needs (network, pipeline, recorder, encoder, data) without running or
    recording anything: every error in the experiment shows here, before any file is touched."""
    run = experiment.run
    network = build_network(experiment, plugins)
    context = RunContext(
        time=run["time"],
        dt=run["dt"],
        batch_size=run["batch_size"],
        samples=run["samples"] or 0,  # None: the pipeline counts its units itself (Pipeline.length_key)
        generator=network.generator(),
        encoder=build_plugin(experiment, "encoder", plugins),
        dataset=build_plugin(experiment, "dataset", plugins),
        environment=build_plugin(experiment, "environment", plugins),
        action=build_plugin(experiment, "action", plugins),
        load_dataset=(lambda **params: build_plugin(experiment, "dataset", plugins, **params))
        if "dataset" in experiment.data
        else None,
    )
    pipeline: Pipeline = build_plugin(experiment, "pipeline", plugins)
    recorder: Recorder = build_plugin(experiment, "recorder", plugins)
    rank, world_size = distributed.world()
    if world_size > 1 and not getattr(pipeline, "distributed", False):
        name = experiment.data["pipeline"]["plugin"]
        raise distributed.DistributedError(
            f"the {name!r} pipeline does not run data-parallel, and this is process {rank} of {world_size}"
            " (torchrun, snnkit run --nproc): run it in one process; the gradient pipeline runs data-parallel"
        )
    if rank != 0:
        recorder = distributed.Replica()  # rank 0 alone records
    context.recorder = recorder
    for i, monitor in enumerate(experiment.data["monitors"]):
        stream = recorder.monitor(monitor["name"], monitor["target"], monitor["variables"])
        try:
            network.add_monitor(monitor["name"], stream)
        except SnnkitError as exc:
            raise ExperimentError(experiment.source, f"monitors.{i}", "target", str(exc)) from None
    with building(experiment.source, "network" if "network" in experiment.data else "model", []):
        network.check()
    return network, pipeline, recorder, context


def prepare_pipeline(experiment: Experiment, network: Network, pipeline: Pipeline, context: RunContext) -> int:
    """``pipeline.prepare`` (which loads data sets and checks the network fits the pipeline), its
    errors naming the ``[pipeline]`` table; return the number of units to run."""
    with building(experiment.source, "pipeline", list(experiment.data["pipeline"])):
        pipeline.prepare(network, context)
        return pipeline.units(context)


def check_output(path: Path, plugins: PluginManager, *, force: bool = False) -> None:
    """Refuse to start a new run at ``path`` if that would destroy a file: an existing recording is
    replaced only with ``force``, any other file never."""
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except OSError as exc:  # e.g. a name too long for the file system
        raise OutputError(f"cannot record to {path}: {exc.strerror}") from None
    if is_dir:
        raise OutputError(f"cannot record to {path}: it is a directory; name a file, e.g. {path / 'run.h5'}")
    if not exists:
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise OutputError(f"cannot record to {path}: {folder} is a file, not a folder")
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            raise OutputError(f"cannot record to {path}: {folder} is not writable ({exc.strerror})") from None
        if len(lock_path(path).name.encode()) > os.pathconf(folder, "PC_NAME_MAX"):
            raise OutputError(f"cannot record to {path}: the file name is too long for this file system")
        return
    try:
        recording = open_recording(path, plugins)
        status, name, alive = recording.status, recording.attrs.get("name", "?"), recording.writer
    except SnnkitError:
        raise OutputError(
            f"{path} exists and is not a snnkit recording; snnkit never replaces it: choose another output"
        ) from None
    if not force:
        state = "whose process died" if status == "running" and alive is None else f"status {status}"
        go_on = "" if status == "complete" else f"continue that run with `snnkit run --resume {path}`, "
        raise OutputError(
            f"{path} already holds a recording of {name!r} ({state}): {go_on}choose another --output,"
            " or replace it with --force"
        )


@contextmanager
def _as_output_error(experiment: Experiment) -> Iterator[None]:
    """A new run's output problems, reported as mistakes in its ``[run] output``."""
    try:
        yield
    except OutputError as exc:
        raise ExperimentError(experiment.source, "run", "output", str(exc)) from None


def check_run(experiment: Experiment, plugins: PluginManager, *, force: bool = False, resume: bool = False) -> None:
    """Everything a run checks before it records (its output unless it resumes, the network, every
    plugin, the pipeline and its data), running nothing: ``snnkit run --dry-run``."""
    if not resume:
        with _as_output_error(experiment):
            check_output(experiment.output, plugins, force=force)
    network, pipeline, _, context = prepare_run(experiment, plugins)
    prepare_pipeline(experiment, network, pipeline, context)


def _out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and "allocate" in str(exc))


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the recorder writes, so that a second Ctrl-C cannot cut
    a flush or a checkpoint in half; they are delivered as soon as the write is done."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = mask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)


def run_experiment(
    experiment: Experiment,
    plugins: PluginManager,
    *,
    resume: Path | None = None,
    force: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Progress | None = None,
    live: Callable[[int, Path, Callable[[], None]], None] | None = None,
) -> RunResult:
    """Build and run ``experiment``, recording it; resume from the checkpoint in ``resume`` if given.

    Everything is built and checked before the recording is created, and an existing file at the
    output is never replaced unless ``force`` is given and it is a recording. One process at a
    time writes a recording (:class:`~snnkit.runlock.RunLock`).

    ``progress(done, units, metrics)`` is called after every unit; ``live(done, path, flush)`` too,
    when given: live plots call ``flush()`` to write the recorder's buffers, then read the file.

    Returns with status ``complete`` or ``interrupted``: ``should_stop`` became true (the run stops
    after the current unit and checkpoints it) or KeyboardInterrupt arrived in the middle of a unit
    (the run stops at once, writes no checkpoint of that half-done state, and a resume continues
    from the last checkpoint). Any other exception marks the record ``failed`` and is raised again.
    """
    run = experiment.run
    path = Path(resume or experiment.output)
    every = {k: run[k] for k in ("weights_every", "checkpoint_every", "flush_every")}
    with contextlib.ExitStack() as stack:
        previous_threads = torch.get_num_threads()
        stack.callback(torch.set_num_threads, previous_threads)  # the caller's setting comes back
        if distributed.start(run["device"]):  # under torchrun: join its process group
            stack.callback(distributed.stop)
        rank, world_size = distributed.world()
        should_stop = distributed.agreed(should_stop)  # every rank stops after the same unit

        def default_threads() -> int:
            if world_size > 1:  # the cores shared among the processes on this machine
                return distributed.threads(run["threads"])
            return choose_threads(run["threads"], run["batch_size"])

        if resume is None:
            torch.set_num_threads(default_threads())
        if resume is None and rank == 0:
            with _as_output_error(experiment):
                check_output(path, plugins, force=force)  # before the lock file is made beside it
                stack.enter_context(RunLock(path))
                check_output(path, plugins, force=force)  # again: another run may have made it meanwhile
        elif resume is not None:
            found: dict[str, Any] = {}
            if rank == 0:
                stack.enter_context(RunLock(path))
                finished_run = open_recording(path, plugins)
                found = {"status": finished_run.status, "threads": finished_run.attrs.get("threads")}
                found["world_size"] = int(finished_run.attrs.get("world_size", 1))
                if finished_run.status == "complete":
                    found["done"] = int(finished_run.checkpoint()["progress"]["index"]) + 1
            found = distributed.share(found)
            if found["status"] == "complete":
                return RunResult(
                    "complete", path, found["done"], found["done"], {}, "already complete: nothing to resume"
                )
            if found["world_size"] != world_size:
                raise distributed.DistributedError(
                    f"{path} was recorded by {found['world_size']} processes and this resume runs in {world_size}:"
                    f" a data-parallel run resumes with as many processes as it started with"
                    f" (snnkit run --nproc {found['world_size']} --resume {path})"
                )
            # the thread count the run started with: batched sums add up in its order, so the
            # resumed run ends exactly as an uninterrupted one would have
            recorded = found["threads"]
            torch.set_num_threads(int(recorded) if recorded else default_threads())
        network, pipeline, recorder, context = prepare_run(experiment, plugins)
        if resume is None and world_size == 1 and run["threads"] == "auto":  # large networks take the free cores
            torch.set_num_threads(network.auto_threads(run["batch_size"]))
        network.threads = None  # the run's own setting, chosen above, holds for every step
        units = 0
        if resume is None:
            units = prepare_pipeline(experiment, network, pipeline, context)
            if should_stop():
                raise KeyboardInterrupt  # stopped while starting: nothing is recorded
        status, last, opened, finished, checkpointed, done = "complete", {}, False, False, -1, 0

        def flush() -> None:
            with _signals_deferred():
                recorder.flush()

        try:
            with _signals_deferred():
                if resume is None:
                    recorder.start(path, experiment.to_toml(), metadata(experiment, plugins))
                    recorder.checkpoint(-1, checkpoint_state(network, pipeline, -1))
                else:
                    # rank 0 reads the checkpoint; the other ranks start from the same one
                    checkpointed = restore(network, pipeline, distributed.share(recorder.resume(path))) - 1
                    done = checkpointed + 1
                opened = True
            if resume is not None:
                units = prepare_pipeline(experiment, network, pipeline, context)
            for index in range(checkpointed + 1, units):
                if should_stop():
                    status = "interrupted"
                    break
                last = dict(pipeline.step(network, index, context))
                done = index + 1
                with _signals_deferred():
                    recorder.log(index, last)
                    if every["weights_every"] and done % every["weights_every"] == 0:
                        recorder.snapshot(index, network)
                    if every["checkpoint_every"] and done % every["checkpoint_every"] == 0:
                        recorder.checkpoint(index, checkpoint_state(network, pipeline, index))
                        checkpointed = index
                    elif every["flush_every"] and done % every["flush_every"] == 0:
                        recorder.flush()
                if progress is not None:
                    progress(done, units, last)
                if live is not None:
                    live(done, path, flush)
            with _signals_deferred():
                weights_every = every["weights_every"]
                if status == "complete" and weights_every and done and done % weights_every:
                    recorder.snapshot(done - 1, network)  # the final weights, between two scheduled snapshots
                if done - 1 > checkpointed:
                    recorder.checkpoint(done - 1, checkpoint_state(network, pipeline, done - 1))
                    checkpointed = done - 1
                recorder.finish(status)
                finished = True
        except KeyboardInterrupt:
            if finished:  # a Ctrl-C held back during the final write: the run is complete
                return RunResult(status, path, done, units, last)
            if not opened:
                raise
            # Stopped at once, possibly in the middle of a unit: that state is not one a resume
            # could continue from, so the last checkpoint stays the resume point.
            note = f"stopped at once; a resume continues after unit {checkpointed}, the last checkpoint"
            with _signals_deferred():
                recorder.finish("interrupted", note)
            return RunResult("interrupted", path, checkpointed + 1, units, last, note)
        except Exception as exc:
            if opened:
                with _signals_deferred(), contextlib.suppress(Exception):  # the first error is the one to report
                    recorder.finish("failed", f"{type(exc).__name__}: {exc}")
            if _out_of_memory(exc):
                raise ResourceError(
                    f"the run ran out of memory after unit {done - 1} ({exc}); the recording {path} is marked"
                    " failed: make the network, the batch or [run] flush_every smaller, or monitor fewer variables"
                ) from exc
            raise
    return RunResult(status, path, done, units, last)
