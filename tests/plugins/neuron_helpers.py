"""Shared checks for neuron models with ``learnable`` parameters (parametric neurons)."""

import torch

from snnkit import Context


def membrane_loss(layer, inputs, variable="v"):
    """A smooth function of the membrane over the steps: each step's ``variable`` with its own weight."""
    state = layer.initial_state(inputs.shape[1], dtype=torch.float64)
    total = torch.zeros((), dtype=torch.float64)
    for t, x in enumerate(inputs):
        _, state = layer(x, state, Context(dt=1.0))
        value = getattr(state, variable)
        total = total + (value * torch.linspace(0.5, 1.5, value.numel(), dtype=value.dtype).reshape(value.shape)).sum()
        total = total * (1.0 + 0.01 * t)
    return total


def assert_learnable_gradients_match_finite_differences(plugins, name, learnable, inputs, variable="v", **params):
    """Gradients of :func:`membrane_loss` reach every learnable parameter, and equal central
    finite differences: the loss reads the membrane only, and resets are not differentiated
    through, so the autograd derivative is the true one wherever no membrane sits at threshold."""
    layer = plugins.build("neurons", name, inputs.shape[-1], learnable=learnable, **params).double()
    layer.surrogate = plugins.build("surrogates", "fast-sigmoid")
    tensors = dict(layer.named_parameters())
    assert sorted(tensors) == sorted(learnable)
    grads = torch.autograd.grad(membrane_loss(layer, inputs, variable), list(tensors.values()))
    for (key, tensor), grad in zip(tensors.items(), grads, strict=True):
        numeric = torch.zeros_like(tensor)
        for i in range(tensor.numel()):
            with torch.no_grad():
                tensor.view(-1)[i] += 1e-6
                up = membrane_loss(layer, inputs, variable)
                tensor.view(-1)[i] -= 2e-6
                down = membrane_loss(layer, inputs, variable)
                tensor.view(-1)[i] += 1e-6
            numeric.view(-1)[i] = (up - down) / 2e-6
        torch.testing.assert_close(grad, numeric, rtol=1e-4, atol=1e-6, msg=f"{name}: {key}")
        assert grad.abs().sum() > 0, f"{name}: no gradient reached {key}"


def assert_threshold_gets_a_surrogate_gradient(plugins, name, inputs, **params):
    """A hard threshold reaches the membrane only through the spikes: a loss on the spike count
    gives a learnable ``v_thresh`` the surrogate's gradient, negative (a higher threshold, fewer spikes)."""
    layer = plugins.build("neurons", name, inputs.shape[-1], learnable=["v_thresh"], **params).double()
    layer.surrogate = plugins.build("surrogates", "fast-sigmoid")
    state, count = layer.initial_state(inputs.shape[1], dtype=torch.float64), 0
    for x in inputs:
        spikes, state = layer(x, state, Context(dt=1.0))
        count = count + spikes.sum()
    assert count.item() > 0, "the check needs spikes"
    (grad,) = torch.autograd.grad(count, [layer.v_thresh])
    assert (grad <= 0).all() and (grad < 0).any(), grad
