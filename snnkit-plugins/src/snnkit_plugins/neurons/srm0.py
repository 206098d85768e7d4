"""The ``srm0`` neuron model: a stochastic spike-response neuron with an exponential escape rate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, Surrogate, hookimpl, spike
from snnkit_plugins.neurons.lif import integrate, leak, learnable_parameters, reset


@dataclass(frozen=True)
class SRM0Parameters:
    """Parameters of :func:`srm0_step`; the defaults live in :class:`SRM0`'s signature. A learnable
    parameter is a tensor of the layer's shape instead of a number."""

    v_rest: float | Tensor  # resting potential the membrane decays to (mV)
    v_reset: float | Tensor  # potential after a spike (mV)
    v_thresh: float | Tensor  # potential at which the escape rate is rho0 (mV)
    tau_mem: float | Tensor  # membrane time constant (ms)
    refractory: float  # time after a spike during which input is ignored (ms)
    rho0: float | Tensor  # escape rate at v_thresh (per ms)
    delta_u: float | Tensor  # sharpness of the escape rate (mV per e-fold)


class SRM0State(NamedTuple):
    v: Tensor  # membrane potential (mV)
    refractory: Tensor  # refractory time left (ms)
    probability: Tensor  # probability of the spike drawn in the last step (the R-max rule needs it)


def escape_parameters(p: SRM0Parameters) -> tuple[float | Tensor, float | Tensor]:
    """``(rho0, delta_u)``, learnable ones kept above 1e-6 per ms and 0.001 mV."""
    rho0 = p.rho0.clamp_min(1e-6) if isinstance(p.rho0, Tensor) else p.rho0
    delta_u = p.delta_u.clamp_min(1e-3) if isinstance(p.delta_u, Tensor) else p.delta_u
    return rho0, delta_u


def escape_probability(v: Tensor, p: SRM0Parameters, dt: float) -> Tensor:
    """Probability of a spike within one step of ``dt`` ms at potential ``v`` (mV):
    ``1 - exp(-rho dt)`` with ``rho = rho0 exp((v - v_thresh) / delta_u)``."""
    rho0, delta_u = escape_parameters(p)
    rho = rho0 * torch.exp((v - p.v_thresh) / delta_u)
    return -torch.expm1(-rho * dt)


def sampled_spikes(
    v: Tensor,
    draw: Tensor,
    fired: Tensor,
    active: Tensor,
    p: SRM0Parameters,
    dt: float,
    surrogate: Surrogate | None,
) -> Tensor:
    """The spikes drawn (``fired``: ``draw < escape_probability(v)``) as 0.0/1.0, and in a
    differentiable step a threshold crossing through ``surrogate``.

    ``draw < 1 - exp(-rho dt)`` holds exactly when ``v`` exceeds the random threshold
    ``theta = v_thresh + delta_u ln(-ln(1 - draw) / (rho0 dt))`` (escape noise is a noisy
    threshold), so the spike is ``snnkit.spike`` at ``x = v - theta`` (mV), as ``lif``'s is at
    ``v - v_thresh``. ``v >= theta`` is the draw but for rounding; where the two differ (the
    draw sits within rounding of the probability), ``x`` is moved to zero on the drawn side, so
    the spikes are always the ones drawn.
    """
    needs_grad = torch.is_grad_enabled() and (
        v.requires_grad or any(isinstance(t, Tensor) and t.requires_grad for t in (p.v_thresh, p.rho0, p.delta_u))
    )
    if surrogate is None or not needs_grad:
        return fired.to(v.dtype)
    rho0, delta_u = escape_parameters(p)
    tiny = torch.finfo(v.dtype).tiny
    exponential = -torch.log1p(-draw.clamp_min(tiny))  # an Exp(1) sample: spike when rho dt exceeds it
    x = v - (p.v_thresh + delta_u * torch.log(exponential / (rho0 * dt)))
    moved = x - x.detach()  # zero, carrying x's gradient
    x = torch.where(fired == (x >= 0), x, torch.where(fired, moved, moved - tiny))
    return spike(x, 0.0, surrogate, active)[0]


def srm0_step(
    x: Tensor,
    state: SRM0State,
    p: SRM0Parameters,
    dt: float,
    generator: torch.Generator | None = None,
    surrogate: Surrogate | None = None,
) -> tuple[Tensor, SRM0State]:
    """One step of ``dt`` ms of the SRM0 dynamics, drawing one uniform number per neuron from
    ``generator``; pure otherwise (the same generator state gives the same step), so it can be
    compiled, differentiated or tested alone."""
    v, active = integrate(leak(state.v, p.v_rest, p.tau_mem, dt), x, state.refractory, dt)
    draw = torch.rand(v.shape, generator=generator, device=v.device, dtype=v.dtype)
    probability = escape_probability(v, p, dt) * active
    fired = draw < probability
    spikes = sampled_spikes(v, draw, fired, active, p, dt, surrogate)
    v, refractory = reset(fired, v, state.refractory, p.v_reset, p.refractory, dt)
    return spikes, SRM0State(v, refractory, probability)


class SRM0(NeuronGroup):
    """Stochastic spike-response neurons (SRM0): they fire with a probability set by the membrane.

    The membrane integrates input like ``lif``; instead of a hard threshold, a neuron fires in a
    step with probability ``1 - exp(-rho dt)`` under the escape rate::

        rho = rho0 * exp((v - v_thresh) / delta_u)

    then resets and is refractory as in ``lif``. Random numbers come from the network's generator,
    so a seed repeats a run. The R-max rule (Vasilaki et al., PLoS Comput. Biol. 5(12), 2009) learns
    from exactly this escape noise. Reference: Gerstner & Kistler, *Spiking Neuron Models* (2002),
    ch. 5.3 and 4.2; the defaults follow BindsNET's ``SRM0Nodes``.

    For gradient training the parameters named in ``learnable`` become per-neuron tensors
    (``tau_mem`` kept above ``dt / 10``, ``rho0`` above 1e-6 per ms, ``delta_u`` above 0.001 mV)
    and gradients take two paths. The **spike** drawn in a step, ``u < 1 - exp(-rho dt)`` for a
    uniform ``u``, is exactly the membrane crossing a random threshold::

        theta = v_thresh + delta_u * ln(-ln(1 - u) / (rho0 dt))

    so it passes the layer's surrogate gradient at ``v - theta`` (mV), as ``lif``'s spike does at
    ``v - v_thresh``: to ``v`` (hence inputs, ``v_rest``, ``v_reset``, ``tau_mem``) and to
    ``v_thresh``, ``delta_u`` and ``rho0`` through ``theta``, for the draw that was made. Since
    ``P(theta < v)`` is the firing probability, the mean of that gradient over the draws is the
    derivative of the expected spike, smoothed by the surrogate (exactly so as the surrogate
    narrows, if it integrates to 1 as ``atan``, ``sigmoid`` and ``triangle`` do). The
    **probability** in the state is a smooth function of the membrane and the parameters and
    gets its exact gradient, no surrogate involved; a loss on it (say, expected spike counts)
    differentiates without sampling noise. As in ``lif``, the reset passes no gradient.

    Args:
        shape: neurons in the layer.
        v_rest: resting potential, -70 mV.
        v_reset: reset potential after a spike, -70 mV.
        v_thresh: potential at which the escape rate is ``rho0``, -50 mV.
        tau_mem: membrane time constant, 10 ms.
        refractory: refractory period, 5 ms.
        rho0: escape rate at ``v_thresh``, 1.0 per ms.
        delta_u: sharpness of the escape rate (mV per e-fold), 5 mV.
        learnable: parameters learned by gradient training, any of ``v_rest``, ``v_reset``,
            ``v_thresh``, ``tau_mem``, ``rho0``, ``delta_u``; none by default.

    State variables: ``v`` (mV), ``refractory`` (ms left) and ``probability`` (of the spike drawn
    in the last step; 0 while refractory).

    >>> layer = SRM0(1000, v_rest=-50.0, refractory=0.0)
    >>> ctx = Context(generator=torch.Generator().manual_seed(0))
    >>> spikes, _ = layer(torch.zeros(1, 1000), layer.initial_state(1), ctx)
    >>> 0.55 < spikes.float().mean().item() < 0.71  # 1 - exp(-1) = 0.632
    True
    """

    differentiable = True

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
        learnable: Sequence[str] = (),
    ) -> None:
        super().__init__(shape)
        if tau_mem <= 0 or rho0 <= 0 or delta_u <= 0:
            raise ValueError("tau_mem, rho0 and delta_u must be positive")
        self.params = SRM0Parameters(v_rest, v_reset, v_thresh, tau_mem, refractory, rho0, delta_u)
        values = {
            "v_rest": v_rest,
            "v_reset": v_reset,
            "v_thresh": v_thresh,
            "tau_mem": tau_mem,
            "rho0": rho0,
            "delta_u": delta_u,
        }
        self.learned = learnable_parameters(self, learnable, values)

    @property
    def current(self) -> SRM0Parameters:
        """The parameters as they are now, learned ones included."""
        return replace(self.params, **{n: getattr(self, n) for n in self.learned}) if self.learned else self.params

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> SRM0State:
        v = torch.full((batch_size, *self.shape), self.params.v_rest, device=device, dtype=dtype)
        return SRM0State(v, torch.zeros_like(v), torch.zeros_like(v))

    def firing_probability(self, v: Tensor, dt: float) -> Tensor:
        """Probability of a spike within one step of ``dt`` ms at potential ``v``."""
        return escape_probability(v, self.current, dt)

    def forward(self, input: Tensor, state: SRM0State, ctx: Context) -> tuple[Tensor, SRM0State]:
        return srm0_step(input, state, self.current, ctx.dt, ctx.generator, self.surrogate)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, {self.params}"


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("srm0", SRM0)
