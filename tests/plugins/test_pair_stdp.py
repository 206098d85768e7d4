"""``post-pre``, ``weight-dependent-post-pre`` and ``hebbian``: the STDP window by hand, soft bounds."""

import math

import pytest
import torch

from snnkit.testing import LearningRuleContract
from snnkit_plugins.learning.hebbian import Hebbian
from snnkit_plugins.learning.post_pre import PostPre
from snnkit_plugins.learning.weight_dependent_post_pre import WeightDependentPostPre

from .learning_helpers import apply_rule, pair

NU = (0.002, 0.01)
TC_PRE, TC_POST = 15.0, 30.0


@pytest.mark.parametrize("name", ["post-pre", "weight-dependent-post-pre", "hebbian"])
def test_discovered_through_the_snnkit_plugins_entry_point(plugins, name):
    rule = plugins.get("learning_rules", name)
    assert rule.provider.distribution == "snnkit-plugins"
    assert {p.name: p.default for p in rule.parameters}["nu"] == (1e-4, 1e-2)


def window(kind, d, w0=0.5, wmin=0.0, wmax=1.0):
    """The weight change for one pair, post ``d`` steps after pre (dt = 1 ms), computed by hand."""
    if d > 0:
        change = NU[1] * math.exp(-d / TC_PRE)
        return change * (wmax - w0) if kind == "weight-dependent" else change
    if d < 0:
        change = NU[0] * math.exp(d / TC_POST)
        if kind == "hebbian":
            return change
        return -change * (w0 - wmin) if kind == "weight-dependent" else -change
    if kind == "hebbian":
        return NU[0] + NU[1]
    if kind == "weight-dependent":  # depression is applied first within a step
        w1 = w0 - NU[0] * (w0 - wmin)
        return w1 - w0 + NU[1] * (wmax - w1)
    return NU[1] - NU[0]


RULES = {
    "post-pre": lambda: PostPre(NU, tc_pre=TC_PRE, tc_post=TC_POST),
    "weight-dependent": lambda: WeightDependentPostPre(NU, tc_pre=TC_PRE, tc_post=TC_POST),
    "hebbian": lambda: Hebbian(NU, tc_pre=TC_PRE, tc_post=TC_POST),
}


def build(plugins, connection):
    """A 1 -> 1 synapse of weight 0.5 with bounds [0, 1] of the given connection type."""
    if connection == "dense":
        return plugins.build("connections", "dense", 1, 1, weight=0.5, wmin=0.0, wmax=1.0)
    if connection == "sparse":
        return plugins.build(
            "connections", "sparse", 1, 1, indices=torch.tensor([[0], [0]]), weight=0.5, wmin=0.0, wmax=1.0
        )
    return plugins.build("connections", "conv2d", (1, 1, 1), (1, 1, 1), kernel_size=1, weight=0.5, wmin=0.0, wmax=1.0)


@pytest.mark.parametrize("connection", ["dense", "sparse", "conv2d"])
@pytest.mark.parametrize("kind", sorted(RULES))
@pytest.mark.parametrize("d", [-20, -5, -1, 0, 1, 5, 20])
def test_single_pair_matches_the_window_computed_by_hand(plugins, kind, d, connection):
    conn = build(plugins, connection)
    t_pre = 25
    apply_rule(RULES[kind](), conn, *pair(t_pre, t_pre + d))
    assert conn.weight.flatten().item() - 0.5 == pytest.approx(window(kind, d), rel=1e-4, abs=1e-9)


def test_all_to_all_traces_sum_over_earlier_spikes(plugins):
    conn = build(plugins, "dense")
    pre = torch.zeros(30, 1, 1, dtype=torch.bool)
    post = torch.zeros(30, 1, 1, dtype=torch.bool)
    pre[5], pre[10], post[20] = True, True, True
    apply_rule(PostPre((0.0, 0.01), tc_pre=10.0, trace_additive=True), conn, pre, post)
    expected = 0.01 * (math.exp(-15 / 10) + math.exp(-10 / 10))
    assert conn.weight.item() - 0.5 == pytest.approx(expected, rel=1e-5)
    nearest = build(plugins, "dense")
    apply_rule(PostPre((0.0, 0.01), tc_pre=10.0), nearest, pre, post)  # reset-to-one: nearest spike only
    assert nearest.weight.item() - 0.5 == pytest.approx(0.01 * math.exp(-1.0), rel=1e-5)


def test_soft_bounds_keep_weights_inside_and_shrink_updates_near_them(plugins):
    g = torch.Generator().manual_seed(0)
    conn = plugins.build("connections", "dense", 30, 20, weight="uniform(0, 1)", wmin=0.0, wmax=1.0, generator=g)
    pre = torch.rand(300, 2, 30, generator=g) < 0.2
    post = torch.rand(300, 2, 20, generator=g) < 0.2
    apply_rule(WeightDependentPostPre((0.3, 0.3)), conn, pre, post)  # large rates, no clamp applied
    assert conn.weight.min() >= 0.0 and conn.weight.max() <= 1.0
    # the same potentiating pair moves a weight near wmax much less than one in the middle
    changes = []
    for w0 in (0.5, 0.95):
        c = plugins.build("connections", "dense", 1, 1, weight=w0, wmin=0.0, wmax=1.0)
        apply_rule(WeightDependentPostPre((0.0, 0.1)), c, *pair(5, 6))
        changes.append(c.weight.item() - w0)
    assert changes[1] == pytest.approx(changes[0] * 0.05 / 0.5, rel=1e-4)


def test_weight_dependent_rule_needs_finite_bounds(plugins):
    conn = plugins.build("connections", "dense", 2, 2)
    with pytest.raises(ValueError, match="finite wmin and wmax"):
        WeightDependentPostPre().initial_state(conn, 1)


def test_bad_reduction_suggests_the_closest(plugins):
    with pytest.raises(ValueError, match="unknown batch reduction 'means'; did you mean 'mean'"):
        plugins.build("learning_rules", "post-pre", reduction="means")
    with pytest.raises(ValueError, match="'mean', 'sum', 'first-spiking'"):
        plugins.build("learning_rules", "post-pre", reduction="first")


@pytest.mark.parametrize("kind", ["post-pre", "weight-dependent", "hebbian"])
@pytest.mark.parametrize("connection", ["dense", "sparse"])
def test_first_spiking_reduction_learns_each_target_from_its_first_spiking_sample(plugins, kind, connection):
    """Each target's column changes exactly as if only the sample that first made it spike ran."""
    g = torch.Generator().manual_seed(3)
    steps, batch, n_src, n_tgt = 40, 4, 12, 6
    pre = torch.rand(steps, batch, n_src, generator=g) < 0.3
    post = torch.rand(steps, batch, n_tgt, generator=g) < 0.08
    post[:, :, 5] = False  # a target that never spikes learns nothing
    post[10, 0, 4] = post[10, 2, 4] = True  # a tie: the lower sample index wins
    post[:10, :, 4] = False

    def conn():
        if connection == "sparse":
            indices = torch.cartesian_prod(torch.arange(n_src), torch.arange(n_tgt)).T
            return plugins.build("connections", "sparse", n_src, n_tgt, indices=indices, weight=0.5, wmin=0.0, wmax=1.0)
        return plugins.build("connections", "dense", n_src, n_tgt, weight=0.5, wmin=0.0, wmax=1.0)

    def dense_weight(c):
        return c.weight.to_dense().reshape(n_src, n_tgt) if connection == "sparse" else c.weight

    rule = RULES[kind]()
    rule.reduction = "first-spiking"
    batched = conn()
    apply_rule(rule, batched, pre, post)

    first = torch.where(post.any(0), post.float().argmax(0), steps).to(torch.float64)  # [batch, target]
    first = first + torch.arange(batch).unsqueeze(1) / batch  # ties go to the lower index
    owner = first.argmin(0)
    expected = dense_weight(conn()).clone().detach()
    for b in range(batch):
        alone = conn()
        apply_rule(RULES[kind](), alone, pre[:, b : b + 1], post[:, b : b + 1])
        mine = owner == b
        expected[:, mine] = dense_weight(alone).detach()[:, mine]
    assert owner[4] == 0 and (dense_weight(batched)[:, 5] == 0.5).all()
    torch.testing.assert_close(dense_weight(batched).detach(), expected)


def test_first_spiking_reduction_at_batch_one_is_the_sum(plugins):
    g = torch.Generator().manual_seed(4)
    pre, post = torch.rand(50, 1, 8, generator=g) < 0.3, torch.rand(50, 1, 5, generator=g) < 0.1
    weights = []
    for reduction in ("sum", "first-spiking"):
        c = plugins.build("connections", "dense", 8, 5, weight=0.5)
        apply_rule(PostPre(NU, reduction=reduction), c, pre, post)
        weights.append(c.weight)
    assert torch.equal(*weights) and not torch.equal(weights[0], torch.full((8, 5), 0.5))


class TestPostPreContract(LearningRuleContract):
    name = "post-pre"
    params = {"nu": (1e-2, 1e-2)}
