"""Learning rules inside networks: freezing, batch reduction, and a measurable learning effect."""

import math

import pytest
import torch

from snnkit import Network
from snnkit.testing import LearningRuleContract

PAIR_RULES = ["post-pre", "weight-dependent-post-pre", "hebbian", "triplet-stdp", "mstdp", "mstdpet"]
ALL_RULES = [*PAIR_RULES, "rmax", "none"]


def network(plugins, rule, target="lif", batch_clamp=None):
    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "input", 8)
    net.add_layer("out", target, 4, **({"threshold": 1e9} if target == "mcculloch-pitts" else {}))
    net.add_layer("adapt", "diehl-cook", 4, one_spike=False)
    net.add_connection("in", "out", "dense", weight="uniform(0, 8)", wmin=0.0, wmax=8.0, weight_decay=1e-3, rule=rule)
    net.add_connection("in", "adapt", "dense", weight=10.0)
    return net


def inputs(batch=1, steps=50, seed=0):
    return torch.rand(steps, batch, 8, generator=torch.Generator().manual_seed(seed)) < 0.3


@pytest.mark.parametrize("rule", ALL_RULES)
@pytest.mark.parametrize("freeze", ["eval", "learning=False"])
def test_eval_and_learning_false_leave_every_weight_and_threshold_bit_identical(plugins, rule, freeze):
    target = "srm0" if rule == "rmax" else "lif"
    net = network(plugins, rule, target)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    if freeze == "eval":
        net.eval()
        net.run({"in": inputs()}, time=50, reward=1.0)
    else:
        net.run({"in": inputs()}, time=50, reward=1.0, learning=False)
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    net.train()
    net.run({"in": inputs()}, time=50, reward=1.0)
    assert not torch.equal(before["connections.in->out.weight"], net.state_dict()["connections.in->out.weight"])
    assert not torch.equal(before["layers.adapt.theta"], net.state_dict()["layers.adapt.theta"])


def clamped_run(plugins, rule, batch, reduction):
    """Post spikes forced by clamp, so weights cannot change the spikes: updates compare exactly."""
    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "input", 8)
    net.add_layer("out", "mcculloch-pitts", 4, threshold=1e9)
    built = plugins.build("learning_rules", rule, reduction=reduction)
    conn = net.add_connection("in", "out", "dense", weight=0.5, rule=built)
    pre = inputs(1).expand(50, batch, 8)
    post = inputs(1, seed=1)[:, :, :4].expand(50, batch, 4)
    before = conn.weight.clone()
    net.run({"in": pre}, time=50, clamp={"out": post}, reward=torch.ones(batch))
    return conn.weight - before


@pytest.mark.parametrize("rule", [r for r in PAIR_RULES if r != "weight-dependent-post-pre"])
def test_batch_of_identical_samples_sums_to_batch_times_the_single_update(plugins, rule):
    """(weight-dependent-post-pre scales each update by the current weight, so B summed updates
    are not B times one after the first step; its batch handling is the same code.)"""
    single = clamped_run(plugins, rule, 1, "sum")
    assert single.abs().sum() > 0
    torch.testing.assert_close(clamped_run(plugins, rule, 5, "sum"), 5 * single, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(clamped_run(plugins, rule, 5, "mean"), single, rtol=1e-4, atol=1e-6)


def test_none_rule_applies_only_decay_and_bounds(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "input", 2)
    net.add_layer("out", "lif", 2)
    conn = net.add_connection("in", "out", "dense", weight=2.0, wmax=1.5, weight_decay=0.01, rule="none")
    assert conn.weight.max() == 1.5  # bounds apply at construction
    net.run({"in": torch.ones(10, 1, 2)}, time=10)
    torch.testing.assert_close(conn.weight, torch.full((2, 2), 1.5 * math.exp(-0.1)))


# -- a learning effect: two patterns, two specialised neurons ---------------------------------


def pattern(which, steps, generator):
    rates = torch.zeros(20)
    rates[which * 10 : (which + 1) * 10] = 0.2
    return torch.rand(steps, 1, 20, generator=generator) < rates


def responses(net, generator):
    """Spike counts ``[pattern, neuron]`` over 200 ms per pattern, learning off."""
    net.eval()
    counts = []
    for which in (0, 1):
        net.reset_state()
        net.run({"in": pattern(which, 200, generator)}, time=200)
        counts.append(net.monitors["out"].get("s").sum(dim=(0, 1)).float())
    net.train()
    return torch.stack(counts)


def specialisation(weight):
    """Per output neuron, |w from pattern A - w from pattern B| / total, from 0 (mixed) to 1."""
    a, b = weight[:10].sum(0), weight[10:].sum(0)
    return (a - b).abs() / (a + b)


def test_post_pre_with_lateral_inhibition_learns_selective_neurons(plugins):
    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "input", 20)
    net.add_layer("out", "lif", 4, tau_mem=20.0, refractory=2.0)
    rule = plugins.build("learning_rules", "post-pre", nu=(5e-4, 5e-2))
    conn = net.add_connection("in", "out", "dense", weight="uniform(0.2, 0.6)", wmin=0.0, wmax=1.5, norm=8.0, rule=rule)
    net.add_connection("out", "out", "dense", weight=-5.0 * (1 - torch.eye(4)))  # lateral inhibition
    net.add_monitor("out", "state", target="out")
    g = torch.Generator().manual_seed(0)
    assert specialisation(conn.weight).max() < 0.3  # random weights: nobody prefers a pattern
    for _ in range(30):
        for which in (0, 1):
            net.reset_state()
            net.run({"in": pattern(which, 50, g)}, time=50)
    counts = responses(net, g)
    winner_a, winner_b = int(counts[0].argmax()), int(counts[1].argmax())
    assert winner_a != winner_b
    for winner, which in ((winner_a, 0), (winner_b, 1)):
        selectivity = (counts[which, winner] - counts[1 - which, winner]) / counts[:, winner].sum()
        assert selectivity > 0.8
    learned = specialisation(conn.weight)
    assert learned[winner_a] > 0.9 and learned[winner_b] > 0.9  # their weights now favour their pattern


class TestHebbianContract(LearningRuleContract):
    name = "hebbian"


class TestWeightDependentPostPreContract(LearningRuleContract):
    name = "weight-dependent-post-pre"


class TestTripletSTDPContract(LearningRuleContract):
    name = "triplet-stdp"


class TestMSTDPContract(LearningRuleContract):
    name = "mstdp"
    reward = True


class TestMSTDPETContract(LearningRuleContract):
    name = "mstdpet"
    reward = True


class TestRmaxContract(LearningRuleContract):
    name = "rmax"
    target = "srm0"
    reward = True


def test_the_rule_contract_catches_a_rule_that_learns_nothing_or_uses_global_randomness(plugins):
    from types import SimpleNamespace

    from snnkit import LearningRule

    class Idle(LearningRule):
        """Never changes a weight."""

        def forward(self, connection, pre, post, state, ctx, reward=None):
            return state

    class Noisy(LearningRule):
        """Jitters weights with torch's global generator."""

        def forward(self, connection, pre, post, state, ctx, reward=None):
            connection.weight.add_(1e-3 * torch.randn(connection.weight.shape))
            return state

    plugins.register(
        SimpleNamespace(
            snnkit_register_learning_rules=lambda registry: [registry.add("idle", Idle), registry.add("noisy", Noisy)]
        )
    )

    class IdleSuite(LearningRuleContract):
        name = "idle"

    class NoisySuite(LearningRuleContract):
        name = "noisy"

    with pytest.raises(AssertionError, match="changed no weight while both layers spiked"):
        IdleSuite().test_weights_change_while_both_layers_spike(plugins)
    with pytest.raises(AssertionError, match="randomness must come only from the context's generator"):
        NoisySuite().test_the_same_seed_learns_the_same_weights(plugins)
