"""The ``phases`` pipeline: other pipelines, one after another, on one network."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from torch import Tensor

from snnkit import Monitor, Network, Pipeline, hookimpl
from snnkit.pipelines import RunContext


class Phases(Pipeline):
    """Pipelines one after another on one network: e.g. STDP features, then a gradient readout.

    Used by ``mnist-stdp-gradient-readout``, whose readout learns by gradient from features that
    its first layers learned by STDP.

    Each phase is a table naming a pipeline plugin (``plugin``) with that pipeline's parameters,
    and optionally its own ``batch_size`` (STDP learns sample by sample, gradient training in
    mini-batches). A run's units are the phases' units in order; each unit's metrics are its
    phase's, plus ``phase`` (1, 2, ...). The monitors a phase's pipeline adds record only during
    that phase. A checkpoint holds every phase's progress, so a resumed run continues in the
    phase where it stopped, exactly. How much each phase runs is its pipeline's business (``[run]
    samples`` for ``simulate``, ``train_samples`` for ``dataset`` and ``gradient``, ...).

    Args:
        phases: the phase tables, at least one, e.g.
            ``[{ plugin = "dataset", train_samples = 1000 }, { plugin = "gradient", batch_size = 64 }]``.

    >>> Phases([{"plugin": "simulate"}, {"plugin": "simulate", "intensity": 0.5}]).names
    ['simulate', 'simulate']
    >>> Phases([{"pipeline": "gradient"}])
    Traceback (most recent call last):
    ValueError: phases[0] must name its pipeline with plugin = "...", got keys pipeline
    """

    unit = "units"  # samples in one phase, batches in another

    def __init__(self, phases: Sequence[Mapping[str, Any]]) -> None:
        if not phases:
            raise ValueError("phases must list at least one phase table")
        self.tables: list[dict[str, Any]] = []
        for i, table in enumerate(phases):
            if not isinstance(table, Mapping) or "plugin" not in table:
                keys = ", ".join(table) if isinstance(table, Mapping) else type(table).__name__
                raise ValueError(f'phases[{i}] must name its pipeline with plugin = "...", got keys {keys}')
            batch = table.get("batch_size")
            if batch is not None and (not isinstance(batch, int) or batch < 1):
                raise ValueError(f"phases[{i}] batch_size must be a positive number of samples, got {batch!r}")
            self.tables.append(dict(table))
        self.names = [str(t["plugin"]) for t in self.tables]
        self.pipelines: list[Pipeline] = []
        self.monitors: list[dict[str, Monitor]] = []  # the monitors each phase's pipeline added
        self.offsets: list[int] = []  # the first unit of each phase
        self.active: int | None = None
        self.saved: dict[str, Tensor] = {}

    def _context(self, phase: int, context: RunContext) -> RunContext:
        batch = self.tables[phase].get("batch_size")
        return dataclasses.replace(context, batch_size=batch) if batch else context

    def prepare(self, network: Network, context: RunContext) -> None:
        start = 0
        for i, table in enumerate(self.tables):
            params = {k: v for k, v in table.items() if k not in ("plugin", "batch_size")}
            pipeline = network.plugins.build("pipelines", table["plugin"], **params)
            pipeline.load_state_dict({k.split(".", 1)[1]: v for k, v in self.saved.items() if k.startswith(f"{i}.")})
            before = dict(network.monitors)
            pipeline.prepare(network, self._context(i, context))
            added = {name: m for name, m in network.monitors.items() if name not in before}
            for name in added:  # recorded only while their phase runs
                del network.monitors[name]
            self.pipelines.append(pipeline)
            self.monitors.append(added)
            self.offsets.append(start)
            start += pipeline.units(self._context(i, context))
        self.total = start

    def units(self, context: RunContext) -> int:
        return self.total

    def step(self, network: Network, index: int, context: RunContext) -> Mapping[str, float]:
        phase = max(i for i, offset in enumerate(self.offsets) if offset <= index)
        if phase != self.active:
            if self.active is not None:
                for name in self.monitors[self.active]:
                    del network.monitors[name]
            for name, monitor in self.monitors[phase].items():
                monitor.reset()
                network.monitors[name] = monitor
            network.reset_state()
            self.active = phase
        metrics = self.pipelines[phase].step(network, index - self.offsets[phase], self._context(phase, context))
        return {**metrics, "phase": float(phase + 1)}

    def state_dict(self) -> dict[str, Tensor]:
        return {f"{i}.{k}": v for i, p in enumerate(self.pipelines) for k, v in p.state_dict().items()}

    def load_state_dict(self, state: Mapping[str, Tensor]) -> None:
        self.saved = dict(state)


@hookimpl
def snnkit_register_pipelines(registry):
    registry.add("phases", Phases)
