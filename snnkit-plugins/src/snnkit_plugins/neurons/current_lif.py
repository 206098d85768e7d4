"""The ``current-lif`` neuron model: LIF driven by an exponentially decaying synaptic current."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, Surrogate, hookimpl
from snnkit_plugins.neurons.lif import decay, fire, leak, learnable_parameters


@dataclass(frozen=True)
class CurrentLIFParameters:
    """Parameters of :func:`current_lif_step`; a learnable one is a tensor of the layer's shape."""

    v_rest: float | Tensor  # resting potential (mV)
    v_reset: float | Tensor  # potential after a spike (mV)
    v_thresh: float | Tensor  # spike threshold (mV)
    tau_mem: float | Tensor  # membrane time constant (ms)
    tau_syn: float | Tensor  # synaptic current time constant (ms)
    refractory: float  # time after a spike during which input is ignored (ms)


class CurrentLIFState(NamedTuple):
    v: Tensor  # membrane potential (mV)
    i: Tensor  # synaptic current (mV per step)
    refractory: Tensor  # refractory time left (ms)


def current_lif_step(
    x: Tensor, state: CurrentLIFState, p: CurrentLIFParameters, dt: float, surrogate: Surrogate | None = None
) -> tuple[Tensor, CurrentLIFState]:
    """One step of ``dt`` ms of the current-based LIF dynamics; pure."""
    i = decay(p.tau_syn, dt) * state.i + x
    v = leak(state.v, p.v_rest, p.tau_mem, dt)
    spikes, v, refractory = fire(v, i, state.refractory, p.v_thresh, p.v_reset, p.refractory, dt, surrogate)
    return spikes, CurrentLIFState(v, i, refractory)


class CurrentLIF(NeuronGroup):
    """Leaky integrate-and-fire neurons with current-based synapses that decay exponentially.

    Input charges a synaptic current ``i`` that decays with ``tau_syn``; the membrane integrates
    the current rather than the input itself::

        i[t] = exp(-dt / tau_syn) * i[t-1] + x[t]
        v[t] = v_rest + exp(-dt / tau_mem) * (v[t-1] - v_rest) + i[t]   (unless refractory)

    so a single input spike of weight ``w`` delivers ``w exp(-k dt / tau_syn)`` in the ``k``-th step
    after it. Spiking, reset and refractoriness are as in ``lif``. Defaults are BindsNET's
    ``CurrentLIFNodes``; reference: Gerstner et al., *Neuronal Dynamics* (2014), ch. 3.1.

    Args:
        shape: neurons in the layer.
        v_rest: resting potential, -65 mV.
        v_reset: reset potential after a spike, -65 mV.
        v_thresh: spike threshold, -52 mV.
        tau_mem: membrane time constant, 100 ms.
        tau_syn: synaptic current time constant, 2 ms.
        refractory: refractory period, 5 ms.
        learnable: parameters learned by gradient training, any of ``v_rest``, ``v_reset``,
            ``v_thresh``, ``tau_mem``, ``tau_syn``; none by default (time constants are kept
            above ``dt / 10``).

    State variables: ``v`` (mV), ``i`` (mV per step) and ``refractory`` (ms left).

    >>> layer = CurrentLIF(1)
    >>> state = layer.initial_state(1)
    >>> _, state = layer(torch.tensor([[4.0]]), state, Context())
    >>> _, state = layer(torch.tensor([[0.0]]), state, Context())
    >>> round(state.i.item(), 4)  # 4 * exp(-1 / 2)
    2.4261
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
        tau_syn: float = 2.0,
        refractory: float = 5.0,
        learnable: Sequence[str] = (),
    ) -> None:
        super().__init__(shape)
        if tau_mem <= 0 or tau_syn <= 0:
            raise ValueError(f"tau_mem and tau_syn must be positive time constants in ms, got {tau_mem}, {tau_syn}")
        if refractory < 0:
            raise ValueError(f"refractory must be a non-negative time in ms, got {refractory}")
        self.params = CurrentLIFParameters(v_rest, v_reset, v_thresh, tau_mem, tau_syn, refractory)
        values = {"v_rest": v_rest, "v_reset": v_reset, "v_thresh": v_thresh, "tau_mem": tau_mem, "tau_syn": tau_syn}
        self.learned = learnable_parameters(self, learnable, values)

    @property
    def current(self) -> CurrentLIFParameters:
        """The parameters as they are now, learned ones included."""
        return replace(self.params, **{n: getattr(self, n) for n in self.learned}) if self.learned else self.params

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> CurrentLIFState:
        v = torch.full((batch_size, *self.shape), self.params.v_rest, device=device, dtype=dtype)
        return CurrentLIFState(v, torch.zeros_like(v), torch.zeros_like(v))

    def forward(self, input: Tensor, state: CurrentLIFState, ctx: Context) -> tuple[Tensor, CurrentLIFState]:
        return current_lif_step(input, state, self.current, ctx.dt, self.surrogate)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, {self.params}"


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("current-lif", CurrentLIF)


# -- NIR (docs/nir.md): CurrentLIF <-> nir.CubaLIF, with snnTorch's convention r = tau_mem/dt, w_in = tau_syn/dt.


def export_nir(layer: CurrentLIF, ctx):
    import nir

    p = layer.current
    if p.refractory > 0:
        ctx.unsupported(f"its refractory period is {p.refractory} ms and NIR's CubaLIF has none (use refractory=0)")
    tau_mem, tau_syn = ctx.tau(p.tau_mem), ctx.tau(p.tau_syn)
    return nir.CubaLIF(
        tau_syn=tau_syn,
        tau_mem=tau_mem,
        r=tau_mem / ctx.dt_s,  # gains r*dt/tau_mem and w_in*dt/tau_syn of 1: i += x, v += i each step
        w_in=tau_syn / ctx.dt_s,
        v_leak=ctx.array(p.v_rest),
        v_threshold=ctx.array(p.v_thresh),
        v_reset=ctx.array(p.v_reset),
    )


def import_nir(node, ctx) -> CurrentLIF:
    import numpy as np

    shape = ctx.shape(node.tau_mem, node.tau_syn, node.r, node.w_in, node.v_leak, node.v_threshold, node.v_reset)
    gain = ctx.gain(
        np.asarray(node.r)
        * ctx.dt_s
        / np.asarray(node.tau_mem)
        * np.asarray(node.w_in)
        * ctx.dt_s
        / np.asarray(node.tau_syn)
    )
    values = {
        "v_rest": ctx.uniform(np.asarray(node.v_leak) / gain),
        "v_reset": ctx.uniform(np.asarray(node.v_reset) / gain),
        "v_thresh": ctx.uniform(np.asarray(node.v_threshold) / gain),
        "tau_mem": ctx.tau_ms(node.tau_mem),
        "tau_syn": ctx.tau_ms(node.tau_syn),
    }
    varying = [k for k, v in values.items() if isinstance(v, torch.Tensor)]
    if varying:
        ctx.unsupported(f"current-lif takes one value per layer, but {', '.join(varying)} differ between neurons")
    return CurrentLIF(shape, **values, refractory=0.0)


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(CurrentLIF, export_nir)
    registry.importer("CubaLIF", import_nir)
