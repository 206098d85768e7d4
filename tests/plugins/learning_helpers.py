"""Drive a learning rule directly with chosen spike trains."""

import torch

from snnkit import Activity, Context


def apply_rule(rule, connection, pre, post, *, reward=None, post_state=None, dt=1.0):
    """Run ``rule`` over spike trains ``pre`` ``[time, batch, n_src]`` and ``post`` ``[time, batch, n_tgt]``.

    ``reward`` is ``None``, a tensor ``[batch]`` for every step, or ``[time, batch]``; ``post_state``
    an optional per-step list of target states. Returns the final rule state.
    """
    ctx = Context(dt=dt, learning=True, generator=torch.Generator().manual_seed(0))
    state = rule.initial_state(connection, pre.shape[1])
    for t in range(pre.shape[0]):
        r = reward if reward is None or reward.dim() == 1 else reward[t]
        target = None if post_state is None else post_state[t]
        state = rule(connection, Activity(pre[t]), Activity(post[t], target), state, ctx, r)
    return state


def pair(t_pre, t_post, steps=60, batch=1):
    """One presynaptic spike at step ``t_pre`` and one postsynaptic spike at ``t_post``."""
    pre = torch.zeros(steps, batch, 1, dtype=torch.bool)
    post = torch.zeros(steps, batch, 1, dtype=torch.bool)
    pre[t_pre], post[t_post] = True, True
    return pre, post
