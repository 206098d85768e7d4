"""The ``post-pre`` learning rule: trace-based pair STDP."""

from __future__ import annotations

from torch import Tensor

from snnkit import Activity, Connection, Context, any_nonzero, hookimpl
from snnkit_plugins.learning._common import PairRule, PairTraces


class PostPre(PairRule):
    """Pair STDP with traces: pre-before-post potentiates, post-before-pre depresses.

    Each step, after the traces took this step's spikes::

        w -= nu_pre  * s_pre  (x) x_post      (a presynaptic spike arrives: depress by the post trace)
        w += nu_post * x_pre  (x) s_post      (a postsynaptic spike: potentiate by the pre trace)

    For one pair with the postsynaptic spike ``d`` steps after the presynaptic one this gives
    ``nu_post exp(-d dt / tc_pre)``, and ``-nu_pre exp(-d dt / tc_post)`` when it comes ``d`` steps
    before. Batches are reduced by ``reduction``: ``mean`` or ``sum`` over the samples of each
    call, or ``first-spiking`` (each target neuron learns from one sample: the first that made it
    spike since the last state reset). Works on every connection type with ``outer`` (``dense``,
    ``sparse``, ``one-to-one``, ``conv1d``/``2d``/``3d``, ``local1d``/``2d``/``3d``); on ``dense``
    an update touches only the rows of active sources and the columns of active targets. Bounds,
    ``norm`` and weight decay are the connection's and are applied after the update. Reference:
    Bi & Poo, J. Neurosci. 18 (1998); Morrison, Diesmann & Gerstner, Biol. Cybern. 98 (2008) for the trace formulation;
    defaults follow BindsNET's ``PostPre``.

    Args:
        nu: learning rates ``(nu_pre, nu_post)`` for depression and potentiation, (1e-4, 1e-2).
        tc_pre: presynaptic trace time constant, 20 ms.
        tc_post: postsynaptic trace time constant, 20 ms.
        trace_additive: traces add 1 per spike (all-to-all pairing) instead of resetting to 1
            (nearest-spike pairing).
        reduction: ``"sum"``, ``"mean"`` or ``"first-spiking"`` (each target learns from one
            sample: the first that made it spike) of the updates over the batch.

    >>> import torch
    >>> from snnkit_plugins.connections.dense import Dense
    >>> conn, rule = Dense(1, 1, weight=0.5), PostPre()
    >>> state = rule.initial_state(conn, 1)
    >>> spike, silent = torch.ones(1, 1, dtype=torch.bool), torch.zeros(1, 1, dtype=torch.bool)
    >>> state = rule(conn, Activity(spike), Activity(silent), state, Context())
    >>> state = rule(conn, Activity(silent), Activity(spike), state, Context())
    >>> round(conn.weight.item() - 0.5, 6)  # nu_post * exp(-1 / 20)
    0.009512
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
        # Each term needs a spike: skipping silent steps keeps learning costs with the activity.
        if self.nu_pre and any_nonzero(pre.spikes):
            connection.add_outer(-self.nu_pre * k * s_pre, x_post)
        if self.nu_post and any_nonzero(post.spikes):
            connection.add_outer(self.nu_post * k * x_pre, s_post)
        return traces


@hookimpl
def snnkit_register_learning_rules(registry):
    registry.add("post-pre", PostPre)
