"""The ``diehl-cook`` neuron model: LIF with a learned adaptive threshold (Diehl & Cook 2015)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, any_nonzero, hookimpl
from snnkit_plugins.neurons.lif import LIFState, integrate, leak, reset


class DiehlCook(NeuronGroup):
    """LIF neurons whose thresholds are learned: each spike in training raises its neuron's threshold.

    The membrane is ``lif``'s; a neuron spikes at ``v >= v_thresh + theta``. ``theta`` is a learned
    buffer, one value per neuron shared by the whole batch, saved in ``state_dict`` and kept by
    ``Network.reset_state``. Only while learning (``train()`` mode and ``run(learning=True)``) it
    grows by ``theta_plus`` per spike (summed over the batch) and relaxes with ``tc_theta_decay``;
    in evaluation it is frozen. This homeostasis makes neurons share the inputs in Diehl & Cook's
    unsupervised MNIST network (Front. Comput. Neurosci. 9:99, 2015); defaults are BindsNET's
    ``DiehlAndCookNodes``.

    With ``one_spike`` (the default) at most one neuron per sample spikes in a step: the one that
    exceeds its threshold the most (the lowest index on a tie). The others keep their potential
    and may win a later step.

    Args:
        shape: neurons in the layer.
        v_rest: resting potential, -65 mV.
        v_reset: reset potential after a spike, -65 mV.
        v_thresh: threshold before learning, -52 mV.
        tau_mem: membrane time constant, 100 ms.
        refractory: refractory period, 5 ms.
        theta_plus: threshold increase per spike while learning, 0.05 mV.
        tc_theta_decay: time constant of the threshold's relaxation while learning, 1e7 ms.
        one_spike: at most one spike per sample and step.

    State variables: ``v`` (mV) and ``refractory`` (ms left); buffer ``theta`` (mV).

    >>> layer = DiehlCook(3)
    >>> spikes, _ = layer(torch.tensor([[14.0, 20.0, 20.0]]), layer.initial_state(1), Context())
    >>> spikes.tolist()  # neurons 1 and 2 cross the threshold equally; one spike only
    [[0.0, 1.0, 0.0]]
    """

    theta: Tensor

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
        one_spike: bool = True,
    ) -> None:
        super().__init__(shape)
        if tau_mem <= 0 or tc_theta_decay <= 0:
            raise ValueError("tau_mem and tc_theta_decay must be positive time constants in ms")
        self.v_rest, self.v_reset, self.v_thresh = v_rest, v_reset, v_thresh
        self.tau_mem, self.refractory = tau_mem, refractory
        self.theta_plus, self.tc_theta_decay, self.one_spike = theta_plus, tc_theta_decay, one_spike
        self.register_buffer("theta", torch.zeros(self.shape))

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> LIFState:
        v = torch.full((batch_size, *self.shape), self.v_rest, device=device, dtype=dtype)
        return LIFState(v, torch.zeros_like(v))

    def forward(self, input: Tensor, state: LIFState, ctx: Context) -> tuple[Tensor, LIFState]:
        dt = ctx.dt
        v, active = integrate(leak(state.v, self.v_rest, self.tau_mem, dt), input, state.refractory, dt)
        threshold = self.theta + self.v_thresh
        spikes = v >= threshold
        spikes &= active
        if self.one_spike and any_nonzero(spikes):  # most steps have no spike at all: skip the contest
            batch = spikes.shape[0]
            margin = torch.where(spikes, v - threshold, torch.full_like(v, -math.inf)).reshape(batch, -1)
            winner = torch.zeros_like(margin, dtype=torch.bool)
            winner.scatter_(1, margin.argmax(1, keepdim=True), True)
            spikes = winner.reshape(spikes.shape) & spikes
        v, refractory = reset(spikes, v, state.refractory, self.v_reset, self.refractory, dt)
        spikes = spikes.to(v.dtype)
        if ctx.learning:
            self.theta.mul_(math.exp(-dt / self.tc_theta_decay)).add_(spikes.sum(0), alpha=self.theta_plus)
        return spikes, LIFState(v, refractory)


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("diehl-cook", DiehlCook)


# -- NIR (docs/nir.md): exported as nir.LIF with the learned thresholds v_thresh + theta, frozen.


def export_nir(layer: DiehlCook, ctx):
    import nir

    if layer.one_spike:
        ctx.unsupported(
            "one_spike lets at most one neuron per step fire (a winner-take-all across the layer), which no NIR"
            " node expresses; build it with one_spike=False to export"
        )
    if layer.refractory > 0:
        ctx.unsupported(f"its refractory period is {layer.refractory} ms and NIR's LIF has none (use refractory=0)")
    tau = ctx.tau(layer.tau_mem)
    return nir.LIF(
        tau=tau,
        r=tau / ctx.dt_s,
        v_leak=ctx.array(layer.v_rest),
        v_threshold=ctx.array(layer.theta + layer.v_thresh),
        v_reset=ctx.array(layer.v_reset),
    )


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(DiehlCook, export_nir)
