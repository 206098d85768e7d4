"""The ``mstdpet`` learning rule: reward-modulated STDP with an eligibility trace (Florian 2007)."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Activity, Connection, Context, hookimpl
from snnkit_plugins.learning.mstdp import MSTDP, MSTDPTraces, stdp_traces


class MSTDPETState(NamedTuple):
    p_plus: Tensor  # presynaptic trace P+ [batch, source size]
    p_minus: Tensor  # postsynaptic trace P- [batch, target size]
    eligibility: Tensor  # per sample and synapse, laid out like the weights [batch, *weight.shape]


class MSTDPET(MSTDP):
    """Reward-modulated STDP with an eligibility trace: a reward can reinforce what happened earlier.

    The point eligibility ``zeta = P+ (x) s_post + s_pre (x) P-`` of ``mstdp`` feeds a per-synapse
    eligibility trace ``z`` (``tc_z dz/dt = -z + zeta``), and each step ``w += nu * r * z * dt``,
    per sample with its own reward, reduced over the batch. So a reward that comes up to a few
    ``tc_z`` after the spikes still credits them. Costs one eligibility value per synapse and
    sample. Reference: R. V. Florian, Neural Comput. 19(6) (2007), MSTDPET; ``tc_z`` 25 ms as
    there. Works on every connection type with ``outer``.

    Args:
        nu: learning rate, 1e-3.
        tc_plus: presynaptic trace time constant, 20 ms.
        tc_minus: postsynaptic trace time constant, 20 ms.
        tc_z: eligibility trace time constant, 25 ms.
        a_plus: presynaptic trace increment, 1.
        a_minus: postsynaptic trace increment, -1.
        reduction: ``"mean"`` or ``"sum"`` of the updates over the batch.

    >>> import torch
    >>> from snnkit_plugins.connections.dense import Dense
    >>> conn, rule = Dense(1, 1, weight=0.5), MSTDPET(nu=1.0)
    >>> spike, silent, none = torch.ones(1, 1, dtype=torch.bool), torch.zeros(1, 1, dtype=torch.bool), torch.zeros(1)
    >>> state = rule(conn, Activity(spike), Activity(silent), rule.initial_state(conn, 1), Context(), none)
    >>> state = rule(conn, Activity(silent), Activity(spike), state, Context(), none)
    >>> _ = rule(conn, Activity(silent), Activity(silent), state, Context(), torch.tensor([1.0]))
    >>> round(conn.weight.item() - 0.5, 4)  # the reward one step later: exp(-1/20) / 25 * exp(-1/25)
    0.0366
    """

    def __init__(
        self,
        nu: float = 1e-3,
        *,
        tc_plus: float = 20.0,
        tc_minus: float = 20.0,
        tc_z: float = 25.0,
        a_plus: float = 1.0,
        a_minus: float = -1.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__(nu, tc_plus=tc_plus, tc_minus=tc_minus, a_plus=a_plus, a_minus=a_minus, reduction=reduction)
        if tc_z <= 0:
            raise ValueError(f"tc_z must be a positive time constant in ms, got {tc_z}")
        self.tc_z = tc_z

    def initial_state(
        self,
        connection: Connection,
        batch_size: int,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> MSTDPETState:
        traces = super().initial_state(connection, batch_size, device=device, dtype=dtype)
        eligibility = torch.zeros(batch_size, *connection.weight.shape, device=device, dtype=dtype)
        return MSTDPETState(*traces, eligibility)

    def forward(
        self,
        connection: Connection,
        pre: Activity,
        post: Activity,
        state: MSTDPETState,
        ctx: Context,
        reward: Tensor | None = None,
    ) -> MSTDPETState:
        s_pre, s_post, p_plus, p_minus = stdp_traces(self, pre, post, MSTDPTraces(state.p_plus, state.p_minus), ctx.dt)
        zeta = connection.outer(p_plus, s_post) + connection.outer(s_pre, p_minus)
        eligibility = state.eligibility * math.exp(-ctx.dt / self.tc_z) + zeta / self.tc_z
        if reward is not None:
            batch = s_pre.shape[0]
            scale = self.nu * ctx.dt / (batch if self.reduction == "mean" else 1)
            r = reward.reshape(-1, *[1] * (eligibility.dim() - 1)).expand(batch, *[1] * (eligibility.dim() - 1))
            connection.weight.add_(scale * (r * eligibility).sum(0))
        return MSTDPETState(p_plus, p_minus, eligibility)


@hookimpl
def snnkit_register_learning_rules(registry):
    registry.add("mstdpet", MSTDPET)
