"""The ``qif`` neuron model against its fixed points, its rheobase and the closed-form firing period."""

import math

import pytest
import torch

from snnkit.testing import NeuronContract

from .helpers import drive, spike_steps
from .neuron_helpers import assert_learnable_gradients_match_finite_differences

V_REST, V_THRESH, V_PEAK, V_RESET, TAU = -65.0, -50.0, 30.0, -70.0, 10.0


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    component = plugins.get("neurons", "qif")
    assert component.provider.distribution == "snnkit-plugins" and component.provider.plugin == "qif"
    defaults = {p.name: p.default for p in component.parameters}
    assert (defaults["v_rest"], defaults["v_thresh"], defaults["v_peak"]) == (V_REST, V_THRESH, V_PEAK)
    assert (defaults["v_reset"], defaults["tau_mem"]) == (V_RESET, TAU)


class TestQIFContract(NeuronContract):
    name = "qif"


def by_hand(x, steps, dt=1.0):
    v, spikes = V_REST, []
    for step in range(steps):
        u = min(v, V_PEAK)
        v = v + dt / TAU * (u - V_REST) * (u - V_THRESH) / (V_THRESH - V_REST) + x
        if v >= V_PEAK:
            spikes.append(step)
            v = V_RESET
    return spikes


def test_spike_steps_for_a_constant_input_equal_the_euler_recurrence_by_hand(plugins):
    spikes, _ = drive(plugins.build("neurons", "qif", 1), [1.0] * 200)
    assert spike_steps(spikes) == by_hand(1.0, 200) and len(by_hand(1.0, 200)) >= 5


def test_rheobase_and_the_sub_threshold_fixed_point(plugins):
    """Fixed points of (v - v_rest)(v - v_thresh) / (v_thresh - v_rest) + x tau / dt = 0 exist up to
    x_rh = dt / tau (v_thresh - v_rest) / 4; below it v settles at the lower root."""
    x_rh = 1.0 / TAU * (V_THRESH - V_REST) / 4
    below, _ = drive(plugins.build("neurons", "qif", 1), [0.95 * x_rh] * 400)
    above, _ = drive(plugins.build("neurons", "qif", 1), [1.05 * x_rh] * 400)  # the ODE fires after 281 ms
    assert not below.any() and above.any()
    x, gap = 0.8 * x_rh, V_THRESH - V_REST
    _, states = drive(plugins.build("neurons", "qif", 1), [x] * 400)
    lower_root = 0.5 * (V_REST + V_THRESH - math.sqrt(gap**2 - 4 * x * TAU * gap))
    assert states[-1].v.item() == pytest.approx(lower_root, abs=1e-6)


def test_firing_period_converges_to_the_closed_form_of_the_ode(plugins):
    """With u = v - (v_rest + v_thresh) / 2 and h = (v_thresh - v_rest) / 2, tau du/dt = (u^2 + c^2) / 2h for
    input I (mV) above rheobase, c^2 = 2 h I - h^2: from reset to peak takes
    T = 2 h tau / c (atan(u_peak / c) - atan(u_reset / c)), 50.31 ms for I = 7.5 mV (twice the rheobase)."""
    dt, current = 0.1, 7.5
    h, middle = (V_THRESH - V_REST) / 2, (V_THRESH + V_REST) / 2
    c = math.sqrt(2 * h * current - h * h)
    period = 2 * h * TAU / c * (math.atan((V_PEAK - middle) / c) - math.atan((V_RESET - middle) / c))
    assert period == pytest.approx(50.3134, abs=1e-4)
    spikes, _ = drive(plugins.build("neurons", "qif", 1), [current * dt / TAU] * 1100, dt=dt)
    first, second = spike_steps(spikes)[:2]
    assert (second - first) * dt == pytest.approx(period, rel=0.005)  # Euler's error at dt = tau / 100


def test_learnable_parameters_get_exact_gradients(plugins):
    inputs = torch.tensor([[[0.3, 30.0]]] * 8, dtype=torch.float64)  # the second neuron fires and resets
    assert_learnable_gradients_match_finite_differences(
        plugins, "qif", ["v_rest", "v_thresh", "tau_mem", "v_reset"], inputs
    )


def test_invalid_parameters_are_refused(plugins):
    with pytest.raises(ValueError, match="v_thresh must lie between v_rest and v_peak"):
        plugins.build("neurons", "qif", 2, v_thresh=-70.0)
    with pytest.raises(ValueError, match="tau_mem must be a positive"):
        plugins.build("neurons", "qif", 2, tau_mem=-1.0)
