"""The ``dense`` connection."""

import pytest
import torch

from snnkit import Context, Network
from snnkit.errors import ShapeError
from snnkit.testing import ConnectionContract


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    assert plugins.get("connections", "dense").provider.distribution == "snnkit-plugins"


class TestDenseContract(ConnectionContract):
    name = "dense"


class TestDense2DContract(ConnectionContract):
    name = "dense"
    source_shape = (2, 3)
    target_shape = (2, 2)


def test_delivers_spikes_times_weights(plugins):
    w = torch.arange(12.0).reshape(4, 3)
    conn = plugins.build("connections", "dense", 4, 3, weight=w)
    spikes = torch.tensor([[True, False, True, False], [False, False, False, True]])
    out, _ = conn(spikes, conn.initial_state(2), Context())
    assert out.tolist() == [[w[0, 0] + w[2, 0], w[0, 1] + w[2, 1], w[0, 2] + w[2, 2]], w[3].tolist()]


def test_default_weights_lie_within_finite_bounds(plugins):
    conn = plugins.build("connections", "dense", 50, 40, wmin=-1.0, wmax=2.0, generator=torch.Generator())
    assert conn.weight.min() >= -1.0 and conn.weight.max() <= 2.0
    assert conn.weight.min() < -0.9 and conn.weight.max() > 1.9  # spread over the whole range
    unbounded = plugins.build("connections", "dense", 50, 40)
    assert unbounded.weight.min() >= 0.0 and unbounded.weight.max() < 0.3


def test_norm_scales_incoming_weights_per_target(plugins):
    conn = plugins.build("connections", "dense", 10, 4, norm=5.0)
    torch.testing.assert_close(conn.weight.sum(0), torch.full((4,), 5.0))
    with torch.no_grad():
        conn.weight[0] += 1.0
    conn.constrain()
    torch.testing.assert_close(conn.weight.sum(0), torch.full((4,), 5.0))


def test_weight_of_the_wrong_shape_is_refused(plugins):
    with pytest.raises(ShapeError, match=r"expected shape \(4, 3\), received \(3, 4\)"):
        plugins.build("connections", "dense", 4, 3, weight=torch.zeros(3, 4))


def test_network_passes_its_seeded_generator(plugins):
    def weights(seed):
        net = Network(plugins=plugins, seed=seed)
        net.add_layer("a", "input", 5)
        net.add_layer("b", "lif", 5)
        return net.add_connection("a", "b", "dense").weight

    assert torch.equal(weights(1), weights(1)) and not torch.equal(weights(1), weights(2))
