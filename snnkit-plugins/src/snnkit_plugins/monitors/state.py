"""The ``state`` monitor: records variables of a layer or connection in memory, step by step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from snnkit import Monitor, hookimpl
from snnkit.errors import SnnkitError


class StateMonitor(Monitor):
    """Record variables (``s``, ``v``, ``weight``, ...) of one layer or connection at every step.

    Values are copied, optionally to another device (``"cpu"`` keeps GPU memory free), and
    :meth:`get` joins them to ``[time, batch, ...]``. Spikes are booleans, except in a
    differentiable run, where every recorded value carries the autograd graph (spikes as the
    0.0/1.0 floats they are in the step), so a loss computed from them back-propagates. Memory
    grows with the run: use a recorder for long runs.

    Args:
        target: name of the layer or connection to watch.
        variables: variable names to record; a layer offers ``s`` (spikes) and its state fields; a
            connection offers ``weight``, its state fields and its learning rule's (its traces).
        device: where to keep the copies; ``None`` keeps them where the network runs.

    >>> net.add_monitor("exc", "state", target="exc", variables=["s", "v"])  # doctest: +SKIP
    >>> net.monitors["exc"].get("v").shape  # doctest: +SKIP
    torch.Size([250, 1, 100])
    """

    keeps_values = True

    def __init__(self, target: str, variables: Sequence[str] = ("s",), *, device: str | None = None) -> None:
        super().__init__(target, variables)
        self.device = device
        self._steps: dict[str, list[Tensor]] = {v: [] for v in self.variables}

    def record(self, values: Mapping[str, Tensor]) -> None:
        self.record_steps({name: value[None] for name, value in values.items()})

    def record_steps(self, values: Mapping[str, Tensor]) -> None:
        for name, value in values.items():
            self._steps[name].append(value.clone() if self.device is None else value.to(self.device, copy=True))

    def get(self, variable: str) -> Tensor:
        """The recording of ``variable``, stacked along a leading time axis."""
        if variable not in self._steps:
            raise SnnkitError(f"monitor of {self.target!r} records {', '.join(self._steps)}, not {variable!r}")
        if not self._steps[variable]:
            raise SnnkitError(f"monitor of {self.target!r} has recorded nothing yet: run the network first")
        return torch.cat(self._steps[variable])

    def reset(self) -> None:
        self._steps = {v: [] for v in self.variables}


@hookimpl
def snnkit_register_monitors(registry):
    registry.add("state", StateMonitor)
