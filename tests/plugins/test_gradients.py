"""Differentiable runs: gradients through time checked against finite differences and hand
computation, spikes identical to simulation, zero-delay delivery, and the errors."""

import pytest
import torch

from snnkit import Context, Network, Surrogate
from snnkit.errors import NetworkError, ParameterError, ShapeError

NORMALISED = dict(v_rest=0.0, v_reset=0.0, v_thresh=1.0)  # threshold 1 mV above rest


class Spy(Surrogate):
    """A triangle of slope 10 that remembers the distance to threshold nearest to zero it saw."""

    def __init__(self, triangle):
        self.triangle, self.nearest = triangle, float("inf")

    def derivative(self, x):
        self.nearest = min(self.nearest, float(x.abs().min()))
        return self.triangle.derivative(x)


def two_layer(plugins, spy):
    """real-input (3) -> lif (4) -> lif (2), float64, learnable weights and time constants."""
    net = Network(seed=0, plugins=plugins).double()
    net.add_layer("in", "real-input", 3)
    for name, size in (("hidden", 4), ("out", 2)):
        net.add_layer(name, "lif", size, tau_mem=10.0, refractory=2.0, learnable=["tau_mem"], **NORMALISED)
        net.layers[name].surrogate = spy
    net.add_connection("in", "hidden", "dense", weight="uniform(0.1, 0.9)", learnable=True)
    net.add_connection("hidden", "out", "dense", weight="uniform(0.2, 1.2)", learnable=True)
    net.add_monitor("out", "state", target="out", variables=["v"])
    net.add_monitor("hidden", "state", target="hidden", variables=["s", "v"])
    return net.double()


def loss_of(net, x):
    """A weighted sum of both layers' membrane potentials over every step."""
    net.reset_state()
    net.run({"in": x}, time=x.shape[0])
    v = torch.cat([net.monitors["out"].get("v"), net.monitors["hidden"].get("v")], dim=2)
    return (v * torch.linspace(0.5, 1.5, v.numel(), dtype=v.dtype).reshape(v.shape)).sum()


def test_gradient_through_two_layers_over_steps_equals_finite_differences(plugins):
    """With a triangle surrogate of slope 10, the pseudo-derivative is zero farther than 0.1 mV
    from threshold; where no membrane comes that close, the surrogate gradient is the true
    derivative of the (locally smooth) network, which finite differences measure: through the
    leak (and learnable ``tau_mem``), the weights, refractory periods and resets, over 8 steps."""
    spy = Spy(plugins.build("surrogates", "triangle", slope=10.0))
    net = two_layer(plugins, spy)
    x = torch.rand(8, 1, 3, generator=torch.Generator().manual_seed(58), dtype=torch.float64).requires_grad_()
    loss = loss_of(net, x)
    assert net.monitors["hidden"].get("s").sum() >= 4, "the check needs spikes (and resets) in the hidden layer"
    tensors = {**dict(net.learnable()), "input": x}
    grads = torch.autograd.grad(loss, list(tensors.values()))
    assert spy.nearest > 0.1, "a membrane came within 0.1 mV of threshold: pick another seed"
    for (name, tensor), grad in zip(tensors.items(), grads, strict=True):
        numeric = torch.zeros_like(tensor)
        flat = numeric.view(-1)
        for i in range(tensor.numel()):
            with torch.no_grad():
                tensor.view(-1)[i] += 1e-6
                up = loss_of(net, x)
                tensor.view(-1)[i] -= 2e-6
                down = loss_of(net, x)
                tensor.view(-1)[i] += 1e-6
            flat[i] = (up - down) / 2e-6
        torch.testing.assert_close(grad, numeric, rtol=1e-5, atol=1e-7, msg=name)
        assert grad.abs().sum() > 0, f"no gradient reached {name}"


def test_gradient_through_a_spike_is_the_surrogate_by_hand(plugins):
    """One LIF neuron, one step: s = H(w x - 1), so ds/dw = surrogate'(w x - 1) x."""
    net = Network(plugins=plugins).double()
    net.add_layer("in", "real-input", 1)
    net.add_layer("out", "lif", 1, surrogate="fast-sigmoid", **NORMALISED)
    net.add_connection("in", "out", "dense", weight=torch.tensor([[0.7]]), learnable=True)
    net.add_monitor("s", "state", target="out", variables=["s"])
    net.run({"in": torch.tensor([[[2.0]], [[0.0]]], dtype=torch.float64)}, time=2)  # arrives in step 2
    s = net.monitors["s"].get("s")
    assert s.flatten().tolist() == [0.0, 1.0]
    s.sum().backward()
    x = 0.7 * 2.0 - 1.0
    assert net.connections["in->out"].weight.grad.item() == pytest.approx(2.0 / (1 + 25 * abs(x)) ** 2)


def test_differentiable_spikes_equal_simulated_ones(plugins):
    def run(grad):
        net = Network(seed=5, plugins=plugins)
        net.add_layer("in", "input", 30)
        net.add_layer("a", "lif", 20, surrogate="atan", **NORMALISED)
        net.add_layer("b", "current-lif", 10, surrogate="sigmoid", v_rest=0.0, v_reset=0.0, v_thresh=1.0)
        net.add_connection("in", "a", "dense", weight="normal(0.3, 0.4)", learnable=True)
        net.add_connection("a", "b", "dense", weight="normal(0.4, 0.5)", learnable=True)
        net.add_connection("b", "a", "dense", weight="normal(-0.2, 0.2)", learnable=True)  # recurrent
        for layer in ("a", "b"):
            net.add_monitor(layer, "state", target=layer, variables=["s", "v"])
        x = torch.rand(40, 3, 30, generator=net.generator()) < 0.2
        with torch.set_grad_enabled(grad):
            net.run({"in": x}, time=40)
        assert net.monitors["b"].get("s").requires_grad == grad
        return [net.monitors[m].get(v).detach().float() for m in ("a", "b") for v in ("s", "v")]

    simulated, differentiated = run(False), run(True)
    assert simulated[2].sum() > 10
    for a, b in zip(simulated, differentiated, strict=True):
        assert torch.equal(a, b)


def test_recurrent_layer_trains_and_truncation_cuts_the_graph(plugins):
    net = Network(seed=1, plugins=plugins, zero_delay=True)
    net.add_layer("in", "input", 5)
    net.add_layer("rec", "lif", 6, surrogate="fast-sigmoid", **NORMALISED)
    net.add_connection("in", "rec", "dense", weight="uniform(0.3, 0.8)", learnable=True)
    net.add_connection("rec", "rec", "dense", weight="normal(0.0, 0.3)", learnable=True, delay=1)
    net.add_monitor("rec", "state", target="rec", variables=["s"])
    x = torch.rand(20, 2, 5, generator=net.generator()) < 0.5
    net.run({"in": x[:10]}, time=10)
    net.monitors["rec"].get("s").sum().backward()
    recurrent = net.connections["rec->rec"].weight
    assert recurrent.grad is not None and recurrent.grad.abs().sum() > 0
    net.detach_state()
    assert all(not v.requires_grad for v in net.state.layers["rec"])
    net.monitors["rec"].reset()
    net.run({"in": x[10:]}, time=10)  # a second window backpropagates within itself only
    net.monitors["rec"].get("s").sum().backward()


def test_local_learning_is_frozen_in_differentiable_runs_and_asking_for_it_is_an_error(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "input", 4)
    net.add_layer("out", "lif", 3, surrogate="atan", **NORMALISED)
    rule = plugins.build("learning_rules", "post-pre", nu=(0.1, 0.1))
    net.add_connection("in", "out", "dense", weight=0.6, learnable=True, rule=rule)
    before = net.connections["in->out"].weight.detach().clone()
    x = torch.ones(5, 1, 4)
    net.run({"in": x}, time=5)
    assert torch.equal(net.connections["in->out"].weight.detach(), before)
    with pytest.raises(NetworkError, match="cannot run in a differentiable run"):
        net.run({"in": x}, time=5, learning=True)
    with torch.no_grad():
        net.run({"in": x}, time=5)  # local learning, as always
    assert not torch.equal(net.connections["in->out"].weight.detach(), before)


def test_a_differentiable_run_needs_surrogates(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "input", 4)
    net.add_layer("out", "lif", 3)
    net.add_connection("in", "out", "dense", learnable=True)
    with pytest.raises(NetworkError, match=r"out has none: add_layer.*surrogate=NAME.*atan, fast-sigmoid"):
        net.run({"in": torch.ones(2, 1, 4)}, time=2)
    with torch.no_grad():
        net.run({"in": torch.ones(2, 1, 4)}, time=2)  # plain simulation needs none


def test_a_surrogate_on_an_input_layer_is_refused(plugins):
    net = Network(plugins=plugins)
    with pytest.raises(NetworkError, match="layer 'in': Input neurons take no surrogate gradient"):
        net.add_layer("in", "input", 4, surrogate="atan")
    with pytest.raises(Exception, match="unknown surrogate gradient 'atna'; did you mean 'atan'"):
        net.add_layer("out", "lif", 4, surrogate="atna")


def test_learnable_lif_parameters(plugins):
    layer = plugins.build("neurons", "lif", 3, learnable=["tau_mem", "v_thresh"], tau_mem=15.0)
    assert dict(layer.named_parameters())["tau_mem"].tolist() == [15.0] * 3
    with pytest.raises(ValueError, match="cannot learn 'tau'; did you mean 'tau_mem'"):
        plugins.build("neurons", "lif", 3, learnable=["tau"])


def test_bad_learnable_names_say_which_layer_and_what_to_give(plugins):
    net = Network(plugins=plugins)
    with pytest.raises(NetworkError, match=r"^layer 'hidden' \('lif'\): cannot learn 'tau'; did you mean 'tau_mem'"):
        net.add_layer("hidden", "lif", 3, learnable=["tau"])
    with pytest.raises(ParameterError, match=r"^layer 'hidden': .*'learnable' must be a list of str, got bool True"):
        net.add_layer("hidden", "lif", 3, learnable=True)  # a connection's learnable is a bool; a layer's, names
    net.add_layer("in", "input", (1, 6))
    net.add_layer("out", "lif", (1, 2))
    with pytest.raises(NetworkError, match=r"^connection 'in->out' \('conv1d'\): pool must be positive"):
        net.add_connection("in", "out", "conv1d", kernel_size=3, pool=0)


def stack(plugins, zero_delay):
    net = Network(plugins=plugins, zero_delay=zero_delay)
    for name in ("a", "b", "c", "d"):
        params = {} if name == "a" else {**NORMALISED, "refractory": 0.0}
        net.add_layer(name, "input" if name == "a" else "lif", 1, **params)
    for source, target in (("c", "d"), ("a", "b"), ("b", "c")):  # added out of order on purpose
        net.add_connection(source, target, "dense", weight=2.0)
    net.add_monitor("d", "state", target="d", variables=["s"])
    return net


def test_zero_delay_crosses_a_stack_in_one_step(plugins):
    x = torch.zeros(5, 1, 1)
    x[0] = 1.0
    for zero_delay, first in ((False, 3), (True, 0)):
        net = stack(plugins, zero_delay)
        net.run({"a": x}, time=5)
        assert net.monitors["d"].get("s").flatten().nonzero().flatten().tolist() == [first]


def test_zero_delay_connection_delays_count_whole_steps(plugins):
    net = stack(plugins, True)
    net.add_connection("d", "b", "dense", weight=2.0, delay=2)  # recurrent, closes b -> c -> d -> b
    x = torch.zeros(6, 1, 1)
    x[0] = 1.0
    net.run({"a": x}, time=6)
    # d fires at 0, reaches b 2 steps later, b -> c -> d at once: fires again at 2 and 4
    assert net.monitors["d"].get("s").flatten().nonzero().flatten().tolist() == [0, 2, 4]


def test_zero_delay_cycle_is_a_clear_error(plugins):
    net = stack(plugins, True)
    with pytest.raises(NetworkError, match=r"the connections b -> c -> d -> b form a cycle.*delay=1"):
        net.add_connection("d", "b", "dense")
    assert "d->b" not in net.connections  # refused, the network is as before
    net.run({"a": torch.zeros(2, 1, 1)}, time=2)


def direct_input_network(plugins, compile=False):
    net = Network(seed=2, plugins=plugins, zero_delay=True, compile=compile)
    net.add_layer("in", "real-input", 6)
    net.add_layer("h", "lif", 5, surrogate="atan", refractory=1.0, **NORMALISED)
    net.add_layer("o", "lif", 3, surrogate="atan", refractory=1.0, **NORMALISED)
    net.add_connection("in", "h", "dense", weight="normal(0.4, 0.3)", bias=0.1, learnable=True)
    net.add_connection("h", "o", "dense", weight="normal(0.5, 0.4)", learnable=True)
    net.add_monitor("o", "state", target="o", variables=["s", "v"])
    return net


def gradients_of(net, run):
    net.reset_state()
    run(net)
    s, v = net.monitors["o"].get("s"), net.monitors["o"].get("v")
    (s.sum() + (v * v).mean()).backward()
    grads = {name: p.grad.clone() for name, p in net.learnable().items()}
    for p in net.learnable().values():
        p.grad = None
    return s.detach(), v.detach(), grads


def test_a_constant_input_equals_the_same_input_at_every_step(plugins):
    """``constant=`` computes the first connection once per call; spikes, potentials and gradients
    are those of the same input given at every step."""
    x = torch.rand(4, 6, generator=torch.Generator().manual_seed(0))
    net = direct_input_network(plugins)
    stepped = gradients_of(net, lambda n: n.run({"in": x.expand(30, 4, 6)}, time=30))
    held = gradients_of(net, lambda n: n.run(None, time=30, constant={"in": x}))
    assert stepped[0].sum() > 10
    torch.testing.assert_close(stepped[0], held[0], rtol=0, atol=0)
    torch.testing.assert_close(stepped[1], held[1])
    for name in stepped[2]:
        torch.testing.assert_close(stepped[2][name], held[2][name], msg=name)


def test_constant_input_errors(plugins):
    net = direct_input_network(plugins)
    with pytest.raises(ShapeError, match=r"constant input for layer 'in' \(\[batch, \*shape\]\)"):
        net.run(None, time=3, constant={"in": torch.zeros(3, 4, 6)})
    with pytest.raises(NetworkError, match="both a stepped input and a constant one"):
        net.run({"in": torch.zeros(3, 4, 6)}, time=3, constant={"in": torch.zeros(4, 6)})


def test_compiled_gradients_equal_eager_ones(plugins):
    x = torch.rand(4, 6, generator=torch.Generator().manual_seed(1))
    eager = gradients_of(direct_input_network(plugins), lambda n: n.run(None, time=30, constant={"in": x}))
    compiled = gradients_of(direct_input_network(plugins, True), lambda n: n.run(None, time=30, constant={"in": x}))
    assert torch.equal(eager[0], compiled[0])
    torch.testing.assert_close(eager[1], compiled[1])
    for name in eager[2]:
        torch.testing.assert_close(eager[2][name], compiled[2][name], rtol=1e-4, atol=1e-6, msg=name)


def test_a_constant_delivery_adds_to_the_targets_own_input(plugins):
    x = torch.rand(4, 6, generator=torch.Generator().manual_seed(2))
    extra = torch.rand(30, 4, 5, generator=torch.Generator().manual_seed(3))
    net = direct_input_network(plugins)
    stepped = gradients_of(net, lambda n: n.run({"in": x.expand(30, 4, 6), "h": extra}, time=30))
    held = gradients_of(net, lambda n: n.run({"h": extra}, time=30, constant={"in": x}))
    torch.testing.assert_close(stepped[0], held[0], rtol=0, atol=0)
    torch.testing.assert_close(stepped[1], held[1])


def test_fixed_layers_upstream_of_a_trained_readout_need_no_surrogate(plugins):
    def network(readout_surrogate):
        net = Network(plugins=plugins, seed=0)
        net.add_layer("in", "input", 4)
        net.add_layer("features", "lif", 6)  # fixed features (learned by STDP, say): no surrogate
        net.add_layer("readout", "lif", 2, surrogate=readout_surrogate)
        net.add_connection("in", "features", "dense", weight=20.0)
        net.add_connection("features", "readout", "dense", weight="uniform(0, 5)", learnable=True)
        net.add_monitor("r", "state", target="readout", variables=["v"])
        return net

    net = network("atan")
    net.run({"in": torch.ones(10, 1, 4)}, time=10)
    net.monitors["r"].get("v").sum().backward()
    assert net.connections["features->readout"].weight.grad.abs().sum() > 0
    with pytest.raises(NetworkError, match="every spiking layer that a learnable tensor feeds; readout has none"):
        network(None).run({"in": torch.ones(10, 1, 4)}, time=10)


@pytest.mark.parametrize(
    ("model", "learnable", "params"),
    [
        ("current-lif", ["tau_mem", "tau_syn", "v_reset"], {"tau_syn": 3.0}),
        ("adaptive-lif", ["tau_mem", "v_rest", "v_reset"], {"theta_plus": 0.2, "tc_theta_decay": 20.0}),
    ],
)
def test_learnable_parameters_of_other_lif_models_get_true_gradients(plugins, model, learnable, params):
    """Their learned parameters change nothing until trained, and their gradients equal finite
    differences (same conditions as the two-layer check above)."""
    spy = Spy(plugins.build("surrogates", "triangle", slope=10.0))
    x = torch.rand(10, 1, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)

    def build(names):
        net = Network(seed=0, plugins=plugins)
        net.add_layer("in", "real-input", 3)
        net.add_layer("out", model, 4, tau_mem=10.0, refractory=2.0, learnable=names, **NORMALISED, **params)
        net.layers["out"].surrogate = spy
        net.add_connection("in", "out", "dense", weight="uniform(0.05, 0.35)")
        net.add_monitor("out", "state", target="out", variables=["v", "s"])
        return net.double()

    def loss(net):
        net.reset_state()
        net.run({"in": x}, time=x.shape[0])
        v = net.monitors["out"].get("v")
        return (v * torch.linspace(0.5, 1.5, v.numel(), dtype=v.dtype).reshape(v.shape)).sum()

    fixed, net = build([]), build(learnable)
    with torch.no_grad():
        assert loss(fixed) == loss(net)
    assert net.monitors["out"].get("s").sum() >= 2, "the check needs spikes and resets"
    tensors = dict(net.learnable())
    assert sorted(tensors) == sorted(f"layers.out.{name}" for name in learnable)
    grads = torch.autograd.grad(loss(net), list(tensors.values()))
    assert spy.nearest > 0.1, "a membrane came within 0.1 mV of threshold: pick another seed"
    for (name, tensor), grad in zip(tensors.items(), grads, strict=True):
        numeric = torch.zeros_like(tensor)
        for i in range(tensor.numel()):
            with torch.no_grad():
                tensor.view(-1)[i] += 1e-6
                up = loss(net)
                tensor.view(-1)[i] -= 2e-6
                down = loss(net)
                tensor.view(-1)[i] += 1e-6
            numeric.view(-1)[i] = (up - down) / 2e-6
        torch.testing.assert_close(grad, numeric, rtol=1e-5, atol=1e-7, msg=name)
        assert grad.abs().sum() > 0, f"no gradient reached {name}"


def test_learned_adaptation_starts_at_the_given_values(plugins):
    layer = plugins.build("neurons", "adaptive-lif", 2, theta_plus=0.25, learnable=["theta_plus", "tc_theta_decay"])
    assert layer.theta_plus.tolist() == [0.25, 0.25] and layer.tc_theta_decay.tolist() == [1e7, 1e7]
    with pytest.raises(ValueError, match="cannot learn 'theta'; did you mean 'theta_plus'"):
        plugins.build("neurons", "adaptive-lif", 2, learnable=["theta"])


def test_learnable_izhikevich_parameters_get_true_gradients(plugins):
    """a, b, c and d per neuron: gradients of a loss on the membrane over 60 steps (several spikes,
    resets to c, recovery jumps by d) equal finite differences."""
    current = torch.linspace(6.0, 14.0, 3, dtype=torch.float64).expand(60, 1, 3)

    def loss(layer):
        state, total = layer.initial_state(1, dtype=torch.float64), 0.0
        for step, x in enumerate(current):
            _, state = layer(x, state, Context(dt=0.5))
            total = total + (1.0 + 0.01 * step) * state.v.sum()
        return total

    layer = plugins.build("neurons", "izhikevich", 3, preset="chattering", learnable=["a", "b", "c", "d"]).double()
    fixed = plugins.build("neurons", "izhikevich", 3, preset="chattering").double()
    with torch.no_grad():
        assert loss(layer) == loss(fixed)
    params = dict(layer.named_parameters())
    assert sorted(params) == ["a", "b", "c", "d"]
    grads = torch.autograd.grad(loss(layer), list(params.values()))
    for (name, tensor), grad in zip(params.items(), grads, strict=True):
        numeric = torch.zeros_like(tensor)
        for i in range(tensor.numel()):
            with torch.no_grad():
                tensor.view(-1)[i] += 1e-7
                up = loss(layer)
                tensor.view(-1)[i] -= 2e-7
                down = loss(layer)
                tensor.view(-1)[i] += 1e-7
            numeric.view(-1)[i] = (up - down) / 2e-7
        torch.testing.assert_close(grad, numeric, rtol=1e-4, atol=1e-6, msg=name)
        assert grad.abs().sum() > 0, f"no gradient reached {name}"
    with pytest.raises(ValueError, match=r"cannot learn 'e'\. Learnable parameters: a, b, c, d\."):
        plugins.build("neurons", "izhikevich", 3, learnable=["e"])


def central_differences(loss, tensor, step):
    """``d loss / d tensor`` by central differences, element by element."""
    numeric = torch.zeros_like(tensor)
    for i in range(tensor.numel()):
        with torch.no_grad():
            tensor.view(-1)[i] += step
            up = loss()
            tensor.view(-1)[i] -= 2 * step
            down = loss()
            tensor.view(-1)[i] += step
        numeric.view(-1)[i] = (up - down) / (2 * step)
    return numeric


@pytest.mark.parametrize(
    "params",
    [
        {"reset": "value", "refractory": 2.0},
        {"reset": "subtract", "refractory": 0.0},  # what ANN-to-SNN conversion runs
        {"reset": "subtract", "refractory": 2.0, "v_min": -0.5},
    ],
    ids=["value", "subtract", "subtract-refractory-bounded"],
)
def test_learnable_if_parameters_get_true_gradients(plugins, params):
    """``if``'s learned ``v_reset`` and ``v_thresh`` change nothing until trained; a loss on the
    membrane over 40 steps with spikes and resets has gradients equal to central differences (the
    spikes stay the same under the perturbations, so the loss is smooth there): through the reset
    to ``v_reset``, or through the amount ``v_thresh - v_reset`` that a subtraction takes off."""
    x = torch.rand(40, 1, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64) * 0.9 - 0.2

    def run(layer):
        state, total, spikes = layer.initial_state(1, dtype=torch.float64), 0.0, []
        for t, step in enumerate(x):
            s, state = layer(step, state, Context(dt=1.0))
            total = total + (1.0 + 0.02 * t) * (state.v * torch.linspace(0.5, 1.5, 4, dtype=torch.float64)).sum()
            spikes.append(s.detach())
        return total, torch.stack(spikes)

    build = dict(v_reset=0.0, v_thresh=1.0, **params)
    layer = plugins.build("neurons", "if", 4, learnable=["v_reset", "v_thresh"], **build).double()
    layer.surrogate = plugins.build("surrogates", "fast-sigmoid")
    fixed = plugins.build("neurons", "if", 4, **build).double()
    with torch.no_grad():
        (loss, spikes), (fixed_loss, fixed_spikes) = run(layer), run(fixed)
    assert loss == fixed_loss and torch.equal(spikes, fixed_spikes)
    assert spikes.sum(0).min() >= 3, "the check needs spikes and resets in every neuron"
    tensors = dict(layer.named_parameters())
    assert sorted(tensors) == ["v_reset", "v_thresh"] and layer.v_thresh is tensors["v_thresh"]
    grads = torch.autograd.grad(run(layer)[0], list(tensors.values()), allow_unused=True)
    for (name, tensor), grad in zip(tensors.items(), grads, strict=True):
        grad = torch.zeros_like(tensor) if grad is None else grad  # a reset to a value: v_thresh acts on spikes only
        numeric = central_differences(lambda: run(layer)[0], tensor, 1e-6)
        torch.testing.assert_close(grad, numeric, rtol=1e-6, atol=1e-6, msg=name)
        if name == "v_reset" or params["reset"] == "subtract":
            assert grad.abs().min() > 0, f"no gradient reached every neuron's {name}"
    with torch.no_grad():  # the finite differences crossed no spike
        for sign in (1.0, -1.0):
            layer.v_thresh.add_(sign * 1e-6)
            assert torch.equal(run(layer)[1], spikes)
            layer.v_thresh.sub_(sign * 1e-6)


def test_learnable_if_threshold_gets_the_surrogate_gradient_and_unknown_names_are_refused(plugins):
    from .neuron_helpers import assert_threshold_gets_a_surrogate_gradient

    inputs = torch.full((30, 1, 3), 0.3, dtype=torch.float64)
    assert_threshold_gets_a_surrogate_gradient(plugins, "if", inputs, v_reset=0.0, v_thresh=1.0, refractory=0.0)
    with pytest.raises(
        ValueError, match=r"cannot learn 'v_rest'; did you mean 'v_reset'\? Learnable parameters: v_reset, v_thresh\.$"
    ):
        plugins.build("neurons", "if", 3, learnable=["v_rest"])


SRM0_LEARNABLE = ["v_rest", "v_reset", "v_thresh", "tau_mem", "rho0", "delta_u"]


def test_learnable_srm0_parameters_get_true_gradients(plugins):
    """Learned ``srm0`` parameters change nothing until trained (same spikes for the same seed).
    With the generator fixed, a loss on the membrane and the escape probability over 40 steps
    (spikes, resets, refractory periods) has gradients equal to central differences for every
    parameter: the draws are the same in every run and no spike flips under the perturbations,
    so the loss is smooth there; ``v_thresh``, ``rho0`` and ``delta_u`` reach it through the
    probability alone."""
    x = torch.rand(40, 2, 5, generator=torch.Generator().manual_seed(4), dtype=torch.float64) * 6.0
    weights = torch.linspace(0.5, 1.5, 10, dtype=torch.float64).reshape(2, 5)

    def run(layer):
        ctx = Context(dt=1.0, generator=torch.Generator().manual_seed(11))
        state, total, spikes = layer.initial_state(2, dtype=torch.float64), 0.0, []
        for t, step in enumerate(x):
            s, state = layer(step, state, ctx)
            total = total + (1.0 + 0.02 * t) * ((state.v + 20.0 * state.probability) * weights).sum()
            spikes.append(s.detach())
        return total, torch.stack(spikes)

    build = dict(tau_mem=10.0, refractory=2.0, v_reset=-65.0)
    layer = plugins.build("neurons", "srm0", 5, learnable=SRM0_LEARNABLE, **build).double()
    layer.surrogate = plugins.build("surrogates", "fast-sigmoid")
    fixed = plugins.build("neurons", "srm0", 5, **build).double()
    with torch.no_grad():
        (loss, spikes), (fixed_loss, fixed_spikes) = run(layer), run(fixed)
    assert loss == fixed_loss and torch.equal(spikes, fixed_spikes)
    assert spikes.sum() >= 20 and spikes.sum(0).min() >= 1, "the check needs spikes and resets"
    tensors = dict(layer.named_parameters())
    assert sorted(tensors) == sorted(SRM0_LEARNABLE)
    grads = torch.autograd.grad(run(layer)[0], list(tensors.values()))
    for (name, tensor), grad in zip(tensors.items(), grads, strict=True):
        step = 1e-6 * max(1.0, float(tensor.detach().abs().max()))
        numeric = central_differences(lambda: run(layer)[0], tensor, step)
        torch.testing.assert_close(grad, numeric, rtol=1e-5, atol=1e-6, msg=name)
        assert grad.abs().min() > 0, f"no gradient reached every neuron's {name}"
        with torch.no_grad():  # the finite differences crossed no spike
            for sign in (1.0, -1.0):
                tensor.add_(sign * step)
                assert torch.equal(run(layer)[1], spikes), name
                tensor.sub_(sign * step)
    with pytest.raises(
        ValueError, match=r"cannot learn 'rho'; did you mean 'rho0'\? Learnable parameters: v_rest, v_reset"
    ):
        plugins.build("neurons", "srm0", 5, learnable=["rho"])


def test_srm0_spike_gradient_is_the_surrogate_at_the_drawn_threshold(plugins):
    """A drawn spike is the membrane crossing ``theta = v_thresh + delta_u ln(-ln(1 - u) /
    (rho0 dt))`` for its uniform draw ``u``: its gradient is the surrogate's at ``v - theta``, by
    hand for one step; averaged over many draws it is the derivative of the firing probability
    (the surrogate, a triangle of slope 10 integrating to 1, is narrow against ``delta_u``)."""
    n, dt, v0 = 200_000, 0.5, -52.0
    layer = plugins.build(
        "neurons",
        "srm0",
        n,
        v_rest=v0,
        refractory=0.0,
        rho0=0.75,
        delta_u=4.0,
        learnable=["v_thresh", "rho0", "delta_u"],
    ).double()
    layer.surrogate = triangle = plugins.build("surrogates", "triangle", slope=10.0)
    x = torch.zeros(1, n, dtype=torch.float64, requires_grad=True)
    spikes, state = layer(
        x, layer.initial_state(1, dtype=torch.float64), Context(dt=dt, generator=torch.Generator().manual_seed(2))
    )
    u = torch.rand(1, n, generator=torch.Generator().manual_seed(2), dtype=torch.float64)  # the same draws
    assert torch.equal(spikes, (u < state.probability).double())
    log_ratio = torch.log(-torch.log1p(-u) / (0.75 * dt))
    distance = v0 - (-50.0 + 4.0 * log_ratio)  # v - theta (mV)
    assert torch.equal(spikes.bool(), distance > 0)
    spikes.sum().backward()
    slope = triangle.derivative(distance)
    assert (slope > 0).sum() > 1000, "the check needs draws near threshold"
    torch.testing.assert_close(x.grad, slope)
    torch.testing.assert_close(layer.v_thresh.grad, -slope[0])
    torch.testing.assert_close(layer.delta_u.grad, -slope[0] * log_ratio[0])
    torch.testing.assert_close(layer.rho0.grad, slope[0] * 4.0 / 0.75)
    rho = 0.75 * torch.exp(torch.tensor(-2.0 / 4.0, dtype=torch.float64))
    dp_dv = torch.exp(-rho * dt) * rho * dt / 4.0  # d/dv of 1 - exp(-rho dt)
    assert x.grad.mean().item() == pytest.approx(dp_dv.item(), rel=0.1)


def test_srm0_spikes_are_the_drawn_ones_where_rounding_disagrees_with_the_threshold(plugins):
    """``v >= theta`` and the draw can disagree by rounding (about 1 in 10^7 float32 draws): the
    spike is then the draw's, with the surrogate's gradient at zero distance."""
    from snnkit_plugins.neurons.srm0 import SRM0Parameters, sampled_spikes

    p = SRM0Parameters(v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0, tau_mem=10.0, refractory=0.0, rho0=1.0, delta_u=5.0)
    v = torch.tensor([[-60.0, -40.0, -60.0, -40.0]], dtype=torch.float64, requires_grad=True)
    draw = torch.full_like(v, 0.5)  # theta = -50 + 5 ln(ln 2) = -51.83 mV
    fired = torch.tensor([[False, True, True, False]])  # as if rounding had flipped the last two
    triangle = plugins.build("surrogates", "triangle", slope=0.05)
    spikes = sampled_spikes(v, draw, fired, torch.ones_like(fired), p, 1.0, triangle)
    assert spikes.tolist() == [[0.0, 1.0, 1.0, 0.0]]
    spikes.sum().backward()
    distance = v.detach() - (-50.0 + 5.0 * torch.log(torch.log(torch.tensor(2.0, dtype=torch.float64))))
    distance[0, 2:] = 0.0
    torch.testing.assert_close(v.grad, triangle.derivative(distance))
