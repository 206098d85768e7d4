"""The ``conductance-lif`` neuron model against its conductance-weighted equilibrium and exact relaxation."""

import math

import pytest
import torch

from snnkit import Context
from snnkit.testing import NeuronContract
from snnkit_plugins.neurons.conductance_lif import ConductanceLIFState

from .helpers import drive, spike_steps
from .neuron_helpers import (
    assert_learnable_gradients_match_finite_differences,
    assert_threshold_gets_a_surrogate_gradient,
)

V_REST, E_EXC, E_INH, TAU = -60.0, 0.0, -80.0, 20.0


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    component = plugins.get("neurons", "conductance-lif")
    assert component.provider.distribution == "snnkit-plugins" and component.provider.plugin == "conductance-lif"
    defaults = {p.name: p.default for p in component.parameters}
    assert (defaults["e_exc"], defaults["e_inh"], defaults["tau_exc"], defaults["tau_inh"]) == (0.0, -80.0, 5.0, 10.0)


class TestConductanceLIFContract(NeuronContract):
    name = "conductance-lif"
    drive = 2.0  # conductance increments, in units of the leak conductance


def test_held_conductances_relax_the_membrane_exactly_to_their_equilibrium(plugins):
    """v_inf = (v_rest + g_e e_exc + g_i e_inh) / (1 + g_e + g_i), reached as exp(-k dt (1 + g_e + g_i) / tau)."""
    layer = plugins.build("neurons", "conductance-lif", 1, tau_exc=1e12, tau_inh=1e12).double()
    g_e, g_i = 0.3, 0.8
    v_inf = (V_REST + g_e * E_EXC + g_i * E_INH) / (1 + g_e + g_i)
    assert v_inf == pytest.approx(-59.047619, abs=1e-6)  # below threshold: the membrane only relaxes
    full = torch.full((1, 1), 1.0, dtype=torch.float64)
    state = ConductanceLIFState(-65.0 * full, g_e * full, g_i * full, 0.0 * full)
    for k in range(1, 201):
        spikes, state = layer(torch.zeros(1, 1, dtype=torch.float64), state, Context(dt=0.5))
        assert not spikes.any()
        expected = v_inf + (-65.0 - v_inf) * math.exp(-k * 0.5 * (1 + g_e + g_i) / TAU)
        assert state.v.item() == pytest.approx(expected, abs=1e-8)
    assert state.v.item() == pytest.approx(v_inf, abs=1e-3)


def test_constant_excitatory_input_settles_at_the_steady_state_formula(plugins):
    """Input x per step holds g_e at x / (1 - exp(-dt / tau_exc)), so v -> (v_rest + g_e e_exc) / (1 + g_e)."""
    x = 0.02
    _, states = drive(plugins.build("neurons", "conductance-lif", 1), [x] * 300)
    g_e = x / (1 - math.exp(-1.0 / 5.0))
    assert states[-1].g_exc.item() == pytest.approx(g_e, abs=1e-12) and states[-1].g_inh.item() == 0.0
    assert states[-1].v.item() == pytest.approx((V_REST + g_e * E_EXC) / (1 + g_e), abs=1e-6)


def test_the_sign_of_the_input_opens_excitatory_or_inhibitory_conductance(plugins):
    _, states = drive(plugins.build("neurons", "conductance-lif", 1), [0.5, -0.25, 0.0])
    decay_e, decay_i = math.exp(-1.0 / 5.0), math.exp(-1.0 / 10.0)
    assert [s.g_exc.item() for s in states] == pytest.approx([0.5, 0.5 * decay_e, 0.5 * decay_e**2])
    assert [s.g_inh.item() for s in states] == pytest.approx([0.0, 0.25, 0.25 * decay_i])


def test_inhibition_saturates_at_its_reversal_potential(plugins):
    """However strong, inhibitory input cannot take v below e_inh (a current-based model would)."""
    _, states = drive(plugins.build("neurons", "conductance-lif", 1), [-50.0] * 30)
    volts = [s.v.item() for s in states]
    assert all(v > E_INH for v in volts) and volts[-1] == pytest.approx(E_INH, abs=0.05)


def test_spike_steps_and_refractory_hold_match_the_recurrence_by_hand(plugins):
    """Input x = 0.2 per step: g_e, then exact relaxation; spike at -50 mV, v held at -60 mV for 5 steps."""
    spikes, states = drive(plugins.build("neurons", "conductance-lif", 1), [0.2] * 80)
    g, v, refractory, expected = 0.0, V_REST, 0, []
    for step in range(80):
        g = g * math.exp(-1.0 / 5.0) + 0.2
        if refractory:
            refractory -= 1
            continue
        v_inf = (V_REST + g * E_EXC) / (1 + g)
        v = v_inf + (v - v_inf) * math.exp(-(1 + g) / TAU)
        if v >= -50.0:
            expected.append(step)
            v, refractory = V_REST, 5
    assert spike_steps(spikes) == expected and len(expected) >= 4
    first = expected[0]
    assert [s.v.item() for s in states[first : first + 6]] == [V_REST] * 6  # reset, then held


def test_learnable_parameters_get_exact_gradients(plugins):
    inputs = torch.tensor([[[0.05, -0.1]]] * 4 + [[[0.6, 0.0]]] * 4, dtype=torch.float64)
    names = ["v_rest", "v_reset", "tau_mem", "tau_exc", "tau_inh"]
    assert_learnable_gradients_match_finite_differences(plugins, "conductance-lif", names, inputs)
    assert_threshold_gets_a_surrogate_gradient(plugins, "conductance-lif", inputs)


def test_invalid_parameters_are_refused(plugins):
    with pytest.raises(ValueError, match="tau_inh must be a positive"):
        plugins.build("neurons", "conductance-lif", 2, tau_inh=0.0)
    with pytest.raises(ValueError, match="v_thresh must lie between e_inh and e_exc"):
        plugins.build("neurons", "conductance-lif", 2, e_exc=-55.0)
