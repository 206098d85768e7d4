"""Surrogate gradients: the spike's step function forward, a smooth pseudo-derivative backward.

A spiking neuron emits ``spike(v - threshold)``, a Heaviside step whose derivative is zero almost
everywhere, so no gradient would reach the weights. Surrogate-gradient learning (Neftci, Mostafa &
Zenke 2019, "Surrogate gradient learning in spiking neural networks", IEEE Signal Processing
Magazine 36) keeps the step in the forward pass and uses a smooth pseudo-derivative in the
backward pass. Surrogate plugins (``snnkit plugins --kind surrogates``) supply the
pseudo-derivative; neuron models call :func:`spike`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch
from torch import Tensor


class Surrogate(ABC):
    """A pseudo-derivative of the spike's step function, ``d spike / dx`` at ``x = v - threshold`` (mV).

    Plugins implement :meth:`derivative`; a layer takes one with
    ``network.add_layer(..., surrogate="atan")``. The forward pass is always the exact step, so a
    surrogate changes gradients only, never the spikes.
    """

    @abstractmethod
    def derivative(self, x: Tensor) -> Tensor:
        """The pseudo-derivative at ``x`` (the distance to threshold, mV), same shape as ``x``."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class _Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, surrogate: Surrogate) -> Tensor:
        ctx.save_for_backward(x)
        ctx.surrogate = surrogate
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        (x,) = ctx.saved_tensors
        return grad * ctx.surrogate.derivative(x), None


def to_spikes(fired: Tensor, dtype: torch.dtype) -> Tensor:
    """Booleans to 0.0/1.0 spikes of ``dtype``. On a CPU, torch converts bytes to floats about
    twice as fast as booleans once a layer has a thousand or so neurons (measured with torch 2.14
    on 2 cores: 1.7 against 4.0 us for 4000), so large tensors go through a byte view. (``dtype``
    is passed by keyword: torch parses ``to(dtype=...)`` about 1 us faster than ``to(dtype)``.)"""
    if fired.numel() >= 1024 and fired.device.type == "cpu":
        return fired.view(torch.uint8).to(dtype=dtype)
    return fired.to(dtype=dtype)


def spike(
    v: Tensor, threshold: float | Tensor, surrogate: Surrogate | None, active: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Spikes where ``v >= threshold`` (and ``active``, a boolean mask, allows): ``(spikes, fired)``.

    ``spikes`` are 0.0/1.0 in ``v``'s dtype, differentiable through ``surrogate`` at
    ``x = v - threshold``; ``fired`` is the same as booleans, for resets (``torch.where``), with no
    gradient. Without a surrogate, or when neither ``v`` nor ``threshold`` carries a gradient
    (simulation and local learning), this is the plain comparison, at no extra cost.
    """
    fired = v >= threshold
    if active is not None:
        fired &= active
    if surrogate is None or not (v.requires_grad or (isinstance(threshold, Tensor) and threshold.requires_grad)):
        return to_spikes(fired, v.dtype), fired
    spikes: Tensor = _Spike.apply(v - threshold, surrogate)
    return (spikes if active is None else spikes * active), fired
