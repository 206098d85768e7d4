"""The ``increasing-inhibition`` model (Hazan, Saunders et al. 2018): grid inhibition growing with distance."""

import math
from importlib.metadata import entry_points

import pytest
import torch

from snnkit_plugins.models.increasing_inhibition import GrowingInhibition, grid_distances


def test_the_model_is_registered_through_its_entry_point(plugins):
    assert "increasing-inhibition" in {ep.name for ep in entry_points(group="snnkit")}
    assert plugins.get("models", "increasing-inhibition").provider.distribution == "snnkit-plugins"


def test_structure_and_the_inhibition_between_two_neurons_is_the_formula_of_their_distance(plugins):
    net = plugins.build("models", "increasing-inhibition", n_neurons=16, inh=100.0, norm=50.0, plugins=plugins)
    assert list(net.layers) == ["X", "Y"] and (net.input_layer, net.output_layer) == ("X", "Y")
    w_in = net.connections["X->Y"].weight
    torch.testing.assert_close(w_in.sum(0), torch.full((16,), 50.0))
    w = net.connections["Y->Y"].weight  # [source, target]; neuron i at row i // 4, column i % 4
    d_max = math.hypot(3, 3)
    # neuron 5 is (1, 1), neuron 7 is (1, 3): 2 apart; neuron 0 (0, 0) and 15 (3, 3): the farthest
    assert w[5, 7].item() == pytest.approx(-100.0 * math.sqrt(2 / d_max))
    assert w[7, 5].item() == w[5, 7].item()
    assert w[0, 15].item() == pytest.approx(-100.0) and w.min().item() == pytest.approx(-100.0)
    assert w[0, 1].item() == pytest.approx(-100.0 * math.sqrt(1 / d_max))  # grid neighbours: weakest
    assert (w.diagonal() == 0).all() and (w[~torch.eye(16, dtype=torch.bool)] < 0).all()
    assert "Y->Y" not in net.rules and "X->Y" in net.rules  # the inhibition is fixed unless it grows


def test_grid_distances_and_a_grid_that_is_not_square():
    d = grid_distances(9)
    assert d[0, 8].item() == pytest.approx(math.sqrt(8)) and d[4, 1].item() == 1.0
    with pytest.raises(ValueError, match=r"square grid.*got 10"):
        grid_distances(10)


def test_inhibition_grows_towards_its_final_strength_with_the_time_constant(plugins):
    net = plugins.build(
        "models",
        "increasing-inhibition",
        n_inputs=4,
        n_neurons=4,
        inh=60.0,
        inh_start=10.0,
        tc_grow=50.0,
        plugins=plugins,
    )
    w0 = net.connections["Y->Y"].weight.detach().clone()
    assert w0[0, 3].item() == pytest.approx(-10.0)  # opposite corners of the 2 x 2 grid
    net.train(True)
    net.run({"X": torch.zeros(20, 1, 4, dtype=torch.bool)}, time=20)
    w = net.connections["Y->Y"].weight
    # strength after n = 20 steps of 1 ms: inh + (inh_start - inh) (1 - dt/tc)^n
    expected = 60.0 + (10.0 - 60.0) * (1 - 1 / 50.0) ** 20
    assert w[0, 3].item() == pytest.approx(-expected, rel=1e-5)
    torch.testing.assert_close(w / w[0, 3], w0 / w0[0, 3])  # the distance profile is unchanged
    net.train(False)  # no growth while testing
    net.run({"X": torch.zeros(5, 1, 4, dtype=torch.bool)}, time=5)
    assert net.connections["Y->Y"].weight[0, 3].item() == pytest.approx(-expected, rel=1e-5)


def test_growing_rule_refuses_a_time_constant_that_is_not_positive():
    with pytest.raises(ValueError, match="tc_grow must be a positive time in ms, got 0"):
        GrowingInhibition(torch.zeros(2, 2), tc_grow=0.0)
