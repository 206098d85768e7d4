"""The ``mstdp`` learning rule: reward-modulated STDP (Florian 2007)."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Activity, Connection, Context, LearningRule, hookimpl
from snnkit_plugins.learning._common import check_reduction, flat


class MSTDPTraces(NamedTuple):
    p_plus: Tensor  # presynaptic trace P+ [batch, source size]
    p_minus: Tensor  # postsynaptic trace P- [batch, target size]


def stdp_traces(rule: MSTDP, pre: Activity, post: Activity, state: MSTDPTraces, dt: float) -> tuple[Tensor, ...]:
    """This step's spikes as floats and the updated traces ``P+`` and ``P-``."""
    s_pre, s_post = flat(pre.spikes, state.p_plus.dtype), flat(post.spikes, state.p_minus.dtype)
    p_plus = state.p_plus * math.exp(-dt / rule.tc_plus) + rule.a_plus * s_pre
    p_minus = state.p_minus * math.exp(-dt / rule.tc_minus) + rule.a_minus * s_post
    return s_pre, s_post, p_plus, p_minus


def batch_reward(reward: Tensor | None, batch: int, scale: float) -> Tensor | None:
    """The reward of each sample times ``scale`` as ``[batch, 1]``; ``None`` without reward."""
    if reward is None:
        return None
    return (reward.reshape(-1, 1) * scale).expand(batch, 1)


class MSTDP(LearningRule):
    """Reward-modulated STDP: the STDP update of each step, scaled by the reward of that step.

    Traces ``P+`` (presynaptic, ``tc_plus``, +``a_plus`` per spike) and ``P-`` (postsynaptic,
    ``tc_minus``, +``a_minus`` per spike) make the point eligibility
    ``zeta = P+ (x) s_post + s_pre (x) P-``, and each step ``w += nu * r * zeta``, per sample with
    its own reward ``r`` (``Network.run(reward=...)``), reduced over the batch by ``reduction``.
    No reward, or a zero reward, leaves the weights unchanged; a negative reward reverses the
    direction of learning. Reference: R. V. Florian, Neural Comput. 19(6) (2007), MSTDP;
    ``a_plus`` 1, ``a_minus`` -1, time constants 20 ms as there. Works on every connection type
    with ``outer``.

    Args:
        nu: learning rate, 1e-3.
        tc_plus: presynaptic trace time constant, 20 ms.
        tc_minus: postsynaptic trace time constant, 20 ms.
        a_plus: presynaptic trace increment, 1.
        a_minus: postsynaptic trace increment, -1.
        reduction: ``"mean"`` or ``"sum"`` of the updates over the batch.

    >>> import torch
    >>> from snnkit_plugins.connections.dense import Dense
    >>> conn, rule = Dense(1, 1, weight=0.5), MSTDP(nu=0.1)
    >>> spike, silent = Activity(torch.ones(1, 1, dtype=torch.bool)), Activity(torch.zeros(1, 1) > 0)
    >>> reward = torch.tensor([2.0])
    >>> state = rule(conn, spike, silent, rule.initial_state(conn, 1), Context(), reward)
    >>> _ = rule(conn, silent, spike, state, Context(), reward)
    >>> round(conn.weight.item(), 4)  # pre then post: 0.5 + 0.1 * 2 * exp(-1 / 20)
    0.6902
    """

    def __init__(
        self,
        nu: float = 1e-3,
        *,
        tc_plus: float = 20.0,
        tc_minus: float = 20.0,
        a_plus: float = 1.0,
        a_minus: float = -1.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        if tc_plus <= 0 or tc_minus <= 0:
            raise ValueError("tc_plus and tc_minus must be positive time constants in ms")
        self.nu, self.tc_plus, self.tc_minus, self.a_plus, self.a_minus = nu, tc_plus, tc_minus, a_plus, a_minus
        self.reduction = check_reduction(reduction)

    def initial_state(
        self,
        connection: Connection,
        batch_size: int,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> NamedTuple:
        pre = torch.zeros(batch_size, connection.source_size, device=device, dtype=dtype)
        return MSTDPTraces(pre, torch.zeros(batch_size, connection.target_size, device=device, dtype=dtype))

    def forward(
        self,
        connection: Connection,
        pre: Activity,
        post: Activity,
        state: MSTDPTraces,
        ctx: Context,
        reward: Tensor | None = None,
    ) -> MSTDPTraces:
        s_pre, s_post, p_plus, p_minus = stdp_traces(self, pre, post, state, ctx.dt)
        batch = s_pre.shape[0]
        r = batch_reward(reward, batch, self.nu / batch if self.reduction == "mean" else self.nu)
        if r is not None:
            connection.add_outer(r * p_plus, s_post)
            connection.add_outer(r * s_pre, p_minus)
        return MSTDPTraces(p_plus, p_minus)


@hookimpl
def snnkit_register_learning_rules(registry):
    registry.add("mstdp", MSTDP)
