"""The ``stp`` connection: short-term facilitation and depression (Tsodyks & Markram) around any connection."""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import torch
from torch import Tensor

from snnkit import Connection, Context, hookimpl

if TYPE_CHECKING:
    from snnkit.plugins import PluginManager

#: The fields the wrapper adds to the wrapped connection's state.
STP_FIELDS = ("u", "x")


class STPState(NamedTuple):
    u: Tensor  # utilisation of resources per source neuron [batch, source size]
    x: Tensor  # fraction of resources available per source neuron [batch, source size]


def state_type(fields: Sequence[str]) -> type:
    """The state of ``stp`` around a connection whose own state has ``fields``: ``u``, ``x`` and
    those fields. Made once per set of fields and kept in this module, so that it pickles."""
    if not fields:
        return STPState
    name = "STPState_" + "_".join(fields)
    if name not in globals():
        made = namedtuple(name, (*STP_FIELDS, *fields))  # type: ignore[misc]
        made.__module__ = __name__
        globals()[name] = made
    return globals()[name]


class ShortTermPlasticity(Connection):
    """Short-term plasticity: each spike's efficacy depends on the recent spikes of its source.

    Wraps a connection (``dense`` by default, or any other, by name or as an object) and scales
    every source neuron's spikes by its current efficacy before the wrapped connection delivers
    them, with the Tsodyks-Pawelzik-Markram (1998) model of a synapse's resources ``x`` and their
    utilisation ``u``. Between spikes ``u`` decays to 0 and ``x`` recovers to 1::

        du/dt = -u / tau_facil          dx/dt = (1 - x) / tau_depr

    and at a spike ``u <- u + U (1 - u)``, the spike's efficacy is ``u x`` (``u`` after, ``x``
    before the spike), and ``x <- x - u x``: the first spike from rest delivers ``U`` times the
    weight, later ones more (facilitation, long ``tau_facil``) or less (depression, long
    ``tau_depr``). The decays are exact per step, so for a regular train of period ``T`` the
    efficacies tend to the model's closed-form steady state::

        u* = U / (1 - (1 - U) exp(-T / tau_facil))
        x* = (1 - exp(-T / tau_depr)) / (1 - (1 - u*) exp(-T / tau_depr)),   efficacy u* x*

    (with ``tau_facil = 0``, ``u* = U``: pure depression, Tsodyks & Markram 1997). The efficacy
    is per source neuron, as in the model (its state depends on the presynaptic spikes alone):
    the state ``u``, ``x`` is ``[batch, source size]``, reset with the network's state, and
    recordable by a ``state`` monitor on the connection. What the wrapped connection receives is
    real-valued (``s * U_eff * x``); its gradient with respect to a silent source is the
    efficacy a spike would have had. Weights, learning rules (``outer``, ``add_outer``), bounds,
    ``norm`` and the delay are the wrapped connection's: rules see the plain spikes. References:
    M. Tsodyks & H. Markram, PNAS 94:719 (1997); M. Tsodyks, K. Pawelzik & H. Markram, Neural
    Comput. 10:821 (1998); H. Markram, Y. Wang & M. Tsodyks, PNAS 95:5323 (1998) (parameters of
    facilitating synapses, e.g. U = 0.03, tau_facil = 530 ms, tau_depr = 130 ms).

    Args:
        source_shape: shape of the source layer.
        target_shape: shape of the target layer.
        synapse: the wrapped connection: a connection name, built with the shapes, ``generator``
            and the remaining keyword arguments, or a ``Connection`` of the same shapes;
            ``"dense"`` by default.
        utilization: U, the utilisation of resources by a spike from rest, 0.5 (in (0, 1]).
        tau_facil: time constant of facilitation (decay of ``u``), 0 ms (none: pure depression).
        tau_depr: time constant of recovery from depression (of ``x``), 800 ms (0 for none).
        generator: random generator for the wrapped connection's initial weights (the network
            passes its own).
        plugins: where ``synapse`` is looked up by name; the process-wide plugins by default.
        params: parameters of the wrapped connection (``weight``, ``wmin``, ``learnable``, ...).

    >>> conn = ShortTermPlasticity(1, 1, weight=2.0, utilization=0.5, tau_depr=800.0)
    >>> state, spike = conn.initial_state(1), torch.ones(1, 1)
    >>> for _ in range(3):
    ...     out, state = conn(spike, state, Context(dt=1.0))
    ...     print(round(out.item(), 4))  # 2 u x: x barely recovers in 1 ms
    1.0
    0.5006
    0.2512
    """

    def __init__(
        self,
        source_shape: int | Sequence[int],
        target_shape: int | Sequence[int],
        *,
        synapse: str | Connection = "dense",
        utilization: float = 0.5,
        tau_facil: float = 0.0,
        tau_depr: float = 800.0,
        generator: torch.Generator | None = None,
        plugins: PluginManager | None = None,
        **params: Any,
    ) -> None:
        if not 0.0 < utilization <= 1.0:
            raise ValueError(f"utilization must be a fraction in (0, 1], got {utilization}")
        for name, value in (("tau_facil", tau_facil), ("tau_depr", tau_depr)):
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a non-negative, finite time constant in ms (0 for none), got {value}")
        inner = self._wrapped(synapse, source_shape, target_shape, generator, plugins, params)
        super().__init__(
            source_shape,
            target_shape,
            wmin=inner.wmin,
            wmax=inner.wmax,
            norm=inner.norm,
            weight_decay=inner.weight_decay,
            delay=inner.delay,  # the network delays the spikes on the way in; the wrapped connection sees them late
        )
        if (inner.source_shape, inner.target_shape) != (self.source_shape, self.target_shape):
            raise ValueError(
                f"synapse connects {inner.source_shape} to {inner.target_shape}, but stp connects"
                f" {self.source_shape} to {self.target_shape}"
            )
        inner.binary_source = False  # it receives efficacies, not 0/1 spikes
        self.synapse = inner
        self.utilization, self.tau_facil, self.tau_depr = float(utilization), float(tau_facil), float(tau_depr)
        self.inner_state_type = type(inner.initial_state(1))
        fields = self.inner_state_type._fields
        clash = [f for f in fields if f in STP_FIELDS]
        if clash:
            raise ValueError(f"stp cannot wrap {type(inner).__name__}: its state already has {', '.join(clash)}")
        self.state_type = state_type(fields)

    @staticmethod
    def _wrapped(
        synapse: str | Connection,
        source_shape: int | Sequence[int],
        target_shape: int | Sequence[int],
        generator: torch.Generator | None,
        plugins: PluginManager | None,
        params: dict[str, Any],
    ) -> Connection:
        if isinstance(synapse, Connection):
            if params:
                raise ValueError(
                    f"stp got parameters {', '.join(sorted(params))} for a synapse that is already built:"
                    " give them to the connection you pass, or name its type (synapse='dense')"
                )
            return synapse
        if synapse == "stp":
            raise ValueError("stp cannot wrap stp: give the type of the synapse it should modulate, e.g. 'dense'")
        from snnkit import get_plugin_manager

        plugins = plugins or get_plugin_manager()
        component = plugins.get("connections", synapse)
        if generator is not None and "generator" in {p.name for p in component.parameters}:
            params = {**params, "generator": generator}
        built = component.build(source_shape, target_shape, **params)
        if not isinstance(built, Connection):
            raise ValueError(f"synapse {synapse!r} built a {type(built).__name__}, not a Connection")
        return built

    # -- weights and learning: the wrapped connection's ------------------------------------------

    @property
    def weight(self) -> Tensor:  # type: ignore[override]
        return self.synapse.weight

    def outer(self, pre: Tensor, post: Tensor) -> Tensor:
        return self.synapse.outer(pre, post)

    def add_outer(self, pre: Tensor, post: Tensor, factor: Callable[[Tensor], Tensor] | None = None) -> None:
        self.synapse.add_outer(pre, post, factor)

    def decay_weights(self, dt: float) -> None:
        self.synapse.decay_weights(dt)

    def constrain(self) -> None:
        self.synapse.constrain()

    def renormalize(self) -> None:
        self.synapse.renormalize()

    def normalize(self, norm: float) -> None:
        self.synapse.normalize(norm)

    # -- dynamics ---------------------------------------------------------------------------------

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> NamedTuple:
        """Rest: no facilitation (``u = 0``), full resources (``x = 1``), and the wrapped
        connection's own initial state."""
        u = torch.zeros(batch_size, self.source_size, device=device, dtype=dtype)
        inner = self.synapse.initial_state(batch_size, device=device, dtype=dtype)
        return self.state_type(u, torch.ones_like(u), *inner)

    def forward(self, spikes: Tensor, state: Any, ctx: Context) -> tuple[Tensor, Any]:
        u, x = state.u, state.x
        s = spikes.reshape(spikes.shape[0], -1).to(u.dtype)
        dt = ctx.dt
        if self.tau_facil > 0:
            u = u * math.exp(-dt / self.tau_facil)
        else:
            u = torch.zeros_like(u)
        if self.tau_depr > 0:
            x = 1.0 - (1.0 - x) * math.exp(-dt / self.tau_depr)
        else:
            x = torch.ones_like(x)
        boosted = u + self.utilization * (1.0 - u)  # u just after a spike
        efficacy = boosted * x  # what a spike delivers now, per source neuron
        delivered = s * efficacy
        u = u + s * (boosted - u)
        x = x - delivered
        inner_state = self.inner_state_type(*state[len(STP_FIELDS) :])
        out, inner_state = self.synapse(delivered.reshape(spikes.shape), inner_state, ctx)
        return out, self.state_type(u, x, *inner_state)

    def extra_repr(self) -> str:
        return f"utilization={self.utilization}, tau_facil={self.tau_facil}, tau_depr={self.tau_depr}"


def steady_state(utilization: float, tau_facil: float, tau_depr: float, period: float) -> tuple[float, float]:
    """``(u*, x*)`` for a regular train of period ``period`` ms; the efficacy is ``u* x*``.

    >>> u, x = steady_state(0.5, 0.0, 800.0, 25.0)  # depression, 40 Hz
    >>> round(u, 4), round(u * x, 4)
    (0.5, 0.0298)
    """
    f = math.exp(-period / tau_facil) if tau_facil > 0 else 0.0
    d = math.exp(-period / tau_depr) if tau_depr > 0 else 0.0
    u = utilization / (1 - (1 - utilization) * f)
    return u, (1 - d) / (1 - (1 - u) * d)


@hookimpl
def snnkit_register_connections(registry):
    registry.add("stp", ShortTermPlasticity)
