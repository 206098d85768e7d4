"""The connection interface that connection-type plugins implement."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from snnkit.context import Context, NoState
from snnkit.neurons import as_shape


class Connection(nn.Module, ABC):
    """Synapses from a source layer to a target layer, with weights and optional plasticity.

    The contract (checked for any plugin by ``snnkit.testing.ConnectionContract``):

    * ``weight`` is a tensor attribute (a buffer or a ``Parameter``) that learning rules update in
      place; the update methods below do not switch autograd off themselves (``Network.run``
      runs them without it, and the per-call switch is measurable in a simulation step). A
      connection learned by gradient makes its weights ``Parameter``s with ``requires_grad``;
      its :meth:`forward` must then be differentiable with respect to the weights and to the
      incoming spikes, silent ones included (``torch.is_grad_enabled()`` tells it that a
      gradient is wanted).
    * :meth:`forward` maps the source's spikes ``[batch, *source_shape]`` (0.0/1.0 floats,
      booleans from outside a network, or real values from a ``real-input`` layer) to the input
      they deliver to the target ``[batch, *target_shape]``. Transient state (e.g. running rates)
      is a ``NamedTuple`` from :meth:`initial_state`, owned by the network like a neuron's state.
    * ``delay`` (steps) holds every spike back for that many steps on top of the one-step delay
      that all connections have; the network keeps the delay line, so every connection type
      supports it. Types with per-synapse delays take a tensor instead and handle it themselves.
    * Learning rules change weights through :meth:`add_outer` where they can, so one rule works on
      every connection type that implements it (each type says which it does).
    * In every learning step, after the learning rules, the network calls :meth:`decay_weights`
      (when ``weight_decay`` is set) and then :meth:`constrain`, which clamps weights to
      ``[wmin, wmax]``. At the end of every ``Network.run`` that learned, it calls
      :meth:`renormalize`, which rescales the weights to ``norm`` (once per presented sample, as
      Diehl & Cook 2015 and BindsNET do; rescaling every step would cost a pass over all weights
      per step).

    Args:
        source_shape: shape of the source layer.
        target_shape: shape of the target layer.
        wmin: lower weight bound (hard clamp), ``-inf`` for none.
        wmax: upper weight bound (hard clamp), ``inf`` for none.
        norm: total incoming weight per target neuron, restored after each learning run; ``None`` for none.
        weight_decay: rate (1/ms) at which weights decay towards zero while learning:
            ``w <- w * exp(-weight_decay * dt)`` each learning step; 0 for none.
        delay: extra steps every spike takes to arrive, 0 for none.
    """

    weight: Tensor
    #: Whether the source emits 0/1 spikes (the network sets it from the source layer's
    #: ``emits_real``), so that any nonzero input counts as 1; ``False`` keeps input values as given.
    binary_source: bool = False

    def __init__(
        self,
        source_shape: int | Sequence[int],
        target_shape: int | Sequence[int],
        *,
        wmin: float = -math.inf,
        wmax: float = math.inf,
        norm: float | None = None,
        weight_decay: float = 0.0,
        delay: int = 0,
    ) -> None:
        super().__init__()
        self.source_shape = as_shape(source_shape)
        self.target_shape = as_shape(target_shape)
        if wmin > wmax:
            raise ValueError(f"wmin ({wmin}) must not exceed wmax ({wmax})")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be a non-negative rate in 1/ms, got {weight_decay}")
        if not isinstance(delay, int) or isinstance(delay, bool) or delay < 0:
            raise ValueError(f"delay must be a non-negative number of steps, got {delay!r}")
        self.wmin, self.wmax, self.norm, self.weight_decay = wmin, wmax, norm, weight_decay
        self.delay = delay

    @property
    def source_size(self) -> int:
        return math.prod(self.source_shape)

    @property
    def target_size(self) -> int:
        return math.prod(self.target_shape)

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> NamedTuple:
        """Transient state for ``batch_size`` samples; none by default."""
        return NoState()

    @abstractmethod
    def forward(self, spikes: Tensor, state: Any, ctx: Context) -> tuple[Tensor, Any]:
        """Deliver one step of source spikes: ``[batch, *source_shape]`` to ``(input, state)``."""

    def local_learning_refusal(self) -> str | None:
        """Why learning rules cannot change this connection, or ``None`` when they can.
        ``Network.add_connection`` refuses a rule with this reason before anything runs."""
        return None

    def outer(self, pre: Tensor, post: Tensor) -> Tensor:
        """Per sample, ``pre[b, i] * post[b, j]`` for every synapse ``i -> j``, laid out like ``weight``.

        ``pre`` is ``[batch, *source_shape]`` and ``post`` ``[batch, *target_shape]``; the result is
        ``[batch, *weight.shape]``. A weight shared by several synapses (a convolution kernel)
        gets the sum over them. Rules with per-synapse eligibility traces build on it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not support learning (it has no outer())")

    def add_outer(self, pre: Tensor, post: Tensor, factor: Callable[[Tensor], Tensor] | None = None) -> None:
        """Add ``sum_b outer(pre, post)[b]`` to the weights, times ``factor(weight)`` if given.

        Pair rules (STDP, Hebbian, reward-modulated) are sums of such outer products; ``factor``
        makes an update weight-dependent (soft bounds). Types override this with a cheaper
        version where they can (``dense`` touches only the rows or columns of active neurons).
        """
        update = self.outer(pre, post).sum(0)
        self.weight.add_(update if factor is None else update * factor(self.weight))

    def decay_weights(self, dt: float) -> None:
        """Shrink weights towards zero by ``exp(-weight_decay * dt)``."""
        if self.weight_decay:
            self.weight.mul_(math.exp(-self.weight_decay * dt))

    def constrain(self) -> None:
        """Clamp weights to ``[wmin, wmax]``."""
        if self.wmin > -math.inf or self.wmax < math.inf:
            self.weight.clamp_(self.wmin, self.wmax)

    def renormalize(self) -> None:
        """After a learning run: rescale the weights to ``norm`` when it is set and, when weights
        are scaled (``norm``, ``weight_decay``), set to 0 those smaller than the smallest normal float.

        Scaling again and again shrinks the weights of synapses that never learn geometrically,
        until they are subnormal numbers: they carry no signal (below 1.2e-38 in float32) but slow
        down arithmetic on them (after one epoch of batched Diehl & Cook, 30 % of the input weights
        were subnormal and training ran at half speed).
        """
        if self.norm is not None:
            self.normalize(self.norm)
        if (self.norm is not None or self.weight_decay) and self.weight.is_floating_point():
            self.weight.masked_fill_(self.weight.abs() < torch.finfo(self.weight.dtype).tiny, 0.0)

    def normalize(self, norm: float) -> None:
        """Scale the weights so that each target neuron's incoming weights sum to ``norm``."""
        raise NotImplementedError(f"{type(self).__name__} does not support weight normalisation (norm=...)")

    def extra_repr(self) -> str:
        return f"source_shape={self.source_shape}, target_shape={self.target_shape}"
