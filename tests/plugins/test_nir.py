"""NIR export and import (snnkit.to_nir / snnkit.from_nir) through the built-in plugins' mappings.

Round trips compare spikes and membrane potentials bit for bit on a fixed input.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import snnkit
from snnkit.errors import NIRExportError, NIRFileError, NIRImportError, NIRShapeError, SnnkitError

nir = pytest.importorskip("nir")

LIF0 = {"refractory": 0.0, "v_rest": 0.0, "v_reset": 0.0, "v_thresh": 1.0, "tau_mem": 20.0}


def record(net, layers, inputs, time):
    """Spikes and potentials of ``layers`` over a run of ``inputs`` (in evaluation, no learning)."""
    net.reset_state()
    for layer in layers:
        if f"nir.{layer}" not in net.monitors:
            net.add_monitor(f"nir.{layer}", "state", target=layer, variables=["s", "v"])
    net.eval()
    net.run(inputs, time=time, learning=False)
    out = {}
    for layer in layers:
        m = net.monitors[f"nir.{layer}"]
        out[layer] = (m.get("s").clone(), m.get("v").clone())
    return out


def assert_round_trip(net, layers, inputs, time, plugins, **export):
    graph = snnkit.to_nir(net, **{k: v for k, v in export.items() if k != "discretization_in"})
    back = snnkit.from_nir(graph, plugins=plugins, discretization=export.get("discretization", "exact"))
    want = record(net, layers, inputs, time)
    got = record(back, layers, inputs, time)
    for layer in layers:
        assert want[layer][0].sum() > 0, f"layer {layer} never spikes: the test would prove little"
        assert torch.equal(want[layer][0], got[layer][0]), f"spikes of {layer} differ"
        assert torch.equal(want[layer][1], got[layer][1]), f"potentials of {layer} differ"
    return graph, back


def spikes(time, batch, *shape, p=0.3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand((time, batch, *shape), generator=g) < p


def test_every_built_in_mapping_registers(plugins):
    registry = snnkit.nirio.nir_registry(plugins)
    assert {"Input", "LIF", "CubaLIF", "IF", "Affine", "Linear", "Scale", "Conv2d", "SumPool2d", "AvgPool2d"} <= set(
        registry.importers()
    )


@pytest.mark.parametrize("discretization", ["exact", "forward-euler"])
def test_dense_lif_current_lif_round_trip(plugins, discretization):
    net = snnkit.Network(dt=1.0, seed=0, zero_delay=True, plugins=plugins)
    net.add_layer("in", "input", 20)
    net.add_layer("hid", "lif", 30, **{**LIF0, "v_rest": -0.2, "v_reset": -0.5})
    net.add_layer("out", "current-lif", 5, **LIF0, tau_syn=5.0)
    net.add_connection("in", "hid", "dense", weight="normal(0.2, 0.3)", bias=0.01)
    net.add_connection("hid", "out", "dense", weight="uniform(0, 0.2)")
    graph, back = assert_round_trip(
        net, ["hid", "out"], {"in": spikes(60, 3, 20)}, 60, plugins, discretization=discretization
    )
    assert isinstance(graph.nodes["hid"], nir.LIF) and isinstance(graph.nodes["out"], nir.CubaLIF)
    assert isinstance(graph.nodes["in->hid"], nir.Affine) and isinstance(graph.nodes["hid->out"], nir.Linear)
    assert graph.nodes["hid"].tau[0] == pytest.approx(
        0.02 if discretization == "exact" else 1e-3 / (1 - math.exp(-1 / 20))
    )
    assert back.zero_delay and back.input_layer == "in" and back.output_layer == "out"


def test_one_step_delays_and_connection_delays_become_delay_nodes(plugins):
    net = snnkit.Network(dt=0.5, seed=1, plugins=plugins)  # the default one-step delay between layers
    net.add_layer("in", "input", 10)
    net.add_layer("a", "lif", 12, **LIF0)
    net.add_layer("b", "if", 4, v_reset=0.0, v_thresh=1.5, refractory=0.0)
    net.add_connection("in", "a", "dense", weight="uniform(0, 0.6)")
    net.add_connection("a", "b", "dense", weight="uniform(0, 0.6)", delay=2)
    graph, back = assert_round_trip(net, ["a", "b"], {"in": spikes(50, 2, 10)}, 50, plugins)
    assert graph.nodes["a->b.delay"].delay[0] == pytest.approx(3 * 0.5e-3)  # one step plus delay=2
    assert back.connections["a->b"].delay == 3 and back.connections["in->a"].delay == 1


def test_conv_one_to_one_and_flatten_round_trip(plugins):
    net = snnkit.Network(dt=1.0, seed=2, zero_delay=True, plugins=plugins)
    net.add_layer("in", "input", (2, 8, 8))
    net.add_layer("conv", "lif", (3, 6, 6), **LIF0)
    net.add_layer("copy", "lif", (3, 6, 6), **{**LIF0, "tau_mem": 5.0, "v_thresh": 0.5})
    net.add_layer("out", "if", 7, v_reset=0.0, v_thresh=2.0, refractory=0.0)
    net.add_connection(
        "in", "conv", "conv2d", kernel_size=3, weight="uniform(0, 0.4)", bias=torch.tensor([0.0, 0.1, -0.1])
    )
    net.add_connection("conv", "copy", "one-to-one", weight="uniform(0.5, 1.0)")
    net.add_connection("copy", "out", "dense", weight="normal(0.1, 0.2)")
    graph, _ = assert_round_trip(net, ["conv", "copy", "out"], {"in": spikes(40, 2, 2, 8, 8)}, 40, plugins)
    assert isinstance(graph.nodes["copy->out.flatten"], nir.Flatten)
    assert isinstance(graph.nodes["conv->copy"], nir.Scale) and isinstance(graph.nodes["in->conv"], nir.Conv2d)


def test_write_and_read_a_file(plugins, tmp_path):
    net = snnkit.Network(dt=1.0, seed=3, zero_delay=True, plugins=plugins)
    net.add_layer("in", "input", 8)
    net.add_layer("out", "lif", 4, **LIF0)
    net.add_connection("in", "out", "dense", weight="uniform(0, 0.8)")
    nir.write(tmp_path / "model.nir", snnkit.to_nir(net))
    back = snnkit.from_nir(tmp_path / "model.nir", plugins=plugins)  # dt from the graph's metadata
    assert back.dt == 1.0
    x = {"in": spikes(30, 1, 8)}
    want, got = record(net, ["out"], x, 30), record(back, ["out"], x, 30)
    assert torch.equal(want["out"][1], got["out"][1]) and want["out"][0].sum() > 0


def test_diehl_cook_learned_thresholds_export_as_thresholds(plugins):
    net = snnkit.Network(dt=1.0, seed=4, zero_delay=True, plugins=plugins)
    net.add_layer("in", "input", 16)
    net.add_layer("exc", "diehl-cook", 6, **LIF0, theta_plus=0.2, one_spike=False)
    net.add_connection("in", "exc", "dense", weight="uniform(0, 0.5)", rule="post-pre", wmax=1.0, wmin=0.0)
    net.train()
    net.run({"in": spikes(40, 1, 16, seed=9)}, time=40, learning=True)  # theta and weights learn
    theta = net.layers["exc"].theta.clone()
    assert theta.max() > 0 and len(set(theta.tolist())) > 1
    with pytest.raises(NIRExportError, match=r"post-pre.*drop_rules=True"):
        snnkit.to_nir(net)
    graph, back = assert_round_trip(net, ["exc"], {"in": spikes(40, 2, 16, seed=1)}, 40, plugins, drop_rules=True)
    np.testing.assert_allclose(graph.nodes["exc"].v_threshold, (theta + 1.0).numpy())
    assert type(back.layers["exc"]).__name__ == "LIF"


def test_gradient_trained_network_round_trips(plugins):
    torch.manual_seed(0)
    net = snnkit.Network(dt=1.0, seed=5, zero_delay=True, plugins=plugins)
    net.add_layer("in", "input", 10)
    net.add_layer("hid", "lif", 8, **LIF0, learnable=["v_thresh", "tau_mem"], surrogate="fast-sigmoid")
    net.add_layer("out", "lif", 3, **LIF0, surrogate="fast-sigmoid")
    net.add_connection("in", "hid", "dense", weight="uniform(0, 0.6)", bias=0.0, learnable=True)
    net.add_connection("hid", "out", "dense", weight="uniform(0, 0.6)", learnable=True)
    net.add_monitor("train", "state", target="out", variables=["s"])
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=0.05)
    x = {"in": spikes(20, 4, 10, seed=3).float()}
    for _ in range(3):
        net.reset_state()
        net.run(x, time=20)
        loss = (net.monitors["train"].get("s").mean(0) - 0.3).pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert len(set(net.layers["hid"].v_thresh.tolist())) > 1  # per-neuron thresholds learned
    del net.monitors["train"]
    with torch.no_grad():
        assert_round_trip(net, ["hid", "out"], {"in": spikes(30, 2, 10, seed=4)}, 30, plugins)


def test_pooling_nodes_import_as_conv2d_behind_a_relay(plugins):
    """Conv2d -> SumPool2d -> LIF: two linear nodes in a row, joined by a relay layer."""
    w = np.random.default_rng(0).uniform(0, 0.5, (2, 1, 3, 3)).astype(np.float32)
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([1, 6, 6])),
            "conv": nir.Conv2d(
                input_shape=(6, 6), weight=w, stride=1, padding=0, dilation=1, groups=1, bias=np.zeros(2)
            ),
            "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
            "lif": nir.LIF(tau=np.full(8, 0.02), r=np.full(8, 20.0), v_leak=np.zeros(8), v_threshold=np.ones(8)),
            "output": nir.Output(output_type=np.array([8])),
        },
        edges=[("input", "conv"), ("conv", "pool"), ("pool", "lif"), ("lif", "output")],
        type_check=False,
    )
    graph.nodes["lif"] = nir.LIF(
        tau=np.full((2, 2, 2), 0.02),
        r=np.full((2, 2, 2), 20.0),
        v_leak=np.zeros((2, 2, 2)),
        v_threshold=np.ones((2, 2, 2)),
    )
    net = snnkit.from_nir(graph, dt=1e-3, plugins=plugins)
    assert type(net.layers["conv"]).__name__ == "Relay" and net.output_layer == "lif"
    x = spikes(20, 1, 1, 6, 6, p=0.5)
    got = record(net, ["lif"], {"input": x}, 20)["lif"]
    v = torch.zeros(1, 2, 2, 2)
    d = math.exp(-1 / 20)
    for t in range(20):
        drive = torch.nn.functional.avg_pool2d(torch.nn.functional.conv2d(x[t].float(), torch.tensor(w)), 2) * 4
        v = v * d + drive
        s = v >= 1.0
        assert torch.equal(s.float(), got[0][t]), t
        v = torch.where(s, torch.zeros_like(v), v)
        torch.testing.assert_close(v, got[1][t])


@pytest.mark.parametrize(
    ("layer", "params", "match"),
    [
        ("lif", {}, r"layer 'bad' \('lif' from snnkit-plugins.*refractory period is 5.0 ms"),
        ("izhikevich", {}, r"layer 'bad' \('izhikevich' from snnkit-plugins.*no NIR exporter"),
        ("srm0", {}, r"'srm0' from snnkit-plugins.*no NIR exporter"),
        ("diehl-cook", {"refractory": 0.0}, "one_spike"),
        ("if", {"refractory": 0.0, "v_min": -70.0}, "v_min"),
    ],
)
def test_what_nir_cannot_hold_is_refused_by_name(plugins, layer, params, match):
    net = snnkit.Network(dt=1.0, plugins=plugins, zero_delay=True)
    net.add_layer("in", "input", 4)
    net.add_layer("bad", layer, 4, **params)
    net.add_connection("in", "bad", "dense")
    with pytest.raises(NIRExportError, match=match):
        snnkit.to_nir(net)


def test_maxpool2d_is_refused(plugins):
    net = snnkit.Network(dt=1.0, plugins=plugins, zero_delay=True)
    net.add_layer("in", "input", (1, 4, 4))
    net.add_layer("out", "lif", (1, 2, 2), **LIF0)
    net.add_connection("in", "out", "maxpool2d", kernel_size=2)
    with pytest.raises(NIRExportError, match=r"connection 'in->out' \('maxpool2d'.*most active|highest running rate"):
        snnkit.to_nir(net)


def small_graph(**lif):
    params = {"tau": np.full(3, 0.02), "r": np.full(3, 20.0), "v_leak": np.zeros(3), "v_threshold": np.ones(3)}
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([4])),
            "fc": nir.Linear(weight=np.ones((3, 4), dtype=np.float32)),
            "lif": nir.LIF(**{**params, **lif}),
            "output": nir.Output(output_type=np.array([3])),
        },
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")],
        type_check=False,
    )


def test_bad_graphs_are_clear_errors(plugins, tmp_path):
    not_nir = tmp_path / "model.nir"
    not_nir.write_text("hello")
    with pytest.raises(NIRFileError, match=r"model\.nir is not a NIR graph"):
        snnkit.from_nir(not_nir, dt=1e-3, plugins=plugins)
    with pytest.raises(NIRFileError, match="no such file"):
        snnkit.from_nir(tmp_path / "missing.nir", dt=1e-3, plugins=plugins)
    graph = small_graph()
    graph.nodes["lif"] = nir.CubaLI(
        tau_syn=np.full(3, 0.02), tau_mem=np.full(3, 0.02), r=np.full(3, 20.0), v_leak=np.zeros(3)
    )
    with pytest.raises(NIRImportError, match=r"NIR node 'lif' \(CubaLI\).*no installed plugin imports CubaLI nodes"):
        snnkit.from_nir(graph, dt=1e-3, plugins=plugins)
    graph = small_graph()
    graph.nodes["fc"] = nir.Linear(weight=np.ones((3, 5), dtype=np.float32))
    with pytest.raises(NIRShapeError, match=r"'fc'.*takes 5 inputs"):
        snnkit.from_nir(graph, dt=1e-3, plugins=plugins)
    graph = small_graph(tau=np.full(5, 0.02), r=np.full(5, 20.0), v_leak=np.zeros(5), v_threshold=np.ones(5))
    with pytest.raises(NIRShapeError, match="'lif'"):
        snnkit.from_nir(graph, dt=1e-3, plugins=plugins)
    with pytest.raises(SnnkitError, match="give dt"):
        snnkit.from_nir(small_graph(), plugins=plugins)
    graph = small_graph()
    graph.edges.append(("lif", "fc"))
    with pytest.raises(NIRImportError, match="cycle"):
        snnkit.from_nir(graph, dt=1e-3, plugins=plugins)


def test_an_input_gain_other_than_one_scales_voltages(plugins):
    """r * dt / tau = 0.5: snnkit's potentials are the graph's divided by 0.5, with the same spikes."""
    net = snnkit.from_nir(small_graph(r=np.full(3, 10.0), v_threshold=np.full(3, 2.0)), dt=1e-3, plugins=plugins)
    layer = net.layers["lif"]
    assert layer.params.v_thresh == pytest.approx(4.0)


def test_a_third_party_neuron_exports_through_the_hook(plugins):
    """A plugin registered in code maps its own neuron (what docs/writing-plugins.md shows)."""
    from snnkit_plugins.neurons.lif import LIF

    class Leaky(LIF):
        pass

    class Mapping:
        @staticmethod
        @snnkit.hookimpl
        def snnkit_register_nir(registry):
            registry.exporter(
                Leaky,
                lambda layer, ctx: nir.LIF(
                    tau=ctx.tau(layer.params.tau_mem),
                    r=ctx.tau(layer.params.tau_mem) / ctx.dt_s,
                    v_leak=ctx.array(0.0),
                    v_threshold=ctx.array(layer.params.v_thresh),
                    v_reset=ctx.array(0.0),
                ),
            )

    pm = snnkit.PluginManager()
    pm.load_setuptools_entrypoints()
    pm.register(Mapping, name="leaky-nir")
    net = snnkit.Network(dt=1.0, plugins=pm, zero_delay=True)
    net.add_layer("in", "input", 3)
    net.add_layer("x", Leaky(3, refractory=0.0, v_rest=0.0, v_reset=0.0))
    net.add_connection("in", "x", "dense")
    graph = snnkit.to_nir(net)
    assert isinstance(graph.nodes["x"], nir.LIF)


def test_without_nir_the_error_gives_the_install_line(plugins, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "nir", None)  # import nir now raises ImportError
    net = snnkit.Network(dt=1.0, plugins=plugins)
    with pytest.raises(SnnkitError, match=r"pip install 'snnkit-core\[nir\]'"):
        snnkit.to_nir(net)
    with pytest.raises(SnnkitError, match=r"pip install 'snnkit-core\[nir\]'"):
        snnkit.from_nir("model.nir", dt=1e-3, plugins=plugins)


def test_real_valued_inputs_round_trip_and_foreign_inputs_take_currents(plugins):
    net = snnkit.Network(dt=1.0, seed=6, zero_delay=True, plugins=plugins)
    net.add_layer("pixels", "real-input", 10)
    net.add_layer("out", "lif", 4, **LIF0)
    net.add_connection("pixels", "out", "dense", weight="uniform(0, 0.4)")
    x = {"pixels": torch.rand(30, 2, 10, generator=torch.Generator().manual_seed(0))}
    graph, back = assert_round_trip(net, ["out"], x, 30, plugins)
    assert graph.nodes["pixels"].metadata["snnkit_neuron"] == "real-input"
    assert type(back.layers["pixels"]).__name__ == "RealInput"
    graph.nodes["pixels"].metadata = {}  # as another tool writes it: it may be fed currents
    assert type(snnkit.from_nir(graph, plugins=plugins).layers["pixels"]).__name__ == "RealInput"
    net2 = snnkit.Network(dt=1.0, plugins=plugins, zero_delay=True)
    net2.add_layer("in", "input", 3)
    assert type(snnkit.from_nir(snnkit.to_nir(net2), plugins=plugins).layers["in"]).__name__ == "Input"


def test_recurrent_connections_round_trip(plugins):
    net = snnkit.Network(dt=1.0, seed=7, zero_delay=True, plugins=plugins)
    net.add_layer("in", "input", 10)
    net.add_layer("rec", "lif", 12, **LIF0)
    net.add_layer("out", "lif", 3, **LIF0)
    net.add_connection("in", "rec", "dense", weight="uniform(0, 0.4)")
    net.add_connection("rec", "rec", "dense", weight="normal(0, 0.3)", delay=1)  # closes a cycle
    net.add_connection("rec", "out", "dense", weight="uniform(0, 0.5)")
    graph, back = assert_round_trip(net, ["rec", "out"], {"in": spikes(50, 2, 10)}, 50, plugins)
    assert isinstance(graph.nodes["rec->rec.delay"], nir.Delay)
    assert back.connections["rec->rec"].delay == 1 and back.connections["in->rec"].delay == 0


def test_a_cycle_without_delay_node_and_nested_graphs_deliver_one_step_late(plugins):
    """snnTorch's recurrent layers: LIF -> Linear -> LIF inside a nested graph, no Delay node."""
    w_rec = np.random.default_rng(1).normal(0, 0.4, (6, 6)).astype(np.float32)
    lif = {"tau": np.full(6, 0.02), "r": np.full(6, 20.0), "v_leak": np.zeros(6), "v_threshold": np.ones(6)}
    inner = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([6])),
            "lif": nir.LIF(**lif),
            "w_rec": nir.Linear(weight=w_rec),
            "output": nir.Output(output_type=np.array([6])),
        },
        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
        type_check=False,
    )
    w_in = np.random.default_rng(2).uniform(0, 0.5, (6, 4)).astype(np.float32)
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([4])),
            "fc": nir.Linear(weight=w_in),
            "rlif": inner,
            "output": nir.Output(output_type=np.array([6])),
        },
        edges=[("input", "fc"), ("fc", "rlif"), ("rlif", "output")],
        type_check=False,
    )
    net = snnkit.from_nir(graph, dt=1e-3, plugins=plugins)
    assert net.connections["rlif_w_rec"].delay == 1 and net.output_layer == "rlif_lif"
    x = spikes(40, 1, 4, p=0.4)
    got = record(net, ["rlif_lif"], {"input": x}, 40)["rlif_lif"]
    v, s = torch.zeros(1, 6), torch.zeros(1, 6)
    d = math.exp(-1 / 20)
    for t in range(40):
        v = v * d + x[t].float() @ torch.tensor(w_in).T + s @ torch.tensor(w_rec).T
        s = (v >= 1.0).float()
        assert torch.equal(s, got[0][t]), t
        v = torch.where(s > 0, torch.zeros_like(v), v)
        torch.testing.assert_close(v, got[1][t])
    assert got[0].sum() > 0


def test_a_readout_that_never_fires_is_a_leaky_integrator(plugins):
    net = snnkit.Network(dt=1.0, seed=8, zero_delay=True, plugins=plugins)
    net.add_layer("in", "input", 10)
    net.add_layer("readout", "lif", 3, **{**LIF0, "v_thresh": math.inf, "v_rest": 0.1})
    net.add_connection("in", "readout", "dense", weight="normal(0, 0.3)")
    graph = snnkit.to_nir(net)
    assert isinstance(graph.nodes["readout"], nir.LI)
    back = snnkit.from_nir(graph, plugins=plugins)
    x = {"in": spikes(30, 2, 10)}
    want, got = record(net, ["readout"], x, 30)["readout"], record(back, ["readout"], x, 30)["readout"]
    assert want[0].sum() == 0 and torch.equal(want[1], got[1]) and want[1].abs().sum() > 0
