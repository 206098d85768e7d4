"""The ``csrm`` neuron model against its kernels: the response to an input, refractoriness summed over all spikes."""

import math

import pytest
import torch

from snnkit.testing import NeuronContract

from .helpers import drive, spike_steps
from .neuron_helpers import (
    assert_learnable_gradients_match_finite_differences,
    assert_threshold_gets_a_surrogate_gradient,
)

V_REST, V_THRESH, TAU_MEM, TAU_SYN, TAU_REFR, ETA0 = -70.0, -50.0, 10.0, 2.5, 10.0, 30.0


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    component = plugins.get("neurons", "csrm")
    assert component.provider.distribution == "snnkit-plugins" and component.provider.plugin == "csrm"
    defaults = {p.name: p.default for p in component.parameters}
    assert (defaults["v_rest"], defaults["v_thresh"], defaults["eta0"]) == (V_REST, V_THRESH, ETA0)


class TestCSRMContract(NeuronContract):
    name = "csrm"


def eps(k, dt=1.0, tau_mem=TAU_MEM, tau_syn=TAU_SYN):
    """The response kernel at lag k steps: (1 - d_s)(d_m^k - d_s^k) / (d_m - d_s)."""
    d_m, d_s = math.exp(-dt / tau_mem), math.exp(-dt / tau_syn)
    return (1 - d_s) * (d_m**k - d_s**k) / (d_m - d_s)


def test_one_input_draws_the_response_kernel_and_inputs_superpose(plugins):
    layer = plugins.build("neurons", "csrm", 1)
    _, states = drive(layer, [4.0] + [0.0] * 39)
    assert [s.v.item() for s in states] == pytest.approx([V_REST + 4.0 * eps(k) for k in range(40)], abs=1e-12)
    _, states = drive(layer, [4.0, 0.0, 0.0, -3.0] + [0.0] * 16)  # linear below threshold
    expected = [V_REST + 4.0 * eps(k) - 3.0 * (eps(k - 3) if k >= 3 else 0.0) for k in range(20)]
    assert [s.v.item() for s in states] == pytest.approx(expected, abs=1e-12)


def test_the_kernel_converges_to_the_continuous_srm_kernel_and_its_peak():
    """As dt -> 0, eps -> tau_m / (tau_m - tau_s) (exp(-s / tau_m) - exp(-s / tau_s)), peaking at
    s* = tau_m tau_s / (tau_m - tau_s) ln(tau_m / tau_s) = 4.62 ms."""
    dt = 0.01
    continuous = [TAU_MEM / (TAU_MEM - TAU_SYN) * (math.exp(-s / TAU_MEM) - math.exp(-s / TAU_SYN)) for s in (2, 5, 20)]
    sampled = [eps(round(s / dt), dt) for s in (2, 5, 20)]
    assert sampled == pytest.approx(continuous, rel=1e-3)  # the normalisation's error is dt / (2 tau_syn)
    peak = TAU_MEM * TAU_SYN / (TAU_MEM - TAU_SYN) * math.log(TAU_MEM / TAU_SYN)
    assert max(range(2000), key=lambda k: eps(k, dt)) * dt == pytest.approx(peak, abs=dt)


def test_refractoriness_is_cumulative_over_all_past_spikes(plugins):
    """A strong input makes the neuron fire several times; eta is -eta0 summed over every spike,
    eta(t) = -eta0 sum_f exp(-(t - t_f) dt / tau_refr), not the last spike's alone (as in srm0)."""
    spikes, states = drive(plugins.build("neurons", "csrm", 1), [200.0] + [0.0] * 29)
    fired = spike_steps(spikes)
    assert len(fired) >= 3
    d_r = math.exp(-1.0 / TAU_REFR)
    for t, state in enumerate(states):
        expected = -ETA0 * sum(d_r ** (t - f) for f in fired if f <= t)
        assert state.eta.item() == pytest.approx(expected, abs=1e-12)
        assert state.v.item() == pytest.approx(V_REST + 200.0 * eps(t) + expected + ETA0 * (t in fired), abs=1e-9)
    last_only = -ETA0 * d_r ** (29 - fired[-1])
    assert states[-1].eta.item() < last_only - 1.0  # the earlier spikes still count


def test_spike_steps_for_a_constant_input_match_the_kernel_sums_by_hand(plugins):
    spikes, _ = drive(plugins.build("neurons", "csrm", 1), [3.0] * 120)
    d_r = math.exp(-1.0 / TAU_REFR)
    expected, last_only = [], []
    for t in range(120):
        psp = sum(3.0 * eps(t - s) for s in range(t + 1))
        if V_REST + psp - ETA0 * sum(d_r ** (t - f) for f in expected) >= V_THRESH:
            expected.append(t)
        if V_REST + psp - ETA0 * (d_r ** (t - last_only[-1]) if last_only else 0.0) >= V_THRESH:
            last_only.append(t)  # SRM0's refractoriness: the last spike's kernel alone
    assert spike_steps(spikes) == expected and len(expected) == 9
    assert len(last_only) == 11  # the accumulated kernels hold the rate lower


def test_learnable_parameters_get_exact_gradients(plugins):
    inputs = torch.tensor([[[1.0, 60.0]]] + [[[1.0, 0.0]]] * 7, dtype=torch.float64)  # the second fires
    names = ["v_rest", "tau_mem", "tau_syn", "tau_refr", "eta0"]
    assert_learnable_gradients_match_finite_differences(plugins, "csrm", names, inputs)
    assert_threshold_gets_a_surrogate_gradient(plugins, "csrm", inputs)


def test_invalid_parameters_are_refused(plugins):
    with pytest.raises(ValueError, match="tau_syn must be a positive"):
        plugins.build("neurons", "csrm", 2, tau_syn=0.0)
    with pytest.raises(ValueError, match="eta0 must be a non-negative"):
        plugins.build("neurons", "csrm", 2, eta0=-1.0)
