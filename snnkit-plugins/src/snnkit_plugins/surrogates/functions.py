"""The surrogate gradients: ``fast-sigmoid``, ``atan``, ``sigmoid``, ``triangle`` and ``straight-through``.

Each gives the pseudo-derivative ``d spike / dx`` used in place of the step's derivative, at
``x = v - threshold`` (mV); the forward pass is the exact step whichever is chosen. Slopes are per
mV: the defaults suit thresholds about 1 mV above rest, as in snnTorch and Norse; for
BindsNET-style voltages (13 mV from rest to threshold) divide them by about 10.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from snnkit import Surrogate, hookimpl


def _positive(slope: float) -> float:
    if not slope > 0:
        raise ValueError(f"slope must be a positive number (1/mV), got {slope}")
    return float(slope)


class FastSigmoid(Surrogate):
    """SuperSpike's fast sigmoid: ``d spike / dx = 1 / (1 + slope |x|)^2``.

    The derivative of ``x / (1 + slope |x|)``. Reference: Zenke & Ganguli (2018), "SuperSpike:
    supervised learning in multilayer spiking neural networks", Neural Computation 30; snnTorch's
    ``fast_sigmoid`` default.

    Args:
        slope: steepness (1/mV), 25.

    >>> FastSigmoid(slope=1.0).derivative(torch.tensor([0.0, 1.0])).tolist()
    [1.0, 0.25]
    """

    def __init__(self, slope: float = 25.0) -> None:
        self.slope = _positive(slope)

    def derivative(self, x: Tensor) -> Tensor:
        return 1.0 / (1.0 + self.slope * x.abs()) ** 2


class ATan(Surrogate):
    """Arc-tangent: ``d spike / dx = (slope / 2) / (1 + (pi / 2 * slope * x)^2)``.

    The derivative of ``atan(pi / 2 * slope * x) / pi``; it integrates to 1. Reference: Fang et
    al. (2021), "Incorporating learnable membrane time constant to enhance learning of spiking
    neural networks", ICCV; snnTorch's and SpikingJelly's ``ATan``.

    Args:
        slope: steepness (1/mV), 2.

    >>> ATan(slope=2.0).derivative(torch.tensor([0.0])).tolist()
    [1.0]
    """

    def __init__(self, slope: float = 2.0) -> None:
        self.slope = _positive(slope)

    def derivative(self, x: Tensor) -> Tensor:
        return (self.slope / 2.0) / (1.0 + (math.pi / 2.0 * self.slope * x) ** 2)


class Sigmoid(Surrogate):
    """Logistic sigmoid: ``d spike / dx = slope * sigma(slope x) * (1 - sigma(slope x))``.

    The derivative of ``sigma(slope x)``; it integrates to 1. Reference: Neftci, Mostafa & Zenke
    (2019), "Surrogate gradient learning in spiking neural networks", IEEE Signal Processing
    Magazine 36; snnTorch's ``sigmoid``.

    Args:
        slope: steepness (1/mV), 25.

    >>> Sigmoid(slope=4.0).derivative(torch.tensor([0.0])).tolist()
    [1.0]
    """

    def __init__(self, slope: float = 25.0) -> None:
        self.slope = _positive(slope)

    def derivative(self, x: Tensor) -> Tensor:
        s = torch.sigmoid(self.slope * x)
        return self.slope * s * (1.0 - s)


class Triangle(Surrogate):
    """Triangle: ``d spike / dx = slope * max(0, 1 - slope |x|)``, nonzero within ``1 / slope`` mV
    of threshold; it integrates to 1.

    Reference: Esser et al. (2016), "Convolutional networks for fast, energy-efficient
    neuromorphic computing", PNAS 113; Bellec et al. (2018), "Long short-term memory and
    learning-to-learn in networks of spiking neurons", NeurIPS (with ``slope = 1``, their
    pseudo-derivative ``0.3 max(0, 1 - |x|)`` up to the factor).

    Args:
        slope: steepness (1/mV), 1.

    >>> Triangle(slope=1.0).derivative(torch.tensor([0.0, 0.5, 2.0])).tolist()
    [1.0, 0.5, 0.0]
    """

    def __init__(self, slope: float = 1.0) -> None:
        self.slope = _positive(slope)

    def derivative(self, x: Tensor) -> Tensor:
        return self.slope * (1.0 - self.slope * x.abs()).clamp_min(0.0)


class StraightThrough(Surrogate):
    """Straight-through estimator: ``d spike / dx = slope`` everywhere, the gradient passed on as
    if the step were the identity scaled by ``slope``.

    Reference: Bengio, Léonard & Courville (2013), "Estimating or propagating gradients through
    stochastic neurons for conditional computation", arXiv:1308.3432.

    Args:
        slope: the constant pseudo-derivative (1/mV), 1.

    >>> StraightThrough().derivative(torch.tensor([-3.0, 0.0, 3.0])).tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, slope: float = 1.0) -> None:
        self.slope = _positive(slope)

    def derivative(self, x: Tensor) -> Tensor:
        return torch.full_like(x, self.slope)


@hookimpl
def snnkit_register_surrogates(registry):
    registry.add("fast-sigmoid", FastSigmoid)
    registry.add("atan", ATan)
    registry.add("sigmoid", Sigmoid)
    registry.add("triangle", Triangle)
    registry.add("straight-through", StraightThrough)
