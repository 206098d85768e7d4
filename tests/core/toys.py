"""Tiny components registered in code, so that core tests need no plugin distribution."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from snnkit import Activity, Connection, Context, LearningRule, Monitor, NeuronGroup, NoState, hookimpl


class RelayState(NamedTuple):
    v: Tensor


class Relay(NeuronGroup):
    """Spikes whenever its input reaches ``threshold``; ``v`` holds the last input."""

    def __init__(self, shape, *, threshold: float = 0.5, cap: float | None = None) -> None:
        super().__init__(shape)
        self.threshold, self.cap = threshold, cap

    def initial_state(self, batch_size, *, device=None, dtype=torch.float32):
        return RelayState(torch.zeros((batch_size, *self.shape), device=device, dtype=dtype))

    def forward(self, input, state, ctx):
        return input >= self.threshold, RelayState(input if self.cap is None else input.clamp(max=self.cap))


class LeakyState(NamedTuple):
    v: Tensor


class Adaptive(NeuronGroup):
    """Leaky integrator with a threshold ``theta`` that grows by 1 per spike while learning."""

    def __init__(self, shape, *, tau: float = 10.0) -> None:
        super().__init__(shape)
        self.tau = tau
        self.register_buffer("theta", torch.ones(self.shape))

    def initial_state(self, batch_size, *, device=None, dtype=torch.float32):
        return LeakyState(torch.zeros((batch_size, *self.shape), device=device, dtype=dtype))

    def forward(self, input, state, ctx):
        v = state.v * math.exp(-ctx.dt / self.tau) + input
        s = v >= self.theta
        if ctx.learning:
            self.theta += s.float().sum(0)
        return s, LeakyState(torch.where(s, torch.zeros_like(v), v))


class Coin(NeuronGroup):
    """Spikes with probability ``p`` per step, drawn from the network's generator."""

    def __init__(self, shape, *, p: float = 0.5) -> None:
        super().__init__(shape)
        self.p = p

    def initial_state(self, batch_size, *, device=None, dtype=torch.float32):
        return NoState()

    def forward(self, input, state, ctx):
        u = torch.rand(input.shape, generator=ctx.generator, device=input.device)
        return u < self.p, state


class Full(Connection):
    """All-to-all weights, ``weight`` constant unless given."""

    def __init__(
        self,
        source_shape,
        target_shape,
        *,
        weight: float = 1.0,
        wmin: float = -math.inf,
        wmax: float = math.inf,
        delay: int = 0,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(source_shape, target_shape, wmin=wmin, wmax=wmax, delay=delay)
        n, m = math.prod(self.source_shape), math.prod(self.target_shape)
        self.weight = nn.Parameter(torch.full((n, m), weight), requires_grad=False)

    def forward(self, spikes, state, ctx):
        out = spikes.reshape(spikes.shape[0], -1).to(self.weight.dtype) @ self.weight
        return out.reshape(-1, *self.target_shape), state


class Hebb(LearningRule):
    """``w += lr * mean_batch(outer(pre, post)) * (reward or 1)``; remembers the last reward."""

    def __init__(self, lr: float = 0.1) -> None:
        super().__init__()
        self.lr = lr
        self.rewards: list[Tensor | None] = []

    def forward(self, connection, pre: Activity, post: Activity, state, ctx: Context, reward=None):
        p = pre.spikes.reshape(pre.spikes.shape[0], -1).float()
        q = post.spikes.reshape(post.spikes.shape[0], -1).float()
        r = torch.ones(p.shape[0]) if reward is None else reward
        self.rewards.append(None if reward is None else reward.clone())
        connection.weight += self.lr * torch.einsum("b,bi,bj->ij", r, p, q) / p.shape[0]
        return state


class Recorder(Monitor):
    """Keeps copies of every step's values."""

    def __init__(self, target: str, variables=("s",)) -> None:
        super().__init__(target, variables)
        self.steps: list[dict[str, Tensor]] = []

    def record(self, values):
        self.steps.append({k: v.clone() for k, v in values.items()})

    def get(self, variable: str) -> Tensor:
        return torch.stack([step[variable] for step in self.steps])

    def reset(self):
        self.steps = []


@hookimpl
def snnkit_register_neurons(registry):
    registry.add("relay", Relay)
    registry.add("adaptive", Adaptive)
    registry.add("coin", Coin)


@hookimpl
def snnkit_register_connections(registry):
    registry.add("full", Full)


@hookimpl
def snnkit_register_learning_rules(registry):
    registry.add("hebb", Hebb)


@hookimpl
def snnkit_register_monitors(registry):
    registry.add("recorder", Recorder)
