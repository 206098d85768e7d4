"""The ``stp`` connection (Tsodyks-Markram short-term plasticity) against the model's closed-form steady state."""

import math

import pytest
import torch

from snnkit import Context, Network
from snnkit.testing import ConnectionContract
from snnkit_plugins.connections.stp import steady_state


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    component = plugins.get("connections", "stp")
    assert component.provider.distribution == "snnkit-plugins" and component.provider.plugin == "stp"
    defaults = {p.name: p.default for p in component.parameters}
    assert (defaults["synapse"], defaults["utilization"], defaults["tau_depr"]) == ("dense", 0.5, 800.0)


class TestSTPContract(ConnectionContract):
    name = "stp"
    params = {"utilization": 0.3, "tau_facil": 100.0, "weight": "uniform(0, 1)"}


class TestSTPOnOneToOneContract(ConnectionContract):
    name = "stp"
    source_shape = (2, 3)
    target_shape = (6,)
    params = {"synapse": "one-to-one", "weight": 2.0}


class TestSTPOnDelayedDenseContract(ConnectionContract):
    """A wrapped connection with its own state (a delay line) keeps it inside stp's state."""

    name = "stp"
    params = {"delay": torch.zeros(6, 4, dtype=torch.long)}


def efficacies(conn, period, spikes_count, dt=1.0):
    """The efficacy (output / weight) of each spike of a regular train of ``period`` steps."""
    state, out = conn.initial_state(1, dtype=torch.float64), []
    for step in range(period * spikes_count):
        s = torch.tensor([[1.0 if step % period == 0 else 0.0]], dtype=torch.float64)
        delivered, state = conn(s, state, Context(dt=dt))
        if step % period == 0:
            out.append(delivered.item() / conn.weight.item())
    return out


@pytest.mark.parametrize(
    ("utilization", "tau_facil", "tau_depr", "period", "dt", "count"),
    [
        (0.5, 0.0, 800.0, 25, 1.0, 40),  # depression at 40 Hz (Tsodyks & Markram 1997)
        (0.03, 530.0, 130.0, 5, 4.0, 250),  # a facilitating synapse at 50 Hz (Markram, Wang & Tsodyks 1998)
        (0.2, 50.0, 100.0, 10, 1.0, 60),  # both, at 100 Hz
    ],
)
def test_a_regular_train_reaches_the_closed_form_steady_state(
    plugins, utilization, tau_facil, tau_depr, period, dt, count
):
    conn = plugins.build(
        "connections", "stp", 1, 1, weight=1.5, utilization=utilization, tau_facil=tau_facil, tau_depr=tau_depr
    ).double()
    values = efficacies(conn, period, count, dt)
    interval = period * dt  # ms
    f = math.exp(-interval / tau_facil) if tau_facil else 0.0
    d = math.exp(-interval / tau_depr)
    # every spike follows the recursion u_{n+1} = u_n f + U (1 - u_n f), x_{n+1} = x_n (1 - u_n) d + 1 - d
    u, x = utilization, 1.0
    for value in values:
        assert value == pytest.approx(u * x, rel=1e-9)
        u, x = u * f + utilization * (1 - u * f), x * (1 - u) * d + 1 - d
    # whose fixed point is the closed form
    u_star = utilization / (1 - (1 - utilization) * f)
    x_star = (1 - d) / (1 - (1 - u_star) * d)
    assert steady_state(utilization, tau_facil, tau_depr, interval) == pytest.approx((u_star, x_star), rel=1e-12)
    assert values[-1] == pytest.approx(u_star * x_star, rel=1e-6)
    if tau_facil > 3 * tau_depr:  # facilitation dominates: the efficacy grows along the train
        assert values[1] > values[0]
    elif not tau_facil:
        assert values[-1] < values[0]  # depression


def test_in_a_network_the_target_receives_weight_times_efficacy_and_a_monitor_reads_u_and_x(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "input", 1)
    net.add_layer("out", "lif", 1, v_thresh=1e9, tau_mem=1e12, refractory=0.0)
    net.add_connection("in", "out", "stp", weight=2.0, utilization=0.5, tau_depr=100.0)
    net.add_monitor("syn", "state", target="in->out", variables=["u", "x"])
    net.add_monitor("v", "state", target="out", variables=["v"])
    x = torch.zeros(12, 1, 1, dtype=torch.bool)
    x[0] = x[5] = True
    net.run({"in": x}, time=12)
    resources = net.monitors["syn"].get("x").flatten().tolist()
    v = net.monitors["v"].get("v").flatten().tolist()
    second = 1 - 0.5 * math.exp(-5 / 100.0)  # x just before the spike of step 5
    # one step of delay: the spikes of steps 0 and 5 arrive in steps 1 and 6
    assert resources[1] == pytest.approx(0.5) and resources[6] == pytest.approx(second * 0.5, rel=1e-6)
    assert v[1] - v[0] == pytest.approx(2.0 * 0.5, rel=1e-5)
    assert v[6] - v[5] == pytest.approx(2.0 * 0.5 * second, rel=1e-5)
    assert net.monitors["syn"].get("u").flatten()[6].item() == pytest.approx(0.5)


def test_weights_learn_through_the_wrapper(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "input", 3)
    net.add_layer("out", "lif", 2)
    conn = net.add_connection("in", "out", "stp", weight=10.0, rule="post-pre", tau_facil=20.0)
    before = conn.weight.clone()
    net.run({"in": torch.ones(20, 1, 3, dtype=torch.bool)}, time=20)
    assert conn.weight is conn.synapse.weight and not torch.equal(before, conn.weight)


def test_gradients_reach_the_weights_and_silent_sources(plugins):
    conn = plugins.build("connections", "stp", 3, 2, weight=1.0, learnable=True, utilization=0.4)
    s = torch.tensor([[1.0, 0.0, 1.0]], requires_grad=True)
    out, _ = conn(s, conn.initial_state(1), Context())
    out.sum().backward()
    # each source's gradient is the efficacy its spike has (U from rest) times its two weights
    assert s.grad.flatten().tolist() == pytest.approx([0.8, 0.8, 0.8])
    assert conn.weight.grad.flatten().tolist() == pytest.approx([0.4, 0.4, 0.0, 0.0, 0.4, 0.4])


def test_wraps_a_built_connection_and_refuses_what_it_cannot_take(plugins):
    inner = plugins.build("connections", "dense", 2, 2, weight=1.0)
    conn = plugins.build("connections", "stp", 2, 2, synapse=inner, utilization=1.0)
    out, _ = conn(torch.ones(1, 2), conn.initial_state(1), Context())
    assert out.tolist() == [[2.0, 2.0]] and conn.synapse is inner
    with pytest.raises(ValueError, match="already built"):
        plugins.build("connections", "stp", 2, 2, synapse=inner, weight=3.0)
    with pytest.raises(ValueError, match="synapse connects"):
        plugins.build("connections", "stp", 3, 2, synapse=inner)
    with pytest.raises(ValueError, match="utilization must be a fraction"):
        plugins.build("connections", "stp", 2, 2, utilization=0.0)
    with pytest.raises(ValueError, match="tau_depr must be a non-negative"):
        plugins.build("connections", "stp", 2, 2, tau_depr=-1.0)
