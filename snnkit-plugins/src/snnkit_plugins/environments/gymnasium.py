"""The ``gymnasium`` environment: any gymnasium environment id, with observation preprocessing."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from snnkit import Transition, hookimpl
from snnkit.errors import EnvironmentSetupError, closest
from snnkit_plugins.environments.preprocess import Normalise, build_steps


class Gymnasium:
    """A gymnasium environment with discrete actions, its observations as float tensors.

    Observations pass through ``preprocess``, a list of steps applied in order: ``normalise``
    (``low``/``high`` to ``[-1, 1]``; the observation space's bounds when omitted), ``clip``,
    ``select`` (``indices``), and for images ``grayscale``, ``crop`` (``top``, ``bottom``,
    ``left``, ``right``), ``downsample`` (``height``, ``width``), ``binarise`` (``threshold``),
    ``difference`` (change since the last frame). A step is a name, or a table with its
    parameters: ``{ step = "crop", top = 34, bottom = 194 }``. Discrete observations (e.g.
    FrozenLake's cell index) become one-hot vectors first, since an index has no meaningful scale.
    The encoder of the run turns the result into spikes. Atari games need the ``atari`` extra
    (ale-py, which ships the game files), e.g. ``id = "ALE/Breakout-v5"``.

    Args:
        id: a registered gymnasium id, e.g. ``"CartPole-v1"``, ``"FrozenLake-v1"``.
        preprocess: observation steps, applied in order; none by default.
        max_episode_steps: cut episodes off after this many steps; ``None`` keeps the id's limit.
        make_kwargs: further keyword arguments of ``gymnasium.make`` (``{ is_slippery = false }``).

    >>> env = Gymnasium("CartPole-v1", preprocess=[{"step": "clip", "low": -3.0, "high": 3.0}])
    >>> env.n_actions, tuple(env.reset(seed=0).shape)
    (2, (4,))
    >>> env.close()
    """

    def __init__(
        self,
        id: str,
        *,
        preprocess: Sequence[str | Mapping[str, Any]] = (),
        max_episode_steps: int | None = None,
        make_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        import gymnasium as gym

        if id.startswith("ALE/"):
            try:
                import ale_py

                gym.register_envs(ale_py)
            except ImportError:
                raise EnvironmentSetupError(
                    f"{id!r} is an Atari game, which needs ale-py: pip install 'snnkit-plugins[atari]'"
                ) from None
        self.id = id
        try:
            self.env = gym.make(id, max_episode_steps=max_episode_steps, **dict(make_kwargs or {}))
        except gym.error.Error as exc:
            match = closest(id, list(gym.registry))
            hint = f" Did you mean {match[0]!r}?" if match else ""
            raise EnvironmentSetupError(
                f'gymnasium cannot make {id!r}: {exc}.{hint} `python -c "import gymnasium; '
                f'gymnasium.pprint_registry()"` lists the registered ids.'
            ) from None
        except TypeError as exc:
            raise EnvironmentSetupError(
                f"gymnasium cannot make {id!r} with make_kwargs {make_kwargs!r}: {exc}"
            ) from None
        space = self.env.action_space
        if not isinstance(space, gym.spaces.Discrete):
            self.env.close()
            raise EnvironmentSetupError(
                f"{id!r} has the action space {space}; snnkit's action functions choose among discrete actions"
                " (gymnasium.spaces.Discrete). Pick an environment with discrete actions"
                " (e.g. MountainCar-v0 rather than MountainCarContinuous-v0)."
            )
        self.n_actions = int(space.n)
        self.action_start = int(space.start)
        observations = self.env.observation_space
        if isinstance(observations, gym.spaces.Discrete):
            self.one_hot: int | None = int(observations.n)
        elif isinstance(observations, gym.spaces.Box | gym.spaces.MultiBinary):
            self.one_hot = None
        else:
            self.env.close()
            raise EnvironmentSetupError(
                f"{id!r} has the observation space {observations}; supported are Box, MultiBinary and Discrete"
            )
        self.steps = build_steps(preprocess)
        for index, step in enumerate(self.steps):
            if isinstance(step, Normalise) and step.low is None:
                self._space_bounds(step, index, observations)

    def _space_bounds(self, step: Normalise, index: int, space: Any) -> None:
        import gymnasium as gym

        low, high = getattr(space, "low", None), getattr(space, "high", None)
        infinite = (
            []
            if low is None
            else [i for i, (a, b) in enumerate(zip(low.flat, high.flat, strict=True)) if not math.isfinite(a - b)]
        )
        if index != 0 or not isinstance(space, gym.spaces.Box) or infinite:
            why = f"features {infinite} are unbounded" if infinite else "it is not the first step on a Box space"
            raise EnvironmentSetupError(
                f"normalise on {self.id!r} cannot use the observation space's bounds ({why}); give low and high,"
                ' e.g. { step = "normalise", low = [...], high = [...] }'
            )
        step.low = torch.as_tensor(low, dtype=torch.float32)
        step.high = torch.as_tensor(high, dtype=torch.float32)

    def observe(self, raw: Any) -> Tensor:
        """A raw gymnasium observation, preprocessed, as a float tensor."""
        if self.one_hot is not None:
            x = torch.zeros(self.one_hot)
            x[int(raw)] = 1.0
        else:
            x = torch.as_tensor(raw).float()
        for step in self.steps:
            x = step(x)
        return x

    def reset(self, seed: int | None = None) -> Tensor:
        for step in self.steps:
            step.reset()
        raw, _ = self.env.reset(seed=seed)
        return self.observe(raw)

    def step(self, action: int) -> Transition:
        if not 0 <= action < self.n_actions:
            raise EnvironmentSetupError(f"action {action} is outside {self.id!r}'s {self.n_actions} actions")
        raw, reward, terminated, truncated, _ = self.env.step(action + self.action_start)
        return Transition(self.observe(raw), float(reward), bool(terminated), bool(truncated))

    def close(self) -> None:
        self.env.close()


@hookimpl
def snnkit_register_environments(registry):
    registry.add("gymnasium", Gymnasium, requires=["gymnasium"], extra="gym")
