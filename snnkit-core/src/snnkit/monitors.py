"""The monitor interface: components that observe a layer or connection every step."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

from torch import Tensor

from snnkit.errors import SnnkitError


class Monitor(ABC):
    """Observes the variables ``variables`` of one layer or connection, ``target``, every step.

    The network checks at ``add_monitor`` that the target exists and has those variables (a layer
    has ``"s"`` and its state fields; a connection has ``"weight"``, its state fields and its
    learning rule's, such as the rule's traces), then calls :meth:`record` after the learning
    rules of each step with the current values, each with a leading batch dimension where the
    variable has one. The network may hand over several consecutive steps at once through :meth:`record_steps`.

    A monitor that keeps what it records in memory sets ``keeps_values = True`` and implements
    :meth:`get`; :func:`snnkit.recording.from_network` then reads it, so plots draw from a running
    network. Monitors that write elsewhere (a recorder's file) keep the default.
    """

    keeps_values = False

    def __init__(self, target: str, variables: Sequence[str] = ("s",)) -> None:
        if isinstance(variables, str):
            variables = (variables,)
        self.target = target
        self.variables = tuple(variables)

    @abstractmethod
    def record(self, values: Mapping[str, Tensor]) -> None:
        """Take one step's values, keyed by variable name. Do not keep references to be mutated."""

    def record_steps(self, values: Mapping[str, Tensor]) -> None:
        """Take several consecutive steps' values, each with a leading time dimension.

        The default calls :meth:`record` once per step; monitors that keep blocks override it,
        which saves a Python call per step.
        """
        steps = next(iter(values.values())).shape[0] if values else 0
        for step in range(steps):
            self.record({name: value[step] for name, value in values.items()})

    def get(self, variable: str) -> Tensor:
        """What was recorded of ``variable``, ``[time, batch, ...]`` (monitors with ``keeps_values``)."""
        raise SnnkitError(f"a {type(self).__name__} keeps nothing in memory: read what it wrote instead")

    def reset(self) -> None:  # noqa: B027 - optional hook, most monitors override it
        """Forget what was recorded (called by ``Network.reset_state``)."""
