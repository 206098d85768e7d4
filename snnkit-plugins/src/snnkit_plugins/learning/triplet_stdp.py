"""The ``triplet-stdp`` learning rule: Pfister & Gerstner's triplet model of STDP."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Activity, Connection, Context, LearningRule, hookimpl
from snnkit_plugins.learning._common import check_reduction, flat


class TripletTraces(NamedTuple):
    r1: Tensor  # fast presynaptic trace (tau_plus) [batch, source size]
    r2: Tensor  # slow presynaptic trace (tau_x)
    o1: Tensor  # fast postsynaptic trace (tau_minus) [batch, target size]
    o2: Tensor  # slow postsynaptic trace (tau_y)


class TripletSTDP(LearningRule):
    """Triplet STDP: potentiation grows with recent postsynaptic activity, so it depends on rate.

    Four traces, all-to-all (each spike adds 1): ``r1``, ``r2`` of the presynaptic spikes with
    ``tau_plus``, ``tau_x``; ``o1``, ``o2`` of the postsynaptic spikes with ``tau_minus``,
    ``tau_y``. Each step, with ``r2`` and ``o2`` taken just before this step's spikes::

        w -= s_pre (x) o1 * (a2_minus + a3_minus * r2)
        w += r1 (x) s_post * (a2_plus + a3_plus * o2)

    Pair protocols at low frequency depress (the pair term ``a2_minus`` dominates), at high
    frequency they potentiate (the triplet term ``a3_plus`` grows with ``o2``), reproducing the
    frequency dependence of Sjöström et al., Neuron 32 (2001). Defaults are the minimal all-to-all
    model fitted to those visual-cortex data in Pfister & Gerstner, J. Neurosci. 26(38) (2006),
    table 4: ``tau_plus`` 16.8 ms, ``tau_minus`` 33.7 ms, ``tau_y`` 125 ms, ``a2_plus`` 5e-10,
    ``a3_plus`` 6.2e-3, ``a2_minus`` 7e-3, ``a3_minus`` 0 (so ``tau_x``, 101 ms from the full
    model, only matters when ``a3_minus`` is set). Amplitudes are weight changes per spike
    pairing (or triplet) for weights of order 1; ``lr`` scales them all. Works on every
    connection type with ``outer``.

    Args:
        lr: factor on all four amplitudes, 1.0.
        tau_plus: fast presynaptic trace, 16.8 ms.
        tau_x: slow presynaptic trace, 101 ms.
        tau_minus: fast postsynaptic trace, 33.7 ms.
        tau_y: slow postsynaptic trace, 125 ms.
        a2_plus: pair potentiation, 5e-10.
        a3_plus: triplet potentiation, 6.2e-3.
        a2_minus: pair depression, 7e-3.
        a3_minus: triplet depression, 0.
        reduction: ``"mean"`` or ``"sum"`` of the updates over the batch.

    >>> import torch
    >>> from snnkit_plugins.connections.dense import Dense
    >>> conn, rule = Dense(1, 1, weight=0.5), TripletSTDP()
    >>> spike, silent = torch.ones(1, 1, dtype=torch.bool), torch.zeros(1, 1, dtype=torch.bool)
    >>> state = rule(conn, Activity(silent), Activity(spike), rule.initial_state(conn, 1), Context())
    >>> _ = rule(conn, Activity(spike), Activity(silent), state, Context())
    >>> round(conn.weight.item() - 0.5, 6)  # post then pre: -a2_minus * exp(-1 / 33.7)
    -0.006795
    """

    def __init__(
        self,
        *,
        lr: float = 1.0,
        tau_plus: float = 16.8,
        tau_x: float = 101.0,
        tau_minus: float = 33.7,
        tau_y: float = 125.0,
        a2_plus: float = 5e-10,
        a3_plus: float = 6.2e-3,
        a2_minus: float = 7e-3,
        a3_minus: float = 0.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        if min(tau_plus, tau_x, tau_minus, tau_y) <= 0:
            raise ValueError("the trace time constants must be positive (ms)")
        self.lr, self.taus = lr, (tau_plus, tau_x, tau_minus, tau_y)
        self.a2_plus, self.a3_plus, self.a2_minus, self.a3_minus = a2_plus, a3_plus, a2_minus, a3_minus
        self.reduction = check_reduction(reduction)

    def initial_state(
        self,
        connection: Connection,
        batch_size: int,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> TripletTraces:
        pre = torch.zeros(batch_size, connection.source_size, device=device, dtype=dtype)
        post = torch.zeros(batch_size, connection.target_size, device=device, dtype=dtype)
        return TripletTraces(pre, pre.clone(), post, post.clone())

    def forward(
        self,
        connection: Connection,
        pre: Activity,
        post: Activity,
        state: TripletTraces,
        ctx: Context,
        reward: Tensor | None = None,
    ) -> TripletTraces:
        s_pre, s_post = flat(pre.spikes, state.r1.dtype), flat(post.spikes, state.o1.dtype)
        d = [math.exp(-ctx.dt / tau) for tau in self.taus]
        r1, r2 = state.r1 * d[0] + s_pre, state.r2 * d[1]  # r2, o2: just before this step's spikes
        o1, o2 = state.o1 * d[2] + s_post, state.o2 * d[3]
        k = self.lr * (1.0 / s_pre.shape[0] if self.reduction == "mean" else 1.0)
        connection.add_outer(-k * s_pre * (self.a2_minus + self.a3_minus * r2), o1)
        connection.add_outer(k * r1, s_post * (self.a2_plus + self.a3_plus * o2))
        return TripletTraces(r1, r2 + s_pre, o1, o2 + s_post)


@hookimpl
def snnkit_register_learning_rules(registry):
    registry.add("triplet-stdp", TripletSTDP)
