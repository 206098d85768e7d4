"""Spike propagation shared by the ``dense`` and ``sparse`` connections (not a plugin module)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def active_sources(x: Tensor) -> Tensor:
    """Indices of the sources that spiked (or carry a nonzero value) in any sample of the batch."""
    return x.bool().any(0).nonzero().squeeze(1)


#: Below this many synapses a pass over the whole matrix (product or learning update) is cheaper
#: than finding the active neurons first (measured on the LIF benchmark and Diehl & Cook's 784 x 100).
SMALL = 100_000


def event_driven_product(x: Tensor, weight: Tensor, threshold: float, binary: bool = False) -> Tensor:
    """``x @ weight`` for ``x`` ``[batch, n]``, summing only the rows of active sources when at most
    ``threshold`` of the entries are nonzero (one fused gather-and-sum, ``embedding_bag``); with
    ``binary`` (0/1 spikes) every nonzero entry counts as 1, which saves gathering the values."""
    if weight.numel() < SMALL:
        return x.to(weight.dtype) @ weight
    b, i = x.nonzero(as_tuple=True)
    if i.numel() > threshold * x.numel():
        return x.to(weight.dtype) @ weight
    if x.shape[0] == 1:  # one sample: one bag, starting at 0
        offsets = torch.zeros(1, dtype=torch.long, device=x.device)
    else:
        offsets = torch.searchsorted(b, torch.arange(x.shape[0], device=x.device))
    values = None if binary or x.dtype == torch.bool else x[b, i].to(weight.dtype)
    return F.embedding_bag(i, weight, offsets, mode="sum", per_sample_weights=values)


def outer_sum(a: Tensor, c: Tensor) -> Tensor:
    """``sum_b a[b, i] * c[b, j]``; a broadcast product for one sample, a matrix product for more."""
    return a[0][:, None] * c[0][None, :] if a.shape[0] == 1 else a.T @ c


def shift_in(line: Tensor, x: Tensor) -> Tensor:
    """Push this step's source activity ``x`` into a delay line ``[depth, batch, n]`` (row 0 newest)."""
    return torch.cat([x.to(line.dtype)[None], line[:-1]])


def per_synapse_delays(line: Tensor, weight: Tensor, delays: Tensor) -> Tensor:
    """``out[b, j] = sum_i weight[i, j] * line[delays[i, j], b, i]`` for dense weights.

    Only the (delay, sample, source) entries that hold a spike are visited, so the cost follows
    the activity, not the number of synapses; when a gradient is wanted, every entry is, so that
    silent sources get theirs too.
    """
    if torch.is_grad_enabled():
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
