"""The ``conductance-lif`` neuron model: LIF with conductance-based excitatory and inhibitory synapses."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, Surrogate, hookimpl, spike
from snnkit_plugins.neurons.lif import learnable_parameters, reset


@dataclass(frozen=True)
class ConductanceLIFParameters:
    """Parameters of :func:`conductance_lif_step`; the defaults live in :class:`ConductanceLIF`'s
    signature. A learnable parameter is a tensor of the layer's shape instead of a number."""

    v_rest: float | Tensor  # leak reversal potential (mV)
    v_reset: float | Tensor  # potential after a spike (mV)
    v_thresh: float | Tensor  # spike threshold (mV)
    tau_mem: float | Tensor  # membrane time constant C / g_L (ms)
    e_exc: float  # excitatory reversal potential (mV)
    e_inh: float  # inhibitory reversal potential (mV)
    tau_exc: float | Tensor  # decay time constant of the excitatory conductance (ms)
    tau_inh: float | Tensor  # decay time constant of the inhibitory conductance (ms)
    refractory: float  # time after a spike during which the membrane is held at v_reset (ms)


class ConductanceLIFState(NamedTuple):
    v: Tensor  # membrane potential (mV)
    g_exc: Tensor  # excitatory conductance, in units of the leak conductance
    g_inh: Tensor  # inhibitory conductance, in units of the leak conductance
    refractory: Tensor  # refractory time left (ms)


def decay(tau: float | Tensor, dt: float) -> float | Tensor:
    """``exp(-dt / tau)``; a learnable ``tau`` is kept above a tenth of a step, as in ``lif``."""
    return torch.exp(-dt / tau.clamp_min(0.1 * dt)) if isinstance(tau, Tensor) else math.exp(-dt / tau)


def conductance_lif_step(
    x: Tensor, state: ConductanceLIFState, p: ConductanceLIFParameters, dt: float, surrogate: Surrogate | None = None
) -> tuple[Tensor, ConductanceLIFState]:
    """One step of ``dt`` ms: the conductances take the step's input, then the membrane relaxes
    exactly towards its conductance-weighted equilibrium for the step; pure, so it can be
    compiled, differentiated or tested alone."""
    g_exc = state.g_exc * decay(p.tau_exc, dt) + x.clamp_min(0.0)
    g_inh = state.g_inh * decay(p.tau_inh, dt) + (-x).clamp_min(0.0)
    total = 1.0 + g_exc + g_inh  # leak, excitatory and inhibitory conductance, in units of the leak
    v_inf = (p.v_rest + g_exc * p.e_exc + g_inh * p.e_inh) / total
    tau = p.tau_mem.clamp_min(0.1 * dt) if isinstance(p.tau_mem, Tensor) else p.tau_mem
    relaxed = v_inf + (state.v - v_inf) * torch.exp(-dt * total / tau)
    active = state.refractory < 0.5 * dt
    v = torch.where(active, relaxed, state.v)  # held (at v_reset) while refractory
    spikes, fired = spike(v, p.v_thresh, surrogate, active)
    v, refractory = reset(fired, v, state.refractory, p.v_reset, p.refractory, dt)
    return spikes, ConductanceLIFState(v, g_exc, g_inh, refractory)


class ConductanceLIF(NeuronGroup):
    """Leaky integrate-and-fire neurons with conductance-based excitatory and inhibitory synapses.

    Input opens conductances instead of injecting charge, so its effect depends on how far the
    membrane is from each synapse's reversal potential and saturates there::

        tau_mem dv/dt = -(v - v_rest) - g_exc (v - e_exc) - g_inh (v - e_inh)
        g_exc[t] = exp(-dt / tau_exc) g_exc[t-1] + max(x[t], 0)
        g_inh[t] = exp(-dt / tau_inh) g_inh[t-1] + max(-x[t], 0)

    with the conductances in units of the leak conductance ``g_L`` (a weight of 0.027 is the
    0.27 nS excitatory synapse of Vogels & Abbott on a 10 nS leak). **The sign of the input
    decides the synapse type:** what the connections deliver to a neuron in a step is summed by
    the network before the neuron sees it, so positive net input opens excitatory conductance and
    negative net input inhibitory conductance. Keep excitatory and inhibitory weights in separate
    source populations (``dense(..., dale=True)`` keeps each source's sign); a neuron that gets
    +3 and -1 in the same step sees +2, an excitatory conductance of 2. Within a step the
    conductances are constant and the membrane relaxes exactly to their equilibrium::

        v_inf = (v_rest + g_exc e_exc + g_inh e_inh) / (1 + g_exc + g_inh)
        v[t] = v_inf + (v[t-1] - v_inf) exp(-dt (1 + g_exc + g_inh) / tau_mem)

    so held conductances drive ``v`` to ``v_inf`` (below threshold), and no input can push it
    past the reversal potentials. When ``v >= v_thresh`` the neuron spikes, ``v`` is set to
    ``v_reset`` and held there for ``refractory`` ms (whole steps); the conductances go on
    integrating input. The defaults are the COBA benchmark of Vogels & Abbott, J. Neurosci.
    25:10786 (2005) and Brette et al., J. Comput. Neurosci. 23:349 (2007). For gradient training
    the spike passes gradients through the layer's surrogate and the parameters named in
    ``learnable`` become per-neuron tensors (time constants kept above ``dt / 10``).

    Args:
        shape: neurons in the layer.
        v_rest: leak reversal potential, -60 mV.
        v_reset: reset potential after a spike, -60 mV.
        v_thresh: spike threshold, -50 mV.
        tau_mem: membrane time constant C / g_L, 20 ms.
        e_exc: excitatory reversal potential, 0 mV.
        e_inh: inhibitory reversal potential, -80 mV.
        tau_exc: decay time constant of the excitatory conductance, 5 ms.
        tau_inh: decay time constant of the inhibitory conductance, 10 ms.
        refractory: refractory period, 5 ms.
        learnable: parameters learned by gradient training, any of ``v_rest``, ``v_reset``,
            ``v_thresh``, ``tau_mem``, ``tau_exc``, ``tau_inh``; none by default.

    State variables: ``v`` (mV), ``g_exc`` and ``g_inh`` (units of ``g_L``), ``refractory`` (ms left).

    >>> layer = ConductanceLIF(2)
    >>> _, state = layer(torch.tensor([[0.5, -0.5]]), layer.initial_state(1), Context(dt=1.0))
    >>> state.g_exc.tolist(), state.g_inh.tolist(), [round(v, 3) for v in state.v.flatten().tolist()]
    ([[0.5, 0.0]], [[0.0, 0.5]], [-58.555, -60.482])
    """

    differentiable = True

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        v_rest: float = -60.0,
        v_reset: float = -60.0,
        v_thresh: float = -50.0,
        tau_mem: float = 20.0,
        e_exc: float = 0.0,
        e_inh: float = -80.0,
        tau_exc: float = 5.0,
        tau_inh: float = 10.0,
        refractory: float = 5.0,
        learnable: Sequence[str] = (),
    ) -> None:
        super().__init__(shape)
        for name, value in (("tau_mem", tau_mem), ("tau_exc", tau_exc), ("tau_inh", tau_inh)):
            if not value > 0:
                raise ValueError(f"{name} must be a positive time constant in ms, got {value}")
        if not refractory >= 0:
            raise ValueError(f"refractory must be a non-negative time in ms, got {refractory}")
        if not e_inh < v_thresh < e_exc:
            raise ValueError(
                f"v_thresh must lie between e_inh and e_exc (or excitation could never reach it), got"
                f" e_inh={e_inh}, v_thresh={v_thresh}, e_exc={e_exc} (mV)"
            )
        self.params = ConductanceLIFParameters(
            v_rest, v_reset, v_thresh, tau_mem, e_exc, e_inh, tau_exc, tau_inh, refractory
        )
        values = {
            "v_rest": v_rest,
            "v_reset": v_reset,
            "v_thresh": v_thresh,
            "tau_mem": tau_mem,
            "tau_exc": tau_exc,
            "tau_inh": tau_inh,
        }
        self.learned = learnable_parameters(self, learnable, values)

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> ConductanceLIFState:
        v = torch.full((batch_size, *self.shape), float(self.params.v_rest), device=device, dtype=dtype)
        return ConductanceLIFState(v, torch.zeros_like(v), torch.zeros_like(v), torch.zeros_like(v))

    def forward(self, input: Tensor, state: ConductanceLIFState, ctx: Context) -> tuple[Tensor, ConductanceLIFState]:
        p = replace(self.params, **{n: getattr(self, n) for n in self.learned}) if self.learned else self.params
        return conductance_lif_step(input, state, p, ctx.dt, self.surrogate)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, {self.params}"


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("conductance-lif", ConductanceLIF)
