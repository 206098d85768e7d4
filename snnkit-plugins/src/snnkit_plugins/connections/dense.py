"""The ``dense`` connection: all-to-all synapses with a weight matrix, propagated event by event."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from snnkit import Connection, Context, NoState, hookimpl
from snnkit.errors import ShapeError
from snnkit.init import WeightSpec, initial_weights
from snnkit.ops import active_indices, event_driven, outer_sum, spike_product
from snnkit.resources import check_memory
from snnkit_plugins.connections._propagation import per_synapse_delays, shift_in


class DelayLine(NamedTuple):
    spikes: Tensor  # [max delay + 1, batch, source size]: row k holds the spikes of k steps ago


class Dense(Connection):
    """All-to-all synapses: each step the target receives ``spikes @ weight`` (mV per spike).

    ``weight`` is ``[source size, target size]``: row ``i`` holds the synapses of source neuron
    ``i``. It is a ``Parameter``, saved in ``state_dict``, learned by gradient training when
    ``learnable`` (then ``requires_grad``; a differentiable run always takes the full product, so
    that silent sources get their gradient too).

    Propagation is event-driven: when few sources spiked (at most ``event_threshold`` of the
    batch's entries), only their weight rows are summed (one fused gather-and-sum) instead of
    multiplying the whole matrix, with the same result to float rounding. At 15 Hz and
    ``dt`` = 1 ms, 1.5 % of the inputs spike per step, and this is 10 to 70 times cheaper on a CPU
    for a 4000 x 4000 matrix. Matrices under 100,000 synapses always use the dense product, which
    is cheaper there. On a GPU the dense product is used throughout: it is fast there, and
    choosing would force a device sync per step.

    Learning rules update it through ``add_outer``; masked synapses stay zero, Dale's rule
    keeps each source's sign, and the bounds and ``norm`` are applied after every update.

    Args:
        source_shape: shape of the source layer.
        target_shape: shape of the target layer.
        weight: initial weights: a tensor ``[source size, target size]``, a number, or a name:
            ``"uniform"`` (in ``[wmin, wmax)`` when both are finite, else ``[0, 0.3)``),
            ``"uniform(low, high)"``, ``"normal(mean, std)"``, ``"constant(value)"``.
        wmin: lower weight bound (hard clamp after learning), ``-inf`` for none.
        wmax: upper weight bound, ``inf`` for none.
        norm: each target's incoming weights are scaled to sum to ``norm`` at construction and
            after every learning update; ``None`` for none.
        weight_decay: decay rate of the weights towards zero while learning (1/ms), 0 for none.
        bias: input added to every target neuron each step (mV): a number or a tensor of the
            target's shape; learnable by rules that support it, ``None`` for none.
        mask: boolean ``[source size, target size]``; synapses where it is false do not exist
            and stay zero.
        dale: Dale's rule: every source neuron keeps the sign of its initial outgoing weights
            (the sign of their sum; zero counts as excitatory), so learning never flips it.
        delay: extra steps each spike takes: an int for the whole connection, or an integer
            tensor ``[source size, target size]`` of per-synapse delays (a ring buffer keeps the
            last ``max(delay) + 1`` steps of source spikes).
        event_threshold: largest fraction of nonzero inputs (over the batch) for which only active
            rows are summed; 0 always multiplies the whole matrix.
        generator: random generator for the initial weights (the network passes its own).
        learnable: train the weights (and the bias, if any) by gradient descent.

    >>> conn = Dense(3, 2, weight=1.0)
    >>> out, _ = conn(torch.tensor([[True, False, True]]), conn.initial_state(1), Context())
    >>> out.tolist()
    [[2.0, 2.0]]
    """

    mask: Tensor | None
    sign: Tensor | None
    delays: Tensor | None

    def __init__(
        self,
        source_shape: int | Sequence[int],
        target_shape: int | Sequence[int],
        *,
        weight: WeightSpec = "uniform",
        wmin: float = -math.inf,
        wmax: float = math.inf,
        norm: float | None = None,
        weight_decay: float = 0.0,
        bias: float | Tensor | None = None,
        mask: Tensor | None = None,
        dale: bool = False,
        delay: int | Tensor = 0,
        event_threshold: float = 0.2,
        generator: torch.Generator | None = None,
        learnable: bool = False,
    ) -> None:
        uniform = delay if isinstance(delay, int) else 0
        super().__init__(
            source_shape, target_shape, wmin=wmin, wmax=wmax, norm=norm, weight_decay=weight_decay, delay=uniform
        )
        shape = (self.source_size, self.target_size)
        # The weights, the initialiser's temporary and a learning rule's traces or a gradient.
        check_memory(3 * 4 * shape[0] * shape[1], f"a dense connection of {shape[0]} x {shape[1]} weights")
        self.weight = nn.Parameter(
            initial_weights(weight, shape, wmin=wmin, wmax=wmax, generator=generator), requires_grad=learnable
        )
        if bias is None:
            self.bias = None
        else:
            b = torch.as_tensor(bias, dtype=torch.float32).expand(self.target_shape).clone()
            self.bias = nn.Parameter(b, requires_grad=learnable)
        if mask is not None:
            if tuple(mask.shape) != shape:
                raise ShapeError("dense connection mask", shape, tuple(mask.shape))
            mask = mask.to(torch.bool)
        self.register_buffer("mask", mask)
        self.register_buffer("sign", torch.where(self.weight.sum(1) < 0, -1.0, 1.0) if dale else None)
        if isinstance(delay, Tensor):
            if tuple(delay.shape) != shape:
                raise ShapeError("dense connection per-synapse delays", shape, tuple(delay.shape))
            if delay.is_floating_point() or delay.min() < 0:
                raise ValueError("per-synapse delays must be non-negative integers (steps)")
            delay = delay.long()
        self.register_buffer("delays", delay if isinstance(delay, Tensor) else None)
        self.max_delay = int(self.delays.max()) if self.delays is not None else 0
        self.event_threshold = event_threshold
        with torch.no_grad():
            self.constrain()
            self.renormalize()

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> NamedTuple:
        if self.delays is None:
            return NoState()
        return DelayLine(torch.zeros((self.max_delay + 1, batch_size, self.source_size), device=device))

    def forward(self, spikes: Tensor, state: Any, ctx: Context) -> tuple[Tensor, Any]:
        batch = spikes.shape[0]
        x = spikes if spikes.dim() == 2 else spikes.reshape(batch, -1)
        if self.delays is None:
            out = self.propagate(x)
        else:
            line = shift_in(state.spikes, x)
            out = per_synapse_delays(line, self.weight, self.delays)
            state = DelayLine(line)
        if self.bias is not None:
            out = out + self.bias.reshape(1, -1)
        return (out if len(self.target_shape) == 1 else out.reshape(batch, *self.target_shape)), state

    def propagate(self, x: Tensor) -> Tensor:
        """``x @ weight`` for ``x`` ``[batch, source size]``, gathering rows when few are active."""
        return spike_product(x, self.weight, self.event_threshold, self.binary_source)

    def outer(self, pre: Tensor, post: Tensor) -> Tensor:
        a = pre.reshape(pre.shape[0], -1).to(self.weight.dtype)
        c = post.reshape(post.shape[0], -1).to(self.weight.dtype)
        out = a[:, :, None] * c[:, None, :]
        return out if self.mask is None else out * self.mask

    def add_outer(self, pre: Tensor, post: Tensor, factor: Callable[[Tensor], Tensor] | None = None) -> None:
        """Add ``pre^T post`` touching only the rows of active sources or the columns of active
        targets when they are few, so learning costs follow activity rather than size.

        Rows are contiguous and cheap to update; a scattered column update costs about as much
        as a pass over the whole matrix once a few percent of the columns are involved, so the
        thresholds differ (measured on a 4000 x 4000 matrix). Otherwise the whole matrix takes one
        fused pass: a matrix product (``addmm_``, 1.2 to 1.5 times faster than ``addr_`` at
        4000 x 4000) step by step on a CPU or for a batch, else a broadcast product, which
        ``torch.compile`` fuses with the step's other loops over the weights.
        """
        a = pre.reshape(pre.shape[0], -1).to(self.weight.dtype)
        c = post.reshape(post.shape[0], -1).to(self.weight.dtype)
        n_source, n_target = self.weight.shape
        stepwise = event_driven(a, self.weight.numel())
        if stepwise:
            rows = active_indices(a)
            if rows.numel() <= 0.25 * n_source:
                if rows.numel() and not self._add_shared_rows(rows, a, c, factor):
                    mask = None if self.mask is None else self.mask[rows]
                    block = outer_sum(a.index_select(1, rows), c)
                    if factor is not None:
                        block = block * factor(self.weight[rows])
                    self._add_block(block, mask, lambda u: self.weight.index_add_(0, rows, u))
                return
            cols = active_indices(c)
            if cols.numel() <= 0.04 * n_target:
                if cols.numel():
                    mask = None if self.mask is None else self.mask[:, cols]
                    block = outer_sum(a, c.index_select(1, cols))
                    if factor is not None:
                        block = block * factor(self.weight[:, cols])
                    self._add_block(block, mask, lambda u: self.weight.index_add_(1, cols, u))
                return
        if factor is None and self.mask is None and (stepwise or a.shape[0] > 1):
            self.weight.addmm_(a.T, c)  # the batch's rank-1 updates in one streaming pass
        elif factor is None and self.mask is None:
            self.weight.addcmul_(a.T, c)  # the same values (one rounding per weight)
        else:
            block = a.T @ c
            if factor is not None:
                block = block * factor(self.weight)
            self._add_block(block, self.mask, self.weight.add_)

    def _add_shared_rows(self, rows: Tensor, a: Tensor, c: Tensor, factor: Callable[[Tensor], Tensor] | None) -> bool:
        """With one sample, where the active sources' entries of ``a`` share one value (spikes
        times a learning rate), add ``value * c`` to their rows without building the block: about
        half the time for 60 rows of 4000, and one rounding per weight, as in the full update.
        Returns whether it applied. (Columns gain nothing this way: an ``index_add_`` along
        columns with ``alpha`` is slower than the block's.)"""
        if factor is not None or self.mask is not None or a.shape[0] != 1:
            return False
        values = a[0].index_select(0, rows)
        if not bool((values == values[0]).all()):
            return False
        self.weight.index_add_(0, rows, c[0].expand(rows.numel(), -1), alpha=values[0].item())
        return True

    @staticmethod
    def _add_block(block: Tensor, mask: Tensor | None, add: Callable[[Tensor], object]) -> None:
        add(block if mask is None else block * mask)

    def constrain(self) -> None:
        """Zero masked synapses, enforce Dale's rule, then clamp to the bounds and normalise."""
        if self.mask is not None:
            self.weight.mul_(self.mask)
        if self.sign is not None:
            self.weight.copy_(torch.where(self.sign[:, None] > 0, self.weight.clamp_min(0), self.weight.clamp_max(0)))
        super().constrain()

    def normalize(self, norm: float) -> None:
        total = self.weight.sum(0, keepdim=True)
        self.weight.mul_(norm / torch.where(total == 0, torch.ones_like(total), total))


@hookimpl
def snnkit_register_connections(registry):
    registry.add("dense", Dense)


# -- NIR (docs/nir.md): Dense <-> nir.Affine (with bias) / nir.Linear; NIR's weight is [target, source].


def export_nir(conn: Dense, ctx):
    import nir

    if conn.delays is not None:
        ctx.unsupported("it has per-synapse delays; NIR's Delay node delays a whole signal, not single synapses")
    if len(conn.target_shape) > 1:
        ctx.unsupported(f"its target has shape {conn.target_shape}; NIR's Affine output is flat")
    weight = conn.weight.detach().cpu().numpy().T.copy()
    if conn.bias is None:
        node = nir.Linear(weight=weight)
    else:
        node = nir.Affine(weight=weight, bias=conn.bias.detach().cpu().numpy().reshape(-1).copy())
    if len(conn.source_shape) > 1:
        return [nir.Flatten(input_type=np.array(conn.source_shape), start_dim=0, end_dim=-1), node]
    return node


def import_nir(node, ctx) -> Dense:
    weight = np.asarray(node.weight)
    if weight.ndim != 2:
        ctx.unsupported(f"its weight has {weight.ndim} dimensions; dense takes [target, source]")
    size = math.prod(ctx.source_shape)
    if weight.shape[1] != size:
        from snnkit.errors import NIRShapeError

        raise NIRShapeError(
            ctx.name,
            type(node).__name__,
            f"its weight takes {weight.shape[1]} inputs but it receives {ctx.input_shape}",
        )
    bias = getattr(node, "bias", None)
    return Dense(
        ctx.source_shape,
        weight.shape[0],
        weight=torch.as_tensor(np.ascontiguousarray(weight.T, dtype=np.float32)),
        bias=None if bias is None else torch.as_tensor(np.array(bias, dtype=np.float32)).reshape(-1),
    )


@hookimpl
def snnkit_register_nir(registry):
    registry.exporter(Dense, export_nir)
    registry.importer("Affine", import_nir)
    registry.importer("Linear", import_nir)
