"""The ``lif`` neuron model: leaky integrate-and-fire with a refractory period."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from snnkit import Context, NeuronGroup, Surrogate, hookimpl, spike
from snnkit.errors import closest


@dataclass(frozen=True)
class LIFParameters:
    """Parameters of :func:`lif_step`; the defaults live in :class:`LIF`'s signature. A learnable
    parameter is a tensor of the layer's shape instead of a number."""

    v_rest: float | Tensor  # resting potential the membrane decays to (mV)
    v_reset: float | Tensor  # potential after a spike (mV)
    v_thresh: float | Tensor  # spike threshold (mV)
    tau_mem: float | Tensor  # membrane time constant (ms)
    refractory: float  # time after a spike during which input is ignored (ms)


class LIFState(NamedTuple):
    v: Tensor  # membrane potential (mV)
    refractory: Tensor  # refractory time left (ms)


# The LIF family (lif, if, current-lif, adaptive-lif, diehl-cook, srm0) shares these steps; each
# model composes them around its own way of deciding who spikes.


def decay(tau: float | Tensor, dt: float) -> float | Tensor:
    """``exp(-dt / tau)``: what is left of an exponential decay with time constant ``tau`` (ms) after
    ``dt`` ms. A learnable ``tau`` is kept above a tenth of a step so the decay stays in (0, 1)."""
    if isinstance(tau, Tensor):
        return torch.exp(-dt / tau.clamp_min(0.1 * dt))
    return math.exp(-dt / tau)


def leak(v: Tensor, v_rest: float | Tensor, tau: float | Tensor, dt: float) -> Tensor:
    """Exact decay of ``v`` towards ``v_rest`` over ``dt`` ms with time constant ``tau`` (ms)."""
    d = decay(tau, dt)
    if isinstance(d, Tensor):
        return v * d + v_rest * (1.0 - d)
    return v.mul(d).add_(v_rest * (1.0 - d))


def integrate(v: Tensor, x: Tensor, refractory: Tensor, dt: float) -> tuple[Tensor, Tensor]:
    """Add input ``x`` where the neuron is not refractory; returns ``(v, active)``."""
    active = refractory < 0.5 * dt
    return torch.addcmul(v, x, active), active  # v + x * active, one pass


def reset(
    fired: Tensor, v: Tensor, refractory: Tensor, v_reset: float | Tensor, period: float, dt: float
) -> tuple[Tensor, Tensor]:
    """Set the neurons that ``fired`` (booleans) to ``v_reset`` and hold them refractory for
    ``period`` ms (whole steps).

    The reset is not differentiated through (no gradient flows from the spike into the reset), as
    Zenke & Vogels (2021, Neural Computation 33) recommend for surrogate-gradient training.
    """
    hold = round(period / dt) * dt
    v = torch.where(fired, v_reset, v) if isinstance(v_reset, Tensor) else v.masked_fill(fired, v_reset)
    return v, (refractory - dt).clamp_min_(0.0).masked_fill_(fired, hold)


def fire(
    v: Tensor,
    x: Tensor,
    refractory: Tensor,
    threshold: float | Tensor,
    v_reset: float | Tensor,
    period: float,
    dt: float,
    surrogate: Surrogate | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Integrate-and-fire with an absolute refractory period: spikes where ``v >= threshold``,
    differentiable through ``surrogate``. Returns ``(spikes, v, refractory)``."""
    v, active = integrate(v, x, refractory, dt)
    spikes, fired = spike(v, threshold, surrogate, active)
    v, refractory = reset(fired, v, refractory, v_reset, period, dt)
    return spikes, v, refractory


def lif_step(
    x: Tensor, state: LIFState, p: LIFParameters, dt: float, surrogate: Surrogate | None = None
) -> tuple[Tensor, LIFState]:
    """One step of ``dt`` ms of the LIF dynamics; pure, so it can be compiled, differentiated or
    tested alone."""
    v = leak(state.v, p.v_rest, p.tau_mem, dt)
    spikes, v, refractory = fire(v, x, state.refractory, p.v_thresh, p.v_reset, p.refractory, dt, surrogate)
    return spikes, LIFState(v, refractory)


def learnable_parameters(module: nn.Module, names: Sequence[str], values: dict[str, float]) -> tuple[str, ...]:
    """Register each of ``names`` on ``module`` as a per-neuron ``Parameter`` starting at its value."""
    if isinstance(names, str):
        names = (names,)
    for name in names:
        if name not in values:
            match = closest(name, list(values))
            hint = f"; did you mean {match[0]!r}?" if match else "."
            raise ValueError(f"cannot learn {name!r}{hint} Learnable parameters: {', '.join(values)}.")
        shape = getattr(module, "shape")  # noqa: B009 - a NeuronGroup's
        module.register_parameter(name, nn.Parameter(torch.full(shape, float(values[name]))))
    return tuple(names)


class LIF(NeuronGroup):
    """Leaky integrate-and-fire neurons with an absolute refractory period.

    Between spikes the membrane decays to rest with time constant ``tau_mem`` and each step's input
    ``x`` (mV) is added to it (delta synapses, as in BindsNET)::

        v[t] = v_rest + exp(-dt / tau_mem) * (v[t-1] - v_rest) + x[t]

    When ``v >= v_thresh`` the neuron spikes, ``v`` is set to ``v_reset`` and input is ignored for
    the next ``refractory`` ms (rounded to whole steps). From rest, a constant input ``x`` drives
    ``v - v_rest = x (1 - d^k) / (1 - d)`` after ``k`` steps, with ``d = exp(-dt / tau_mem)``.
    Reference: Gerstner, Kistler, Naud & Paninski, *Neuronal Dynamics* (2014), ch. 1.3; the
    defaults are BindsNET's ``LIFNodes``. For gradient training the spike passes gradients through
    the layer's surrogate (``add_layer(..., surrogate="fast-sigmoid")``) and the parameters named
    in ``learnable`` become per-neuron tensors that training updates (snnTorch's
    ``learn_beta``/``learn_threshold``; ``tau_mem`` is kept above ``dt / 10``).

    Args:
        shape: neurons in the layer.
        v_rest: resting potential, -65 mV.
        v_reset: reset potential after a spike, -65 mV.
        v_thresh: spike threshold, -52 mV.
        tau_mem: membrane time constant, 100 ms.
        refractory: refractory period, 5 ms.
        learnable: parameters learned by gradient training, any of ``v_rest``, ``v_reset``,
            ``v_thresh``, ``tau_mem``; none by default.

    State variables: ``v`` (mV) and ``refractory`` (ms left).

    >>> layer = LIF(2)
    >>> state = layer.initial_state(1)
    >>> spikes, state = layer(torch.tensor([[20.0, 1.0]]), state, Context(dt=1.0))
    >>> spikes.tolist(), state.v.tolist()
    ([[1.0, 0.0]], [[-65.0, -64.0]])
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
        learnable: Sequence[str] = (),
    ) -> None:
        super().__init__(shape)
        if tau_mem <= 0:
            raise ValueError(f"tau_mem must be a positive time constant in ms, got {tau_mem}")
        if refractory < 0:
            raise ValueError(f"refractory must be a non-negative time in ms, got {refractory}")
        self.params = LIFParameters(v_rest, v_reset, v_thresh, tau_mem, refractory)
        values = {"v_rest": v_rest, "v_reset": v_reset, "v_thresh": v_thresh, "tau_mem": tau_mem}
        self.learned = learnable_parameters(self, learnable, values)

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> LIFState:
        v = torch.full((batch_size, *self.shape), self.params.v_rest, device=device, dtype=dtype)
        return LIFState(v, torch.zeros_like(v))

    def forward(self, input: Tensor, state: LIFState, ctx: Context) -> tuple[Tensor, LIFState]:
        p = replace(self.params, **{n: getattr(self, n) for n in self.learned}) if self.learned else self.params
        return lif_step(input, state, p, ctx.dt, self.surrogate)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, {self.params}"


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("lif", LIF)


# -- NIR (docs/nir.md): LIF <-> nir.LIF; snnkit's per-step input x is a current held one step, gain r*dt/tau.
# A LIF layer that never fires (v_thresh = inf), the usual readout, is NIR's leaky integrator LI.


def export_nir(layer: LIF, ctx):
    import nir

    p = replace(layer.params, **{n: getattr(layer, n) for n in layer.learned}) if layer.learned else layer.params
    if p.refractory > 0:
        ctx.unsupported(f"its refractory period is {p.refractory} ms and NIR's LIF has none (use refractory=0)")
    tau = ctx.tau(p.tau_mem)
    if bool(np.all(np.isposinf(ctx.array(p.v_thresh)))):
        return nir.LI(tau=tau, r=tau / ctx.dt_s, v_leak=ctx.array(p.v_rest))
    return nir.LIF(
        tau=tau,
        r=tau / ctx.dt_s,  # input gain r * dt / tau = 1: each step's input is added to v as it is
        v_leak=ctx.array(p.v_rest),
        v_threshold=ctx.array(p.v_thresh),
        v_reset=ctx.array(p.v_reset),
    )


def import_nir(node, ctx) -> LIF:
    shape = ctx.shape(node.tau, node.r, node.v_leak, node.v_threshold, node.v_reset)
    gain = ctx.gain(np.asarray(node.r) * ctx.dt_s / np.asarray(node.tau))  # voltages are divided by it
    values = {
        "v_rest": ctx.uniform(np.asarray(node.v_leak) / gain),
        "v_reset": ctx.uniform(np.asarray(node.v_reset) / gain),
        "v_thresh": ctx.uniform(np.asarray(node.v_threshold) / gain),
        "tau_mem": ctx.tau_ms(node.tau),
    }
    return with_values(LIF, shape, values, refractory=0.0)


def import_li(node, ctx) -> LIF:
    """A leaky integrator: a LIF layer that never fires, whose membrane potential is the output."""
    shape = ctx.shape(node.tau, node.r, node.v_leak)
    gain = ctx.gain(np.asarray(node.r) * ctx.dt_s / np.asarray(node.tau))
    v_rest = ctx.uniform(np.asarray(node.v_leak) / gain)
    values = {"v_rest": v_rest, "v_reset": v_rest, "v_thresh": math.inf, "tau_mem": ctx.tau_ms(node.tau)}
    return with_values(LIF, shape, values, refractory=0.0)


def with_values(factory, shape, values, **fixed):
    """``factory(shape, ...)`` with per-neuron tensors among ``values`` as (frozen) learnable parameters."""
    per_neuron = [k for k, v in values.items() if isinstance(v, Tensor)]
    scalars = {k: (1.0 if k == "tau_mem" else 0.0) if k in per_neuron else v for k, v in values.items()}
    layer = factory(shape, **scalars, **fixed, learnable=per_neuron)
    with torch.no_grad():
        for name in per_neuron:
            getattr(layer, name).copy_(values[name].reshape(layer.shape)).requires_grad_(False)
    return layer


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(LIF, export_nir)
    registry.importer("LIF", import_nir)
    registry.importer("LI", import_li)
