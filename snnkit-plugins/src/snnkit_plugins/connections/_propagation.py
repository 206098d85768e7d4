"""Spike propagation shared by the ``dense`` and ``sparse`` connections (not a plugin module)."""

from __future__ import annotations

import torch
from torch import Tensor


def active_sources(x: Tensor) -> Tensor:
    """Indices of the sources that spiked (or carry a nonzero value) in any sample of the batch."""
    return (x if x.dtype == torch.bool else x != 0).any(0).nonzero().squeeze(1)


def gather_rows(x: Tensor, weight: Tensor, threshold: float) -> Tensor:
    """``x @ weight``, computed from the rows of active sources only when there are few of them."""
    active = active_sources(x)
    if active.numel() > threshold * x.shape[1]:
        return x.to(weight.dtype) @ weight
    return x.index_select(1, active).to(weight.dtype) @ weight.index_select(0, active)


def shift_in(line: Tensor, x: Tensor) -> Tensor:
    """Push this step's source activity ``x`` into a delay line ``[depth, batch, n]`` (row 0 newest)."""
    return torch.cat([x.to(line.dtype)[None], line[:-1]])


def per_synapse_delays(line: Tensor, weight: Tensor, delays: Tensor) -> Tensor:
    """``out[b, j] = sum_i weight[i, j] * line[delays[i, j], b, i]`` for dense weights.

    Only the (delay, sample, source) entries that hold a spike are visited, so the cost follows
    the activity, not the number of synapses.
    """
    depth, batch, _ = line.shape
    out = torch.zeros(batch, weight.shape[1], dtype=weight.dtype, device=weight.device)
    k, b, i = line.nonzero(as_tuple=True)
    if k.numel():
        rows = weight.index_select(0, i) * (delays.index_select(0, i) == k[:, None])
        out.index_add_(0, b, rows * line[k, b, i][:, None].to(weight.dtype))
    return out
