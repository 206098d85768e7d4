"""The ``exp-if`` neuron model against its Euler recurrence, the leaky integrator's closed form and its rheobase."""

import math

import pytest
import torch

from snnkit.testing import NeuronContract
from snnkit_plugins.neurons.exp_if import rheobase

from .helpers import drive, spike_steps
from .neuron_helpers import assert_learnable_gradients_match_finite_differences


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    component = plugins.get("neurons", "exp-if")
    assert component.provider.distribution == "snnkit-plugins" and component.provider.plugin == "exp-if"
    defaults = {p.name: p.default for p in component.parameters}
    assert defaults["v_thresh"] == -55.0 and defaults["delta_t"] == 2.0 and defaults["tau_mem"] == 12.0


class TestExpIFContract(NeuronContract):
    name = "exp-if"


def by_hand(x, steps, v_rest=-65.0, v_reset=-68.0, v_t=-55.0, delta_t=2.0, v_peak=-30.0, tau=12.0, dt=1.0):
    """The model's Euler recurrence in plain floats: (spike steps, voltages)."""
    v, spikes, volts = v_rest, [], []
    for step in range(steps):
        v = v + dt / tau * (v_rest - v + delta_t * math.exp((min(v, v_peak) - v_t) / delta_t)) + x
        if v >= v_peak:
            spikes.append(step)
            v = v_reset
        volts.append(v)
    return spikes, volts


@pytest.mark.parametrize("x", [0.5, 1.5, 4.0])
def test_voltages_and_spike_steps_equal_the_euler_recurrence_by_hand(plugins, x):
    spikes, states = drive(plugins.build("neurons", "exp-if", 1), [x] * 150)
    expected_spikes, expected_volts = by_hand(x, 150)
    assert spike_steps(spikes) == expected_spikes
    assert [s.v.item() for s in states] == pytest.approx(expected_volts, abs=1e-9)
    if x > 1.0:
        assert len(expected_spikes) >= 3  # the suprathreshold cases fire repeatedly


def test_far_below_threshold_it_is_the_euler_leaky_integrator(plugins):
    """With v_thresh far away the exponential vanishes: v - v_rest = x (1 - (1 - dt/tau)^k) / (dt/tau)."""
    layer = plugins.build("neurons", "exp-if", 1, v_thresh=500.0, v_peak=1000.0, tau_mem=20.0)
    _, states = drive(layer, [3.0] * 40, dt=0.5)
    r = 0.5 / 20.0
    for k, state in enumerate(states, start=1):
        assert state.v.item() == pytest.approx(-65.0 + 3.0 * (1 - (1 - r) ** k) / r, abs=1e-9)


def fixed_point(x, v_rest=-65.0, v_t=-55.0, delta_t=2.0, tau=12.0, dt=1.0):
    """The stable rest under constant input: (v - v_rest) - delta_t exp((v - v_t) / delta_t) = x tau / dt
    with v < v_t, where the left side increases (its maximum, at v_t, is the rheobase)."""
    lo, hi = v_rest - 1.0, v_t
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if (mid - v_rest) - delta_t * math.exp((mid - v_t) / delta_t) < x * tau / dt:
            lo = mid
        else:
            hi = mid
    return lo


def test_rheobase_separates_rest_from_firing(plugins):
    x_rh = rheobase(-65.0, -55.0, 2.0, 12.0, 1.0)
    assert x_rh == pytest.approx(8.0 / 12.0)
    below, states = drive(plugins.build("neurons", "exp-if", 1), [0.99 * x_rh] * 1500)
    assert not below.any()
    assert states[-1].v.item() == pytest.approx(fixed_point(0.99 * x_rh), abs=1e-6)
    above, _ = drive(plugins.build("neurons", "exp-if", 1), [1.01 * x_rh] * 1500)
    assert above.any()


def test_learnable_threshold_and_time_constant_get_exact_gradients(plugins):
    inputs = torch.tensor([[[0.9, 4.0]]] * 8, dtype=torch.float64)  # the second neuron fires and resets
    assert_learnable_gradients_match_finite_differences(plugins, "exp-if", ["v_thresh", "tau_mem", "v_reset"], inputs)


def test_invalid_parameters_are_refused(plugins):
    with pytest.raises(ValueError, match="delta_t must be a positive"):
        plugins.build("neurons", "exp-if", 2, delta_t=0.0)
    with pytest.raises(ValueError, match="v_peak must lie above v_thresh"):
        plugins.build("neurons", "exp-if", 2, v_thresh=-20.0)
    with pytest.raises(ValueError, match="cannot learn 'tau'; did you mean 'tau_mem'"):
        plugins.build("neurons", "exp-if", 2, learnable=["tau"])
