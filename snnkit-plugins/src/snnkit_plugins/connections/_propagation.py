"""Spike propagation shared by the ``dense`` and ``sparse`` connections (not a plugin module)."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit.ops import event_driven


def shift_in(line: Tensor, x: Tensor) -> Tensor:
    """Push this step's source activity ``x`` into a delay line ``[depth, batch, n]`` (row 0 newest)."""
    return torch.cat([x.to(line.dtype)[None], line[:-1]])


def per_synapse_delays(line: Tensor, weight: Tensor, delays: Tensor) -> Tensor:
    """``out[b, j] = sum_i weight[i, j] * line[delays[i, j], b, i]`` for dense weights.

    Only the (delay, sample, source) entries that hold a spike are visited, so the cost follows
    the activity, not the number of synapses; where that does not pay (``snnkit.ops.event_driven``:
    a gradient for the spikes, compiled code, a GPU) every entry is, so silent sources get theirs.
    """
    if not event_driven(line):
        arrived = line.permute(1, 2, 0).to(weight.dtype)  # [batch, source, depth]
        index = delays.unsqueeze(0).expand(arrived.shape[0], -1, -1)  # [batch, source, target]
        return (arrived.gather(2, index) * weight).sum(1)
    batch = line.shape[1]
    out = torch.zeros(batch, weight.shape[1], dtype=weight.dtype, device=weight.device)
    k, b, i = line.nonzero(as_tuple=True)
    if k.numel():
        rows = weight.index_select(0, i) * (delays.index_select(0, i) == k[:, None])
        out.index_add_(0, b, rows * line[k, b, i][:, None].to(weight.dtype))
    return out
