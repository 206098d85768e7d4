"""The ``srm0`` neuron model: a stochastic spike-response neuron with an exponential escape rate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, hookimpl
from snnkit_plugins.neurons.lif import integrate, leak, reset


class SRM0State(NamedTuple):
    v: Tensor  # membrane potential (mV)
    refractory: Tensor  # refractory time left (ms)
    probability: Tensor  # probability of the spike drawn in the last step (the R-max rule needs it)


class SRM0(NeuronGroup):
    """Stochastic spike-response neurons (SRM0): they fire with a probability set by the membrane.

    The membrane integrates input like ``lif``; instead of a hard threshold, a neuron fires in a
    step with probability ``1 - exp(-rho dt)`` under the escape rate::

        rho = rho0 * exp((v - v_thresh) / delta_u)

    then resets and is refractory as in ``lif``. Random numbers come from the network's generator,
    so a seed repeats a run. The R-max rule (Vasilaki et al., PLoS Comput. Biol. 5(12), 2009) learns
    from exactly this escape noise. Reference: Gerstner & Kistler, *Spiking Neuron Models* (2002),
    ch. 5.3 and 4.2; the defaults follow BindsNET's ``SRM0Nodes``.

    Args:
        shape: neurons in the layer.
        v_rest: resting potential, -70 mV.
        v_reset: reset potential after a spike, -70 mV.
        v_thresh: potential at which the escape rate is ``rho0``, -50 mV.
        tau_mem: membrane time constant, 10 ms.
        refractory: refractory period, 5 ms.
        rho0: escape rate at ``v_thresh``, 1.0 per ms.
        delta_u: sharpness of the escape rate (mV per e-fold), 5 mV.

    State variables: ``v`` (mV), ``refractory`` (ms left) and ``probability`` (of the spike drawn
    in the last step; 0 while refractory).

    >>> layer = SRM0(1000, v_rest=-50.0, refractory=0.0)
    >>> ctx = Context(generator=torch.Generator().manual_seed(0))
    >>> spikes, _ = layer(torch.zeros(1, 1000), layer.initial_state(1), ctx)
    >>> 0.55 < spikes.float().mean().item() < 0.71  # 1 - exp(-1) = 0.632
    True
    """

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        v_rest: float = -70.0,
        v_reset: float = -70.0,
        v_thresh: float = -50.0,
        tau_mem: float = 10.0,
        refractory: float = 5.0,
        rho0: float = 1.0,
        delta_u: float = 5.0,
    ) -> None:
        super().__init__(shape)
        if tau_mem <= 0 or rho0 <= 0 or delta_u <= 0:
            raise ValueError("tau_mem, rho0 and delta_u must be positive")
        self.v_rest, self.v_reset, self.v_thresh = v_rest, v_reset, v_thresh
        self.tau_mem, self.refractory, self.rho0, self.delta_u = tau_mem, refractory, rho0, delta_u

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> SRM0State:
        v = torch.full((batch_size, *self.shape), self.v_rest, device=device, dtype=dtype)
        return SRM0State(v, torch.zeros_like(v), torch.zeros_like(v))

    def firing_probability(self, v: Tensor, dt: float) -> Tensor:
        """Probability of a spike within one step of ``dt`` ms at potential ``v``."""
        rho = self.rho0 * torch.exp((v - self.v_thresh) / self.delta_u)
        return -torch.expm1(-rho * dt)

    def forward(self, input: Tensor, state: SRM0State, ctx: Context) -> tuple[Tensor, SRM0State]:
        dt = ctx.dt
        v, active = integrate(leak(state.v, self.v_rest, self.tau_mem, dt), input, state.refractory, dt)
        draw = torch.rand(v.shape, generator=ctx.generator, device=v.device, dtype=v.dtype)
        probability = self.firing_probability(v, dt) * active
        fired = draw < probability
        v, refractory = reset(fired, v, state.refractory, self.v_reset, self.refractory, dt)
        return fired.to(v.dtype), SRM0State(v, refractory, probability)


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("srm0", SRM0)
