"""The ``rmax`` learning rule: reward-maximising plasticity for stochastic neurons (Vasilaki 2009)."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Activity, Connection, Context, LearningRule, NeuronGroup, hookimpl
from snnkit.errors import NetworkError
from snnkit_plugins.learning._common import check_reduction, flat


class RmaxState(NamedTuple):
    psp: Tensor  # presynaptic potential traces [batch, source size]
    eligibility: Tensor  # per sample and synapse, laid out like the weights [batch, *weight.shape]


class Rmax(LearningRule):
    """R-max: policy-gradient learning for ``srm0`` neurons, driven by their own escape noise.

    Each synapse accumulates the correlation between its presynaptic potential ``psp`` (spikes
    filtered with ``tau_psp``) and the postsynaptic "surprise" ``s_post - p`` (the spike minus the
    probability with which it was drawn, taken from the ``srm0`` state)::

        e <- e * exp(-dt / tau_e) + psp (x) (s_post - p)
        w += nu * r * e

    per sample with its own reward ``r`` from ``Network.run(reward=...)``, reduced over the batch.
    R-max follows the reward gradient when ``r`` is the reward minus its expected value, so pass
    a baseline-corrected reward (e.g. minus a running mean); without reward nothing changes.
    Needs target neurons whose state has ``probability`` (``srm0``). Works on every connection
    type with ``outer``. Reference: Vasilaki, Frémaux, Urbanczik, Senn & Gerstner, PLoS Comput.
    Biol. 5(12) (2009); ``tau_psp`` 10 ms is ``srm0``'s membrane time constant.

    Args:
        nu: learning rate, 1e-3.
        tau_psp: time constant of the presynaptic potential, 10 ms.
        tau_e: time constant of the eligibility trace, 500 ms (about one trial).
        reduction: ``"mean"`` or ``"sum"`` of the updates over the batch.

    >>> import torch
    >>> from snnkit_plugins.connections.dense import Dense
    >>> from snnkit_plugins.neurons.srm0 import SRM0State
    >>> conn, rule = Dense(1, 1, weight=0.5), Rmax(nu=1.0)
    >>> spike, zero = torch.ones(1, 1, dtype=torch.bool), torch.zeros(1, 1)
    >>> post = Activity(spike, SRM0State(zero, zero, torch.full((1, 1), 0.25)))
    >>> _ = rule(conn, Activity(spike), post, rule.initial_state(conn, 1), Context(), torch.tensor([1.0]))
    >>> conn.weight.item()  # 0.5 + 1 * 1 * psp 1 * (1 - 0.25)
    1.25
    """

    def __init__(
        self, nu: float = 1e-3, *, tau_psp: float = 10.0, tau_e: float = 500.0, reduction: str = "mean"
    ) -> None:
        super().__init__()
        if tau_psp <= 0 or tau_e <= 0:
            raise ValueError("tau_psp and tau_e must be positive time constants in ms")
        self.nu, self.tau_psp, self.tau_e = nu, tau_psp, tau_e
        self.reduction = check_reduction(reduction)

    def check_layers(self, source: NeuronGroup, target: NeuronGroup) -> None:
        fields = target.initial_state(1)._fields
        if "probability" not in fields:
            raise NetworkError(
                "the rule 'rmax' needs target neurons that report their firing probability (srm0); the"
                f" target's {type(target).__name__} neurons have {', '.join(fields) or 'no state'}"
            )

    def initial_state(
        self,
        connection: Connection,
        batch_size: int,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> RmaxState:
        psp = torch.zeros(batch_size, connection.source_size, device=device, dtype=dtype)
        return RmaxState(psp, torch.zeros(batch_size, *connection.weight.shape, device=device, dtype=dtype))

    def forward(
        self,
        connection: Connection,
        pre: Activity,
        post: Activity,
        state: RmaxState,
        ctx: Context,
        reward: Tensor | None = None,
    ) -> RmaxState:
        probability = post.state.probability  # present: checked by check_layers
        s_pre, s_post = flat(pre.spikes, state.psp.dtype), flat(post.spikes, state.psp.dtype)
        psp = state.psp * math.exp(-ctx.dt / self.tau_psp) + s_pre
        surprise = s_post - flat(probability, state.psp.dtype)
        eligibility = state.eligibility * math.exp(-ctx.dt / self.tau_e) + connection.outer(psp, surprise)
        if reward is not None:
            batch = s_pre.shape[0]
            scale = self.nu / (batch if self.reduction == "mean" else 1)
            r = reward.reshape(-1, *[1] * (eligibility.dim() - 1))
            connection.weight.add_(scale * (r * eligibility).sum(0))
        return RmaxState(psp, eligibility)


@hookimpl
def snnkit_register_learning_rules(registry):
    registry.add("rmax", Rmax)
