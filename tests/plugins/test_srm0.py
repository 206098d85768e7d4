"""``srm0``: firing rates against the escape-rate formula over many trials."""

import math

import pytest
import torch

from snnkit import Network
from snnkit.testing import NeuronContract

from .helpers import drive


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    assert plugins.get("neurons", "srm0").provider.distribution == "snnkit-plugins"


class TestSRM0Contract(NeuronContract):
    name = "srm0"
    deterministic = False


def escape_probability(v, v_thresh=-50.0, rho0=1.0, delta_u=5.0, dt=1.0):
    return 1.0 - math.exp(-rho0 * math.exp((v - v_thresh) / delta_u) * dt)


@pytest.mark.parametrize(("v_rest", "dt"), [(-55.0, 1.0), (-62.0, 1.0), (-50.0, 0.5)])
def test_rate_matches_escape_rate_without_refractoriness(plugins, v_rest, dt):
    layer = plugins.build("neurons", "srm0", 20000, v_rest=v_rest, v_reset=v_rest, refractory=0.0)
    spikes, _ = drive(layer, [0.0] * 20, dt=dt)
    p = escape_probability(v_rest, dt=dt)
    n = spikes.numel()
    assert spikes.float().mean().item() == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n))


def test_rate_with_refractory_period_is_that_of_a_renewal_process(plugins):
    # after each spike the neuron is silent for R steps, then fires with probability p per step:
    # mean interval R + 1/p, so the stationary rate is 1 / (R + 1/p) per step
    layer = plugins.build("neurons", "srm0", 5000, v_rest=-55.0, v_reset=-55.0, refractory=4.0)
    spikes, _ = drive(layer, [0.0] * 400)
    p = escape_probability(-55.0)
    rate = spikes[100:].float().mean().item()
    assert rate == pytest.approx(1.0 / (4 + 1.0 / p), rel=0.03)


def test_same_seed_same_spikes(plugins):
    def run(seed):
        net = Network(plugins=plugins, seed=seed)
        net.add_layer("n", "srm0", 100, v_rest=-55.0)
        net.add_monitor("n", "state", target="n")
        net.run(None, time=50)
        return net.monitors["n"].get("s")

    assert torch.equal(run(7), run(7)) and not torch.equal(run(7), run(8))
