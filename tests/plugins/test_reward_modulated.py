"""``mstdp``, ``mstdpet`` and ``rmax``: reward sign, zero reward, delayed credit, batched rewards."""

import math

import pytest
import torch

from snnkit import Network
from snnkit.errors import NetworkError
from snnkit_plugins.learning.mstdp import MSTDP
from snnkit_plugins.learning.mstdpet import MSTDPET
from snnkit_plugins.learning.rmax import Rmax
from snnkit_plugins.neurons.srm0 import SRM0State

from .learning_helpers import apply_rule, pair


@pytest.mark.parametrize("name", ["mstdp", "mstdpet", "rmax"])
def test_discovered_through_the_snnkit_plugins_entry_point(plugins, name):
    assert plugins.get("learning_rules", name).provider.distribution == "snnkit-plugins"


def dense(plugins, n=1, m=1):
    return plugins.build("connections", "dense", n, m, weight=0.5)


def mstdp_change(plugins, reward, d=5, rule=None):
    conn = dense(plugins)
    apply_rule(rule or MSTDP(nu=0.1), conn, *pair(10, 10 + d, steps=40), reward=torch.tensor([reward]))
    return conn.weight.item() - 0.5


def test_mstdp_is_stdp_scaled_by_the_reward(plugins):
    assert mstdp_change(plugins, 1.0) == pytest.approx(0.1 * math.exp(-5 / 20), rel=1e-5)  # pre before post
    assert mstdp_change(plugins, 1.0, d=-5) == pytest.approx(-0.1 * math.exp(-5 / 20), rel=1e-5)
    assert mstdp_change(plugins, -1.0) == pytest.approx(-mstdp_change(plugins, 1.0), rel=1e-6)
    assert mstdp_change(plugins, 0.0) == 0.0


@pytest.mark.parametrize("rule", [lambda: MSTDP(nu=0.1), lambda: MSTDPET(nu=0.1)])
def test_no_reward_and_zero_reward_leave_weights_unchanged(plugins, rule):
    for reward in (None, torch.zeros(1)):
        conn = dense(plugins)
        apply_rule(rule(), conn, *pair(10, 15, steps=40), reward=reward)
        assert conn.weight.item() == 0.5


def test_mstdpet_credits_spikes_with_a_later_reward(plugins):
    pre, post = pair(10, 15, steps=60)
    reward = torch.zeros(60, 1)
    reward[40] = 1.0  # 25 steps after the pairing
    conn = dense(plugins)
    apply_rule(MSTDPET(nu=1.0), conn, pre, post, reward=reward)
    zeta = math.exp(-5 / 20)  # point eligibility at the postsynaptic spike
    expected = zeta / 25.0 * math.exp(-25 / 25.0)  # z decays for 25 steps before the reward
    assert conn.weight.item() - 0.5 == pytest.approx(expected, rel=1e-4)
    flipped = dense(plugins)
    apply_rule(MSTDPET(nu=1.0), flipped, pre, post, reward=-reward)
    assert flipped.weight.item() - 0.5 == pytest.approx(-expected, rel=1e-4)
    # MSTDP has no memory: the same late reward does nothing
    plain = dense(plugins)
    apply_rule(MSTDP(nu=1.0), plain, pre, post, reward=reward)
    assert plain.weight.item() == 0.5


@pytest.mark.parametrize("rule", [lambda r: MSTDP(nu=0.1, reduction=r), lambda r: MSTDPET(nu=0.1, reduction=r)])
def test_rewards_apply_per_sample(plugins, rule):
    pre, post = pair(10, 15, steps=30, batch=2)
    single = dense(plugins)
    apply_rule(rule("sum"), single, pre[:, :1], post[:, :1], reward=torch.tensor([1.0]))
    change = single.weight.item() - 0.5
    both = dense(plugins)
    apply_rule(rule("sum"), both, pre, post, reward=torch.tensor([1.0, -1.0]))
    assert both.weight.item() == pytest.approx(0.5, abs=1e-7)  # opposite rewards cancel
    half = dense(plugins)
    apply_rule(rule("mean"), half, pre, post, reward=torch.tensor([1.0, 0.0]))
    assert half.weight.item() - 0.5 == pytest.approx(change / 2, rel=1e-5)


def test_rmax_follows_spike_surprise_times_reward(plugins):
    conn = dense(plugins, 2, 1)
    pre = torch.zeros(3, 1, 2, dtype=torch.bool)
    pre[0, 0, 0] = True
    post = torch.zeros(3, 1, 1, dtype=torch.bool)
    post[2] = True  # the neuron spikes at step 2 although it had probability 0.2
    p = torch.full((1, 1), 0.2)
    states = [SRM0State(p, p, p)] * 3
    apply_rule(Rmax(nu=1.0, tau_psp=10.0, tau_e=1e9), conn, pre, post, post_state=states, reward=torch.zeros(1))
    assert conn.weight.flatten().tolist() == [0.5, 0.5]  # no reward, no change
    apply_rule(Rmax(nu=1.0, tau_psp=10.0, tau_e=1e9), conn, pre, post, post_state=states, reward=torch.ones(1))
    # eligibility of synapse 0 accumulates psp * (s - p) over the 3 steps; it grows with each reward
    psp = [1.0, math.exp(-0.1), math.exp(-0.2)]
    e = [psp[0] * -0.2, psp[0] * -0.2 + psp[1] * -0.2, psp[0] * -0.2 + psp[1] * -0.2 + psp[2] * 0.8]
    assert conn.weight[0, 0].item() - 0.5 == pytest.approx(sum(e), rel=1e-5)
    assert conn.weight[1, 0].item() == 0.5  # the silent input has no eligibility


def test_rmax_refuses_neurons_without_a_firing_probability(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "input", 2)
    net.add_layer("out", "lif", 1)
    with pytest.raises(NetworkError, match=r"'rmax' needs target neurons .* \(srm0\); the target's LIF neurons have v"):
        net.add_connection("in", "out", "dense", rule="rmax")
    assert not net.connections  # refused before anything was added


def test_rmax_teaches_srm0_neurons_to_fire_for_reward(plugins):
    """Reward spikes of neuron 0 and punish those of neuron 1: their input weights part ways."""
    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "input", 10)
    net.add_layer("out", "srm0", 2)
    conn = net.add_connection("in", "out", "dense", weight=3.0, rule=Rmax(nu=0.05, tau_e=20.0))
    before = conn.weight.clone()
    net.add_monitor("out", "state", target="out")
    g = torch.Generator().manual_seed(0)
    x = torch.rand(600, 1, 10, generator=g) < 0.2
    for t in range(600):
        spikes = net.state.spikes["out"][0] if net.state is not None else torch.zeros(2, dtype=torch.bool)
        reward = float(spikes[0]) - float(spikes[1])
        net.run({"in": x[t : t + 1]}, time=1, reward=reward)
    change = (conn.weight - before).sum(0)
    assert change[0] > 0 > change[1]
