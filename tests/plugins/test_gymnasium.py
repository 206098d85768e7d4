"""The ``gymnasium`` environment: observations, preprocessing steps, encodings, and clear errors."""

import gymnasium as gym
import pytest
import torch

from snnkit.errors import EnvironmentSetupError
from snnkit_plugins.environments.preprocess import build_steps

CARTPOLE_BOUNDS = {"low": [-2.4, -3.0, -0.21, -3.0], "high": [2.4, 3.0, 0.21, 3.0]}


def test_cartpole_observations_are_gymnasiums_own_for_the_same_seed(plugins):
    env = plugins.build("environments", "gymnasium", id="CartPole-v1")
    reference = gym.make("CartPole-v1")
    expected, _ = reference.reset(seed=3)
    assert torch.equal(env.reset(seed=3), torch.as_tensor(expected))
    assert env.n_actions == 2
    for action in (0, 1, 1):
        transition = env.step(action)
        observation, reward, terminated, truncated, _ = reference.step(action)
        assert torch.equal(transition.observation, torch.as_tensor(observation))
        assert (transition.reward, transition.terminated, transition.truncated) == (reward, terminated, truncated)


def test_normalise_and_clip_map_the_given_bounds_onto_minus_one_to_one(plugins):
    env = plugins.build(
        "environments", "gymnasium", id="CartPole-v1", preprocess=[{"step": "normalise", **CARTPOLE_BOUNDS}, "clip"]
    )
    raw = torch.tensor([1.2, -3.0, 0.42, 0.0])
    assert torch.allclose(env.observe(raw.numpy()), torch.tensor([0.5, -1.0, 1.0, 0.0]))  # 0.42 / 0.21 = 2, clipped


def test_normalise_uses_the_space_bounds_when_they_are_finite(plugins):
    env = plugins.build("environments", "gymnasium", id="MountainCar-v0", preprocess=["normalise"])
    low, high = env.env.observation_space.low, env.env.observation_space.high
    assert torch.allclose(env.observe(low), torch.tensor([-1.0, -1.0]))
    assert torch.allclose(env.observe((low + high) / 2), torch.zeros(2), atol=1e-6)


def test_discrete_observations_become_one_hot(plugins):
    env = plugins.build("environments", "gymnasium", id="FrozenLake-v1", make_kwargs={"is_slippery": False})
    first = env.reset(seed=0)
    assert first.shape == (16,) and first[0] == 1 and first.sum() == 1  # the start cell
    assert torch.equal(env.step(2).observation, torch.eye(16)[1])  # right: cell 1, not slippery


def test_image_steps_on_a_hand_made_frame():
    frame = torch.zeros(4, 6, 3)
    frame[0, 0] = torch.tensor([255.0, 0.0, 0.0])
    frame[1:3, 2:4] = 255.0
    gray, crop, down, binary = build_steps(
        [
            "grayscale",
            {"step": "crop", "top": 0, "bottom": 4, "left": 2},
            {"step": "downsample", "height": 2, "width": 2},
            {"step": "binarise", "threshold": 100},
        ]
    )
    g = gray(frame)
    assert g.shape == (4, 6) and g[0, 0] == pytest.approx(0.299 * 255) and g[1, 2] == pytest.approx(255.0)
    c = crop(g)
    assert c.shape == (4, 4) and c[0, 0] == 0.0  # the red pixel was in column 0
    d = down(c)  # each output pixel averages a 2 x 2 block
    assert torch.allclose(d, torch.tensor([[127.5, 0.0], [127.5, 0.0]]))
    assert torch.equal(binary(d), torch.tensor([[1.0, 0.0], [1.0, 0.0]]))


def test_difference_starts_each_episode_from_zeros():
    (difference,) = build_steps(["difference"])
    a, b = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 1.0])
    assert torch.equal(difference(a), torch.zeros(2))
    assert torch.equal(difference(b), torch.tensor([2.0, 1.0]))
    difference.reset()
    assert torch.equal(difference(b), torch.zeros(2))


def test_select_keeps_the_named_features():
    (select,) = build_steps([{"step": "select", "indices": [2, 3]}])
    assert torch.equal(select(torch.tensor([0.0, 1.0, 2.0, 3.0])), torch.tensor([2.0, 3.0]))


def test_a_known_observation_is_encoded_by_its_receptive_fields(plugins):
    env = plugins.build(
        "environments", "gymnasium", id="CartPole-v1", preprocess=[{"step": "normalise", **CARTPOLE_BOUNDS}]
    )
    encoder = plugins.build("encoders", "gaussian-population", neurons=5, low=-1.0, high=1.0, max_prob=1.0)
    x = env.observe(torch.tensor([0.0, 1.5, -0.21, 3.0]).numpy())  # normalised: 0, 0.5, -1, 1 = centres 2, 3, 0, 4
    spikes = encoder(x[None], 4000, generator=torch.Generator().manual_seed(0))
    assert spikes.shape == (4000, 1, 20)
    rates = spikes[:, 0].float().mean(0).reshape(4, 5)
    # sigma = the centres' spacing 0.5: rate exp(-d^2 / 0.5) at distance d from a preferred value
    distance = (torch.tensor([[0.0], [0.5], [-1.0], [1.0]]) - torch.linspace(-1, 1, 5)).abs()
    assert torch.allclose(rates, torch.exp(-(distance**2) / 0.5), atol=0.02)
    assert rates[0, 2] == rates[1, 3] == rates[2, 0] == rates[3, 4] == 1.0  # at the preferred value: every step


def test_unknown_environment_id_suggests_the_closest(plugins):
    with pytest.raises(EnvironmentSetupError, match="Did you mean 'CartPole-v1'"):
        plugins.build("environments", "gymnasium", id="CartPol-v1")


def test_continuous_actions_are_refused_with_the_reason(plugins):
    with pytest.raises(EnvironmentSetupError, match="discrete actions"):
        plugins.build("environments", "gymnasium", id="MountainCarContinuous-v0")


def test_bad_make_kwargs_name_the_environment(plugins):
    with pytest.raises(EnvironmentSetupError, match=r"CartPole-v1.*make_kwargs"):
        plugins.build("environments", "gymnasium", id="CartPole-v1", make_kwargs={"slippery": True})


def test_normalise_without_bounds_on_unbounded_features_says_which(plugins):
    with pytest.raises(EnvironmentSetupError, match=r"features \[1, 3\] are unbounded.*give low and high"):
        plugins.build("environments", "gymnasium", id="CartPole-v1", preprocess=["normalise"])


def test_unknown_steps_and_parameters_are_named():
    with pytest.raises(EnvironmentSetupError, match="unknown preprocess step 'greyscale'; did you mean 'grayscale'"):
        build_steps(["greyscale"])
    with pytest.raises(
        EnvironmentSetupError, match=r"'crop' takes no parameter 'up'\. Accepted: top, bottom, left, right"
    ):
        build_steps([{"step": "crop", "up": 3}])
    with pytest.raises(EnvironmentSetupError, match="step name"):
        build_steps([{"top": 3}])


def test_actions_outside_the_space_are_refused(plugins):
    env = plugins.build("environments", "gymnasium", id="CartPole-v1")
    env.reset(seed=0)
    with pytest.raises(EnvironmentSetupError, match="action 2 is outside 'CartPole-v1''s 2 actions"):
        env.step(2)


def test_breakout_with_the_classic_preprocessing(plugins):
    pytest.importorskip("ale_py")
    env = plugins.build(
        "environments",
        "gymnasium",
        id="ALE/Breakout-v5",
        preprocess=[
            "grayscale",
            {"step": "crop", "top": 34, "bottom": 194},
            {"step": "downsample", "height": 80, "width": 80},
            {"step": "binarise", "threshold": 0},
        ],
    )
    x = env.reset(seed=0)
    assert x.shape == (80, 80) and set(x.unique().tolist()) <= {0.0, 1.0} and 0 < x.sum() < 80 * 80
    assert env.n_actions == 4
    env.close()
