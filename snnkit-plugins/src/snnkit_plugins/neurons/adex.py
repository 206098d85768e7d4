"""The ``adex`` neuron model: adaptive exponential integrate-and-fire (Brette & Gerstner 2005)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, Surrogate, hookimpl, spike
from snnkit_plugins.neurons.exp_if import euler_rate, exponential_drive
from snnkit_plugins.neurons.lif import learnable_parameters


@dataclass(frozen=True)
class AdExParameters:
    """Parameters of :func:`adex_step`; the defaults live in :class:`AdEx`'s signature. A learnable
    parameter is a tensor of the layer's shape instead of a number."""

    v_rest: float | Tensor  # leak reversal potential E_L (mV)
    v_reset: float | Tensor  # potential after a spike V_r (mV)
    v_thresh: float | Tensor  # rheobase threshold V_T (mV)
    delta_t: float | Tensor  # slope factor (mV)
    v_peak: float  # spike cut-off (mV)
    tau_mem: float | Tensor  # membrane time constant C / g_L (ms)
    tau_w: float | Tensor  # adaptation time constant (ms)
    a: float | Tensor  # sub-threshold adaptation, in units of the leak conductance (a / g_L)
    b: float | Tensor  # spike-triggered adaptation, as a voltage (b / g_L, mV)


class AdExState(NamedTuple):
    v: Tensor  # membrane potential (mV)
    w: Tensor  # adaptation current times the leak resistance (mV)


def adex_step(
    x: Tensor, state: AdExState, p: AdExParameters, dt: float, surrogate: Surrogate | None = None
) -> tuple[Tensor, AdExState]:
    """One forward-Euler step of ``dt`` ms of ``v`` and ``w`` together (both from the old values)."""
    v, w = state.v, state.w
    drive = p.v_rest - v + exponential_drive(v, p.v_thresh, p.delta_t, p.v_peak) - w
    new_v = v + euler_rate(p.tau_mem, dt) * drive + x
    new_w = w + euler_rate(p.tau_w, dt) * (p.a * (v - p.v_rest) - w)
    spikes, fired = spike(new_v, p.v_peak, surrogate)
    # the reset is not differentiated through the spike, as in ``lif``
    if isinstance(p.v_reset, Tensor):
        new_v = torch.where(fired, p.v_reset, new_v)
    else:
        new_v = new_v.masked_fill(fired, p.v_reset)
    return spikes, AdExState(new_v, new_w + p.b * fired.to(new_w.dtype))


class AdEx(NeuronGroup):
    """Adaptive exponential integrate-and-fire neurons (AdEx): ``exp-if`` plus an adaptation current.

    With ``w`` the adaptation current times the leak resistance (mV), so that the input ``x`` is in
    mV per step as for every snnkit neuron::

        tau_mem dv/dt = -(v - v_rest) + delta_t exp((v - v_thresh) / delta_t) - w
        tau_w   dw/dt = a (v - v_rest) - w
        if v >= v_peak: spike, v <- v_reset, w <- w + b

    integrated with forward Euler (both variables from the previous step's values), the input
    added to ``v``. ``a`` and ``b`` are the paper's ``a / g_L`` and ``b / g_L``. The defaults are
    Brette & Gerstner's regular-spiking cell (C = 281 pF, g_L = 30 nS, E_L = -70.6 mV,
    V_T = -50.4 mV, Delta_T = 2 mV, tau_w = 144 ms, a = 4 nS, b = 0.0805 nA, V_r = E_L), with the
    spike cut off at ``V_T + 5 Delta_T``, past which the exponential runs away within a step.
    A constant input per step ``x`` makes it fire above the rheobase
    ``x_rh = dt / tau_mem * (1 + a) * (v_thresh - v_rest - delta_t + delta_t ln(1 + a))``
    (where the stable fixed point meets the saddle and vanishes; Touboul & Brette 2008), and keeps
    firing only above it: just below, a neuron starting from rest may fire once before ``w``, which
    the rheobase counts at its steady value, has built up. Each spike
    adds ``b`` to ``w``, so under constant drive the inter-spike intervals grow (spike-frequency
    adaptation). Reference: R. Brette & W. Gerstner, J. Neurophysiol. 94:3637 (2005). For gradient
    training the spike passes gradients through the layer's surrogate and the parameters named in
    ``learnable`` become per-neuron tensors (``tau_mem``, ``tau_w`` kept at or above ``dt``).

    Args:
        shape: neurons in the layer.
        v_rest: leak reversal potential E_L, -70.6 mV.
        v_reset: reset potential V_r, -70.6 mV.
        v_thresh: rheobase threshold V_T, -50.4 mV.
        delta_t: slope factor, 2 mV.
        v_peak: spike cut-off, -40.4 mV.
        tau_mem: membrane time constant C / g_L, 9.3667 ms.
        tau_w: adaptation time constant, 144 ms.
        a: sub-threshold adaptation a / g_L, 0.1333 (4 nS / 30 nS).
        b: spike-triggered adaptation b / g_L, 2.6833 mV (0.0805 nA / 30 nS).
        learnable: parameters learned by gradient training, any of ``v_rest``, ``v_reset``,
            ``v_thresh``, ``delta_t``, ``tau_mem``, ``tau_w``, ``a``, ``b``; none by default.

    State variables: ``v`` (mV) and ``w`` (mV).

    >>> layer = AdEx(1)
    >>> spikes, state = layer(torch.tensor([[40.0]]), layer.initial_state(1), Context(dt=1.0))
    >>> spikes.item(), round(state.v.item(), 4), round(state.w.item(), 4)
    (1.0, -70.6, 2.6833)
    """

    differentiable = True

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        v_rest: float = -70.6,
        v_reset: float = -70.6,
        v_thresh: float = -50.4,
        delta_t: float = 2.0,
        v_peak: float = -40.4,
        tau_mem: float = 281.0 / 30.0,
        tau_w: float = 144.0,
        a: float = 4.0 / 30.0,
        b: float = 80.5 / 30.0,
        learnable: Sequence[str] = (),
    ) -> None:
        super().__init__(shape)
        for name, value in (("tau_mem", tau_mem), ("tau_w", tau_w)):
            if not value > 0:
                raise ValueError(f"{name} must be a positive time constant in ms, got {value}")
        if not delta_t > 0:
            raise ValueError(f"delta_t must be a positive slope factor in mV, got {delta_t}")
        if not v_thresh < v_peak:
            raise ValueError(f"v_peak must lie above v_thresh, got v_thresh={v_thresh} and v_peak={v_peak} (mV)")
        if not v_reset < v_peak:
            raise ValueError(f"v_reset must lie below v_peak, got v_reset={v_reset} and v_peak={v_peak} (mV)")
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError(f"a and b must be finite, got a={a} and b={b}")
        self.params = AdExParameters(v_rest, v_reset, v_thresh, delta_t, v_peak, tau_mem, tau_w, a, b)
        values = {
            "v_rest": v_rest,
            "v_reset": v_reset,
            "v_thresh": v_thresh,
            "delta_t": delta_t,
            "tau_mem": tau_mem,
            "tau_w": tau_w,
            "a": a,
            "b": b,
        }
        self.learned = learnable_parameters(self, learnable, values)

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> AdExState:
        """Rest: ``v = v_rest``, ``w = 0``."""
        v = torch.full((batch_size, *self.shape), float(self.params.v_rest), device=device, dtype=dtype)
        return AdExState(v, torch.zeros_like(v))

    def forward(self, input: Tensor, state: AdExState, ctx: Context) -> tuple[Tensor, AdExState]:
        p = replace(self.params, **{n: getattr(self, n) for n in self.learned}) if self.learned else self.params
        return adex_step(input, state, p, ctx.dt, self.surrogate)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, {self.params}"


def rheobase(v_rest: float, v_thresh: float, delta_t: float, tau_mem: float, a: float, dt: float) -> float:
    """The smallest constant input per step (mV) that makes an ``adex`` neuron fire (for ``tau_w``
    long against ``tau_mem``, where the rest state is lost in a saddle-node bifurcation).

    >>> round(rheobase(-70.6, -50.4, 2.0, 281.0 / 30.0, 4.0 / 30.0, 1.0), 4)
    2.2324
    """
    return dt / tau_mem * (1 + a) * (v_thresh - v_rest - delta_t + delta_t * math.log1p(a))


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("adex", AdEx)
