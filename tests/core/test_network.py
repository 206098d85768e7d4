"""The Network's step semantics, modes, state handling and errors, with the toy components."""

import pytest
import torch

from snnkit import Network
from snnkit.errors import NetworkError, ShapeError

from .toys import Adaptive, Full, Relay


def chain(plugins, order=("in", "a", "b")) -> Network:
    """in -> a -> b, each a relay neuron with weight 1, layers added in ``order``."""
    net = Network(plugins=plugins, seed=0)
    for name in order:
        net.add_layer(name, "relay", 2)
    net.add_connection("in", "a", "full")
    net.add_connection("a", "b", "full", weight=0.5)
    for name in ("in", "a", "b"):
        net.add_monitor(name, "recorder", target=name, variables=["s"])
    return net


def pulse(time=5, batch=1) -> torch.Tensor:
    x = torch.zeros(time, batch, 2)
    x[0, :, 0] = 1.0  # one spike from input neuron 0 at step 0
    return x


def spike_steps(net, layer):
    s = net.monitors[layer].get("s")  # [time, batch, 2]
    return s.any(dim=2)[:, 0].nonzero().flatten().tolist()


@pytest.mark.parametrize("order", [("in", "a", "b"), ("b", "a", "in"), ("a", "b", "in")])
def test_each_connection_delivers_previous_step_spikes_whatever_the_order(plugins, order):
    net = chain(plugins, order)
    net.run({"in": pulse()}, time=5)
    assert spike_steps(net, "in") == [0]
    assert spike_steps(net, "a") == [1]  # one step later
    assert spike_steps(net, "b") == [2]  # one more step later; 2 inputs x 0.5 reach the threshold
    assert net.state.time == 5


def test_inputs_from_several_connections_are_summed(plugins):
    net = Network(plugins=plugins)
    for name in ("x", "y"):
        net.add_layer(name, "relay", 1)
    net.add_layer("sum", "relay", 1, threshold=1.5)
    net.add_connection("x", "sum", "full")
    net.add_connection("y", "sum", "full")
    net.add_monitor("sum", "recorder", target="sum", variables=["v"])
    both = torch.ones(2, 1, 1)
    net.run({"x": both, "y": both}, time=2)
    assert net.monitors["sum"].get("v").flatten().tolist() == [0.0, 2.0]


def test_run_continues_from_the_current_state_until_reset(plugins):
    net = chain(plugins)
    x = pulse(time=1)
    net.run({"in": x}, time=1)
    net.run({"in": torch.zeros(1, 1, 2)}, time=1)  # the spike emitted at step 0 arrives now
    assert net.monitors["a"].get("s")[1].any()
    net.reset_state()
    assert net.monitors["a"].steps == [] and net.state is None
    net.run({"in": torch.zeros(1, 1, 2)}, time=1)
    assert not net.monitors["a"].get("s").any()


def test_clamp_forces_spikes(plugins):
    net = chain(plugins)
    clamp = torch.tensor([False, True])
    net.run({"in": torch.zeros(3, 1, 2)}, time=3, clamp={"b": clamp})
    s = net.monitors["b"].get("s")[:, 0]
    assert s[:, 1].all() and not s[:, 0].any()


def test_suppress_removes_spikes_after_clamp(plugins):
    net = chain(plugins)
    net.run({"in": torch.ones(4, 1, 2)}, time=4)  # drive that makes "b" fire
    assert net.monitors["b"].get("s")[:, 0].any()
    net.reset_state()
    per_step = torch.tensor([[True, False], [True, False], [False, False], [False, False]])[:, None]
    net.run({"in": torch.ones(4, 1, 2)}, time=4, clamp={"b": torch.tensor([True, True])}, suppress={"b": per_step})
    s = net.monitors["b"].get("s")[:, 0]
    assert torch.equal(s, ~per_step[:, 0])  # clamped on everywhere, then suppressed where asked
    with pytest.raises(ShapeError, match="suppress for layer 'b'"):
        net.run(None, time=1, suppress={"b": torch.ones(3, dtype=torch.bool)})


def learning_net(plugins) -> Network:
    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "relay", 3)
    net.add_layer("out", "adaptive", 2)
    net.add_connection("in", "out", "full", rule="hebb")
    return net


def drive(time=10):
    return torch.ones(time, 1, 3)


def test_training_changes_weights_and_thresholds(plugins):
    net = learning_net(plugins)
    w0 = net.connections["in->out"].weight.clone()
    net.run({"in": drive()}, time=10)
    assert (net.connections["in->out"].weight > w0).all()
    assert (net.layers["out"].theta > 1).all()


@pytest.mark.parametrize("freeze", ["eval", "learning=False"])
def test_eval_and_learning_false_freeze_every_plastic_quantity(plugins, freeze):
    net = learning_net(plugins)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    if freeze == "eval":
        net.eval()
        net.run({"in": drive()}, time=10)
    else:
        net.run({"in": drive()}, time=10, learning=False)
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    net.train()
    net.run({"in": drive()}, time=10)
    assert not torch.equal(before["layers.out.theta"], net.state_dict()["layers.out.theta"])


def test_learning_rule_sees_delivered_pre_spikes_and_reward(plugins):
    net = learning_net(plugins)
    net.run({"in": drive(3)}, time=3, reward=torch.tensor([[0.5], [1.0], [-1.0]]))
    rule = net.rules["in->out"]
    assert [r.tolist() for r in rule.rewards] == [[0.5], [1.0], [-1.0]]
    net.run({"in": drive(2)}, time=2, reward=2.0)
    assert [r.tolist() for r in rule.rewards[3:]] == [[2.0], [2.0]]
    with pytest.raises(ShapeError, match="reward"):
        net.run({"in": drive(2)}, time=2, reward=torch.zeros(5))


def test_state_dict_round_trip_restores_everything_learned(plugins):
    net = learning_net(plugins)
    net.run({"in": drive()}, time=10)
    saved = net.state_dict()
    assert set(saved) == {"connections.in->out.weight", "layers.out.theta"}
    assert all(isinstance(v, torch.Tensor) for v in saved.values())  # nothing pickled but tensors
    fresh = learning_net(plugins)
    fresh.load_state_dict(saved)
    for net_ in (net, fresh):
        net_.reset_state()
        net_.add_monitor("out", "recorder", target="out")
        net_.eval()
        net_.run({"in": drive()}, time=10)
    assert torch.equal(net.monitors["out"].get("s"), fresh.monitors["out"].get("s"))


def test_batch_matches_samples_run_one_by_one(plugins):
    def run(x):
        net = Network(plugins=plugins)
        net.add_layer("in", "relay", 3)
        net.add_layer("out", "adaptive", 2, tau=5.0)
        net.add_connection("in", "out", "full", weight=0.4)
        net.add_monitor("out", "recorder", target="out", variables=["s", "v"])
        net.eval()
        net.run({"in": x}, time=x.shape[0])
        return net.monitors["out"].get("v")

    x = (torch.rand(30, 4, 3, generator=torch.Generator().manual_seed(1)) < 0.4).float()
    together = run(x)
    for b in range(4):
        assert torch.equal(together[:, b], run(x[:, b : b + 1])[:, 0])


def test_a_changed_batch_size_starts_from_a_fresh_state(plugins):
    net = chain(plugins)
    net.run({"in": pulse(batch=2)}, time=5)
    assert net.state.batch_size == 2
    net.reset_state()
    net.run({"in": pulse(batch=3)}, time=5)
    assert net.state.batch_size == 3
    batch3 = net.monitors["b"].get("s")
    assert batch3.shape == (5, 3, 2) and (batch3.any(dim=2)[:, :].nonzero()[:, 0] == 2).all()
    net.run({"in": pulse(batch=1)}, time=5)  # no reset: the state is rebuilt, not broadcast wrongly
    assert net.state.batch_size == 1 and net.state.time == 5


def test_seed_repeats_stochastic_runs_exactly(plugins):
    def run(seed):
        net = Network(plugins=plugins, seed=seed)
        net.add_layer("noise", "coin", 50)
        net.add_monitor("noise", "recorder", target="noise")
        net.run(None, time=20)
        return net.monitors["noise"].get("s")

    assert torch.equal(run(3), run(3))
    assert not torch.equal(run(3), run(4))


def test_to_moves_the_transient_state(plugins):
    net = chain(plugins)
    net.run({"in": pulse(time=2)}, time=2)
    net.double()
    assert net.state.layers["a"].v.dtype == torch.float64
    assert net.state.spikes["a"].dtype == torch.bool
    net.run({"in": pulse(time=2).double()}, time=2)
    assert net.state.layers["a"].v.dtype == torch.float64


# -- errors --------------------------------------------------------------------------------------


def test_connection_shape_mismatch_names_layer_and_shapes(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "relay", 784)
    net.add_layer("exc", "relay", 100)
    with pytest.raises(ShapeError) as info:
        net.add_connection("in", "exc", Full(100, 100))
    assert str(info.value) == "connection 'in->exc' source (layer 'in'): expected shape (784,), received (100,)."
    with pytest.raises(ShapeError, match=r"target \(layer 'exc'\): expected shape \(100,\), received \(10,\)"):
        net.add_connection("in", "exc", Full(784, 10))


def test_input_shape_errors_name_layer_expected_and_received(plugins):
    net = chain(plugins)
    with pytest.raises(ShapeError) as info:
        net.run({"in": torch.zeros(5, 2)}, time=5)
    assert "input for layer 'in'" in str(info.value)
    assert "expected shape (5, 'batch', 2), received (5, 2)" in str(info.value)
    with pytest.raises(ShapeError, match=r"expected shape \(4, 'batch', 2\), received \(5, 1, 2\)"):
        net.run({"in": torch.zeros(5, 1, 2)}, time=4)
    with pytest.raises(ShapeError, match="same batch size"):
        net.add_layer("in2", "relay", 2)
        net.run({"in": torch.zeros(5, 1, 2), "in2": torch.zeros(5, 3, 2)}, time=5)
    with pytest.raises(ShapeError, match="clamp for layer 'b'"):
        net.run(None, time=2, clamp={"b": torch.ones(3, dtype=torch.bool)})


def test_unknown_layers_and_variables_suggest_the_closest(plugins):
    net = chain(plugins)
    with pytest.raises(NetworkError, match="source layer 'inn' does not exist; did you mean 'in'"):
        net.add_connection("inn", "a", "full")
    with pytest.raises(NetworkError, match="input layer 'aa' does not exist; did you mean 'a'"):
        net.run({"aa": torch.zeros(1, 1, 2)}, time=1)
    with pytest.raises(NetworkError, match=r"'a' has no variable 'vv'; did you mean 'v'\? Its variables: s, v"):
        net.add_monitor("bad", "recorder", target="a", variables=["vv"])
    with pytest.raises(NetworkError, match="neither a layer nor a connection"):
        net.add_monitor("bad", "recorder", target="nowhere")
    with pytest.raises(NetworkError, match="already exists"):
        net.add_layer("a", "relay", 2)
    with pytest.raises(NetworkError, match="give its shape"):
        net.add_layer("c", "relay")
    with pytest.raises(ValueError, match="positive number of steps"):
        net.run(None, time=0)


def test_connection_weights_and_monitor_of_weights(plugins):
    net = learning_net(plugins)
    net.add_monitor("w", "recorder", target="in->out", variables=["weight"])
    net.run({"in": drive(3)}, time=3)
    w = net.monitors["w"].get("weight")
    assert w.shape == (3, 3, 2) and (w[1:] > w[:-1]).all()  # copies per step, growing


def test_relay_layer_built_from_object(plugins):
    net = Network(plugins=plugins)
    layer = net.add_layer("r", Relay(3))
    assert net.layers["r"] is layer
    with pytest.raises(ShapeError):
        net.add_layer("q", Adaptive(3), shape=4)


def test_connection_delay_holds_spikes_back_and_rules_see_them_when_they_arrive(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "relay", 1)
    net.add_layer("out", "relay", 1, threshold=100.0)  # never spikes, so the rule sees pre only
    net.add_connection("in", "out", "full", delay=3, rule="hebb")
    net.add_monitor("out", "recorder", target="out", variables=["v"])
    seen = []
    rule = net.rules["in->out"]
    original = rule.forward

    def spy(connection, pre, post, state, ctx, reward=None):
        seen.append(bool(pre.spikes.any()))
        return original(connection, pre, post, state, ctx, reward)

    rule.forward = spy
    x = torch.zeros(8, 1, 1)
    x[0] = 1.0
    net.run({"in": x}, time=8)
    assert net.monitors["out"].get("v").flatten().tolist() == [0, 0, 0, 0, 1, 0, 0, 0]  # 1 + 3 steps later
    assert seen == [False, False, False, False, True, False, False, False]
    net.double()  # the delay line moves with the network
    assert net.state.delays["in->out"].dtype == torch.float64
