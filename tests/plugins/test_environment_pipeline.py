"""The ``environment`` pipeline: reward arithmetic, exact repeats, recording, learning, and clear errors."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from snnkit import Transition
from snnkit import recording as rec
from snnkit.errors import SnnkitError
from snnkit.experiment import load_experiment, parse_experiment
from snnkit.runner import run_experiment
from snnkit.testing import EnvironmentContract, PipelineContract
from snnkit_cli.main import cli
from snnkit_plugins.pipelines.environment import EnvironmentPipeline, episode_seed


class TwoArmedBandit(gym.Env):
    """One constant observation; arm 1 pays 1 with probability 0.8, arm 0 with 0.2; 10 pulls an episode."""

    observation_space = gym.spaces.Box(0.0, 1.0, (1,))
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.pulls = 0
        return np.ones(1, dtype=np.float32), {}

    def step(self, action):
        self.pulls += 1
        reward = float(self.np_random.random() < (0.8 if action == 1 else 0.2))
        return np.ones(1, dtype=np.float32), reward, False, self.pulls >= 10, {}


gym.register("snnkit-test/TwoArmedBandit-v0", entry_point=TwoArmedBandit)

BANDIT = """
[run]
name = "bandit"
seed = {seed}
time = 20
output = "{output}"
checkpoint_every = 1000

[pipeline]
plugin = "environment"
episodes = 120
test_episodes = {test_episodes}
baseline = 0.05

[environment]
plugin = "gymnasium"
id = "snnkit-test/TwoArmedBandit-v0"

[encoder]
plugin = "gaussian-population"
neurons = 10
low = 0.0
high = 1.0
max_prob = 0.5

[action]
plugin = "{action}"

[[network.layers]]
name = "state"
neuron = "input"
shape = 10

[[network.layers]]
name = "arms"
neuron = "lif"
shape = 10
tau_mem = 20.0
v_thresh = -60.0

[[network.connections]]
source = "state"
target = "arms"
weight = "uniform(0, 2)"
wmin = 0.0
wmax = 4.0
rule = {{ name = "mstdpet", nu = 2e-3, a_minus = 0.0 }}
"""


def bandit(seed=0, output="x.h5", action="highest-rate", test_episodes=0):
    return BANDIT.format(seed=seed, output=output, action=action, test_episodes=test_episodes)


def bandit_metrics(plugins, tmp_path, seed, action="highest-rate"):
    path = tmp_path / f"bandit-{seed}-{action}.h5"
    experiment = parse_experiment(bandit(seed, path, action, test_episodes=10), plugins)
    run_experiment(experiment, plugins)
    return {name: values for name, (_, values) in rec.open(path).metrics().items()}


def test_the_agent_learns_to_pull_the_better_arm(plugins, tmp_path):
    metrics = bandit_metrics(plugins, tmp_path, seed=0)
    random = bandit_metrics(plugins, tmp_path, seed=0, action="random")
    returns = metrics["return"]
    # 10 pulls an episode: a random policy earns 5 on average, always pulling arm 1 earns 8
    assert len(returns) == 120 and returns[:20].mean() < 6.0
    assert returns[-20:].mean() > 7.0
    assert returns[-20:].mean() > random["return"][-20:].mean() + 1.5
    # then 10 test episodes without learning: the learned preference holds
    assert len(metrics["test_return"]) == 10 and metrics["test_return_mean"].item() > 7.0
    assert metrics["test_return_mean"].item() == pytest.approx(metrics["test_return"].mean().item())


def test_each_decision_is_followed_by_a_learning_phase_that_forces_the_action_taken(plugins, tmp_path):
    path = tmp_path / "phases.h5"
    text = bandit(output=path).replace("episodes = 120", "episodes = 1")
    text += '\n[[monitors]]\nname = "arms"\ntarget = "arms"\nvariables = ["s"]\n'
    run_experiment(parse_experiment(text, plugins), plugins)
    spikes = rec.open(path).spikes("arms")[:, 0].reshape(10, 25, 2, 5)  # 10 pulls of 20 + 5 steps, 2 arms
    for decide, learn in zip(spikes[:, :20], spikes[:, 20:], strict=True):
        counts = decide.sum((0, 2))
        taken = learn[0].all(1).nonzero().flatten().tolist()
        assert len(taken) == 1 and learn[:, taken[0]].all() and not learn[:, 1 - taken[0]].any()
        if counts[0] != counts[1]:  # highest-rate without a tie: the learning phase forces that arm
            assert taken[0] == int(counts.argmax())


def cartpole(plugins, path, seed=0, episodes=3):
    overrides = [f"run.seed={seed}", f"pipeline.episodes={episodes}", f'run.output="{path}"', "run.time=10"]
    return load_experiment("cartpole-mstdp", plugins, overrides)


def test_an_episode_loop_repeats_exactly_with_the_same_seed(plugins, tmp_path):
    results = []
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        run_experiment(cartpole(plugins, tmp_path / f"{name}.h5", seed), plugins)
        r = rec.open(tmp_path / f"{name}.h5")
        results.append((r.metrics()["return"][1], r.checkpoint()["network"]["connections.observation->action.weight"]))
    (ra, wa), (rb, wb), (_, wc) = results
    assert torch.equal(ra, rb) and torch.equal(wa, wb)
    assert not torch.equal(wa, wc)


def test_a_stopped_and_resumed_run_equals_an_uninterrupted_one(plugins, tmp_path):
    full = run_experiment(cartpole(plugins, tmp_path / "full.h5", episodes=6), plugins)
    part = cartpole(plugins, tmp_path / "part.h5", episodes=6)
    calls = []  # asked once before the recording starts, then before every unit
    stopped = run_experiment(part, plugins, should_stop=lambda: calls.append(1) or len(calls) > 4)
    assert stopped.status == "interrupted" and stopped.units_done == 3
    resumed = run_experiment(part, plugins, resume=tmp_path / "part.h5")
    assert resumed.status == "complete" and resumed.metrics == full.metrics  # return_mean spans the stop
    a, b = rec.open(tmp_path / "full.h5"), rec.open(tmp_path / "part.h5")
    assert torch.equal(a.metrics()["return"][1], b.metrics()["return"][1])
    for key, value in a.checkpoint()["network"].items():
        assert torch.equal(value, b.checkpoint()["network"][key]), key


def test_returns_and_lengths_are_recorded_per_episode(plugins, tmp_path):
    path = tmp_path / "cartpole.h5"
    result = run_experiment(cartpole(plugins, path, episodes=4), plugins)
    metrics = rec.open(path).metrics()
    assert result.status == "complete" and metrics["return"][0].tolist() == [0, 1, 2, 3]
    assert torch.equal(metrics["return"][1], metrics["length"][1])  # CartPole pays 1 per step
    assert metrics["return_mean"][1][-1] == pytest.approx(metrics["return"][1].mean().item())
    assert set(metrics) >= {"return", "length", "return_mean", "reward", "silent"}
    figure = plugins.get("plots", "reward").factory(rec.open(path), window=2)
    assert [ax.get_ylabel() for ax in figure.axes] == ["return", "reward"]  # return_mean is not drawn again
    line = figure.axes[0].lines[0]
    assert line.get_ydata().tolist() == metrics["return"][1].tolist()


def test_episode_seeds_depend_on_the_run_seed_and_episode_only():
    assert episode_seed(0, 5) == episode_seed(0, 5)
    assert len({episode_seed(0, 0), episode_seed(0, 1), episode_seed(1, 0)}) == 3


def test_the_reward_is_built_in_the_documented_order():
    pipeline = EnvironmentPipeline(terminal_reward=-1.0, potential=[0.0, 2.0], reward_scale=3.0, reward_clip=10.0)
    s, s_next = torch.tensor([5.0, -1.0]), torch.tensor([7.0, 0.5])  # phi: -2 then -1: shaping +1
    assert pipeline._reward(s, Transition(s_next, 1.0, False, False)) == pytest.approx((1.0 + 1.0) * 3)
    assert pipeline._reward(s, Transition(s_next, 1.0, True, False)) == pytest.approx((-1.0 + 1.0) * 3)
    assert pipeline._reward(s, Transition(s_next, 1.0, False, True)) == pytest.approx(6.0)  # truncated: not terminal
    assert pipeline._reward(s, Transition(s_next, 9.0, False, False)) == 10.0  # clipped
    baseline = EnvironmentPipeline(baseline=0.5)
    got = [baseline._reward(s, Transition(s, r, False, False)) for r in (2.0, 2.0, 4.0)]
    assert got == [2.0, 1.0, 2.5]  # minus the running mean before it: 0, then 1, then 1.5
    with pytest.raises(SnnkitError, match="potential has 3 weights but the preprocessed observation has 2"):
        EnvironmentPipeline(potential=[1.0, 1.0, 1.0])._reward(s, Transition(s_next, 0.0, False, False))


def test_a_delayed_reward_reaches_back_through_the_eligibility_trace(plugins, tmp_path):
    """With ``reward_delay`` the bandit still learns: each reward arrives one pull late."""
    experiment = parse_experiment(
        bandit(output=tmp_path / "late.h5").replace("baseline = 0.05", "baseline = 0.05\nreward_delay = 1"),
        plugins,
    )
    run_experiment(experiment, plugins)
    returns = rec.open(tmp_path / "late.h5").metrics()["return"][1]
    assert returns[-20:].mean() > returns[:20].mean() + 1.0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("run.batch_size=2", "one episode at a time; set \\[run\\] batch_size = 1"),
        ("network.layers.1.shape=21", "21 neurons, which cannot be split into equal groups for the environment's 2"),
        ('pipeline.output_layer="actions"', "output_layer 'actions' is not a layer"),
    ],
)
def test_unusable_setups_fail_before_the_first_episode(plugins, tmp_path, override, message):
    experiment = load_experiment("cartpole-mstdp", plugins, [override, f'run.output="{tmp_path / "x.h5"}"'])
    with pytest.raises(SnnkitError, match=message):
        run_experiment(experiment, plugins)


def test_a_missing_action_table_is_named(plugins, tmp_path):
    text = bandit(output=tmp_path / "x.h5", action="random").replace('[action]\nplugin = "random"', "")
    with pytest.raises(SnnkitError, match=r"needs an \[action\] table"):
        run_experiment(parse_experiment(text, plugins), plugins)


def test_the_cli_reports_an_unknown_environment_id_in_one_line(tmp_path):
    result = CliRunner().invoke(
        cli, ["run", "cartpole-mstdp", "--set", 'environment.id="CartPoll-v1"', "--output", str(tmp_path / "x.h5")]
    )
    assert result.exit_code == 2
    assert "Did you mean 'CartPole-v1'" in result.output and "Traceback" not in result.output


BREAKOUT = """
[run]
name = "breakout"
time = 10
output = "{output}"

[pipeline]
plugin = "environment"
episodes = 2
max_steps = 4

[environment]
plugin = "gymnasium"
id = "ALE/Breakout-v5"
preprocess = ["grayscale", {{ step = "crop", top = 34, bottom = 194 }},
              {{ step = "downsample", height = 80, width = 80 }}, {{ step = "binarise", threshold = 0 }}]

[encoder]
plugin = "bernoulli"
max_prob = 0.5

[action]
plugin = "multinomial"
epsilon = 0.1

[[network.layers]]
name = "screen"
neuron = "input"
shape = [80, 80]

[[network.layers]]
name = "actions"
neuron = "lif"
shape = 8

[[network.connections]]
source = "screen"
target = "actions"
weight = "uniform(0, 1)"
rule = {{ name = "mstdpet", a_minus = 0.0 }}
"""


def test_breakout_frames_drive_an_image_network_through_the_pipeline(plugins, tmp_path):
    pytest.importorskip("ale_py")
    path = tmp_path / "breakout.h5"
    result = run_experiment(parse_experiment(BREAKOUT.format(output=path), plugins), plugins)
    metrics = rec.open(path).metrics()
    assert result.status == "complete" and metrics["length"][1].tolist() == [4.0, 4.0]  # cut off by max_steps


class TestEnvironmentPipelineContract(PipelineContract):
    name = "environment"
    experiment = bandit(test_episodes=2)
    overrides = ("pipeline.episodes=6",)


class TestBanditContract(EnvironmentContract):
    name = "gymnasium"
    params = {"id": "snnkit-test/TwoArmedBandit-v0"}


class TestCartPoleContract(EnvironmentContract):
    name = "gymnasium"
    params = {"id": "CartPole-v1", "preprocess": [{"step": "clip", "low": -3.0, "high": 3.0}]}
