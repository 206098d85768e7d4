"""Pieces shared by the built-in learning rules (not a plugin module)."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from snnkit import Activity, Connection, LearningRule
from snnkit.errors import closest

REDUCTIONS = ("mean", "sum")
PAIR_REDUCTIONS = (*REDUCTIONS, "first-spiking")


def check_reduction(reduction: str, known: tuple[str, ...] = REDUCTIONS) -> str:
    """One of ``known`` (by default ``"mean"`` or ``"sum"``), or a ValueError that suggests the closest."""
    if reduction not in known:
        match = closest(reduction, known)
        hint = f"; did you mean {match[0]!r}?" if match else "."
        raise ValueError(f"unknown batch reduction {reduction!r}{hint} Use one of {', '.join(map(repr, known))}.")
    return reduction


def flat(activity: Tensor, dtype: torch.dtype) -> Tensor:
    """``[batch, *shape]`` spikes or values to ``[batch, n]`` in ``dtype``."""
    return activity.reshape(activity.shape[0], -1).to(dtype)


def trace(x: Tensor, spikes: Tensor, tau: float, dt: float, additive: bool) -> Tensor:
    """Decay ``x`` by ``exp(-dt / tau)``, then add the spikes or reset to 1 where they occur."""
    decayed = x * math.exp(-dt / tau)
    return decayed.add_(spikes) if additive else decayed.masked_fill_(spikes > 0, 1.0)


class PairTraces(NamedTuple):
    pre: Tensor  # presynaptic traces [batch, source size]
    post: Tensor  # postsynaptic traces [batch, target size]
    learns: Tensor  # with reduction "first-spiking": the sample each target learns from [batch, target size]


def first_spiking(s_post: Tensor, learns: Tensor) -> tuple[Tensor, Tensor]:
    """Keep each target's spikes only in the sample that made it spike first since the last reset.

    ``learns`` marks, per target, the sample it learns from; a target spiking for the first time
    is given to the lowest sample index that spiked in this step.
    """
    fresh = (s_post > 0) & ~learns.any(0)
    learns = learns | (fresh & (fresh.cumsum(0) == 1))
    return s_post * learns, learns


class PairRule(LearningRule):
    """Base of the trace-based pair rules: traces of delivered and emitted spikes, and a batch reduction.

    Each step both traces decay and then take this step's spikes (reset to 1, or plus 1 when
    ``trace_additive``), so a pre- and a postsynaptic spike in the same step see each other.

    Batches: ``"sum"`` adds every sample's update, ``"mean"`` divides the sum by the batch size.
    ``"first-spiking"`` sums too, but each target neuron learns from one sample only: the first
    that made it spike since the network's state was last reset (the lowest index on a tie); its
    spikes in the other samples change no weight. In a winner-take-all layer presented one batch
    of inputs at a time (Diehl & Cook's network) this keeps a neuron from learning a blend of
    several inputs at once, which is what makes summed batches learn worse than batch 1. At
    batch 1 it equals ``"sum"``. On convolutions a target is one output neuron (a channel at one
    position): a shared kernel still sums what its positions learn.
    """

    def __init__(
        self,
        nu: tuple[float, float] | list[float] = (1e-4, 1e-2),
        *,
        tc_pre: float = 20.0,
        tc_post: float = 20.0,
        trace_additive: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        if len(nu) != 2:
            raise ValueError(f"nu must be a pair (nu_pre, nu_post), got {nu!r}")
        if tc_pre <= 0 or tc_post <= 0:
            raise ValueError("tc_pre and tc_post must be positive time constants in ms")
        self.nu_pre, self.nu_post = float(nu[0]), float(nu[1])
        self.tc_pre, self.tc_post, self.trace_additive = tc_pre, tc_post, trace_additive
        self.reduction = check_reduction(reduction, PAIR_REDUCTIONS)

    def initial_state(
        self,
        connection: Connection,
        batch_size: int,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> PairTraces:
        pre = torch.zeros(batch_size, connection.source_size, device=device, dtype=dtype)
        post = torch.zeros(batch_size, connection.target_size, device=device, dtype=dtype)
        return PairTraces(pre, post, torch.zeros_like(post, dtype=torch.bool))

    def scale(self, batch: int) -> float:
        """Factor that turns a sum over the batch into the chosen reduction, for this call's batch."""
        return 1.0 / batch if self.reduction == "mean" else 1.0

    def step_traces(
        self, pre: Activity, post: Activity, state: PairTraces, dt: float
    ) -> tuple[Tensor, Tensor, PairTraces]:
        """This step's spikes ``(s_pre, s_post)`` as floats (``s_post`` only where a target learns)
        and the next traces."""
        s_pre, s_post = flat(pre.spikes, state.pre.dtype), flat(post.spikes, state.post.dtype)
        learns = state.learns
        if self.reduction == "first-spiking" and s_post.shape[0] > 1:  # at batch 1 it is "sum"
            s_post, learns = first_spiking(s_post, learns)
        x_pre = trace(state.pre, s_pre, self.tc_pre, dt, self.trace_additive)
        x_post = trace(state.post, s_post, self.tc_post, dt, self.trace_additive)
        return s_pre, s_post, PairTraces(x_pre, x_post, learns)

    def extra_repr(self) -> str:
        return f"nu=({self.nu_pre}, {self.nu_post}), tc_pre={self.tc_pre}, tc_post={self.tc_post}"
