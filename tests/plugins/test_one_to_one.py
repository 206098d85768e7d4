"""The ``one-to-one`` connection."""

import pytest
import torch

from snnkit import Context, Network
from snnkit.errors import ShapeError
from snnkit.testing import ConnectionContract


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    assert plugins.get("connections", "one-to-one").provider.distribution == "snnkit-plugins"


class TestOneToOneContract(ConnectionContract):
    name = "one-to-one"
    source_shape = (2, 3)
    target_shape = (6,)


def test_each_neuron_drives_its_partner(plugins):
    conn = plugins.build("connections", "one-to-one", (2, 2), 4, weight=torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    out, _ = conn(torch.tensor([[[True, False], [True, True]]]), conn.initial_state(1), Context())
    assert out.tolist() == [[1.0, 0.0, 3.0, 4.0]]


def test_learning_touches_the_diagonal_only(plugins):
    conn = plugins.build("connections", "one-to-one", 3, 3)
    conn.add_outer(torch.tensor([[1.0, 1.0, 0.0]]), torch.tensor([[2.0, 0.0, 2.0]]))
    assert conn.weight.tolist() == [3.0, 1.0, 1.0]


def test_sizes_must_match(plugins):
    with pytest.raises(ShapeError, match="as many neurons as the source"):
        plugins.build("connections", "one-to-one", 3, 4)
    net = Network(plugins=plugins)
    net.add_layer("a", "input", 5)
    net.add_layer("b", "lif", 5)
    net.add_connection("a", "b", "one-to-one", weight=20.0)
    net.add_monitor("b", "state", target="b")
    net.run({"a": torch.eye(5)[:, None, :]}, time=5)
    s = net.monitors["b"].get("s")[:, 0]
    assert [row.nonzero().flatten().tolist() for row in s] == [[], [0], [1], [2], [3]]
