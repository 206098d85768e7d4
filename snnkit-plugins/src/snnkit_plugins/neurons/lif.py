"""The ``lif`` neuron model: leaky integrate-and-fire with a refractory period."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, hookimpl


@dataclass(frozen=True)
class LIFParameters:
    """Parameters of :func:`lif_step`; the defaults live in :class:`LIF`'s signature."""

    v_rest: float  # resting potential the membrane decays to (mV)
    v_reset: float  # potential after a spike (mV)
    v_thresh: float  # spike threshold (mV)
    tau_mem: float  # membrane time constant (ms)
    refractory: float  # time after a spike during which input is ignored (ms)


class LIFState(NamedTuple):
    v: Tensor  # membrane potential (mV)
    refractory: Tensor  # refractory time left (ms)


# The LIF family (lif, current-lif, adaptive-lif, diehl-cook, srm0) shares these steps; each model
# composes them around its own way of deciding who spikes.


def leak(v: Tensor, v_rest: float, tau: float, dt: float) -> Tensor:
    """Exact decay of ``v`` towards ``v_rest`` over ``dt`` ms with time constant ``tau``."""
    decay = math.exp(-dt / tau)
    return v.mul(decay).add_(v_rest * (1.0 - decay))


def integrate(v: Tensor, x: Tensor, refractory: Tensor, dt: float) -> tuple[Tensor, Tensor]:
    """Add input ``x`` where the neuron is not refractory; returns ``(v, active)``."""
    active = refractory < 0.5 * dt
    return v + x * active, active


def reset(
    spikes: Tensor, v: Tensor, refractory: Tensor, v_reset: float, period: float, dt: float
) -> tuple[Tensor, Tensor]:
    """Set spiking neurons to ``v_reset`` and hold them refractory for ``period`` ms (whole steps)."""
    hold = round(period / dt) * dt
    return torch.where(spikes, v_reset, v), torch.where(spikes, hold, refractory - dt).clamp_min_(0.0)


def fire(
    v: Tensor, x: Tensor, refractory: Tensor, threshold: float | Tensor, v_reset: float, period: float, dt: float
) -> tuple[Tensor, Tensor, Tensor]:
    """Integrate-and-fire with an absolute refractory period: spikes where ``v >= threshold``.

    Returns ``(spikes, v, refractory)``.
    """
    v, active = integrate(v, x, refractory, dt)
    spikes = v >= threshold
    spikes &= active
    v, refractory = reset(spikes, v, refractory, v_reset, period, dt)
    return spikes, v, refractory


def lif_step(x: Tensor, state: LIFState, p: LIFParameters, dt: float) -> tuple[Tensor, LIFState]:
    """One step of ``dt`` ms of the LIF dynamics; pure, so it can be compiled or tested alone."""
    v = leak(state.v, p.v_rest, p.tau_mem, dt)
    spikes, v, refractory = fire(v, x, state.refractory, p.v_thresh, p.v_reset, p.refractory, dt)
    return spikes, LIFState(v, refractory)


class LIF(NeuronGroup):
    """Leaky integrate-and-fire neurons with an absolute refractory period.

    Between spikes the membrane decays to rest with time constant ``tau_mem`` and each step's input
    ``x`` (mV) is added to it (delta synapses, as in BindsNET)::

        v[t] = v_rest + exp(-dt / tau_mem) * (v[t-1] - v_rest) + x[t]

    When ``v >= v_thresh`` the neuron spikes, ``v`` is set to ``v_reset`` and input is ignored for
    the next ``refractory`` ms (rounded to whole steps). From rest, a constant input ``x`` drives
    ``v - v_rest = x (1 - d^k) / (1 - d)`` after ``k`` steps, with ``d = exp(-dt / tau_mem)``.
    Reference: Gerstner, Kistler, Naud & Paninski, *Neuronal Dynamics* (2014), ch. 1.3; the
    defaults are BindsNET's ``LIFNodes``.

    Args:
        shape: neurons in the layer.
        v_rest: resting potential, -65 mV.
        v_reset: reset potential after a spike, -65 mV.
        v_thresh: spike threshold, -52 mV.
        tau_mem: membrane time constant, 100 ms.
        refractory: refractory period, 5 ms.
        trace_tau: time constant (ms) of the spike trace for learning rules; ``None`` keeps none.
        trace_additive: add 1 per spike (``True``) or reset the trace to 1 (``False``).

    State variables: ``v`` (mV) and ``refractory`` (ms left).

    >>> layer = LIF(2)
    >>> state = layer.initial_state(1)
    >>> spikes, state = layer(torch.tensor([[20.0, 1.0]]), state, Context(dt=1.0))
    >>> spikes.tolist(), state.v.tolist()
    ([[True, False]], [[-65.0, -64.0]])
    """

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        v_rest: float = -65.0,
        v_reset: float = -65.0,
        v_thresh: float = -52.0,
        tau_mem: float = 100.0,
        refractory: float = 5.0,
        trace_tau: float | None = None,
        trace_additive: bool = False,
    ) -> None:
        super().__init__(shape, trace_tau=trace_tau, trace_additive=trace_additive)
        if tau_mem <= 0:
            raise ValueError(f"tau_mem must be a positive time constant in ms, got {tau_mem}")
        if refractory < 0:
            raise ValueError(f"refractory must be a non-negative time in ms, got {refractory}")
        self.params = LIFParameters(v_rest, v_reset, v_thresh, tau_mem, refractory)

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> LIFState:
        v = torch.full((batch_size, *self.shape), self.params.v_rest, device=device, dtype=dtype)
        return LIFState(v, torch.zeros_like(v))

    def forward(self, input: Tensor, state: LIFState, ctx: Context) -> tuple[Tensor, LIFState]:
        return lif_step(input, state, self.params, ctx.dt)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, {self.params}"


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("lif", LIF)
