"""The ``csrm`` neuron model: the spike-response model with cumulative refractoriness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, Surrogate, hookimpl, spike
from snnkit_plugins.neurons.conductance_lif import decay
from snnkit_plugins.neurons.lif import learnable_parameters


@dataclass(frozen=True)
class CSRMParameters:
    """Parameters of :func:`csrm_step`; the defaults live in :class:`CSRM`'s signature. A learnable
    parameter is a tensor of the layer's shape instead of a number."""

    v_rest: float | Tensor  # resting potential (mV)
    v_thresh: float | Tensor  # spike threshold (mV)
    tau_mem: float | Tensor  # membrane time constant of the response kernel (ms)
    tau_syn: float | Tensor  # synaptic time constant (rise) of the response kernel (ms)
    tau_refr: float | Tensor  # time constant of the refractory kernel (ms)
    eta0: float | Tensor  # depth of the refractory kernel per spike (mV)


class CSRMState(NamedTuple):
    v: Tensor  # membrane potential u = v_rest + psp + eta (mV)
    current: Tensor  # synaptic trace feeding the response kernel (mV per step)
    psp: Tensor  # sum of the response kernels of all inputs so far (mV)
    eta: Tensor  # sum of the refractory kernels of all the neuron's own spikes so far (mV)


def csrm_step(
    x: Tensor, state: CSRMState, p: CSRMParameters, dt: float, surrogate: Surrogate | None = None
) -> tuple[Tensor, CSRMState]:
    """One step of ``dt`` ms: every kernel is a sum of exponentials, so two traces carry the sum of
    response kernels over all past inputs and one the sum of refractory kernels over all past
    spikes, exactly; pure, so it can be compiled, differentiated or tested alone."""
    d_mem, d_syn = decay(p.tau_mem, dt), decay(p.tau_syn, dt)
    psp = d_mem * state.psp + (1.0 - d_syn) * state.current
    current = d_syn * state.current + x
    eta = decay(p.tau_refr, dt) * state.eta
    v = p.v_rest + psp + eta
    spikes, fired = spike(v, p.v_thresh, surrogate)
    # the refractory kernel is added without a gradient through the spike, as ``lif``'s reset
    eta = eta - p.eta0 * fired.to(eta.dtype)
    return spikes, CSRMState(v, current, psp, eta)


class CSRM(NeuronGroup):
    """Spike-response neurons with cumulative refractoriness: kernels summed over all past spikes.

    The membrane potential is a sum of kernels rather than the solution of a differential
    equation (Gerstner & Kistler 2002, ch. 4.2)::

        u(t) = v_rest + sum_f eta(t - t^f) + sum_s x(s) eps(t - s)

    where ``t^f`` are the neuron's own spike times, ``x(s)`` is the input delivered in step ``s``
    (the weighted sum of the spikes arriving then, mV) and the neuron spikes whenever
    ``u >= v_thresh``. There is no reset: the refractory kernel ``eta(s) = -eta0 exp(-s / tau_refr)``
    does its work, and it is **cumulative**: every past spike keeps contributing, not only the
    last one as in SRM0 (``srm0``), so bursts of spikes pile refractoriness up and the rate adapts
    (visibly when ``tau_refr`` is long against the intervals: with the default 10 ms a constant
    drive soon fires at a steady interval, with 50 ms the intervals grow 5, 5, 8, 11, 14, ... steps).
    The response kernel is the normalised difference of exponentials, sampled at whole steps::

        eps(k dt) = c (d_m^k - d_s^k) / (d_m - d_s),   d_m = exp(-dt / tau_mem),
        d_s = exp(-dt / tau_syn),  c = 1 - d_s

    which tends to ``tau_mem / (tau_mem - tau_syn) (exp(-s / tau_mem) - exp(-s / tau_syn))`` as
    ``dt -> 0``, peaks ``tau_mem tau_syn / (tau_mem - tau_syn) ln(tau_mem / tau_syn)`` after the
    input, is the alpha function for ``tau_syn = tau_mem`` and ``lif``'s exponential (a step
    later) for ``tau_syn -> 0``. ``eps(0) = 0``: input shows in ``u`` from the next step on. Both
    kernels are sums of exponentials, so the state holds their sums over the whole past exactly
    (no history window). BindsNET offers this model as ``CSRMNodes``. Reference: W. Gerstner &
    W. M. Kistler, *Spiking Neuron Models* (2002), ch. 4.2 (SRM) and 5.3; W. Gerstner &
    J. L. van Hemmen, Network 3:139 (1992). For gradient training the spike passes gradients
    through the layer's surrogate and the parameters named in ``learnable`` become per-neuron
    tensors (time constants kept above ``dt / 10``).

    Args:
        shape: neurons in the layer.
        v_rest: resting potential, -70 mV.
        v_thresh: spike threshold, -50 mV.
        tau_mem: membrane (decay) time constant of the response kernel, 10 ms.
        tau_syn: synaptic (rise) time constant of the response kernel, 2.5 ms.
        tau_refr: time constant of the refractory kernel, 10 ms.
        eta0: depth of the refractory kernel, added per spike, 30 mV.
        learnable: parameters learned by gradient training, any of ``v_rest``, ``v_thresh``,
            ``tau_mem``, ``tau_syn``, ``tau_refr``, ``eta0``; none by default.

    State variables: ``v`` (mV), ``current`` (mV per step), ``psp`` (mV) and ``eta`` (mV).

    >>> layer, state = CSRM(1), CSRM(1).initial_state(1)
    >>> for x in (10.0, 0.0, 0.0):
    ...     _, state = layer(torch.tensor([[x]]), state, Context(dt=1.0))
    ...     print(round(state.psp.item(), 4))
    0.0
    3.2968
    5.193
    """

    differentiable = True

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        v_rest: float = -70.0,
        v_thresh: float = -50.0,
        tau_mem: float = 10.0,
        tau_syn: float = 2.5,
        tau_refr: float = 10.0,
        eta0: float = 30.0,
        learnable: Sequence[str] = (),
    ) -> None:
        super().__init__(shape)
        for name, value in (("tau_mem", tau_mem), ("tau_syn", tau_syn), ("tau_refr", tau_refr)):
            if not value > 0:
                raise ValueError(f"{name} must be a positive time constant in ms, got {value}")
        if not eta0 >= 0:
            raise ValueError(f"eta0 must be a non-negative depth in mV (a spike lowers the potential), got {eta0}")
        self.params = CSRMParameters(v_rest, v_thresh, tau_mem, tau_syn, tau_refr, eta0)
        values = {
            "v_rest": v_rest,
            "v_thresh": v_thresh,
            "tau_mem": tau_mem,
            "tau_syn": tau_syn,
            "tau_refr": tau_refr,
            "eta0": eta0,
        }
        self.learned = learnable_parameters(self, learnable, values)

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> CSRMState:
        v = torch.full((batch_size, *self.shape), float(self.params.v_rest), device=device, dtype=dtype)
        zeros = torch.zeros_like(v)
        return CSRMState(v, zeros, zeros.clone(), zeros.clone())

    def forward(self, input: Tensor, state: CSRMState, ctx: Context) -> tuple[Tensor, CSRMState]:
        p = replace(self.params, **{n: getattr(self, n) for n in self.learned}) if self.learned else self.params
        return csrm_step(input, state, p, ctx.dt, self.surrogate)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, {self.params}"


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("csrm", CSRM)
