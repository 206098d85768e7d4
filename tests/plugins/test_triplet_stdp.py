"""``triplet-stdp``: the pair window at low rates and the frequency dependence of pairing protocols."""

import math

import pytest
import torch

from snnkit_plugins.learning.triplet_stdp import TripletSTDP

from .learning_helpers import apply_rule, pair


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    assert plugins.get("learning_rules", "triplet-stdp").provider.distribution == "snnkit-plugins"


def dense(plugins, w=0.5):
    return plugins.build("connections", "dense", 1, 1, weight=w)


@pytest.mark.parametrize("d", [-15, -3, 3, 15])
def test_isolated_pairs_follow_the_pair_terms(plugins, d):
    conn = dense(plugins)
    rule = TripletSTDP(a2_plus=0.01, a3_plus=0.0)
    apply_rule(rule, conn, *pair(30, 30 + d, steps=80))
    expected = 0.01 * math.exp(-d / 16.8) if d > 0 else -7e-3 * math.exp(d / 33.7)
    assert conn.weight.item() - 0.5 == pytest.approx(expected, rel=1e-4)


def test_triplet_term_needs_an_earlier_postsynaptic_spike(plugins):
    # post at 0, pre at 10, post at 20: the second post potentiates by r1 * (a2_plus + a3_plus * o2)
    conn = dense(plugins)
    pre = torch.zeros(30, 1, 1, dtype=torch.bool)
    post = torch.zeros(30, 1, 1, dtype=torch.bool)
    post[0], pre[10], post[20] = True, True, True
    apply_rule(TripletSTDP(), conn, pre, post)
    depression = -7e-3 * math.exp(-10 / 33.7)
    potentiation = math.exp(-10 / 16.8) * (5e-10 + 6.2e-3 * math.exp(-20 / 125))
    assert conn.weight.item() - 0.5 == pytest.approx(depression + potentiation, rel=1e-4)


def pairing_protocol(plugins, frequency_hz, delta_ms, pairings=15):
    """Total weight change after ``pairings`` pre/post pairs at a frequency, post ``delta`` after pre."""
    period = round(1000 / frequency_hz)
    start = 20
    steps = start + period * pairings + 50
    pre = torch.zeros(steps, 1, 1, dtype=torch.bool)
    post = torch.zeros(steps, 1, 1, dtype=torch.bool)
    for k in range(pairings):
        pre[start + k * period] = True
        post[start + k * period + delta_ms] = True
    conn = dense(plugins)
    apply_rule(TripletSTDP(), conn, pre, post)
    return conn.weight.item() - 0.5


def test_frequency_dependence_of_pairings_as_in_sjostrom_2001(plugins):
    """Post-before-pre pairings depress at low frequency and potentiate at high frequency;
    pre-before-post pairings potentiate more the higher the frequency (Pfister & Gerstner 2006, fig. 5)."""
    post_pre = {f: pairing_protocol(plugins, f, -10) for f in (1, 10, 20, 40, 50)}
    pre_post = {f: pairing_protocol(plugins, f, 10) for f in (1, 10, 20, 40, 50)}
    assert post_pre[1] < 0 and post_pre[10] < 0 and post_pre[20] < 0  # depression at low frequency
    assert post_pre[50] > 0  # turning into potentiation at high frequency
    assert post_pre[20] < post_pre[40] < post_pre[50]
    assert abs(pre_post[1]) < 1e-3  # isolated pre-post pairs barely change the weight (a2_plus ~ 0)
    assert all(pre_post[a] < pre_post[b] for a, b in ((1, 10), (10, 20), (20, 40), (40, 50)))
