"""The ``none`` learning rule: no plasticity of its own."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from snnkit import Activity, Connection, Context, LearningRule, hookimpl


class NoOp(LearningRule):
    """No learning of its own: only the connection's weight decay, bounds and normalisation act.

    Attach it to make a connection plastic in that minimal sense: each learning step the network
    decays its weights (``weight_decay``) and re-applies ``wmin``, ``wmax`` and ``norm``. Works
    on every connection type.

    >>> NoOp()
    NoOp()
    """

    def forward(
        self,
        connection: Connection,
        pre: Activity,
        post: Activity,
        state: Any,
        ctx: Context,
        reward: Tensor | None = None,
    ) -> Any:
        return state


@hookimpl
def snnkit_register_learning_rules(registry):
    registry.add("none", NoOp)
