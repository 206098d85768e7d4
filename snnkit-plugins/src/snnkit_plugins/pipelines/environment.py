"""The ``environment`` pipeline: episodes of closed-loop control with reward-modulated learning."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from snnkit import Network, Pipeline, Transition, hookimpl
from snnkit.errors import ShapeError, SnnkitError
from snnkit.pipelines import RunContext
from snnkit_plugins.pipelines.dataset import _Output

#: episodes in the running mean of the return (metric ``return_mean``)
RETURN_WINDOW = 20


def episode_seed(run_seed: int, episode: int) -> int:
    """The environment seed of an episode: fixed by the run's seed and the episode's index alone, so
    two runs with the same seed (a learning agent and a random policy) meet the same start states."""
    return int(np.random.SeedSequence([run_seed, episode]).generate_state(1)[0])


class EnvironmentPipeline(Pipeline):
    """Runs episodes: observation -> encoder -> network for ``[run] time`` steps -> action -> environment.

    One unit is one episode. Each decision has two phases:

    1. **decide**: the encoded observation drives the network for ``[run] time`` steps with
       learning off; the action function (the ``[action]`` table) turns the output layer's spikes
       into an action, which the environment applies.
    2. **learn** (``learn_steps`` > 0 and the network has learning rules): the same observation is
       encoded again for ``learn_steps`` steps while the output neurons of the action taken are
       forced to fire and those of the other actions kept silent, and the reward is given to the
       reward-modulated rules (``mstdp``, ``mstdpet``) through ``Network.run(reward=...)``.
       This makes the eligibility belong to the action actually taken (an efference copy), also
       when it was an exploratory one; without it the reward would also credit the neurons that
       lost the decision. (Measured on CartPole: forcing the taken action's neurons while letting
       the others fire learns as well; keeping the others silent is the exact form of the idea.)

    The reward given for a step is built in this order, each part optional:

    1. the environment's reward, or ``terminal_reward`` when the episode ends in a terminal state
       (CartPole's fall: its own reward of +1 says nothing about failing);
    2. plus potential-based shaping ``phi(s') - phi(s)`` with ``phi(s) = -sum_i potential[i] * |s_i|``
       over the preprocessed observation (Ng, Harada & Russell, ICML 1999): a reward for moving
       towards the states where ``|s_i|`` is small, for example an upright, still pole;
    3. times ``reward_scale``, then clipped to ``[-reward_clip, reward_clip]``;
    4. minus a running mean of the rewards (``baseline`` is its update rate; 0 turns it off), so
       that a constant reward neither grows nor shrinks every weight;
    5. delivered ``reward_delay`` decisions later, as a one-step pulse at the start of that
       decision's learning phase, so that it reaches the earlier decisions through the eligibility
       trace rather than crediting the current one (rewards still pending at the end of an episode
       are delivered then, in learning phases without forced spikes).

    ``mstdpet`` keeps an eligibility trace from one learning phase to the next (time stands still for
    the rules while deciding), so its ``tc_z`` sets how far back a reward reaches; ``mstdp`` credits
    only the phase in which the reward arrives, so use it without ``reward_delay``.

    With ``test_episodes``, that many episodes follow the training ones with learning off and
    without epsilon exploration, to measure what the agent learned: their metrics are named
    ``test_return`` and ``test_length``, and the last one adds ``test_return_mean`` over all of them.

    Metrics per episode: ``return`` (the environment's undiscounted return), ``length`` (steps),
    ``return_mean`` (mean return of the last 20 episodes), ``reward`` (mean reward delivered, after
    shaping) and ``silent`` (the share of decisions without a single output spike, which the action
    function resolved at random). Each episode resets the network's transient state and starts the
    environment from a seed fixed by the run's seed and the episode's index.

    Args:
        episodes: number of training episodes, 100.
        test_episodes: evaluation episodes after training (no learning, no exploration), 0.
        max_steps: end episodes after this many steps; ``None`` keeps the environment's own limit.
        learn_steps: steps of each learning phase, 5; 0 never learns.
        terminal_reward: reward on a terminal step instead of the environment's; ``None`` keeps it.
        potential: shaping weights, one per observation feature; ``None`` for no shaping.
        reward_scale: factor on the reward, 1.
        reward_clip: bound on the reward's magnitude; ``None`` for none.
        baseline: update rate of the running mean subtracted from rewards, 0.
        reward_delay: decisions between a step and its reward, 0.
        input_layer: layer fed with the encoded observation; ``None`` asks the model
            (``input_layer``), else the first layer.
        output_layer: layer whose spikes choose the action; ``None`` asks the model
            (``output_layer``), else the last layer.

    >>> EnvironmentPipeline(episodes=200, test_episodes=20).unit
    'episodes'
    """

    unit = "episodes"
    length_key = "episodes"

    def __init__(
        self,
        *,
        episodes: int = 100,
        test_episodes: int = 0,
        max_steps: int | None = None,
        learn_steps: int = 5,
        terminal_reward: float | None = None,
        potential: Sequence[float] | None = None,
        reward_scale: float = 1.0,
        reward_clip: float | None = None,
        baseline: float = 0.0,
        reward_delay: int = 0,
        input_layer: str | None = None,
        output_layer: str | None = None,
    ) -> None:
        if episodes < 0 or test_episodes < 0 or episodes + test_episodes < 1:
            raise ValueError(
                f"episodes and test_episodes cannot be negative and not both 0, got {episodes}, {test_episodes}"
            )
        if max_steps is not None and max_steps < 1:
            raise ValueError(f"max_steps must be at least 1 (or None), got {max_steps}")
        if learn_steps < 0 or reward_delay < 0:
            raise ValueError("learn_steps and reward_delay cannot be negative")
        if not 0.0 <= baseline <= 1.0:
            raise ValueError(f"baseline is an update rate in [0, 1], got {baseline}")
        if reward_clip is not None and not reward_clip > 0:
            raise ValueError(f"reward_clip must be positive (or None), got {reward_clip}")
        self.episodes, self.test_episodes = episodes, test_episodes
        self.max_steps, self.learn_steps = max_steps, learn_steps
        self.terminal_reward, self.reward_scale, self.reward_clip = terminal_reward, reward_scale, reward_clip
        self.potential = None if potential is None else torch.as_tensor(list(potential), dtype=torch.float32)
        self.baseline, self.reward_delay = baseline, reward_delay
        self.input_layer, self.output_layer = input_layer, output_layer
        self.mean_reward = 0.0
        self.returns: deque[float] = deque(maxlen=RETURN_WINDOW)
        self.test_returns: list[float] = []

    # -- setup -----------------------------------------------------------------------------------

    def prepare(self, network: Network, context: RunContext) -> None:
        for table, value, example in (
            ("environment", context.environment, 'plugin = "gymnasium", id = "CartPole-v1"'),
            ("encoder", context.encoder, 'plugin = "gaussian-population"'),
            ("action", context.action, 'plugin = "highest-rate"'),
        ):
            if value is None:
                raise SnnkitError(f"the environment pipeline needs an [{table}] table (e.g. {example})")
        if context.batch_size != 1:
            raise SnnkitError(
                "the environment pipeline runs one episode at a time;"
                f" set [run] batch_size = 1 (got {context.batch_size})"
            )
        layers = list(network.layers)
        self.input_layer = self.input_layer or network.input_layer or layers[0]
        self.output_layer = self.output_layer or network.output_layer or layers[-1]
        for role, layer in (("input_layer", self.input_layer), ("output_layer", self.output_layer)):
            if layer not in network.layers:
                raise SnnkitError(
                    f"the environment pipeline's {role} {layer!r} is not a layer; layers: {', '.join(layers)}"
                )
        assert context.environment is not None
        n_out, n_actions = network.layers[self.output_layer].size, context.environment.n_actions
        if n_out % n_actions:
            raise SnnkitError(
                f"the output layer {self.output_layer!r} has {n_out} neurons, which cannot be split into equal groups"
                f" for the environment's {n_actions} actions; give it a multiple of {n_actions}"
            )
        self.group = n_out // n_actions
        self.monitor = _Output(self.output_layer)  # the output spikes of the current window
        network.add_monitor("environment.output", self.monitor)

    def units(self, context: RunContext) -> int:
        return self.episodes + self.test_episodes

    # -- running ---------------------------------------------------------------------------------

    @torch.no_grad()  # local learning only: a learnable tensor (a readout trained later) builds no graph
    def step(self, network: Network, index: int, context: RunContext) -> Mapping[str, float]:
        env, action_function = context.environment, context.action
        assert env is not None and action_function is not None
        testing = index >= self.episodes
        learning = not testing and self.learn_steps > 0 and network.training and bool(network.rules)
        observation = env.reset(seed=episode_seed(context.generator.initial_seed(), index))
        network.reset_state()
        pending: deque[float] = deque()
        total, steps, silent, delivered = 0.0, 0, 0, []
        while True:
            self.monitor.reset()
            network.run(
                {self.input_layer: self._encode(network, observation, context.time, context)},
                context.time,
                learning=False,
            )
            spikes = self.monitor.spikes()  # [time, 1, n]
            silent += int(not spikes.any())
            choice = action_function(spikes, env.n_actions, generator=network.generator("cpu"), explore=not testing)
            action = int(choice[0])
            transition = env.step(action)
            total, steps = total + transition.reward, steps + 1
            pending.append(self._reward(observation, transition))
            if learning and len(pending) > self.reward_delay:
                reward = pending.popleft()
                delivered.append(reward)
                self._learn(network, observation, action, reward, context)
            observation = transition.observation
            if transition.terminated or transition.truncated or (self.max_steps and steps >= self.max_steps):
                break
        while learning and pending:
            reward = pending.popleft()
            delivered.append(reward)
            self._learn(network, None, None, reward, context)
        if testing:
            self.test_returns.append(total)
            metrics = {"test_return": total, "test_length": float(steps), "silent": silent / steps}
            if index == self.episodes + self.test_episodes - 1:
                metrics["test_return_mean"] = sum(self.test_returns) / len(self.test_returns)
            return metrics
        self.returns.append(total)
        return {
            "return": total,
            "return_mean": sum(self.returns) / len(self.returns),
            "length": float(steps),
            "reward": sum(delivered) / len(delivered) if delivered else 0.0,
            "silent": silent / steps,
        }

    def _encode(self, network: Network, observation: Tensor, time: int, context: RunContext) -> Tensor:
        assert context.encoder is not None and self.input_layer is not None
        spikes = context.encoder(
            observation.to(network.device)[None], time, dt=context.dt, generator=network.generator()
        )
        layer = network.layers[self.input_layer]
        if spikes[0, 0].numel() != layer.size:
            raise ShapeError(
                f"the encoded observation for input layer {self.input_layer!r} (observation shape"
                f" {tuple(observation.shape)})",
                (time, 1, *layer.shape),
                tuple(spikes.shape),
            )
        return spikes.reshape(time, 1, *layer.shape)

    def _reward(self, observation: Tensor, transition: Transition) -> float:
        """The reward for the step from ``observation`` through ``transition``, in the documented order."""
        reward = transition.reward
        if transition.terminated and self.terminal_reward is not None:
            reward = self.terminal_reward
        if self.potential is not None:
            reward += self._phi(transition.observation) - self._phi(observation)
        reward *= self.reward_scale
        if self.reward_clip is not None:
            reward = max(-self.reward_clip, min(self.reward_clip, reward))
        if self.baseline:
            centred = reward - self.mean_reward
            self.mean_reward += self.baseline * centred
            reward = centred
        return reward

    def _phi(self, observation: Tensor) -> float:
        """The shaping potential ``-sum_i potential[i] * |s_i|``."""
        assert self.potential is not None
        s = observation.detach().float().flatten().cpu()
        if s.numel() != self.potential.numel():
            raise SnnkitError(
                f"potential has {self.potential.numel()} weights but the preprocessed observation has"
                f" {s.numel()} features; give one weight per feature"
            )
        return -float((self.potential * s.abs()).sum())

    def _learn(
        self, network: Network, observation: Tensor | None, action: int | None, reward: float, context: RunContext
    ) -> None:
        """One learning phase: the observation again with the taken action's neurons forced to fire
        (and the other actions' kept silent), under ``reward``. A delayed reward is a pulse on the
        phase's first step, so that it credits the earlier phases through the eligibility trace
        rather than this phase's own pairing; an immediate one lasts the whole phase."""
        assert self.input_layer is not None and self.output_layer is not None
        steps, layer = self.learn_steps, network.layers[self.output_layer]
        inputs, clamp, suppress = None, None, None
        if observation is not None and action is not None:
            inputs = {self.input_layer: self._encode(network, observation, steps, context)}
            taken = torch.zeros(layer.size, dtype=torch.bool, device=network.device)
            taken[action * self.group : (action + 1) * self.group] = True
            clamp = {self.output_layer: taken.reshape(layer.shape)}
            suppress = {self.output_layer: ~taken.reshape(layer.shape)}
        if self.reward_delay:
            rewards = torch.zeros(steps, 1)
            rewards[0] = reward
        else:
            rewards = torch.tensor([reward])
        self.monitor.reset()
        network.run(inputs, steps, reward=rewards, clamp=clamp, suppress=suppress)

    # -- checkpoints -----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Tensor]:
        return {
            "mean_reward": torch.tensor(self.mean_reward, dtype=torch.float64),
            "returns": torch.tensor(list(self.returns), dtype=torch.float64),
            "test_returns": torch.tensor(self.test_returns, dtype=torch.float64),
        }

    def load_state_dict(self, state: Mapping[str, Tensor]) -> None:
        if "mean_reward" in state:
            self.mean_reward = float(state["mean_reward"])
            self.returns = deque(state["returns"].tolist(), maxlen=RETURN_WINDOW)
            self.test_returns = state["test_returns"].tolist()


@hookimpl
def snnkit_register_pipelines(registry):
    registry.add("environment", EnvironmentPipeline)
