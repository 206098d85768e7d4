"""Shape arithmetic and patch extraction shared by the 1-, 2- and 3-D connections (not a plugin module)."""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor

from snnkit.connections import Connection
from snnkit.errors import ShapeError

#: How each number of spatial dimensions names the axes of a source, and the shape it expects.
AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
_LETTERS = {1: "(C, L)", 2: "(C, H, W)", 3: "(C, D, H, W)"}
_GROUP = {1: "a 1-tuple", 2: "a pair", 3: "a triple"}


def ntuple(value: int | tuple[int, ...] | list[int], dims: int, name: str, positive: bool = False) -> tuple[int, ...]:
    """``3`` or ``(3,) * dims`` to ``(3,) * dims``: one non-negative (or ``positive``) int per spatial dimension."""
    tuple_ = (value,) * dims if isinstance(value, int) else tuple(value)
    if len(tuple_) != dims or not all(isinstance(v, int) for v in tuple_):
        raise ValueError(f"{name} must be an int or {_GROUP[dims]} of ints, got {value!r}")
    if min(tuple_) < int(positive):
        raise ValueError(f"{name} must be {'positive' if positive else 'non-negative'}, got {value!r}")
    return tuple_


def pair(value: int | tuple[int, int] | list[int], name: str) -> tuple[int, int]:
    """``3`` or ``(3, 3)`` to ``(3, 3)``."""
    return ntuple(value, 2, name)  # type: ignore[return-value]


def window_repr(conn: Connection, names: tuple[str, ...] = ("kernel_size", "stride", "padding")) -> str:
    """The connection's shapes (``Connection.extra_repr``) and window settings, for ``print(network)``."""
    return ", ".join([Connection.extra_repr(conn), *(f"{name}={getattr(conn, name)}" for name in names)])


def maps_layout(dims: int) -> str:
    """``[channels, height, width]`` for 2 spatial dimensions, and so on."""
    return "[" + ", ".join(("channels", *AXES[dims])) + "]"


def output_size(
    what: str,
    source: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
) -> tuple[int, ...]:
    """Spatial size after sliding ``kernel`` over a ``[channels, *spatial]`` source
    (as many spatial dimensions as ``kernel`` has)."""
    dims = len(kernel)
    if len(source) != dims + 1:
        raise ShapeError(f"{what}: the source must be {maps_layout(dims)}", _LETTERS[dims], source)
    if min(stride) < 1:
        raise ValueError(f"{what}: stride must be positive, got {stride}")
    return tuple((s + 2 * p - k) // st + 1 for s, k, st, p in zip(source[1:], kernel, stride, padding, strict=True))


def check_maps(
    what: str,
    source: tuple[int, ...],
    target: tuple[int, ...],
    expected: tuple[int, ...],
    by: str = "kernel, stride and padding",
) -> None:
    """Raise a ShapeError naming the target shape the connection would produce (``by``: what sets it)."""
    if min(expected) < 1:
        raise ShapeError(f"{what}: the kernel does not fit the source {source}", "a kernel within the source", expected)
    if target != expected:
        raise ShapeError(f"{what}: with this {by} the target", expected, target)


def unfold(x: Tensor, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...]) -> Tensor:
    """Patches of ``x`` ``[batch, channels, *spatial]`` as ``[batch, channels * prod(kernel), locations]``.

    The layout is ``torch.nn.functional.unfold``'s (which does 2 spatial dimensions only, and does
    them here): a patch's entries channel by channel, each kernel in row-major order, and the
    locations in row-major order of the output grid.
    """
    if len(kernel) == 2:
        return F.unfold(x, kernel, stride=stride, padding=padding)
    return unfold_strided(x, kernel, stride, padding)


def unfold_strided(x: Tensor, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...]) -> Tensor:
    """:func:`unfold` for any number of spatial dimensions, by strided views (``Tensor.unfold``)."""
    dims = len(kernel)
    if any(padding):
        x = F.pad(x, [p for p in reversed(padding) for _ in range(2)])
    for d, (k, s) in enumerate(zip(kernel, stride, strict=True)):
        x = x.unfold(2 + d, k, s)  # appends a kernel axis: [batch, channels, *out, *kernel]
    order = (0, 1, *range(2 + dims, 2 + 2 * dims), *range(2, 2 + dims))
    return x.permute(order).reshape(x.shape[0], x.shape[1] * math.prod(kernel), -1)
