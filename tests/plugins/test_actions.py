"""Action functions on hand-made spike trains: choices, ties, silence, epsilon-greedy, errors."""

import pytest
import torch

from snnkit.errors import EnvironmentSetupError, ShapeError
from snnkit.testing import ActionContract

NAMES = ["highest-rate", "first-spike", "softmax", "multinomial", "random"]


def spikes(*steps):
    """``[time, batch 1, neurons]`` from rows of 0/1."""
    return torch.tensor(steps, dtype=torch.bool)[:, None, :]


def frequencies(function, train, n_actions, draws=2000, seed=0):
    generator = torch.Generator().manual_seed(seed)
    batch = train.expand(-1, draws, -1)  # the same window for every sample of a large batch
    actions = function(batch, n_actions, generator=generator)
    return torch.bincount(actions, minlength=n_actions).float() / draws


@pytest.mark.parametrize("name", NAMES)
def test_discovered_through_the_snnkit_plugins_entry_point(plugins, name):
    component = plugins.get("actions", name)
    assert component.provider.distribution == "snnkit-plugins"


def test_highest_rate_picks_the_group_with_most_spikes(plugins):
    f = plugins.build("actions", "highest-rate")
    train = spikes([1, 0, 0, 1, 1, 0], [1, 0, 0, 0, 1, 0])  # groups of 2: counts 2, 1, 2... per group
    # groups (0,1) -> 2 spikes, (2,3) -> 1, (4,5) -> 2: actions 0 and 2 tie, action 1 never chosen
    p = frequencies(f, train, 3)
    assert p[1] == 0 and 0.45 < p[0] < 0.55 and 0.45 < p[2] < 0.55
    clear = spikes([0, 0, 1, 1, 0, 0], [0, 0, 1, 0, 0, 0])
    assert frequencies(f, clear, 3).tolist() == [0.0, 1.0, 0.0]


@pytest.mark.parametrize("name", ["highest-rate", "first-spike", "softmax", "multinomial", "random"])
def test_silence_gives_a_uniformly_random_action_never_a_default(plugins, name):
    p = frequencies(plugins.build("actions", name), torch.zeros(5, 1, 6, dtype=torch.bool), 3, draws=3000)
    assert torch.all((p - 1 / 3).abs() < 0.04), p


def test_first_spike_picks_the_earliest_group_and_breaks_same_step_ties_at_random(plugins):
    f = plugins.build("actions", "first-spike")
    late_but_busy = spikes([0, 0, 0, 0], [0, 0, 1, 0], [1, 1, 1, 1], [1, 1, 0, 0])
    assert frequencies(f, late_but_busy, 2).tolist() == [0.0, 1.0]
    tie = spikes([0, 0, 0, 0], [1, 0, 0, 1])
    p = frequencies(f, tie, 2)
    assert 0.45 < p[0] < 0.55


def test_softmax_draws_with_the_softmax_of_the_counts(plugins):
    f = plugins.build("actions", "softmax", temperature=2.0)
    train = spikes([1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0])  # counts 3 and 1
    expected = torch.softmax(torch.tensor([3.0, 1.0]) / 2.0, 0)  # 0.731, 0.269
    assert torch.allclose(frequencies(f, train, 2, draws=20000), expected, atol=0.015)
    with pytest.raises(ValueError, match="temperature"):
        plugins.build("actions", "softmax", temperature=0.0)


def test_multinomial_draws_in_proportion_to_the_spikes(plugins):
    f = plugins.build("actions", "multinomial")
    train = spikes([1, 1, 1, 0], [0, 0, 0, 0])  # 2 spikes for action 0, 1 for action 1
    p = frequencies(f, train, 2, draws=20000)
    assert abs(p[0] - 2 / 3) < 0.015


def test_random_ignores_the_spikes(plugins):
    p = frequencies(plugins.build("actions", "random"), spikes([1, 1, 0, 0]), 2, draws=4000)
    assert abs(p[0] - 0.5) < 0.03


def test_epsilon_replaces_a_share_of_choices_with_random_actions(plugins):
    train = spikes([0, 0, 1, 1])  # highest-rate always says 1
    p = frequencies(plugins.build("actions", "highest-rate", epsilon=0.3), train, 2, draws=20000)
    assert abs(p[0] - 0.15) < 0.01  # half of the random replacements land on the other action
    assert frequencies(plugins.build("actions", "highest-rate", epsilon=0.0), train, 2)[0] == 0.0
    greedy = plugins.build("actions", "highest-rate", epsilon=1.0)(train.expand(-1, 500, -1), 2, explore=False)
    assert greedy.eq(1).all()  # explore=False: no random replacements, for evaluation
    with pytest.raises(ValueError, match="epsilon"):
        plugins.build("actions", "first-spike", epsilon=1.5)


def test_choices_repeat_exactly_with_the_same_generator(plugins):
    f = plugins.build("actions", "softmax")
    train = torch.rand(10, 64, 6, generator=torch.Generator().manual_seed(1)) < 0.3
    first = f(train, 3, generator=torch.Generator().manual_seed(7))
    assert torch.equal(first, f(train, 3, generator=torch.Generator().manual_seed(7)))


def test_an_output_layer_that_does_not_split_into_the_actions_is_refused(plugins):
    f = plugins.build("actions", "highest-rate")
    with pytest.raises(EnvironmentSetupError, match="5 neurons cannot be split evenly into 2 action groups"):
        f(torch.zeros(3, 1, 5, dtype=torch.bool), 2)
    with pytest.raises(ShapeError, match=r"\[time, batch, neurons\]"):
        f(torch.zeros(3, 4, dtype=torch.bool), 2)


class TestHighestRateContract(ActionContract):
    name = "highest-rate"


class TestFirstSpikeContract(ActionContract):
    name = "first-spike"


class TestSoftmaxContract(ActionContract):
    name = "softmax"


class TestMultinomialContract(ActionContract):
    name = "multinomial"


class TestRandomContract(ActionContract):
    name = "random"
    follows_spikes = False
