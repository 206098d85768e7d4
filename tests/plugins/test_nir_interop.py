"""NIR interoperability with snnTorch (and Norse where installed): graphs each tool writes, the other
runs, with the same output spikes on the same input. Run with ``nox -s interop`` (``pytest -m interop``).

snnTorch 1.0 steps with forward Euler at a fixed dt = 1e-4 s (0.1 ms): its graphs are read with
``from_nir(graph, dt=1e-4, discretization="forward-euler")`` and snnkit writes graphs for it with
``to_nir(network, discretization="forward-euler")`` from networks with ``dt=0.1`` ms. Its neurons
here use ``reset_mechanism="zero"`` and ``reset_delay=False``, the only reset NIR's LIF and snnTorch's
importer share, and per-neuron parameters (snnTorch 1.0 with nir 1.0.8 cannot type-check the
graph of a Leaky layer with scalar ones).
"""

from __future__ import annotations

import pytest
import torch

import snnkit

pytestmark = pytest.mark.interop
snn = pytest.importorskip("snntorch")
nir = pytest.importorskip("nir")
pytest.importorskip("nirtorch")

from snntorch import utils  # noqa: E402
from snntorch.export_nir import export_to_nir  # noqa: E402
from snntorch.import_nir import import_from_nir  # noqa: E402

T = 60
LIF0 = {"refractory": 0.0, "v_rest": 0.0, "v_reset": 0.0, "v_thresh": 1.0}


def leaky(shape, beta, output=False):
    return snn.Leaky(
        beta=torch.full(shape, beta),
        threshold=torch.ones(shape),
        init_hidden=True,
        output=output,
        reset_mechanism="zero",
        reset_delay=False,
    )


def synaptic(shape, alpha, beta, output=False):
    return snn.Synaptic(
        alpha=torch.full(shape, alpha),
        beta=torch.full(shape, beta),
        threshold=torch.ones(shape),
        init_hidden=True,
        output=output,
        reset_mechanism="zero",
        reset_delay=False,
    )


def run_snntorch(module, x):
    """Output spikes (and the last layer's membrane) of an snnTorch module stepped over ``x`` [time, batch, ...]."""
    utils.reset(module)
    spikes, mems = [], []
    with torch.no_grad():
        for t in range(x.shape[0]):
            out = module(x[t].float())
            if isinstance(out, tuple) and isinstance(out[1], dict):  # an imported GraphModule: (output, state)
                out = out[0]
            spk, mem = out[:2] if isinstance(out, tuple) else (out, None)
            spikes.append(spk)
            mems.append(mem)
    return torch.stack(spikes), (torch.stack(mems) if mems[0] is not None else None)


def run_snnkit(net, x, layer=None):
    layer = layer or net.output_layer
    net.add_monitor("interop", "state", target=layer, variables=["s", "v"])
    net.run({net.input_layer or "in": x}, time=x.shape[0])
    return net.monitors["interop"].get("s"), net.monitors["interop"].get("v")


def inputs(*shape, p=0.3, seed=0):
    return torch.rand((T, *shape), generator=torch.Generator().manual_seed(seed)) < p


def test_snntorch_leaky_dense_network_runs_the_same_in_snnkit():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(20, 30), leaky((30,), 0.9), torch.nn.Linear(30, 5, bias=False), leaky((5,), 0.8, output=True)
    )
    with torch.no_grad():
        net[0].weight.uniform_(-0.1, 0.35)
        net[2].weight.uniform_(-0.1, 0.5)
    graph = export_to_nir(net, torch.zeros(1, 20), ignore_dims=[0])
    x = inputs(3, 20)
    want, mem = run_snntorch(net, x)
    got, v = run_snnkit(snnkit.from_nir(graph, dt=1e-4, discretization="forward-euler"), x)
    assert want.sum() > 0 and torch.equal(want, got)
    torch.testing.assert_close(v, mem, rtol=0, atol=1e-6)
    # snnTorch networks take currents as well: an imported Input is a real-input layer
    currents = torch.rand(T, 3, 20, generator=torch.Generator().manual_seed(5)) * 0.6
    want_c, _ = run_snntorch(net, currents)
    got_c, _ = run_snnkit(snnkit.from_nir(graph, dt=1e-4, discretization="forward-euler"), currents)
    assert want_c.sum() > 0 and torch.equal(want_c, got_c)
    # Read with snnkit's own exact decay (exp(-dt / tau) = exp(-0.1) for beta = 0.9) the network differs
    got_exact, _ = run_snnkit(snnkit.from_nir(graph, dt=1e-4), x)
    assert not torch.equal(want, got_exact)


def test_snntorch_synaptic_network_runs_the_same_in_snnkit():
    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Linear(12, 16),
        synaptic((16,), 0.7, 0.9),
        torch.nn.Linear(16, 4),
        synaptic((4,), 0.6, 0.85, output=True),
    )
    with torch.no_grad():
        net[0].weight.uniform_(-0.1, 0.3)
        net[2].weight.uniform_(-0.1, 0.4)
    graph = export_to_nir(net, torch.zeros(1, 12), ignore_dims=[0])
    back = snnkit.from_nir(graph, dt=1e-4, discretization="forward-euler")
    assert type(back.layers[back.output_layer]).__name__ == "CurrentLIF"
    x = inputs(2, 12, seed=1)
    utils.reset(net)
    want = []
    with torch.no_grad():
        for t in range(T):
            want.append(net(x[t].float())[0])
    got, _ = run_snnkit(back, x)
    assert torch.stack(want).sum() > 0 and torch.equal(torch.stack(want), got)


def test_snntorch_conv_network_runs_the_same_in_snnkit():
    torch.manual_seed(2)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3),
        leaky((3, 6, 6), 0.9),
        torch.nn.Flatten(),
        torch.nn.Linear(108, 6),
        leaky((6,), 0.85, output=True),
    )
    with torch.no_grad():
        net[0].weight.uniform_(-0.1, 0.5)
        net[0].bias.uniform_(-0.05, 0.05)
        net[3].weight.uniform_(-0.05, 0.2)
    graph = export_to_nir(net, torch.zeros(1, 1, 8, 8), ignore_dims=[0])
    back = snnkit.from_nir(graph, dt=1e-4, discretization="forward-euler")
    x = inputs(2, 1, 8, 8, p=0.4, seed=2)
    want, _ = run_snntorch(net, x)
    got, _ = run_snnkit(back, x)
    assert want.sum() > 0 and torch.equal(want, got)


def snnkit_network(kind):
    net = snnkit.Network(dt=0.1, seed=3, zero_delay=True)  # snnTorch's importer assumes dt = 1e-4 s
    if kind == "conv":
        net.add_layer("in", "input", (1, 8, 8))
        net.add_layer("conv", "lif", (2, 6, 6), **LIF0, tau_mem=1.0)
        net.add_connection("in", "conv", "conv2d", kernel_size=3, weight="uniform(0, 0.5)")
        source = "conv"
    else:
        net.add_layer("in", "input", 20)
        source = "in"
    if kind == "current-lif":
        net.add_layer("hid", "current-lif", 16, **LIF0, tau_mem=2.0, tau_syn=0.5)
    else:
        net.add_layer("hid", "lif", 16, **LIF0, tau_mem=2.0)
    net.add_layer("out", "lif", 4, **LIF0, tau_mem=1.0)
    net.add_connection(source, "hid", "dense", weight="uniform(-0.05, 0.3)", bias=0.01)
    net.add_connection("hid", "out", "dense", weight="uniform(0, 0.5)")
    return net


@pytest.mark.parametrize("kind", ["lif", "current-lif", "conv"])
def test_snnkit_networks_run_the_same_in_snntorch(kind):
    net = snnkit_network(kind)
    graph = snnkit.to_nir(net, discretization="forward-euler")
    module = import_from_nir(graph)
    # snnTorch 1.0 imports NIR's Flatten(start_dim=0) (no batch dimension in NIR) as torch.nn.Flatten(0),
    # which flattens the batch too: its conv networks run one sample at a time
    batch = 1 if kind == "conv" else 3
    x = inputs(batch, *net.layers["in"].shape, seed=4)
    want, _ = run_snnkit(net, x, "out")
    got, _ = run_snntorch(module, x)
    assert want.sum() > 0 and torch.equal(want, got.reshape(want.shape))


def test_snntorch_recurrent_leaky_runs_the_same_in_snnkit():
    torch.manual_seed(3)
    recurrent = snn.RLeaky(
        beta=torch.full((16,), 0.9),
        threshold=torch.ones(16),
        linear_features=16,
        init_hidden=True,
        reset_mechanism="zero",
        reset_delay=False,
    )
    net = torch.nn.Sequential(torch.nn.Linear(10, 16), recurrent, torch.nn.Linear(16, 4), leaky((4,), 0.8, output=True))
    with torch.no_grad():
        net[0].weight.uniform_(-0.1, 0.3)
        recurrent.recurrent.weight.uniform_(-0.2, 0.2)
        net[2].weight.uniform_(0, 0.4)
    graph = export_to_nir(net, torch.zeros(1, 10), ignore_dims=[0])
    back = snnkit.from_nir(graph, dt=1e-4, discretization="forward-euler")
    assert [c.delay for c in back.connections.values()].count(1) == 1  # the recurrent one, one step late
    x = inputs(2, 10, seed=6)
    want, _ = run_snntorch(net, x)
    got, _ = run_snnkit(back, x)
    assert want.sum() > 0 and torch.equal(want, got)
