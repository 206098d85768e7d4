"""The learning-rule interface that learning-rule plugins implement."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, NamedTuple

import torch
from torch import Tensor, nn

from snnkit.connections import Connection
from snnkit.context import Activity, Context, NoState

if TYPE_CHECKING:
    from snnkit.neurons import NeuronGroup


class LearningRule(nn.Module, ABC):
    """A plasticity rule attached to one connection (``network.add_connection(..., rule=...)``).

    The network calls :meth:`forward` once per step, after the layers have integrated, and only
    while ``ctx.learning`` is true (``train()`` mode and ``run(learning=True)``); afterwards it calls
    ``connection.constrain()`` (bounds), and ``connection.renormalize()`` at the end of the run.

    ``pre`` is the activity the connection delivered this step: the spikes that arrived (the
    source's spikes from the previous step, or from ``delay`` steps before that) and the source's
    trace from the previous step; ``post`` is the target's activity
    of this step. ``reward`` is ``None`` or a tensor ``[batch]`` from ``Network.run(reward=...)``.
    A rule updates ``connection.weight`` in place and returns its next state; rule state (e.g.
    eligibility traces) is a ``NamedTuple`` from :meth:`initial_state`, owned by the network.
    """

    def check_layers(self, source: NeuronGroup, target: NeuronGroup) -> None:
        """Raise :class:`~snnkit.errors.NetworkError` if this rule cannot learn between these
        layers (e.g. it needs a variable the target's neurons do not have); called when the
        connection is added, so the mistake shows before anything runs. Accepts any by default."""

    def initial_state(
        self,
        connection: Connection,
        batch_size: int,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> NamedTuple:
        """Transient state for ``batch_size`` samples; none by default."""
        return NoState()

    @abstractmethod
    def forward(
        self,
        connection: Connection,
        pre: Activity,
        post: Activity,
        state: Any,
        ctx: Context,
        reward: Tensor | None = None,
    ) -> Any:
        """Update ``connection.weight`` for one step and return the next rule state."""
