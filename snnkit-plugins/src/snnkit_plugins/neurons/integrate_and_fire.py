"""The ``if`` neuron model: integrate-and-fire without leak."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import cast

import torch
from torch import Tensor

from snnkit import Context, NeuronGroup, Surrogate, hookimpl, spike
from snnkit_plugins.neurons.lif import LIFState, fire, integrate, learnable_parameters

#: What a spike does to the membrane: set it to ``v_reset``, or take ``v_thresh - v_reset`` off it.
RESETS = ("value", "subtract")


@dataclass(frozen=True)
class IFParameters:
    """Parameters of :func:`if_step`; the defaults live in :class:`IF`'s signature. A learnable
    parameter is a tensor of the layer's shape instead of a number."""

    v_reset: float | Tensor  # reset potential, and the initial one (mV)
    v_thresh: float | Tensor  # spike threshold (mV)
    refractory: float  # time after a spike during which input is ignored (ms)
    v_min: float | None  # lower bound of the membrane potential (mV); None for none
    reset: str  # "value" (v <- v_reset) or "subtract" (v <- v - (v_thresh - v_reset))


def if_step(
    x: Tensor, state: LIFState, p: IFParameters, dt: float, surrogate: Surrogate | None = None
) -> tuple[Tensor, LIFState]:
    """One step of ``dt`` ms of the integrate-and-fire dynamics; pure, so it can be compiled,
    differentiated or tested alone."""
    if p.reset == "subtract" and not p.refractory:  # four passes: what conversion runs
        v = state.v + x
        spikes, fired = spike(v, p.v_thresh, surrogate)
        v, refractory = torch.where(fired, v - (p.v_thresh - p.v_reset), v), state.refractory
    elif p.reset == "subtract":
        v, active = integrate(state.v, x, state.refractory, dt)
        spikes, fired = spike(v, p.v_thresh, surrogate, active)
        v = torch.where(fired, v - (p.v_thresh - p.v_reset), v)
        hold = round(p.refractory / dt) * dt
        refractory = (state.refractory - dt).clamp_min_(0.0).masked_fill_(fired, hold)
    else:
        spikes, v, refractory = fire(state.v, x, state.refractory, p.v_thresh, p.v_reset, p.refractory, dt, surrogate)
    if p.v_min is not None:
        v = v.clamp_min(p.v_min)
    return spikes, LIFState(v, refractory)


class IF(NeuronGroup):
    """Integrate-and-fire neurons without leak: the membrane keeps every input until it spikes.

    ``v[t] = v[t-1] + x[t]``; at ``v >= v_thresh`` the neuron spikes, ``v`` is set to ``v_reset``
    and input is ignored for ``refractory`` ms (whole steps). From reset, a constant input ``x > 0``
    fires after ``ceil((v_thresh - v_reset) / x)`` steps. Optional lower bound ``v_min`` keeps
    inhibition from driving ``v`` without limit. Reference: Lapicque (1907); defaults are
    BindsNET's ``IFNodes``.

    ``reset="subtract"`` resets by subtraction instead: a spike takes ``v_thresh - v_reset`` off
    ``v`` (``v <- v - (v_thresh - v_reset)``), so what overshoots the threshold is kept for the
    next spike. Without refractory period, from ``v_reset`` a constant input ``0 <= x <=
    v_thresh - v_reset`` then gives exactly ``floor(k x / (v_thresh - v_reset))`` spikes in ``k``
    steps: the rate is proportional to the input, the property that ANN-to-SNN conversion rests
    on (Rueckauer et al. 2017, "Conversion of continuous-valued deep networks to efficient
    event-driven networks for image classification", Front. Neurosci. 11:682). ``spikes x
    (v_thresh - v_reset) + v - v_reset`` is then the input integrated so far. The subtraction
    passes no gradient, as the reset to a value does not.

    For gradient training the spike passes gradients through the layer's surrogate
    (``add_layer(..., surrogate="fast-sigmoid")``) and the parameters named in ``learnable``
    become per-neuron tensors that training updates. A learned ``v_reset`` is where a spike sets
    the membrane (or, resetting by subtraction, it and a learned ``v_thresh`` set the amount taken
    off: ``v_thresh - v_reset`` gets the gradient of what the subtraction leaves); the membrane
    starts from the ``v_reset`` given, as ``lif``'s starts from its given ``v_rest``.

    Args:
        shape: neurons in the layer.
        v_reset: reset and initial potential, -65 mV.
        v_thresh: spike threshold, -52 mV.
        refractory: refractory period, 5 ms.
        v_min: lower bound of the membrane potential (mV); ``None`` for none.
        reset: ``"value"`` (set ``v`` to ``v_reset``; the default) or ``"subtract"`` (take
            ``v_thresh - v_reset`` off ``v``). A reset option rather than a separate model name,
            as in snnTorch's ``reset_mechanism``: the dynamics between spikes are the same.
        learnable: parameters learned by gradient training, any of ``v_reset``, ``v_thresh``;
            none by default (the model has no resting potential or time constant).

    State variables: ``v`` (mV) and ``refractory`` (ms left).

    >>> layer = IF(1)
    >>> state = layer.initial_state(1)
    >>> for _ in range(3):
    ...     spikes, state = layer(torch.tensor([[5.0]]), state, Context())
    >>> spikes.item(), state.v.item()
    (1.0, -65.0)
    """

    differentiable = True

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        v_reset: float = -65.0,
        v_thresh: float = -52.0,
        refractory: float = 5.0,
        v_min: float | None = None,
        reset: str = "value",
        learnable: Sequence[str] = (),
    ) -> None:
        super().__init__(shape)
        if refractory < 0:
            raise ValueError(f"refractory must be a non-negative time in ms, got {refractory}")
        if reset not in RESETS:
            raise ValueError(f"reset must be one of {', '.join(map(repr, RESETS))}, got {reset!r}")
        if reset == "subtract" and not v_thresh > v_reset:
            raise ValueError(f"reset='subtract' needs v_thresh above v_reset, got {v_thresh} and {v_reset} mV")
        # registered while ``learned`` is unset: register_parameter refuses a name that is already an
        # attribute, and until then the properties v_reset and v_thresh below raise AttributeError
        self.learned = learnable_parameters(self, learnable, {"v_reset": v_reset, "v_thresh": v_thresh})
        self.params = IFParameters(v_reset, v_thresh, refractory, v_min, reset)

    @property
    def current(self) -> IFParameters:
        """The parameters as they are now, learned ones included."""
        return replace(self.params, **{n: getattr(self, n) for n in self.learned}) if self.learned else self.params

    # Read by ANN-to-SNN conversion (snnkit_plugins.conversion): the learned tensor where there is one.
    @property
    def v_reset(self) -> float | Tensor:
        """Reset potential (mV): the number given, or the learned per-neuron tensor."""
        return cast(Tensor, self._parameters["v_reset"]) if "v_reset" in self.learned else self.params.v_reset

    @property
    def v_thresh(self) -> float | Tensor:
        """Spike threshold (mV): the number given, or the learned per-neuron tensor."""
        return cast(Tensor, self._parameters["v_thresh"]) if "v_thresh" in self.learned else self.params.v_thresh

    @property
    def refractory(self) -> float:
        """Refractory period (ms)."""
        return self.params.refractory

    @property
    def v_min(self) -> float | None:
        """Lower bound of the membrane potential (mV), or ``None``."""
        return self.params.v_min

    @property
    def reset(self) -> str:
        """``"value"`` or ``"subtract"``: what a spike does to the membrane."""
        return self.params.reset

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> LIFState:
        v = torch.full((batch_size, *self.shape), self.params.v_reset, device=device, dtype=dtype)
        return LIFState(v, torch.zeros_like(v))

    def forward(self, input: Tensor, state: LIFState, ctx: Context) -> tuple[Tensor, LIFState]:
        return if_step(input, state, self.current, ctx.dt, self.surrogate)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, {self.params}"


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("if", IF)


# -- NIR (docs/nir.md): IF <-> nir.IF (dv/dt = r I); snnkit exports r = 1/dt, so each step adds its input.


def export_nir(layer: IF, ctx):
    import nir

    p = layer.current
    if p.refractory > 0:
        ctx.unsupported(f"its refractory period is {p.refractory} ms and NIR's IF has none (use refractory=0)")
    if p.reset == "subtract":
        ctx.unsupported("it resets by subtraction (reset='subtract') and NIR's IF resets to v_reset")
    if p.v_min is not None:
        ctx.unsupported(f"its membrane is bounded below by v_min = {p.v_min} mV, which NIR's IF is not")
    if layer.params.v_reset != 0:  # the initial potential: the number given, even when v_reset is learned
        ctx.unsupported(
            f"it starts at v_reset = {layer.params.v_reset} mV, while NIR's IF starts at 0 and has no resting"
            " potential to say otherwise (use v_reset=0 and shift v_thresh by the same)"
        )
    return nir.IF(r=ctx.array(1.0 / ctx.dt_s), v_threshold=ctx.array(p.v_thresh), v_reset=ctx.array(p.v_reset))


def import_nir(node, ctx) -> IF:
    import numpy as np

    shape = ctx.shape(node.r, node.v_threshold, node.v_reset)
    gain = ctx.gain(np.asarray(node.r) * ctx.dt_s)
    values = {
        "v_reset": ctx.uniform(np.asarray(node.v_reset) / gain),
        "v_thresh": ctx.uniform(np.asarray(node.v_threshold) / gain),
    }
    varying = [k for k, v in values.items() if isinstance(v, torch.Tensor)]
    if varying:
        ctx.unsupported(f"if takes one value per layer, but {', '.join(varying)} differ between neurons")
    if values["v_reset"] != 0:
        ctx.unsupported("snnkit's if starts at v_reset, NIR's IF at 0: a nonzero v_reset cannot be imported")
    return IF(shape, **values, refractory=0.0)


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(IF, export_nir)
    registry.importer("IF", import_nir)
