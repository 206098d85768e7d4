"""The ``qif`` neuron model: quadratic integrate-and-fire (Latham et al. 2000; Ermentrout 1996)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, Surrogate, hookimpl, spike
from snnkit_plugins.neurons.exp_if import euler_rate
from snnkit_plugins.neurons.lif import learnable_parameters


@dataclass(frozen=True)
class QIFParameters:
    """Parameters of :func:`qif_step`; the defaults live in :class:`QIF`'s signature. A learnable
    parameter is a tensor of the layer's shape instead of a number."""

    v_rest: float | Tensor  # resting potential, the stable fixed point (mV)
    v_reset: float | Tensor  # potential after a spike (mV)
    v_thresh: float | Tensor  # threshold, the unstable fixed point (mV)
    v_peak: float  # spike cut-off (mV)
    tau_mem: float | Tensor  # membrane time constant at rest (ms)


class QIFState(NamedTuple):
    v: Tensor  # membrane potential (mV)


def qif_step(
    x: Tensor, state: QIFState, p: QIFParameters, dt: float, surrogate: Surrogate | None = None
) -> tuple[Tensor, QIFState]:
    """One forward-Euler step of ``dt`` ms; pure, so it can be compiled, differentiated or tested alone."""
    v = state.v
    gap = p.v_thresh - p.v_rest
    if isinstance(gap, Tensor):  # learnable: the threshold is kept above rest
        gap = gap.clamp_min(1e-3)
    quadratic = (v.clamp_max(p.v_peak) - p.v_rest) * (v.clamp_max(p.v_peak) - p.v_thresh) / gap
    v = v + euler_rate(p.tau_mem, dt) * quadratic + x
    spikes, fired = spike(v, p.v_peak, surrogate)
    # the reset is not differentiated through, as in ``lif``
    v = torch.where(fired, p.v_reset, v) if isinstance(p.v_reset, Tensor) else v.masked_fill(fired, p.v_reset)
    return spikes, QIFState(v)


class QIF(NeuronGroup):
    """Quadratic integrate-and-fire neurons: the normal form of a neuron that starts firing at a
    saddle-node bifurcation (class-1 excitability).

    ::

        tau_mem dv/dt = (v - v_rest)(v - v_thresh) / (v_thresh - v_rest)
        if v >= v_peak: spike, v <- v_reset

    integrated with forward Euler, the step's input ``x`` (mV) added to ``v`` as in ``lif``. The
    normalisation makes ``tau_mem`` the membrane time constant at rest (the slope there is
    ``-1 / tau_mem``, as for ``lif``). Below ``v_thresh`` the membrane relaxes to ``v_rest``;
    above it, it runs away to ``v_peak``. A constant input ``x`` per step makes the neuron fire
    when it exceeds the rheobase ``x_rh = dt / tau_mem * (v_thresh - v_rest) / 4`` (the Euler map
    has the ODE's fixed points, which merge and vanish there); just above it the firing rate
    grows as the square root of the excess, the signature of class-1 neurons. Forward Euler is
    stable while ``v`` stays above ``(v_rest + v_thresh) / 2 - tau_mem / dt * (v_thresh - v_rest)``
    (-207.5 mV with the defaults and ``dt`` = 1 ms): keep ``dt`` well below ``tau_mem``. There is no refractory period.
    References: P. E. Latham, B. J. Richmond, P. G. Nelson & S. Nirenberg, J. Neurophysiol.
    83:808 (2000); G. B. Ermentrout, Neural Comput. 8:979 (1996). For gradient training the spike
    passes gradients through the layer's surrogate and the parameters named in ``learnable``
    become per-neuron tensors (``tau_mem`` is kept at or above ``dt``).

    Args:
        shape: neurons in the layer.
        v_rest: resting potential, -65 mV.
        v_reset: reset potential after a spike, -70 mV.
        v_thresh: threshold (the unstable fixed point), -50 mV.
        v_peak: spike cut-off, 30 mV.
        tau_mem: membrane time constant at rest, 10 ms.
        learnable: parameters learned by gradient training, any of ``v_rest``, ``v_reset``,
            ``v_thresh``, ``tau_mem``; none by default.

    State variables: ``v`` (mV).

    >>> layer = QIF(2)
    >>> spikes, state = layer(torch.tensor([[100.0, 4.0]]), layer.initial_state(1), Context(dt=1.0))
    >>> spikes.tolist(), state.v.tolist()
    ([[1.0, 0.0]], [[-70.0, -61.0]])
    """

    differentiable = True

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        v_rest: float = -65.0,
        v_reset: float = -70.0,
        v_thresh: float = -50.0,
        v_peak: float = 30.0,
        tau_mem: float = 10.0,
        learnable: Sequence[str] = (),
    ) -> None:
        super().__init__(shape)
        if not tau_mem > 0:
            raise ValueError(f"tau_mem must be a positive time constant in ms, got {tau_mem}")
        if not v_rest < v_thresh < v_peak:
            raise ValueError(
                f"v_thresh must lie between v_rest and v_peak, got v_rest={v_rest}, v_thresh={v_thresh},"
                f" v_peak={v_peak} (mV)"
            )
        if not v_reset < v_peak:
            raise ValueError(f"v_reset must lie below v_peak, got v_reset={v_reset} and v_peak={v_peak} (mV)")
        self.params = QIFParameters(v_rest, v_reset, v_thresh, v_peak, tau_mem)
        values = {"v_rest": v_rest, "v_reset": v_reset, "v_thresh": v_thresh, "tau_mem": tau_mem}
        self.learned = learnable_parameters(self, learnable, values)

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> QIFState:
        return QIFState(torch.full((batch_size, *self.shape), float(self.params.v_rest), device=device, dtype=dtype))

    def forward(self, input: Tensor, state: QIFState, ctx: Context) -> tuple[Tensor, QIFState]:
        p = replace(self.params, **{n: getattr(self, n) for n in self.learned}) if self.learned else self.params
        return qif_step(input, state, p, ctx.dt, self.surrogate)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, {self.params}"


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("qif", QIF)
