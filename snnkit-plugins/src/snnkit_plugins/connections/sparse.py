"""The ``sparse`` connection: synapses stored as a list, random or given, and able to learn."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from snnkit import Connection, Context, NoState, hookimpl
from snnkit.errors import ShapeError
from snnkit.init import WeightSpec, initial_weights
from snnkit.ops import active_indices, event_driven
from snnkit_plugins.connections._propagation import shift_in


class SparseDelayLine(NamedTuple):
    spikes: Tensor  # [max delay + 1, batch, source size]: row k holds the spikes of k steps ago


class Sparse(Connection):
    """Sparse synapses, stored as ``(pre, post, weight)`` lists sorted by source: memory grows
    with the synapses, not with ``source x target``.

    Connectivity is random (each possible synapse exists with probability ``p``, drawn from the
    generator) or explicit (``indices``). Each step only the synapses of the sources that spiked
    are visited when few did (at most ``event_threshold`` of the sources); otherwise all synapses
    are summed at once. Unlike BindsNET's sparse connections these learn: learning rules update
    ``weight`` through ``add_outer``, which touches existing synapses only, so the connectivity
    never changes.

    Args:
        source_shape: shape of the source layer.
        target_shape: shape of the target layer.
        p: connection probability for random connectivity, 0.1.
        indices: explicit connectivity instead: a long tensor ``[2, n]`` of (source, target)
            flat indices; duplicates are not allowed.
        weight: initial weights: a tensor ``[n]`` in the order of ``indices``, a number, or a name
            (``"uniform"``, ``"uniform(low, high)"``, ``"normal(mean, std)"``, ``"constant(v)"``).
        wmin: lower weight bound (hard clamp after learning), ``-inf`` for none.
        wmax: upper weight bound, ``inf`` for none.
        norm: each target's incoming weights are scaled to sum to ``norm``; ``None`` for none.
        weight_decay: decay rate of the weights towards zero while learning (1/ms), 0 for none.
        delay: extra steps each spike takes: an int for the whole connection, or an integer
            tensor ``[n]`` of per-synapse delays in the order of the synapses.
        event_threshold: largest fraction of active sources for which only their synapses are
            visited; 0 always sums over all synapses.
        generator: random generator for connectivity and weights (the network passes its own).

    Attributes ``pre``, ``post`` (long ``[n]``) and ``weight`` (``[n]``) list the synapses, sorted
    by source (then target); ``indices`` are reordered the same way.

    >>> conn = Sparse(3, 2, indices=torch.tensor([[0, 2], [1, 0]]), weight=torch.tensor([1.0, 5.0]))
    >>> out, _ = conn(torch.tensor([[True, True, True]]), conn.initial_state(1), Context())
    >>> out.tolist()
    [[5.0, 1.0]]
    """

    pre: Tensor
    post: Tensor
    row_start: Tensor
    delays: Tensor | None

    def __init__(
        self,
        source_shape: int | Sequence[int],
        target_shape: int | Sequence[int],
        *,
        p: float = 0.1,
        indices: Tensor | None = None,
        weight: WeightSpec = "uniform",
        wmin: float = -math.inf,
        wmax: float = math.inf,
        norm: float | None = None,
        weight_decay: float = 0.0,
        delay: int | Tensor = 0,
        event_threshold: float = 0.1,
        generator: torch.Generator | None = None,
    ) -> None:
        uniform = delay if isinstance(delay, int) else 0
        super().__init__(
            source_shape, target_shape, wmin=wmin, wmax=wmax, norm=norm, weight_decay=weight_decay, delay=uniform
        )
        if indices is None:
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"p must be a connection probability in [0, 1], got {p}")
            pre, post = self._random(p, generator)
            order = None
        else:
            pre, post, order = self._explicit(indices)
        n = pre.numel()
        w = initial_weights(weight, (n,), wmin=wmin, wmax=wmax, generator=generator)
        if order is not None:
            w = w[order]
        self.register_buffer("pre", pre)
        self.register_buffer("post", post)
        counts = torch.bincount(pre, minlength=self.source_size)
        self.register_buffer("row_start", torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)]))
        self.weight = nn.Parameter(w, requires_grad=False)
        if isinstance(delay, Tensor):
            if tuple(delay.shape) != (n,):
                raise ShapeError("sparse connection per-synapse delays", (n,), tuple(delay.shape))
            if delay.is_floating_point() or (n and delay.min() < 0):
                raise ValueError("per-synapse delays must be non-negative integers (steps)")
            delay = delay.long() if order is None else delay.long()[order]
        self.register_buffer("delays", delay if isinstance(delay, Tensor) else None)
        self.max_delay = int(self.delays.max()) if self.delays is not None and n else 0
        self.event_threshold = event_threshold
        self.constrain()
        self.renormalize()

    @property
    def indices(self) -> Tensor:
        """Synapses as a ``[2, n]`` tensor of (source, target) flat indices."""
        return torch.stack([self.pre, self.post])

    def _random(self, p: float, generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
        pres, posts, rows = [], [], max(1, 2**22 // self.target_size)  # bounded memory per chunk
        for start in range(0, self.source_size, rows):
            stop = min(start + rows, self.source_size)
            chunk = torch.rand(stop - start, self.target_size, generator=generator) < p
            i, j = chunk.nonzero(as_tuple=True)
            pres.append(i + start)
            posts.append(j)
        return torch.cat(pres), torch.cat(posts)

    def _explicit(self, indices: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        if indices.dim() != 2 or indices.shape[0] != 2 or indices.is_floating_point():
            raise ShapeError("sparse connection indices (long, [2, n])", "(2, n)", tuple(indices.shape))
        pre, post = indices.long()
        if pre.numel() and (pre.min() < 0 or pre.max() >= self.source_size):
            raise ValueError(f"sparse connection: source indices must lie in [0, {self.source_size})")
        if post.numel() and (post.min() < 0 or post.max() >= self.target_size):
            raise ValueError(f"sparse connection: target indices must lie in [0, {self.target_size})")
        key = pre * self.target_size + post
        if key.unique().numel() != key.numel():
            raise ValueError("sparse connection: indices list the same synapse more than once")
        order = key.argsort()
        return pre[order], post[order], order

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> NamedTuple:
        if self.delays is None:
            return NoState()
        return SparseDelayLine(torch.zeros((self.max_delay + 1, batch_size, self.source_size), device=device))

    def forward(self, spikes: Tensor, state: Any, ctx: Context) -> tuple[Tensor, Any]:
        batch = spikes.shape[0]
        x = spikes.reshape(batch, -1)
        out = torch.zeros(batch, self.target_size, dtype=self.weight.dtype, device=self.weight.device)
        if self.delays is not None:
            line = shift_in(state.spikes, x)
            values = line[self.delays, :, self.pre]  # [n, batch]: each synapse's delayed input
            out.index_add_(1, self.post, values.T.to(self.weight.dtype) * self.weight)
            return out.reshape(batch, *self.target_shape), SparseDelayLine(line)
        synapses = self._synapses_of_active(x)
        if synapses is None:  # many sources active: all synapses at once
            out.index_add_(1, self.post, x[:, self.pre].to(self.weight.dtype) * self.weight)
        elif synapses.numel():
            contributions = x[:, self.pre[synapses]].to(self.weight.dtype) * self.weight[synapses]
            out.index_add_(1, self.post[synapses], contributions)
        return out.reshape(batch, *self.target_shape), state

    def _synapses_of_active(self, x: Tensor) -> Tensor | None:
        """Indices of the synapses leaving active sources, or ``None`` when the dense sum is cheaper."""
        if self.event_threshold <= 0 or not event_driven(x):
            return None
        active = active_indices(x)
        if active.numel() > self.event_threshold * x.shape[1]:
            return None
        starts, stops = self.row_start[active], self.row_start[active + 1]
        counts = stops - starts
        total = int(counts.sum())
        offsets = torch.arange(total, device=counts.device) - torch.repeat_interleave(counts.cumsum(0) - counts, counts)
        return torch.repeat_interleave(starts, counts) + offsets

    def outer(self, pre: Tensor, post: Tensor) -> Tensor:
        a = pre.reshape(pre.shape[0], -1).to(self.weight.dtype)
        b = post.reshape(post.shape[0], -1).to(self.weight.dtype)
        return a[:, self.pre] * b[:, self.post]

    def normalize(self, norm: float) -> None:
        total = torch.zeros(self.target_size, dtype=self.weight.dtype, device=self.weight.device)
        total.index_add_(0, self.post, self.weight)
        total = torch.where(total == 0, torch.ones_like(total), total)
        self.weight.mul_(norm / total[self.post])

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any) -> None:
        """Accept another connectivity (a different number of synapses) from a saved state."""
        for name in ("pre", "post", "row_start", "weight", "delays"):
            saved, own = state_dict.get(prefix + name), getattr(self, name)
            if isinstance(saved, Tensor) and isinstance(own, Tensor) and saved.shape != own.shape:
                own.data = torch.empty_like(saved, device=own.device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        if self.delays is not None:
            self.max_delay = int(self.delays.max()) if self.delays.numel() else 0


@hookimpl
def snnkit_register_connections(registry):
    registry.add("sparse", Sparse)
