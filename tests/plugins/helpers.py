"""Shared helpers for plugin tests."""

import torch

from snnkit import Context


def drive(layer, inputs, *, dt=1.0, seed=0, learning=False, dtype=torch.float64):
    """Step ``layer`` through ``inputs`` (a list of per-step values or tensors ``[batch, *shape]``).

    Returns (spikes ``[time, batch, *shape]``, list of states after each step).
    """
    ctx = Context(dt=dt, learning=learning, generator=torch.Generator().manual_seed(seed))
    first = torch.as_tensor(inputs[0], dtype=dtype)
    batch = first.shape[0] if first.dim() > len(layer.shape) else 1
    state = layer.initial_state(batch, dtype=dtype)
    spikes, states = [], []
    for x in inputs:
        x = torch.as_tensor(x, dtype=dtype).expand(batch, *layer.shape)
        s, state = layer(x, state, ctx)
        spikes.append(s)
        states.append(state)
    return torch.stack(spikes), states


def spike_steps(spikes):
    """Steps at which the first neuron of the first sample spiked."""
    return spikes.reshape(spikes.shape[0], -1)[:, 0].nonzero().flatten().tolist()
