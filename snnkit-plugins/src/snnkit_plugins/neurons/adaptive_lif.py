"""The ``adaptive-lif`` neuron model: LIF whose threshold rises with each spike and relaxes back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, Surrogate, hookimpl
from snnkit_plugins.neurons.lif import decay, fire, leak, learnable_parameters


@dataclass(frozen=True)
class AdaptiveLIFParameters:
    """Parameters of :func:`adaptive_lif_step`; a learnable one is a tensor of the layer's shape."""

    v_rest: float | Tensor  # resting potential (mV)
    v_reset: float | Tensor  # potential after a spike (mV)
    v_thresh: float | Tensor  # threshold without adaptation (mV)
    tau_mem: float | Tensor  # membrane time constant (ms)
    refractory: float  # time after a spike during which input is ignored (ms)
    theta_plus: float | Tensor  # threshold increase per spike (mV)
    tc_theta_decay: float | Tensor  # time constant of the threshold's relaxation (ms)


class AdaptiveLIFState(NamedTuple):
    v: Tensor  # membrane potential (mV)
    refractory: Tensor  # refractory time left (ms)
    theta: Tensor  # threshold increase (mV)


def adaptive_lif_step(
    x: Tensor, state: AdaptiveLIFState, p: AdaptiveLIFParameters, dt: float, surrogate: Surrogate | None = None
) -> tuple[Tensor, AdaptiveLIFState]:
    """One step of ``dt`` ms of the adaptive LIF dynamics; pure."""
    v = leak(state.v, p.v_rest, p.tau_mem, dt)
    theta = decay(p.tc_theta_decay, dt) * state.theta
    spikes, v, refractory = fire(v, x, state.refractory, p.v_thresh + theta, p.v_reset, p.refractory, dt, surrogate)
    return spikes, AdaptiveLIFState(v, refractory, theta + p.theta_plus * spikes)


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
        learnable: parameters learned by gradient training, any of ``v_rest``, ``v_reset``,
            ``v_thresh``, ``tau_mem``, ``theta_plus``, ``tc_theta_decay``; none by default.

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
        learnable: Sequence[str] = (),
    ) -> None:
        super().__init__(shape)
        if tau_mem <= 0 or tc_theta_decay <= 0:
            raise ValueError("tau_mem and tc_theta_decay must be positive time constants in ms")
        if refractory < 0:
            raise ValueError(f"refractory must be a non-negative time in ms, got {refractory}")
        self.params = AdaptiveLIFParameters(v_rest, v_reset, v_thresh, tau_mem, refractory, theta_plus, tc_theta_decay)
        values = {
            "v_rest": v_rest,
            "v_reset": v_reset,
            "v_thresh": v_thresh,
            "tau_mem": tau_mem,
            "theta_plus": theta_plus,
            "tc_theta_decay": tc_theta_decay,
        }
        self.learned = learnable_parameters(self, learnable, values)

    @property
    def current(self) -> AdaptiveLIFParameters:
        """The parameters as they are now, learned ones included."""
        return replace(self.params, **{n: getattr(self, n) for n in self.learned}) if self.learned else self.params

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> AdaptiveLIFState:
        v = torch.full((batch_size, *self.shape), self.params.v_rest, device=device, dtype=dtype)
        return AdaptiveLIFState(v, torch.zeros_like(v), torch.zeros_like(v))

    def forward(self, input: Tensor, state: AdaptiveLIFState, ctx: Context) -> tuple[Tensor, AdaptiveLIFState]:
        return adaptive_lif_step(input, state, self.current, ctx.dt, self.surrogate)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, {self.params}"


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("adaptive-lif", AdaptiveLIF)
