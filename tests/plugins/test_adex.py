"""The ``adex`` neuron model against its Euler recurrence, its fixed point and its rheobase (Brette & Gerstner 2005)."""

import itertools
import math

import pytest
import torch

from snnkit.testing import NeuronContract
from snnkit_plugins.neurons.adex import rheobase

from .helpers import drive, spike_steps
from .neuron_helpers import assert_learnable_gradients_match_finite_differences

E_L, V_T, DELTA_T, V_PEAK, TAU, TAU_W, A, B = -70.6, -50.4, 2.0, -40.4, 281.0 / 30.0, 144.0, 4.0 / 30.0, 80.5 / 30.0


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    component = plugins.get("neurons", "adex")
    assert component.provider.distribution == "snnkit-plugins" and component.provider.plugin == "adex"
    defaults = {p.name: p.default for p in component.parameters}
    assert defaults["v_rest"] == E_L and defaults["tau_w"] == TAU_W
    assert defaults["a"] * 30.0 == pytest.approx(4.0) and defaults["b"] * 30.0 == pytest.approx(80.5)  # nS, pA


class TestAdExContract(NeuronContract):
    name = "adex"


def by_hand(x, steps, dt=1.0):
    """The model's Euler recurrence in plain floats: (spike steps, v, w)."""
    v, w, spikes, vs, ws = E_L, 0.0, [], [], []
    for step in range(steps):
        dv = dt / TAU * (E_L - v + DELTA_T * math.exp((min(v, V_PEAK) - V_T) / DELTA_T) - w)
        dw = dt / TAU_W * (A * (v - E_L) - w)
        v, w = v + dv + x, w + dw
        if v >= V_PEAK:
            spikes.append(step)
            v, w = E_L, w + B
        vs.append(v)
        ws.append(w)
    return spikes, vs, ws


def test_voltages_adaptation_and_spike_steps_equal_the_euler_recurrence_by_hand(plugins):
    spikes, states = drive(plugins.build("neurons", "adex", 1), [5.0] * 200)
    expected_spikes, vs, ws = by_hand(5.0, 200)
    assert spike_steps(spikes) == expected_spikes and len(expected_spikes) >= 8
    assert [s.v.item() for s in states] == pytest.approx(vs, abs=1e-9)
    assert [s.w.item() for s in states] == pytest.approx(ws, abs=1e-9)


def test_each_spike_adds_b_and_the_intervals_grow(plugins):
    """Spike-frequency adaptation: w jumps by b at each spike, so successive intervals lengthen."""
    spikes, states = drive(plugins.build("neurons", "adex", 1), [5.0] * 300)
    steps = spike_steps(spikes)
    for t in steps:  # the jump: w after the spike step minus its Euler update from the step before
        v, w = states[t - 1].v.item(), states[t - 1].w.item()
        assert states[t].w.item() - (w + (A * (v - E_L) - w) / TAU_W) == pytest.approx(B, abs=1e-12)
    intervals = [b - a for a, b in itertools.pairwise(steps)]
    assert all(b >= a for a, b in itertools.pairwise(intervals)) and intervals[-1] > intervals[0]


def fixed_point(x, dt=1.0):
    """Stable rest under constant input x per step: (1 + a)(v - E_L) - delta_t exp((v - V_T) / delta_t) = x tau / dt
    with v below V_T + delta_t ln(1 + a), where the left side peaks (and equals the rheobase); w = a (v - E_L)."""
    lo, hi = E_L - 1.0, V_T + DELTA_T * math.log1p(A)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if (1 + A) * (mid - E_L) - DELTA_T * math.exp((mid - V_T) / DELTA_T) < x * TAU / dt:
            lo = mid
        else:
            hi = mid
    return lo, A * (lo - E_L)


def test_rheobase_separates_a_stable_rest_from_repetitive_firing(plugins):
    x_rh = rheobase(E_L, V_T, DELTA_T, TAU, A, 1.0)
    # Brette & Gerstner's cell: I_rh = (g_L + a)(V_T - E_L - delta_t + delta_t ln(1 + a / g_L)) = 0.627 nA
    assert x_rh * 30.0 / 1.0 * TAU / 1000.0 == pytest.approx(0.6273, abs=1e-4)
    below, states = drive(plugins.build("neurons", "adex", 1), [0.98 * x_rh] * 2000)
    assert spike_steps(below) == [41]  # one onset spike while w is still small, then rest
    v, w = fixed_point(0.98 * x_rh)
    assert states[-1].v.item() == pytest.approx(v, abs=1e-6) and states[-1].w.item() == pytest.approx(w, abs=1e-6)
    above, _ = drive(plugins.build("neurons", "adex", 1), [1.02 * x_rh] * 2000)
    assert len(spike_steps(above)) >= 6 and spike_steps(above)[-1] > 1700  # it keeps firing


def test_learnable_parameters_get_exact_gradients(plugins):
    inputs = torch.tensor([[[1.0, 12.0]]] * 8, dtype=torch.float64)  # the second neuron fires and adapts
    names = ["v_thresh", "tau_mem", "tau_w", "a", "b"]
    assert_learnable_gradients_match_finite_differences(plugins, "adex", names, inputs, variable="w")


def test_invalid_parameters_are_refused(plugins):
    with pytest.raises(ValueError, match="tau_w must be a positive"):
        plugins.build("neurons", "adex", 2, tau_w=0.0)
    with pytest.raises(ValueError, match="v_reset must lie below v_peak"):
        plugins.build("neurons", "adex", 2, v_reset=-30.0)
    with pytest.raises(ValueError, match="cannot learn 'tau'; did you mean"):
        plugins.build("neurons", "adex", 2, learnable=["tau"])
