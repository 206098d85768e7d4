"""The ``exp-if`` neuron model: exponential integrate-and-fire (Fourcaud-Trocme et al. 2003)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, Surrogate, hookimpl, spike
from snnkit_plugins.neurons.lif import learnable_parameters


@dataclass(frozen=True)
class ExpIFParameters:
    """Parameters of :func:`exp_if_step`; the defaults live in :class:`ExpIF`'s signature. A
    learnable parameter is a tensor of the layer's shape instead of a number."""

    v_rest: float | Tensor  # resting potential (mV)
    v_reset: float | Tensor  # potential after a spike (mV)
    v_thresh: float | Tensor  # rheobase threshold V_T, where the exponential takes over (mV)
    delta_t: float | Tensor  # slope factor: sharpness of the spike initiation (mV)
    v_peak: float  # spike cut-off (mV)
    tau_mem: float | Tensor  # membrane time constant (ms)


class ExpIFState(NamedTuple):
    v: Tensor  # membrane potential (mV)


def euler_rate(tau: float | Tensor, dt: float) -> float | Tensor:
    """``dt / tau`` for a forward-Euler step; a learnable ``tau`` is kept at or above ``dt`` so the
    linear part of the step stays stable."""
    return dt / tau.clamp_min(dt) if isinstance(tau, Tensor) else dt / tau


def exponential_drive(v: Tensor, v_thresh: float | Tensor, delta_t: float | Tensor, v_peak: float) -> Tensor:
    """``delta_t * exp((v - v_thresh) / delta_t)``, evaluated at ``min(v, v_peak)`` so that it stays
    finite (the spike is emitted at ``v_peak`` anyway)."""
    if isinstance(delta_t, Tensor):
        delta_t = delta_t.clamp_min(1e-3)
    return delta_t * torch.exp((v.clamp_max(v_peak) - v_thresh) / delta_t)


def exp_if_step(
    x: Tensor, state: ExpIFState, p: ExpIFParameters, dt: float, surrogate: Surrogate | None = None
) -> tuple[Tensor, ExpIFState]:
    """One forward-Euler step of ``dt`` ms; pure, so it can be compiled, differentiated or tested alone."""
    v = state.v
    dv = euler_rate(p.tau_mem, dt) * (p.v_rest - v + exponential_drive(v, p.v_thresh, p.delta_t, p.v_peak))
    v = v + dv + x
    spikes, fired = spike(v, p.v_peak, surrogate)
    # the reset is not differentiated through, as in ``lif``
    v = torch.where(fired, p.v_reset, v) if isinstance(p.v_reset, Tensor) else v.masked_fill(fired, p.v_reset)
    return spikes, ExpIFState(v)


class ExpIF(NeuronGroup):
    """Exponential integrate-and-fire neurons: a leak plus an exponential spike-initiation current.

    ::

        tau_mem dv/dt = -(v - v_rest) + delta_t * exp((v - v_thresh) / delta_t)
        if v >= v_peak: spike, v <- v_reset

    integrated with forward Euler, the step's input ``x`` (mV) added to ``v`` as in ``lif``::

        v[t] = v[t-1] + dt / tau_mem * (v_rest - v[t-1] + delta_t exp((v[t-1] - v_thresh) / delta_t)) + x[t]

    ``v_thresh`` is the rheobase threshold ``V_T``: below it the exponential is small and the
    membrane is a leaky integrator; above it, it runs away to ``v_peak`` within a step or two.
    A constant input ``x`` per step makes the neuron fire when it exceeds the rheobase
    ``x_rh = dt / tau_mem * (v_thresh - v_rest - delta_t)`` (the Euler map has the ODE's fixed
    points, which vanish there). As ``delta_t -> 0`` the model becomes ``lif`` with threshold
    ``v_thresh``. There is no refractory period. Reference: N. Fourcaud-Trocme, D. Hansel,
    C. van Vreeswijk & N. Brunel, J. Neurosci. 23(37), 2003; defaults from Gerstner et al.,
    *Neuronal Dynamics* (2014), ch. 5.2. For gradient training the spike passes gradients through
    the layer's surrogate and the parameters named in ``learnable`` become per-neuron tensors
    (``tau_mem`` is kept at or above ``dt``, ``delta_t`` above 0.001 mV).

    Args:
        shape: neurons in the layer.
        v_rest: resting potential, -65 mV.
        v_reset: reset potential after a spike, -68 mV.
        v_thresh: rheobase threshold V_T, -55 mV.
        delta_t: slope factor (sharpness of spike initiation), 2 mV.
        v_peak: spike cut-off, -30 mV.
        tau_mem: membrane time constant, 12 ms.
        learnable: parameters learned by gradient training, any of ``v_rest``, ``v_reset``,
            ``v_thresh``, ``delta_t``, ``tau_mem``; none by default.

    State variables: ``v`` (mV).

    >>> layer = ExpIF(2)
    >>> spikes, state = layer(torch.tensor([[40.0, 1.2]]), layer.initial_state(1), Context(dt=1.0))
    >>> spikes.tolist(), [round(v, 4) for v in state.v.flatten().tolist()]
    ([[1.0, 0.0]], [-68.0, -63.7989])
    """

    differentiable = True

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        v_rest: float = -65.0,
        v_reset: float = -68.0,
        v_thresh: float = -55.0,
        delta_t: float = 2.0,
        v_peak: float = -30.0,
        tau_mem: float = 12.0,
        learnable: Sequence[str] = (),
    ) -> None:
        super().__init__(shape)
        if not tau_mem > 0:
            raise ValueError(f"tau_mem must be a positive time constant in ms, got {tau_mem}")
        if not delta_t > 0:
            raise ValueError(f"delta_t must be a positive slope factor in mV, got {delta_t}")
        if not v_thresh < v_peak:
            raise ValueError(f"v_peak must lie above v_thresh, got v_thresh={v_thresh} and v_peak={v_peak} (mV)")
        if not v_reset < v_peak:
            raise ValueError(f"v_reset must lie below v_peak, got v_reset={v_reset} and v_peak={v_peak} (mV)")
        self.params = ExpIFParameters(v_rest, v_reset, v_thresh, delta_t, v_peak, tau_mem)
        values = {"v_rest": v_rest, "v_reset": v_reset, "v_thresh": v_thresh, "delta_t": delta_t, "tau_mem": tau_mem}
        self.learned = learnable_parameters(self, learnable, values)

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> ExpIFState:
        """Rest: ``v = v_rest`` (the exponential adds ``delta_t exp(-(v_thresh - v_rest) / delta_t)``,
        about 0.013 mV with the defaults, which the first steps settle)."""
        return ExpIFState(torch.full((batch_size, *self.shape), float(self.params.v_rest), device=device, dtype=dtype))

    def forward(self, input: Tensor, state: ExpIFState, ctx: Context) -> tuple[Tensor, ExpIFState]:
        p = replace(self.params, **{n: getattr(self, n) for n in self.learned}) if self.learned else self.params
        return exp_if_step(input, state, p, ctx.dt, self.surrogate)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, {self.params}"


def rheobase(v_rest: float, v_thresh: float, delta_t: float, tau_mem: float, dt: float) -> float:
    """The smallest constant input per step (mV) that makes an ``exp-if`` neuron fire:
    ``dt / tau_mem * (v_thresh - v_rest - delta_t)``.

    >>> round(rheobase(-65.0, -55.0, 2.0, 12.0, 1.0), 4)
    0.6667
    """
    return dt / tau_mem * (v_thresh - v_rest - delta_t)


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("exp-if", ExpIF)
