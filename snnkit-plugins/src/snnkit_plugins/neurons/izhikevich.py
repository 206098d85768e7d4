"""The ``izhikevich`` neuron model (Izhikevich 2003) with its named firing-pattern presets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from snnkit import Context, NeuronGroup, Surrogate, hookimpl, spike
from snnkit.errors import closest

#: Parameters (a, b, c, d) of the firing patterns in Izhikevich (2003), fig. 2.
PRESETS: dict[str, tuple[float, float, float, float]] = {
    "regular-spiking": (0.02, 0.2, -65.0, 8.0),
    "intrinsically-bursting": (0.02, 0.2, -55.0, 4.0),
    "chattering": (0.02, 0.2, -50.0, 2.0),
    "fast-spiking": (0.1, 0.2, -65.0, 2.0),
    "low-threshold-spiking": (0.02, 0.25, -65.0, 2.0),
    "thalamo-cortical": (0.02, 0.25, -65.0, 0.05),
    "resonator": (0.1, 0.26, -65.0, 2.0),
}
MIXED = "mixed"


@dataclass(frozen=True)
class IzhikevichParameters:
    """Parameters of :func:`izhikevich_step`, per neuron (tensors of the layer's shape)."""

    a: Tensor  # time scale of the recovery variable (1/ms)
    b: Tensor  # sensitivity of the recovery variable to v
    c: Tensor  # reset potential (mV)
    d: Tensor  # recovery increment after a spike (mV)
    v_peak: float  # spike cut-off (mV)


class IzhikevichState(NamedTuple):
    v: Tensor  # membrane potential (mV)
    u: Tensor  # recovery variable (mV)


def izhikevich_step(
    x: Tensor, state: IzhikevichState, p: IzhikevichParameters, dt: float, surrogate: Surrogate | None = None
) -> tuple[Tensor, IzhikevichState]:
    """One step of ``dt`` ms: ``v`` in two half steps for numerical stability, as in Izhikevich
    (2003), ``u`` in one; pure."""
    v, u, half = state.v, state.u, 0.5 * dt
    for _ in range(2):
        dv = half * (0.04 * v * v + 5.0 * v + 140.0 - u + x)
        v = torch.where(v >= p.v_peak, v, (v + dv).clamp_max(p.v_peak))
    u = u + dt * p.a * (p.b * v - u)
    spikes, fired = spike(v, p.v_peak, surrogate)
    v = torch.where(fired, p.c.expand_as(v), v)
    u = torch.where(fired, u + p.d, u)
    return spikes, IzhikevichState(v, u)


class Izhikevich(NeuronGroup):
    """Izhikevich neurons: two variables that reproduce cortical firing patterns by preset.

    ::

        dv/dt = 0.04 v^2 + 5 v + 140 - u + I        du/dt = a (b v - u)
        if v >= 30 mV: spike, v <- c, u <- u + d

    with ``I`` the step's input (the current of the published examples, e.g. 10 for tonic
    firing). ``v`` advances in two half steps per ``dt`` and ``u`` in one, as in the paper's code.
    Presets give ``(a, b, c, d)``: ``regular-spiking`` (0.02, 0.2, -65, 8),
    ``intrinsically-bursting`` (0.02, 0.2, -55, 4), ``chattering`` (0.02, 0.2, -50, 2),
    ``fast-spiking`` (0.1, 0.2, -65, 2), ``low-threshold-spiking`` (0.02, 0.25, -65, 2),
    ``thalamo-cortical`` (0.02, 0.25, -65, 0.05), ``resonator`` (0.1, 0.26, -65, 2); explicit
    ``a``, ``b``, ``c``, ``d`` override the preset. ``mixed`` draws the heterogeneous population of
    the paper's network: a fraction ``excitatory`` of neurons with ``c = -65 + 15 r^2``,
    ``d = 8 - 6 r^2`` (regular spiking to chattering) and inhibitory ones with ``a = 0.02 + 0.08 r``,
    ``b = 0.25 - 0.05 r`` (fast to low-threshold spiking), ``r`` uniform in [0, 1) per neuron; the
    boolean buffer ``excitatory`` says which is which, e.g. to sign outgoing weights. The model has
    no recurrent weights of its own: connect layers to build the paper's network.
    Reference: E. M. Izhikevich, IEEE Trans. Neural Netw. 14(6), 2003.

    Args:
        shape: neurons in the layer.
        preset: one of the presets above, or ``"mixed"``; ``"regular-spiking"`` by default.
        a: time scale of the recovery variable (1/ms); ``None`` takes the preset's.
        b: sensitivity of the recovery variable to ``v``; ``None`` takes the preset's.
        c: reset potential (mV); ``None`` takes the preset's.
        d: recovery increment after a spike (mV); ``None`` takes the preset's.
        excitatory: fraction of excitatory neurons for ``"mixed"``, 0.8.
        v_peak: spike cut-off, 30 mV.
        generator: random generator for ``"mixed"`` (the network passes its own).
        learnable: parameters learned by gradient training, any of ``a``, ``b``, ``c``, ``d``
            (per neuron); none by default.

    State variables: ``v`` (mV) and ``u`` (mV); they start at rest (the stable fixed point for
    ``I = 0``: ``v = -70`` mV for ``b = 0.2``), or at ``v = -65``, ``u = b v`` where none exists.

    >>> layer = Izhikevich(1, preset="fast-spiking")
    >>> state, count = layer.initial_state(1), 0
    >>> for _ in range(100):
    ...     spikes, state = layer(torch.tensor([[10.0]]), state, Context())
    ...     count += int(spikes.item())
    >>> count > 5
    True
    """

    differentiable = True

    a: Tensor
    b: Tensor
    c: Tensor
    d: Tensor
    excitatory: Tensor

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        preset: str = "regular-spiking",
        a: float | None = None,
        b: float | None = None,
        c: float | None = None,
        d: float | None = None,
        excitatory: float = 0.8,
        v_peak: float = 30.0,
        generator: torch.Generator | None = None,
        learnable: Sequence[str] = (),
    ) -> None:
        super().__init__(shape)
        if preset == MIXED:
            if not 0.0 <= excitatory <= 1.0:
                raise ValueError(f"excitatory must be a fraction in [0, 1], got {excitatory}")
            r = torch.rand(self.shape, generator=generator)
            exc = torch.rand(self.shape, generator=generator) < excitatory
            values = {
                "a": torch.where(exc, 0.02, 0.02 + 0.08 * r),
                "b": torch.where(exc, 0.2, 0.25 - 0.05 * r),
                "c": torch.where(exc, -65.0 + 15.0 * r**2, -65.0),
                "d": torch.where(exc, 8.0 - 6.0 * r**2, 2.0),
            }
        elif preset in PRESETS:
            exc = torch.full(self.shape, preset != "fast-spiking")
            values = {k: torch.full(self.shape, v) for k, v in zip("abcd", PRESETS[preset], strict=True)}
        else:
            known = [*PRESETS, MIXED]
            match = closest(preset, known)
            hint = f"; did you mean {match[0]!r}?" if match else "."
            raise ValueError(f"unknown Izhikevich preset {preset!r}{hint} Known presets: {', '.join(known)}.")
        learnable = (learnable,) if isinstance(learnable, str) else tuple(learnable)
        for name in learnable:
            if name not in values:
                raise ValueError(f"cannot learn {name!r}. Learnable parameters: a, b, c, d.")
        for key, override in zip("abcd", (a, b, c, d), strict=True):
            if override is not None:
                values[key] = torch.full(self.shape, float(override))
            if key in learnable:
                self.register_parameter(key, nn.Parameter(values[key].float()))
            else:
                self.register_buffer(key, values[key].float())
        self.learned = learnable
        self.register_buffer("excitatory", exc)
        self.preset, self.v_peak = preset, v_peak

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> IzhikevichState:
        """The resting state: the stable fixed point ``0.04 v^2 + (5 - b) v + 140 = 0``, ``u = b v``,
        or ``v = -65`` where ``b`` is too large for one to exist."""
        b = self.b.to(device=device, dtype=dtype)  # learnable: the rest it starts from depends on it
        disc = (5.0 - b) ** 2 - 4 * 0.04 * 140.0
        rest = torch.where(disc >= 0, (b - 5.0 - disc.clamp_min(0).sqrt()) / 0.08, torch.full_like(b, -65.0))
        v = rest.expand(batch_size, *self.shape).clone()
        return IzhikevichState(v, b * v)

    def forward(self, input: Tensor, state: IzhikevichState, ctx: Context) -> tuple[Tensor, IzhikevichState]:
        p = IzhikevichParameters(self.a, self.b, self.c, self.d, self.v_peak)
        return izhikevich_step(input, state, p, ctx.dt, self.surrogate)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, preset={self.preset!r}"


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("izhikevich", Izhikevich)
