"""The ``dense`` connection: reference computations, options, delays and event-driven propagation."""

import math

import pytest
import torch

from snnkit import Context, Network
from snnkit.errors import ShapeError
from snnkit.init import WeightSpecError
from snnkit.testing import ConnectionContract


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    assert plugins.get("connections", "dense").provider.distribution == "snnkit-plugins"


class TestDenseContract(ConnectionContract):
    name = "dense"


class TestDense2DContract(ConnectionContract):
    name = "dense"
    source_shape = (2, 3)
    target_shape = (2, 2)


class TestDenseDelayedContract(ConnectionContract):
    name = "dense"
    params = {"delay": torch.zeros(6, 4, dtype=torch.long)}


def step(conn, spikes, state=None):
    state = conn.initial_state(spikes.shape[0]) if state is None else state
    return conn(spikes, state, Context())


def test_delivers_spikes_times_weights(plugins):
    w = torch.arange(12.0).reshape(4, 3)
    conn = plugins.build("connections", "dense", 4, 3, weight=w)
    spikes = torch.tensor([[True, False, True, False], [False, False, False, True]])
    out, _ = step(conn, spikes)
    assert out.tolist() == [(w[0] + w[2]).tolist(), w[3].tolist()]


@pytest.mark.parametrize("density", [0.0, 0.01, 0.05, 0.3, 1.0])
@pytest.mark.parametrize("batch", [1, 5])
def test_event_driven_and_dense_products_agree(plugins, density, batch):
    g = torch.Generator().manual_seed(3)
    event = plugins.build("connections", "dense", 500, 300, weight="normal(0, 1)", generator=g)
    dense = plugins.build("connections", "dense", 500, 300, weight=event.weight.clone(), event_threshold=0.0)
    spikes = torch.rand(batch, 500, generator=g) < density
    expected = spikes.double() @ event.weight.double()  # reference in float64
    for conn in (event, dense):
        torch.testing.assert_close(step(conn, spikes)[0].double(), expected, rtol=1e-5, atol=1e-4)


def test_real_valued_input_goes_through_both_paths(plugins):
    conn = plugins.build("connections", "dense", 50, 4, weight="uniform(0, 1)")
    x = torch.zeros(2, 50)
    x[0, 3], x[1, 7] = 0.5, -2.0
    torch.testing.assert_close(step(conn, x)[0], x @ conn.weight)


@pytest.mark.parametrize("batch", [1, 3])
def test_event_driven_learning_updates_equal_the_full_update(plugins, batch):
    """500 x 300 = 150,000 synapses: add_outer visits only the rows of active sources (depression)
    or the columns of a few active targets (potentiation), or the whole matrix when many fire.
    Rows of spikes times a rate get the full update's weights bit for bit (one rounding per
    weight); everything agrees with a float64 reference to float rounding."""
    g = torch.Generator().manual_seed(4)
    conn = plugins.build("connections", "dense", 500, 300, weight="uniform(0, 1)", generator=g)
    pre_spikes = (torch.rand(batch, 500, generator=g) < 0.02).float()
    x_pre, x_post = torch.rand(batch, 500, generator=g), torch.rand(batch, 300, generator=g)
    few, many = [(torch.rand(batch, 300, generator=g) < p).float() for p in (0.01, 0.3)]
    updates = {
        "rows, shared value": (-1e-4 * pre_spikes, x_post),
        "columns": (x_pre, 1e-2 * few),
        "whole matrix": (x_pre, 1e-2 * many),
        "rows, values differ": (x_pre * pre_spikes, x_post),
    }
    for name, (a, c) in updates.items():
        before = conn.weight.detach().clone()
        conn.add_outer(a, c)
        after = conn.weight.detach()
        full = before.addmm(a.T, c)
        if batch == 1 and name in ("rows, shared value", "whole matrix"):
            assert torch.equal(after, full), name
        reference = before.double() + a.double().T @ c.double()
        assert (after.double() - reference).abs().max() < 1e-6, name
        assert not ((after != before) & ((a.T @ c) == 0)).any(), name  # no other synapse moved


def test_weight_initialisation_by_name_is_seeded(plugins):
    def weights(spec, seed=0, **kw):
        return plugins.build(
            "connections", "dense", 200, 100, weight=spec, generator=torch.Generator().manual_seed(seed), **kw
        ).weight

    u = weights("uniform(0.2, 0.4)")
    assert 0.2 <= u.min() < 0.21 and 0.39 < u.max() < 0.4
    assert torch.equal(u, weights("uniform(0.2, 0.4)")) and not torch.equal(u, weights("uniform(0.2, 0.4)", seed=1))
    n = weights("normal(1.0, 0.5)")
    assert n.mean().item() == pytest.approx(1.0, abs=0.01) and n.std().item() == pytest.approx(0.5, abs=0.01)
    assert (weights("constant(0.7)") == 0.7).all() and (weights(0.7) == 0.7).all()
    bounded = weights("uniform", wmin=-1.0, wmax=1.0)
    assert bounded.min() < -0.99 and bounded.max() > 0.99
    assert weights("normal(0, 1)", wmin=-0.5, wmax=0.5).abs().max() <= 0.5  # random weights respect bounds
    with pytest.raises(WeightSpecError, match="'gauss\\(0, 1\\)': unknown distribution"):
        weights("gauss(0, 1)")
    with pytest.raises(WeightSpecError, match="normal takes 2 arguments"):
        weights("normal(1)")
    with pytest.raises(ShapeError, match=r"expected shape \(200, 100\), received \(100, 200\)"):
        weights(torch.zeros(100, 200))


def test_bias_is_added_every_step(plugins):
    conn = plugins.build("connections", "dense", 3, 2, weight=1.0, bias=torch.tensor([0.5, -1.0]))
    out, _ = step(conn, torch.tensor([[False, False, False], [True, True, False]]))
    assert out.tolist() == [[0.5, -1.0], [2.5, 1.0]]
    assert set(conn.state_dict()) == {"weight", "bias"}


def test_mask_keeps_missing_synapses_at_zero_through_learning(plugins):
    mask = torch.tensor([[True, False], [False, True]])
    conn = plugins.build("connections", "dense", 2, 2, weight=1.0, mask=mask)
    assert conn.weight.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    conn.add_outer(torch.ones(1, 2), torch.ones(1, 2))
    conn.constrain()
    assert conn.weight.tolist() == [[2.0, 0.0], [0.0, 2.0]]


def test_dale_keeps_each_source_sign(plugins):
    w = torch.tensor([[0.5, 0.1], [-0.2, -0.4]])
    conn = plugins.build("connections", "dense", 2, 2, weight=w, dale=True)
    conn.add_outer(torch.tensor([[1.0, -1.0]]), torch.tensor([[-1.0, 1.0]]))  # pushes both rows across zero
    conn.constrain()
    # without Dale's rule: [[-0.5, 1.1], [0.8, -1.4]]; each row keeps its sign instead
    torch.testing.assert_close(conn.weight, torch.tensor([[0.0, 1.1], [0.0, -1.4]]))


def test_norm_scales_incoming_weights_per_target(plugins):
    conn = plugins.build("connections", "dense", 10, 4, norm=5.0)
    torch.testing.assert_close(conn.weight.sum(0), torch.full((4,), 5.0))
    with torch.no_grad():
        conn.weight[0] += 1.0
    conn.renormalize()
    torch.testing.assert_close(conn.weight.sum(0), torch.full((4,), 5.0))


def test_learning_runs_flush_weights_that_shrink_below_the_smallest_normal_float(plugins):
    # weight decay of 0.05/ms for 2000 steps scales by e^-100 = 3.7e-44: subnormal in float32,
    # which computes as slowly as it carries nothing; the flush after the run makes them 0.
    tiny = torch.finfo(torch.float32).tiny
    net = Network(plugins=plugins)
    net.add_layer("a", "input", 2)
    net.add_layer("b", "lif", 2)
    conn = net.add_connection("a", "b", "dense", weight=torch.tensor([[1.0, 1e30], [1.0, 1e30]]), weight_decay=0.05)
    net.run(None, time=2000)
    assert conn.weight[:, 0].tolist() == [0.0, 0.0]
    assert (conn.weight[:, 1] > tiny).all()  # 1e30 * e^-100 = 3.7e-14: normal, kept
    assert conn.weight[:, 1].tolist() == pytest.approx([1e30 * math.exp(-100.0)] * 2, rel=1e-3)


def test_renormalize_leaves_no_subnormal_weight(plugins):
    conn = plugins.build("connections", "dense", 3, 2, norm=1.0)
    with torch.no_grad():
        conn.weight.copy_(torch.tensor([[1.0, 1.0], [1e-39, 0.5], [-1e-40, 0.5]]))
    conn.renormalize()
    assert conn.weight.tolist() == [[1.0, 0.5], [0.0, 0.25], [0.0, 0.25]]


def test_weight_decay_shrinks_weights_while_learning_only(plugins):
    net = Network(plugins=plugins)
    net.add_layer("a", "input", 2)
    net.add_layer("b", "lif", 2)
    conn = net.add_connection("a", "b", "dense", weight=1.0, weight_decay=0.01)
    net.run(None, time=10)
    assert conn.weight.flatten().tolist() == pytest.approx([math.exp(-0.1)] * 4)
    net.eval()
    net.run(None, time=10)
    assert conn.weight.flatten().tolist() == pytest.approx([math.exp(-0.1)] * 4)


def delivery_steps(plugins, **params):
    """Steps at which each of 2 target neurons receives a spike sent by source 0 at step 0."""
    net = Network(plugins=plugins)
    net.add_layer("in", "input", 2)
    net.add_layer("out", "mcculloch-pitts", 2, threshold=0.5)
    net.add_connection("in", "out", "dense", weight=torch.tensor([[1.0, 1.0], [0.0, 0.0]]), **params)
    net.add_monitor("out", "state", target="out")
    x = torch.zeros(12, 1, 2)
    x[0, 0, 0] = 1.0
    net.run({"in": x}, time=12)
    s = net.monitors["out"].get("s")[:, 0]
    return [s[:, j].nonzero().flatten().tolist() for j in range(2)]


def test_connection_delay_delivers_exactly_d_steps_later(plugins):
    assert delivery_steps(plugins) == [[1], [1]]  # the one-step delay every connection has
    assert delivery_steps(plugins, delay=4) == [[5], [5]]


def test_per_synapse_delays(plugins):
    delays = torch.tensor([[2, 7], [0, 0]])
    assert delivery_steps(plugins, delay=delays) == [[3], [8]]
    assert delivery_steps(plugins, delay=delays, event_threshold=0.0) == [[3], [8]]


def test_per_synapse_delays_against_a_reference(plugins):
    g = torch.Generator().manual_seed(0)
    delays = torch.randint(0, 5, (30, 20), generator=g)
    conn = plugins.build("connections", "dense", 30, 20, weight="normal(0, 1)", delay=delays, generator=g)
    spikes = torch.rand(15, 3, 30, generator=g) < 0.2
    state, outs = conn.initial_state(3), []
    for t in range(15):
        out, state = conn(spikes[t], state, Context())
        outs.append(out)
    for t in (4, 9, 14):
        expected = torch.zeros(3, 20)
        for i in range(30):
            for j in range(20):
                d = int(delays[i, j])
                if t - d >= 0:
                    expected[:, j] += conn.weight[i, j] * spikes[t - d, :, i]
        torch.testing.assert_close(outs[t], expected)


def test_bad_per_synapse_delays_are_refused(plugins):
    with pytest.raises(ShapeError, match="per-synapse delays"):
        plugins.build("connections", "dense", 3, 2, delay=torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="non-negative integers"):
        plugins.build("connections", "dense", 3, 2, delay=torch.full((3, 2), 1.5))
    with pytest.raises(ValueError, match="non-negative number of steps"):
        plugins.build("connections", "dense", 3, 2, delay=-1)


def test_network_passes_its_seeded_generator(plugins):
    def weights(seed):
        net = Network(plugins=plugins, seed=seed)
        net.add_layer("a", "input", 5)
        net.add_layer("b", "lif", 5)
        return net.add_connection("a", "b", "dense").weight

    assert torch.equal(weights(1), weights(1)) and not torch.equal(weights(1), weights(2))
