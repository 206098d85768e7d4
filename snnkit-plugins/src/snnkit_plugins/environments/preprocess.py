"""Observation preprocessing steps for the ``gymnasium`` environment (not a plugin module).

Each step is a callable on one observation tensor; ``reset()`` starts a new episode for the steps
that remember earlier observations. Steps are named in experiment files as a string
(``"grayscale"``) or an inline table with parameters (``{ step = "crop", top = 34, bottom = 194 }``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from snnkit.errors import EnvironmentSetupError, closest


class Step:
    """One preprocessing step; stateless unless it overrides :meth:`reset`."""

    def __call__(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget earlier observations (called at the start of every episode)."""


class Normalise(Step):
    """Maps ``[low, high]`` (a number or one value per feature) linearly onto ``[-1, 1]``.

    Without ``low`` and ``high``, the observation space's bounds are used, which must be finite.
    """

    def __init__(self, low: float | Sequence[float] | None = None, high: float | Sequence[float] | None = None) -> None:
        if (low is None) != (high is None):
            raise ValueError("give both low and high, or neither (to use the observation space's bounds)")
        self.low = None if low is None else torch.as_tensor(low, dtype=torch.float32)
        self.high = None if high is None else torch.as_tensor(high, dtype=torch.float32)
        if self.low is not None and self.high is not None and (self.high <= self.low).any():
            raise ValueError("every high must exceed its low")

    def __call__(self, x: Tensor) -> Tensor:
        assert self.low is not None and self.high is not None
        return (x - self.low) / (self.high - self.low) * 2 - 1


class Clip(Step):
    """Limits every value to ``[low, high]``, -1 to 1 by default (e.g. after ``normalise``)."""

    def __init__(self, low: float = -1.0, high: float = 1.0) -> None:
        if high <= low:
            raise ValueError(f"high ({high}) must exceed low ({low})")
        self.low, self.high = low, high

    def __call__(self, x: Tensor) -> Tensor:
        return x.clamp(self.low, self.high)


class Select(Step):
    """Keeps only the features at ``indices`` of a vector observation (e.g. the pole of CartPole)."""

    def __init__(self, indices: Sequence[int]) -> None:
        self.indices = torch.as_tensor(list(indices), dtype=torch.long)

    def __call__(self, x: Tensor) -> Tensor:
        return x[..., self.indices]


class Grayscale(Step):
    """An RGB image ``[height, width, 3]`` to luminance ``[height, width]`` (ITU-R 601 weights)."""

    def __call__(self, x: Tensor) -> Tensor:
        if x.dim() != 3 or x.shape[-1] != 3:
            raise EnvironmentSetupError(f"grayscale needs an RGB image [height, width, 3], got shape {tuple(x.shape)}")
        return x.float() @ torch.tensor([0.299, 0.587, 0.114])


class Crop(Step):
    """Keeps rows ``top:bottom`` and columns ``left:right`` of an image (Python slice bounds)."""

    def __init__(self, top: int = 0, bottom: int | None = None, left: int = 0, right: int | None = None) -> None:
        self.rows, self.columns = slice(top, bottom), slice(left, right)

    def __call__(self, x: Tensor) -> Tensor:
        return x[self.rows, self.columns]


class Downsample(Step):
    """Resizes a ``[height, width]`` image to ``[height, width]`` given, averaging over areas."""

    def __init__(self, height: int, width: int) -> None:
        if height < 1 or width < 1:
            raise ValueError(f"height and width must be positive, got {height} x {width}")
        self.size = (height, width)

    def __call__(self, x: Tensor) -> Tensor:
        if x.dim() != 2:
            raise EnvironmentSetupError(f"downsample needs a [height, width] image, got shape {tuple(x.shape)}")
        return F.interpolate(x.float()[None, None], size=self.size, mode="area")[0, 0]


class Binarise(Step):
    """1 where a value exceeds ``threshold``, else 0."""

    def __init__(self, threshold: float = 0.0) -> None:
        self.threshold = threshold

    def __call__(self, x: Tensor) -> Tensor:
        return (x > self.threshold).float()


class Difference(Step):
    """The absolute change since the previous observation of the episode (motion); the first
    observation of an episode gives zeros, since nothing has moved yet."""

    def __init__(self) -> None:
        self.previous: Tensor | None = None

    def __call__(self, x: Tensor) -> Tensor:
        x = x.float()
        change = torch.zeros_like(x) if self.previous is None else (x - self.previous).abs()
        self.previous = x
        return change

    def reset(self) -> None:
        self.previous = None


STEPS: dict[str, Callable[..., Step]] = {
    "normalise": Normalise,
    "clip": Clip,
    "select": Select,
    "grayscale": Grayscale,
    "crop": Crop,
    "downsample": Downsample,
    "binarise": Binarise,
    "difference": Difference,
}


def build_steps(specs: Sequence[str | Mapping[str, Any]]) -> list[Step]:
    """Steps from their names or ``{step = name, ...parameters}`` tables, with clear errors."""
    steps = []
    for index, spec in enumerate(specs):
        params = dict(spec) if isinstance(spec, Mapping) else {"step": spec}
        name = params.pop("step", None)
        if not isinstance(name, str):
            raise EnvironmentSetupError(
                f"preprocess step {index}: write a step name or a table {{ step = name, ... }}, got {spec!r}"
            )
        if name not in STEPS:
            match = closest(name, STEPS)
            hint = f"; did you mean {match[0]!r}?" if match else "."
            raise EnvironmentSetupError(f"unknown preprocess step {name!r}{hint} Known: {', '.join(STEPS)}.")
        accepted = list(inspect.signature(STEPS[name]).parameters)
        unknown = [key for key in params if key not in accepted]
        if unknown:
            raise EnvironmentSetupError(
                f"preprocess step {name!r} takes no parameter {unknown[0]!r}."
                f" Accepted: {', '.join(accepted) or 'none'}."
            )
        try:
            steps.append(STEPS[name](**params))
        except (TypeError, ValueError) as exc:
            raise EnvironmentSetupError(f"preprocess step {name!r}: {exc}") from None
    return steps
