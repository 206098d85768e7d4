"""The ``adaptive-lif`` neuron model: LIF whose threshold rises with each spike and relaxes back."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, hookimpl
from snnkit_plugins.neurons.lif import fire, leak


class AdaptiveLIFState(NamedTuple):
    v: Tensor  # membrane potential (mV)
    refractory: Tensor  # refractory time left (ms)
    theta: Tensor  # threshold increase (mV)


class AdaptiveLIF(NeuronGroup):
    """LIF neurons with spike-frequency adaptation: each spike raises the threshold, which relaxes back.

    The membrane is ``lif``'s; the threshold is ``v_thresh + theta`` with::

        theta[t] = exp(-dt / tc_theta_decay) * theta[t-1] + theta_plus * s[t]

    so after ``n`` spikes in quick succession the threshold sits ``n * theta_plus`` higher. ``theta``
    is part of the per-sample state: it adapts in training and evaluation alike, and
    ``Network.reset_state`` resets it. For a learned threshold that persists across samples and
    only changes while learning, use ``diehl-cook``. Defaults are BindsNET's ``AdaptiveLIFNodes``.

    Args:
        shape: neurons in the layer.
        v_rest: resting potential, -65 mV.
        v_reset: reset potential after a spike, -65 mV.
        v_thresh: threshold without adaptation, -52 mV.
        tau_mem: membrane time constant, 100 ms.
        refractory: refractory period, 5 ms.
        theta_plus: threshold increase per spike, 0.05 mV.
        tc_theta_decay: time constant of the threshold's relaxation, 1e7 ms.

    State variables: ``v`` (mV), ``refractory`` (ms left), ``theta`` (mV).

    >>> layer = AdaptiveLIF(1, theta_plus=2.0)
    >>> spikes, state = layer(torch.tensor([[20.0]]), layer.initial_state(1), Context())
    >>> spikes.item(), state.theta.item()
    (1.0, 2.0)
    """

    differentiable = True

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        v_rest: float = -65.0,
        v_reset: float = -65.0,
        v_thresh: float = -52.0,
        tau_mem: float = 100.0,
        refractory: float = 5.0,
        theta_plus: float = 0.05,
        tc_theta_decay: float = 1e7,
    ) -> None:
        super().__init__(shape)
        if tau_mem <= 0 or tc_theta_decay <= 0:
            raise ValueError("tau_mem and tc_theta_decay must be positive time constants in ms")
        self.v_rest, self.v_reset, self.v_thresh = v_rest, v_reset, v_thresh
        self.tau_mem, self.refractory = tau_mem, refractory
        self.theta_plus, self.tc_theta_decay = theta_plus, tc_theta_decay

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> AdaptiveLIFState:
        v = torch.full((batch_size, *self.shape), self.v_rest, device=device, dtype=dtype)
        return AdaptiveLIFState(v, torch.zeros_like(v), torch.zeros_like(v))

    def forward(self, input: Tensor, state: AdaptiveLIFState, ctx: Context) -> tuple[Tensor, AdaptiveLIFState]:
        dt = ctx.dt
        v = leak(state.v, self.v_rest, self.tau_mem, dt)
        theta = math.exp(-dt / self.tc_theta_decay) * state.theta
        spikes, v, refractory = fire(
            v, input, state.refractory, self.v_thresh + theta, self.v_reset, self.refractory, dt, self.surrogate
        )
        theta = theta + self.theta_plus * spikes
        return spikes, AdaptiveLIFState(v, refractory, theta)


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("adaptive-lif", AdaptiveLIF)
