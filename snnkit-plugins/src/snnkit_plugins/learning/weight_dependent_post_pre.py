"""The ``weight-dependent-post-pre`` learning rule: pair STDP with soft bounds."""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor

from snnkit import Activity, Connection, Context, hookimpl
from snnkit_plugins.learning._common import PairRule, PairTraces


class WeightDependentPostPre(PairRule):
    """Pair STDP with soft bounds: updates shrink as a weight nears the bound it moves towards.

    As ``post-pre``, with depression scaled by ``(w - wmin)`` and potentiation by ``(wmax - w)``::

        w -= nu_pre  * (w - wmin) * s_pre (x) x_post
        w += nu_post * (wmax - w) * x_pre (x) s_post

    so weights approach ``[wmin, wmax]`` without reaching them through learning alone. Within a
    step depression is applied first, then potentiation from the depressed weight. ``wmin``
    and ``wmax`` are the connection's and must be finite. Works on every connection type with
    ``outer``. Reference: van Rossum, Bi & Turrigiano, J. Neurosci. 20 (2000); defaults follow
    BindsNET's ``WeightDependentPostPre``.

    Args:
        nu: learning rates ``(nu_pre, nu_post)``, (1e-4, 1e-2).
        tc_pre: presynaptic trace time constant, 20 ms.
        tc_post: postsynaptic trace time constant, 20 ms.
        trace_additive: traces add 1 per spike instead of resetting to 1.
        reduction: ``"sum"``, ``"mean"`` or ``"first-spiking"`` (each target learns from one
            sample: the first that made it spike) of the updates over the batch.

    >>> import torch
    >>> from snnkit_plugins.connections.dense import Dense
    >>> conn, rule = Dense(1, 1, weight=0.75, wmin=0.0, wmax=1.0), WeightDependentPostPre(nu=(0.0, 1.0))
    >>> spike = torch.ones(1, 1, dtype=torch.bool)
    >>> _ = rule(conn, Activity(spike), Activity(spike), rule.initial_state(conn, 1), Context())
    >>> conn.weight.item()  # 0.75 + 1.0 * (1.0 - 0.75)
    1.0
    """

    def initial_state(self, connection: Connection, batch_size: int, **kwargs: Any) -> PairTraces:
        if not (math.isfinite(connection.wmin) and math.isfinite(connection.wmax)):
            raise ValueError(
                "weight-dependent-post-pre scales updates by the distance to the weight bounds: give the"
                f" connection finite wmin and wmax (it has wmin={connection.wmin}, wmax={connection.wmax})"
            )
        return super().initial_state(connection, batch_size, **kwargs)

    def forward(
        self,
        connection: Connection,
        pre: Activity,
        post: Activity,
        state: PairTraces,
        ctx: Context,
        reward: Tensor | None = None,
    ) -> PairTraces:
        s_pre, s_post, traces = self.step_traces(pre, post, state, ctx.dt)
        x_pre, x_post = traces.pre, traces.post
        k = self.scale(s_pre.shape[0])
        wmin, wmax = connection.wmin, connection.wmax
        if self.nu_pre:
            connection.add_outer(-self.nu_pre * k * s_pre, x_post, factor=lambda w: w - wmin)
        if self.nu_post:
            connection.add_outer(self.nu_post * k * x_pre, s_post, factor=lambda w: wmax - w)
        return traces


@hookimpl
def snnkit_register_learning_rules(registry):
    registry.add("weight-dependent-post-pre", WeightDependentPostPre)
