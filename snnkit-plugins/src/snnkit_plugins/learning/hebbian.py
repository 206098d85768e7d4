"""The ``hebbian`` learning rule: pre and post activity together potentiate, in either order."""

from __future__ import annotations

from torch import Tensor

from snnkit import Activity, Connection, Context, hookimpl
from snnkit_plugins.learning._common import PairRule, PairTraces


class Hebbian(PairRule):
    """Hebbian learning with traces: both spike orders potentiate.

    Each step, after the traces took this step's spikes::

        w += nu_pre  * s_pre (x) x_post  +  nu_post * x_pre (x) s_post

    Unbounded on its own: give the connection ``wmax`` or ``norm``. Works on every connection type
    with ``outer``. Reference: Hebb, *The Organization of Behavior* (1949); the trace form and the
    defaults follow BindsNET's ``Hebbian``.

    Args:
        nu: learning rates ``(nu_pre, nu_post)``, (1e-4, 1e-2).
        tc_pre: presynaptic trace time constant, 20 ms.
        tc_post: postsynaptic trace time constant, 20 ms.
        trace_additive: traces add 1 per spike instead of resetting to 1.
        reduction: ``"sum"``, ``"mean"`` or ``"first-spiking"`` (each target learns from one
            sample: the first that made it spike) of the updates over the batch.

    >>> import torch
    >>> from snnkit_plugins.connections.dense import Dense
    >>> conn, rule = Dense(1, 1, weight=0.0), Hebbian(nu=(1.0, 1.0))
    >>> spike, silent = torch.ones(1, 1, dtype=torch.bool), torch.zeros(1, 1, dtype=torch.bool)
    >>> state = rule(conn, Activity(silent), Activity(spike), rule.initial_state(conn, 1), Context())
    >>> _ = rule(conn, Activity(spike), Activity(silent), state, Context())
    >>> round(conn.weight.item(), 4)  # post then pre: exp(-1 / 20), potentiating too
    0.9512
    """

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
        if self.nu_pre:
            connection.add_outer(self.nu_pre * k * s_pre, x_post)
        if self.nu_post:
            connection.add_outer(self.nu_post * k * x_pre, s_post)
        return traces


@hookimpl
def snnkit_register_learning_rules(registry):
    registry.add("hebbian", Hebbian)
