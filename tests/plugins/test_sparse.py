"""The ``sparse`` connection: reference computations, learning on existing synapses only, delays."""

import pytest
import torch

from snnkit import Context, LearningRule, Network
from snnkit.testing import ConnectionContract


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    assert plugins.get("connections", "sparse").provider.distribution == "snnkit-plugins"


class TestSparseContract(ConnectionContract):
    name = "sparse"
    params = {"p": 0.5}


def dense_equivalent(conn):
    w = torch.zeros(conn.source_size, conn.target_size, dtype=torch.float64)
    w[conn.pre, conn.post] = conn.weight.double()
    return w


def test_random_connectivity_has_the_requested_density_and_is_seeded(plugins):
    def build(seed):
        return plugins.build("connections", "sparse", 300, 200, p=0.05, generator=torch.Generator().manual_seed(seed))

    a, b, c = build(0), build(0), build(1)
    assert a.weight.numel() == pytest.approx(0.05 * 300 * 200, rel=0.05)
    assert torch.equal(a.indices, b.indices) and not torch.equal(a.indices, c.indices)
    key = a.pre * 200 + a.post
    assert torch.equal(key, key.sort().values)  # sorted by source, no duplicates
    assert key.unique().numel() == key.numel()


@pytest.mark.parametrize("density", [0.0, 0.02, 0.5])
def test_output_matches_the_dense_equivalent_on_both_paths(plugins, density):
    g = torch.Generator().manual_seed(1)
    event = plugins.build("connections", "sparse", 400, 100, p=0.1, weight="normal(0, 1)", generator=g)
    summed = plugins.build(
        "connections", "sparse", 400, 100, indices=event.indices, weight=event.weight, event_threshold=0.0
    )
    spikes = torch.rand(4, 400, generator=g) < density
    expected = spikes.double() @ dense_equivalent(event)
    for conn in (event, summed):
        out, _ = conn(spikes, conn.initial_state(4), Context())
        torch.testing.assert_close(out.double(), expected, rtol=1e-5, atol=1e-4)


def test_explicit_indices_are_reordered_with_their_weights(plugins):
    indices = torch.tensor([[2, 0, 1], [0, 1, 1]])
    conn = plugins.build("connections", "sparse", 3, 2, indices=indices, weight=torch.tensor([3.0, 1.0, 2.0]))
    assert conn.indices.tolist() == [[0, 1, 2], [1, 1, 0]]
    assert conn.weight.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="more than once"):
        plugins.build("connections", "sparse", 3, 2, indices=torch.tensor([[0, 0], [1, 1]]))
    with pytest.raises(ValueError, match=r"target indices must lie in \[0, 2\)"):
        plugins.build("connections", "sparse", 3, 2, indices=torch.tensor([[0], [2]]))


def test_learning_changes_only_existing_synapses(plugins):
    conn = plugins.build("connections", "sparse", 50, 40, p=0.1, weight=0.5, generator=torch.Generator().manual_seed(2))
    before = dense_equivalent(conn)
    conn.add_outer(torch.ones(3, 50), torch.ones(3, 40))  # potentiate every possible pair
    after = dense_equivalent(conn)
    exists = before != 0
    assert torch.equal(after[~exists], before[~exists])  # absent synapses stay absent
    torch.testing.assert_close(after[exists], before[exists] + 3.0)


def test_a_sparse_network_learns(plugins):
    """A rule updating through add_outer changes the sparse weights inside Network.run."""

    class OuterHebb(LearningRule):
        def forward(self, connection, pre, post, state, ctx, reward=None):
            connection.add_outer(0.1 * pre.spikes.float(), post.spikes.float())
            return state

    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "input", 20)
    net.add_layer("out", "lif", 10)
    conn = net.add_connection("in", "out", "sparse", p=0.3, weight=5.0, wmax=6.0, rule=OuterHebb())
    before = conn.weight.clone()
    net.run({"in": torch.ones(20, 1, 20)}, time=20)
    assert (conn.weight > before).any() and conn.weight.max() <= 6.0
    assert conn.weight.numel() == before.numel()


def test_norm_and_bounds(plugins):
    conn = plugins.build("connections", "sparse", 30, 5, p=0.5, norm=2.0, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(dense_equivalent(conn).sum(0), torch.full((5,), 2.0, dtype=torch.float64))


def test_per_synapse_delays(plugins):
    conn = plugins.build(
        "connections", "sparse", 2, 2, indices=torch.tensor([[0, 0], [0, 1]]), weight=1.0, delay=torch.tensor([0, 3])
    )
    state, outs = conn.initial_state(1), []
    for t in range(6):
        out, state = conn(torch.tensor([[t == 0, False]]), state, Context())
        outs.append(out[0].tolist())
    assert outs == [[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]]


def test_state_dict_carries_the_connectivity(plugins):
    a = plugins.build("connections", "sparse", 20, 10, p=0.2, generator=torch.Generator().manual_seed(0))
    b = plugins.build("connections", "sparse", 20, 10, p=0.6, generator=torch.Generator().manual_seed(1))
    b.load_state_dict(a.state_dict())
    assert torch.equal(a.indices, b.indices) and torch.equal(a.weight, b.weight)
    spikes = torch.rand(2, 20, generator=torch.Generator().manual_seed(2)) < 0.3
    assert torch.equal(a(spikes, a.initial_state(2), Context())[0], b(spikes, b.initial_state(2), Context())[0])
