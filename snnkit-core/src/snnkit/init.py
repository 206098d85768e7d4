"""Weight initialisation by name, shared by every connection type.

A specification is a tensor (copied), a number (a constant), or a string naming a distribution
with optional arguments: ``"uniform"``, ``"uniform(0, 0.3)"``, ``"normal(0.1, 0.02)"``,
``"constant(0.5)"``. Strings read the same in Python and in TOML experiment files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import torch
from torch import Tensor

from snnkit.errors import ShapeError, SnnkitError

WeightSpec = Tensor | float | str

_SPEC = re.compile(r"^\s*([a-z]+)\s*(?:\((.*)\))?\s*$")
_ARITY = {"uniform": (0, 2), "normal": (0, 2), "constant": (1, 1)}


class WeightSpecError(SnnkitError, ValueError):
    """A weight specification that cannot be understood."""

    def __init__(self, spec: object, reason: str) -> None:
        self.spec = spec
        super().__init__(
            f"weight specification {spec!r}: {reason}. Use a tensor, a number, or one of"
            " 'uniform(low, high)', 'normal(mean, std)', 'constant(value)'."
        )


def initial_weights(
    spec: WeightSpec,
    shape: Sequence[int],
    *,
    wmin: float = -math.inf,
    wmax: float = math.inf,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Make a weight tensor of ``shape`` from ``spec``, drawing from ``generator``.

    ``"uniform"`` without arguments spans ``[wmin, wmax)`` when both bounds are finite and
    ``[0, 0.3)`` otherwise (BindsNET's default); ``"normal"`` defaults to mean 0, std 0.1. Random
    weights are clamped into ``[wmin, wmax]``.
    """
    shape = tuple(shape)
    if isinstance(spec, Tensor):
        if tuple(spec.shape) != shape:
            raise ShapeError("initial weights", shape, tuple(spec.shape))
        return spec.detach().to(dtype=dtype, device="cpu").clone()
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return torch.full(shape, float(spec), dtype=dtype)
    if not isinstance(spec, str):
        raise WeightSpecError(spec, f"got a {type(spec).__name__}")
    match = _SPEC.match(spec)
    if not match or match.group(1) not in _ARITY:
        raise WeightSpecError(spec, "unknown distribution")
    name, arg_text = match.group(1), match.group(2)
    try:
        args = [float(a) for a in arg_text.split(",")] if arg_text and arg_text.strip() else []
    except ValueError:
        raise WeightSpecError(spec, "arguments must be numbers") from None
    if not all(math.isfinite(a) for a in args):
        raise WeightSpecError(spec, "arguments must be finite numbers")
    low_arity, high_arity = _ARITY[name]
    if len(args) not in (low_arity, high_arity) or (name != "constant" and len(args) == 1):
        raise WeightSpecError(spec, f"{name} takes {high_arity} arguments")
    if name == "constant":
        return torch.full(shape, args[0], dtype=dtype)
    if name == "uniform":
        if args:
            low, high = args
        elif math.isfinite(wmin) and math.isfinite(wmax):
            low, high = wmin, wmax
        else:
            low, high = 0.0, 0.3
        if high < low:
            raise WeightSpecError(spec, "high must not be below low")
        w = low + (high - low) * torch.rand(shape, generator=generator, dtype=dtype)
    else:
        mean, std = args if args else (0.0, 0.1)
        if std < 0:
            raise WeightSpecError(spec, "std must be non-negative")
        w = mean + std * torch.randn(shape, generator=generator, dtype=dtype)
    return w.clamp(wmin, wmax)
