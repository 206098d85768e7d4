"""Running an experiment: the loop around a pipeline that records, checkpoints and stops cleanly.

The runner never imports click or h5py: the CLI passes a progress callback and a stop flag, and
the recorder is a plugin. Stops happen between units (samples, batches, episodes), after which a
checkpoint is written, so a resumed run continues exactly where the interrupted one stopped.
"""

from __future__ import annotations

import getpass
import platform
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import snnkit
from snnkit.experiment import Experiment, build_network, build_plugin
from snnkit.network import Network
from snnkit.pipelines import Pipeline, RunContext
from snnkit.plugins import PluginManager
from snnkit.recorders import Recorder

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
    """Seed, host, user, start time and the versions of snnkit and every plugin distribution."""
    providers = {c.provider.distribution: c.provider.version for c in plugins.components() if not c.provider.is_local}
    wanted = {"snnkit-core", "snnkit-cli", "torch", "numpy", "pluggy", "h5py", "torchvision", "gymnasium", "matplotlib"}
    wanted |= set(providers)
    versions = {d.metadata["name"]: d.version for d in distributions() if d.metadata["name"] in wanted}
    return {
        "name": experiment.run["name"],
        "seed": experiment.run["seed"],
        "host": socket.gethostname(),
        "user": getpass.getuser(),
        "platform": platform.platform(),
        "snnkit_version": snnkit.__version__,
        "versions": versions,
        "started": datetime.now(UTC).isoformat(),
    }


def checkpoint_state(network: Network, pipeline: Pipeline, index: int) -> dict[str, dict[str, Tensor]]:
    """Everything needed to continue after unit ``index``: learned and transient network state,
    the random generators, the pipeline's progress."""
    generators = {str(device): g.get_state() for device, g in network._generators.items()}
    return {
        "network": {k: v.detach().cpu() for k, v in network.state_dict().items()},
        "transient": {k: v.detach().cpu() for k, v in network.state_tensors().items()},
        "generators": generators,
        "pipeline": dict(pipeline.state_dict()),
        "progress": {"index": torch.tensor(index)},
    }


def restore(network: Network, pipeline: Pipeline, checkpoint: Mapping[str, Mapping[str, Tensor]]) -> int:
    """Load a checkpoint; return the index of the next unit to run."""
    network.load_state_dict(dict(checkpoint["network"]))
    network.load_state_tensors(dict(checkpoint.get("transient", {})))
    for device, state in checkpoint.get("generators", {}).items():
        network.generator(device).set_state(state.to(torch.uint8))
    pipeline.load_state_dict(checkpoint.get("pipeline", {}))
    return int(checkpoint["progress"]["index"]) + 1


def run_experiment(
    experiment: Experiment,
    plugins: PluginManager,
    *,
    resume: Path | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Progress | None = None,
    live: Callable[[int, Path, Callable[[], None]], None] | None = None,
) -> RunResult:
    """Build and run ``experiment``, recording it; resume from the checkpoint in ``resume`` if given.

    ``progress(done, units, metrics)`` is called after every unit; ``live(done, path, flush)`` too,
    when given: live plots call ``flush()`` to write the recorder's buffers, then read the file.

    Returns with status ``complete`` or ``interrupted`` (``should_stop`` became true, or
    KeyboardInterrupt); an exception marks the record ``failed`` and is raised again.
    """
    run = experiment.run
    network = build_network(experiment, plugins)
    pipeline: Pipeline = build_plugin(experiment, "pipeline", plugins)
    recorder: Recorder = build_plugin(experiment, "recorder", plugins)
    context = RunContext(
        time=run["time"],
        dt=run["dt"],
        batch_size=run["batch_size"],
        samples=run["samples"],
        generator=network.generator(),
        encoder=build_plugin(experiment, "encoder", plugins),
        dataset=build_plugin(experiment, "dataset", plugins),
        environment=build_plugin(experiment, "environment", plugins),
        action=build_plugin(experiment, "action", plugins),
        load_dataset=(lambda **params: build_plugin(experiment, "dataset", plugins, **params))
        if "dataset" in experiment.data
        else None,
    )
    context.recorder = recorder
    path = resume or experiment.output
    if resume is not None:
        start = restore(network, pipeline, recorder.resume(path))
    else:
        recorder.start(path, experiment.to_toml(), metadata(experiment, plugins))
        start = 0
    status, last, done, units = "complete", {}, start, 0
    every = {k: run[k] for k in ("weights_every", "checkpoint_every", "flush_every")}
    try:
        for monitor in experiment.data["monitors"]:
            stream = recorder.monitor(monitor["name"], monitor["target"], monitor["variables"])
            network.add_monitor(monitor["name"], stream)
        pipeline.prepare(network, context)
        units = pipeline.units(context)
        for index in range(start, units):
            if should_stop():
                status = "interrupted"
                break
            last = dict(pipeline.step(network, index, context))
            done = index + 1
            recorder.log(index, last)
            if every["weights_every"] and done % every["weights_every"] == 0:
                recorder.snapshot(index, network)
            if every["checkpoint_every"] and done % every["checkpoint_every"] == 0:
                recorder.checkpoint(index, checkpoint_state(network, pipeline, index))
            elif every["flush_every"] and done % every["flush_every"] == 0:
                recorder.flush()
            if progress is not None:
                progress(done, units, last)
            if live is not None:
                live(done, path, recorder.flush)
    except KeyboardInterrupt:
        status = "interrupted"
    except Exception as exc:
        recorder.finish("failed", f"{type(exc).__name__}: {exc}")
        raise
    if done > start or resume is None:
        recorder.checkpoint(done - 1, checkpoint_state(network, pipeline, done - 1))
    recorder.finish(status)
    return RunResult(status, path, done, units, last)
