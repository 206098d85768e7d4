"""``conv2d``, ``local2d`` and ``maxpool2d`` against explicit reference computations."""

import pytest
import torch

from snnkit import Context, Network
from snnkit.errors import ShapeError
from snnkit.testing import ConnectionContract


@pytest.mark.parametrize("name", ["conv2d", "local2d", "maxpool2d"])
def test_discovered_through_the_snnkit_plugins_entry_point(plugins, name):
    assert plugins.get("connections", name).provider.distribution == "snnkit-plugins"


class TestConv2dContract(ConnectionContract):
    name = "conv2d"
    source_shape = (2, 6, 6)
    target_shape = (3, 2, 2)
    params = {"kernel_size": 3, "stride": 2}


class TestLocal2dContract(ConnectionContract):
    name = "local2d"
    source_shape = (2, 5, 5)
    target_shape = (3, 3, 3)
    params = {"kernel_size": 3, "padding": 0}


class TestMaxPool2dContract(ConnectionContract):
    name = "maxpool2d"
    source_shape = (2, 4, 4)
    target_shape = (2, 2, 2)
    params = {"kernel_size": 2}


def spikes(shape, batch=2, seed=0):
    return torch.rand(batch, *shape, generator=torch.Generator().manual_seed(seed)) < 0.4


def reference_local(x, weight_at, filters, out_h, out_w, k, stride, padding):
    """Explicit loops: out[b, f, y, x] = sum over the patch at (y, x) of weight_at(f, y, x) * input."""
    b = x.shape[0]
    xp = torch.nn.functional.pad(x.double(), (padding, padding, padding, padding))
    out = torch.zeros(b, filters, out_h, out_w, dtype=torch.float64)
    for f in range(filters):
        for y in range(out_h):
            for xx in range(out_w):
                patch = xp[:, :, y * stride : y * stride + k, xx * stride : xx * stride + k]
                out[:, f, y, xx] = (patch * weight_at(f, y, xx).double()).sum(dim=(1, 2, 3))
    return out


def test_conv2d_matches_explicit_loops(plugins):
    conv = plugins.build(
        "connections",
        "conv2d",
        (2, 7, 7),
        (3, 4, 4),
        kernel_size=3,
        stride=2,
        padding=1,
        weight="normal(0, 1)",
        generator=torch.Generator().manual_seed(0),
    )
    x = spikes((2, 7, 7))
    out, _ = conv(x, conv.initial_state(2), Context())
    expected = reference_local(x, lambda f, y, xx: conv.weight[f], 3, 4, 4, 3, 2, 1)
    torch.testing.assert_close(out.double(), expected, rtol=1e-5, atol=1e-5)


def test_local2d_matches_explicit_loops_with_a_kernel_per_location(plugins):
    conn = plugins.build(
        "connections",
        "local2d",
        (2, 5, 5),
        (3, 2, 2),
        kernel_size=3,
        stride=2,
        weight="normal(0, 1)",
        generator=torch.Generator().manual_seed(0),
    )
    assert conn.weight.shape == (3, 4, 2 * 3 * 3)
    x = spikes((2, 5, 5))
    out, _ = conn(x, conn.initial_state(2), Context())
    expected = reference_local(x, lambda f, y, xx: conn.weight[f, y * 2 + xx].reshape(2, 3, 3), 3, 2, 2, 3, 2, 0)
    torch.testing.assert_close(out.double(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["conv2d", "local2d"])
def test_add_outer_matches_the_synapses_it_stands_for(plugins, name):
    """Each weight changes by the sum of pre * post over every synapse that uses it."""
    conn = plugins.build("connections", name, (1, 3, 3), (1, 2, 2), kernel_size=2, weight=0.0)
    pre = torch.arange(9.0).reshape(1, 9)
    post = torch.tensor([[1.0, 0.0, 0.0, 2.0]])  # output locations (0, 0) and (1, 1)
    conn.add_outer(pre, post)
    image = pre.reshape(3, 3)
    patch00, patch11 = image[0:2, 0:2].flatten(), image[1:3, 1:3].flatten()
    if name == "conv2d":
        torch.testing.assert_close(conn.weight.flatten(), 1.0 * patch00 + 2.0 * patch11)
    else:
        expected = torch.zeros(1, 4, 4)
        expected[0, 0], expected[0, 3] = patch00, 2.0 * patch11
        torch.testing.assert_close(conn.weight, expected)


def test_conv2d_norm_is_per_filter(plugins):
    conv = plugins.build("connections", "conv2d", (2, 4, 4), (3, 2, 2), kernel_size=3, norm=1.5)
    torch.testing.assert_close(conv.weight.sum(dim=(1, 2, 3)), torch.full((3,), 1.5))


def test_wrong_target_shape_names_the_shape_needed(plugins):
    with pytest.raises(ShapeError, match=r"conv2d connection: .* expected shape \(4, 3, 3\), received \(4, 4, 4\)"):
        plugins.build("connections", "conv2d", (1, 5, 5), (4, 4, 4), kernel_size=3)
    with pytest.raises(ShapeError, match=r"source must be \[channels, height, width\]"):
        plugins.build("connections", "local2d", (25,), (1, 3, 3), kernel_size=3)


def test_maxpool_relays_the_most_active_neuron_of_each_window(plugins):
    pool = plugins.build("connections", "maxpool2d", (1, 2, 4), (1, 1, 2), kernel_size=2, tau_rate=1e9)
    history = torch.zeros(4, 1, 1, 2, 4, dtype=torch.bool)
    history[:3, 0, 0, 0, 0] = True  # window 0: neuron (0, 0) fires three times
    history[3, 0, 0, 1, 1] = True  # then neuron (1, 1) once: not relayed, (0, 0) is more active
    history[:, 0, 0, 1, 3] = True  # window 1: only neuron (1, 3) fires: always relayed
    state, outs = pool.initial_state(1), []
    for step in history:
        out, state = pool(step, state, Context())
        outs.append(out.flatten().tolist())
    assert outs == [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [0.0, 1.0]]


def test_maxpool_in_a_network(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "input", (1, 4, 4))
    net.add_layer("pool", "mcculloch-pitts", (1, 2, 2), threshold=0.5)
    net.add_connection("in", "pool", "maxpool2d", kernel_size=2)
    net.add_monitor("pool", "state", target="pool")
    x = torch.zeros(3, 1, 1, 4, 4)
    x[0, 0, 0, 3, 3] = 1.0
    net.run({"in": x}, time=3)
    assert net.monitors["pool"].get("s")[1].flatten().tolist() == [False, False, False, True]
