"""Shape arithmetic shared by the 2-D connections (not a plugin module)."""

from __future__ import annotations

from snnkit.errors import ShapeError


def pair(value: int | tuple[int, int] | list[int], name: str) -> tuple[int, int]:
    """``3`` or ``(3, 3)`` to ``(3, 3)``."""
    pair_ = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair_) != 2 or not all(isinstance(v, int) and v >= 0 for v in pair_):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return pair_  # type: ignore[return-value]


def output_size(
    what: str, source: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int]
) -> tuple[int, ...]:
    """Height and width after sliding ``kernel`` over a ``[channels, height, width]`` source."""
    if len(source) != 3:
        raise ShapeError(f"{what}: the source must be [channels, height, width]", "(C, H, W)", source)
    if min(stride) < 1:
        raise ValueError(f"{what}: stride must be positive, got {stride}")
    return tuple((s + 2 * p - k) // st + 1 for s, k, st, p in zip(source[1:], kernel, stride, padding, strict=True))


def check_maps(what: str, source: tuple[int, ...], target: tuple[int, ...], expected: tuple[int, ...]) -> None:
    """Raise a ShapeError naming the target shape the connection would produce."""
    if min(expected) < 1:
        raise ShapeError(f"{what}: the kernel does not fit the source {source}", "a kernel within the source", expected)
    if target != expected:
        raise ShapeError(f"{what}: with this kernel, stride and padding the target", expected, target)
