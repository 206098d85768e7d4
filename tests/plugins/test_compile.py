"""``Network(compile=True)``: the fused step gives the eager step's results."""

import copy
import io
import shutil

import pytest
import torch

from snnkit.experiment import build_network, load_experiment
from snnkit_plugins.models.diehl_cook_2015 import diehl_cook_2015

needs_compiler = pytest.mark.skipif(shutil.which("c++") is None, reason="torch.compile needs a C++ compiler on a CPU")


def _run(compiled: bool, plugins) -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    net = diehl_cook_2015(n_inputs=64, n_neurons=10, inh=60.0, seed=3, plugins=plugins)
    net.use_compile = compiled
    net.add_monitor("ae", "state", target="Ae", variables=["s", "v"])
    inputs = torch.rand(3, 30, 1, 64, generator=torch.Generator().manual_seed(1)) < 0.15
    spikes, potentials = [], []
    for x in inputs:  # three "samples" with learning on, each from a fresh state
        net.reset_state()
        net.run({"X": x}, 30)  # one call of Network.STEPS_PER_CALL (25) steps and one of 5
        spikes.append(net.monitors["ae"].get("s"))
        potentials.append(net.monitors["ae"].get("v"))
    net.eval()
    net.reset_state()
    net.run({"X": inputs[0, :15]}, 15)  # learning off
    spikes.append(net.monitors["ae"].get("s"))
    potentials.append(net.monitors["ae"].get("v"))
    return net, {"s": torch.cat(spikes), "v": torch.cat(potentials)}


@needs_compiler
def test_compiled_steps_give_the_eager_results(plugins):
    eager, seen = _run(False, plugins)
    compiled, fused = _run(True, plugins)
    assert seen["s"].dtype == fused["s"].dtype == torch.bool  # monitors see spikes, not 0/1 floats
    assert seen["s"].sum() > 10  # the comparison covers spiking, learning and inhibition
    assert torch.equal(seen["s"], fused["s"])
    torch.testing.assert_close(fused["v"], seen["v"], rtol=0, atol=1e-4)
    torch.testing.assert_close(compiled.connections["X->Ae"].weight, eager.connections["X->Ae"].weight)
    torch.testing.assert_close(compiled.layers["Ae"].theta, eager.layers["Ae"].theta)
    initial = diehl_cook_2015(n_inputs=64, n_neurons=10, seed=3, plugins=plugins).connections["X->Ae"].weight
    assert not torch.equal(eager.connections["X->Ae"].weight, initial)  # it learned
    copied = copy.deepcopy(compiled)  # copies and pickles leave the compiled code behind
    assert copied.use_compile
    assert torch.equal(copied.connections["X->Ae"].weight, compiled.connections["X->Ae"].weight)
    saved = io.BytesIO()
    torch.save(compiled, saved)
    saved.seek(0)
    loaded = torch.load(saved, weights_only=False)
    assert torch.equal(loaded.layers["Ae"].theta, compiled.layers["Ae"].theta)


def test_the_run_table_switches_compilation_on(plugins):
    experiment = load_experiment("mnist-diehl-cook", plugins, ["model.n_neurons=4", "run.compile=false"])
    assert not build_network(experiment, plugins).use_compile
    experiment = load_experiment("mnist-diehl-cook", plugins, ["model.n_neurons=4", "run.compile=true"])
    assert build_network(experiment, plugins).use_compile


@needs_compiler
def test_compiled_steps_follow_each_networks_settings(plugins):
    """torch's guards on the components are off; the settings number stands in for them: a second
    network of the same structure with another threshold, or a changed parameter, is not run with
    code compiled for the first."""
    from snnkit import Network
    from snnkit_plugins.neurons.lif import LIFParameters

    def run(net):
        net.reset_state()
        with torch.no_grad():
            net.run({"in": torch.ones(10, 1, 5, dtype=torch.bool)}, time=10)
        return int(net.monitors["m"].get("s").sum())

    def make(threshold):
        net = Network(seed=0, compile=True, plugins=plugins)
        net.add_layer("in", "input", 5)
        net.add_layer("o", "lif", 3, v_rest=0.0, v_reset=0.0, v_thresh=threshold, refractory=0.0)
        net.add_connection("in", "o", "dense", weight=0.6)
        net.add_monitor("m", "state", target="o", variables=["s"])
        return net

    first, second, third = make(1.0), make(100.0), make(0.5)
    # 3 neurons fire at steps 1 to 9 (one-step delay); a third network once ran the second's code
    assert (run(first), run(second), run(third)) == (27, 0, 27)
    first.layers["o"].params = LIFParameters(0.0, 0.0, 100.0, 100.0, 0.0)
    assert run(first) == 0
    third.layers["o"].params = LIFParameters(0.0, 0.0, 200.0, 100.0, 0.0)
    assert run(third) == 0 and run(make(2.0)) == 27


@needs_compiler
def test_networks_compiled_after_a_graph_break_run_their_own_steps(plugins):
    """srm0's random draws break the compiled graph; the networks compiled after it, of the same
    structure with other neurons, once ran the second one's code after that break."""
    from snnkit import Network

    def spikes(compile, neuron, **params):
        net = Network(seed=3, compile=compile, plugins=plugins)
        net.add_layer("in", "real-input", 6)
        net.add_layer("out", neuron, 5, **params)
        net.add_connection("in", "out", "dense", weight="uniform(0, 1)")
        net.add_monitor("m", "state", target="out", variables=["s"])
        with torch.no_grad():
            net.run({"in": torch.rand(40, 2, 6, generator=torch.Generator().manual_seed(0)) * 8}, time=40)
        return net.monitors["m"].get("s")

    for neuron, params in [
        ("srm0", {}),
        ("if", dict(reset="subtract", v_reset=0.0, v_thresh=5.0, refractory=0.0)),
        ("if", {}),
    ]:
        assert torch.equal(spikes(True, neuron, **params), spikes(False, neuron, **params)), (neuron, params)


def test_large_connections_step_uncompiled_in_a_simulation(plugins, monkeypatch):
    """From COMPILE_LIMIT synapses the event-driven uncompiled step wins on a CPU: compile=True uses it."""
    from snnkit import Network

    monkeypatch.setattr(Network, "COMPILE_LIMIT", 5_000)  # the rule, without building a huge network
    results = []
    for compiled in (False, True):
        net = Network(dt=1.0, seed=2, plugins=plugins, compile=compiled)
        net.add_layer("in", "input", 100)
        net.add_layer("out", "lif", 60)
        net.add_connection("in", "out", "dense", weight="uniform(0, 1)", rule="post-pre", name="c")  # 6,000 synapses
        net.add_monitor("m", "state", target="out", variables=["v"])
        net.run({"in": torch.rand(40, 1, 100, generator=torch.Generator().manual_seed(0)) < 0.1}, 40)
        assert net._compiled is None  # never compiled
        results.append((net.monitors["m"].get("v"), net.connections["c"].weight.detach()))
    assert torch.equal(results[0][0], results[1][0]) and torch.equal(results[0][1], results[1][1])


@pytest.mark.slow  # compiles once, about 20 s
@needs_compiler
def test_growing_inhibition_compiles_and_gives_the_eager_weights(plugins):
    """The growth rule reads each weight once per step: an update reading it twice made the
    compiled expression double with each of the fused steps, and compiling never finished."""
    from snnkit_plugins.models.increasing_inhibition import increasing_inhibition

    inputs = torch.rand(30, 1, 16, generator=torch.Generator().manual_seed(2)) < 0.2
    starts, weights = [], []
    for compiled in (False, True):
        net = increasing_inhibition(n_inputs=16, n_neurons=9, inh_start=15.0, tc_grow=100.0, plugins=plugins)
        starts.append(net.connections["Y->Y"].weight.detach().clone())
        net.use_compile = compiled
        net.train(True)
        net.run({"X": inputs}, 30)
        weights.append(net.connections["Y->Y"].weight)
    torch.testing.assert_close(weights[1], weights[0])
    assert (weights[0] - starts[0]).abs().max() > 1.0  # 30 ms of growth at tc 100 ms moved it


@pytest.mark.slow  # compiles four small networks, about 30 s each
@needs_compiler
@pytest.mark.parametrize(
    ("connection", "source", "target", "params"),
    [
        ("conv1d", (2, 12), (3, 5), {"kernel_size": 3, "stride": 2}),
        ("conv3d", (1, 4, 5, 5), (2, 3, 2, 2), {"kernel_size": (2, 3, 3), "stride": (1, 2, 2)}),
        ("local1d", (2, 9), (2, 4), {"kernel_size": 3, "stride": 2}),
        ("maxpool3d", (2, 4, 4, 4), (2, 2, 2, 2), {"kernel_size": 2}),
    ],
)
def test_1d_and_3d_connections_compile_and_learn_as_eager(plugins, connection, source, target, params):
    """The 1-D and 3-D topologies (issue 18) in a compiled step: same spikes and, where the
    connection has weights, the same STDP updates as the eager step."""
    from snnkit import Network

    inputs = torch.rand(30, 2, *source, generator=torch.Generator().manual_seed(4)) < 0.3
    results = []
    for compiled in (False, True):
        net = Network(dt=1.0, seed=5, compile=compiled, plugins=plugins)
        net.add_layer("in", "input", source)
        net.add_layer("out", "lif", target, v_thresh=-60.0, refractory=2.0)
        rule = None if connection.startswith("maxpool") else "post-pre"
        net.add_connection("in", "out", connection, rule=rule, **params, **({} if rule is None else {"weight": 6.0}))
        net.add_monitor("m", "state", target="out", variables=["s", "v"])
        net.run({"in": inputs}, 30)
        assert (net._compiled is not None) == compiled
        weight = getattr(net.connections["in->out"], "weight", None)
        results.append((net.monitors["m"].get("s"), net.monitors["m"].get("v"), weight))
    (s0, v0, w0), (s1, v1, w1) = results
    assert s0.sum() > 5 and torch.equal(s0, s1)
    torch.testing.assert_close(v1, v0, rtol=0, atol=1e-4)
    if w0 is not None:
        assert not torch.allclose(w0, torch.full_like(w0, 6.0))  # it learned
        torch.testing.assert_close(w1, w0)
