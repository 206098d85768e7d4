"""The example third-party plugin in tests/fixtures, installed like any package by the test session.

It provides one component of every kind; each runs the contract suite of its kind from
``snnkit.testing`` (kinds without a suite have their own tests here), and the whole package is
checked for what a third-party package must be: found through its entry points, documented,
depending on snnkit-core only.
"""

import ast
import doctest
import importlib
import importlib.metadata
import importlib.resources
import json
import math
import tomllib
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from snnkit import Context, Network, PluginManager
from snnkit.experiment import load_experiment, parse_experiment
from snnkit.recording import open as open_recording
from snnkit.registry import KINDS
from snnkit.runner import run_experiment
from snnkit.testing import (
    ActionContract,
    ConnectionContract,
    DatasetContract,
    EncoderContract,
    EnvironmentContract,
    LearningRuleContract,
    MonitorContract,
    NeuronContract,
    PipelineContract,
    PlotContract,
    RecorderContract,
    SurrogateContract,
)

pytest.importorskip("snnkit_example", reason="install tests/fixtures/snnkit-example-plugin (nox -s tests does)")

DISTRIBUTION, VERSION = "snnkit-example-plugin", "0.4.0"
DEMO = (importlib.resources.files("snnkit_example.experiments") / "parity_demo.toml").read_text()


def example_entry_points() -> list[importlib.metadata.EntryPoint]:
    dist = importlib.metadata.distribution(DISTRIBUTION)
    return sorted((ep for ep in dist.entry_points if ep.group == "snnkit"), key=lambda ep: ep.name)


def example_modules() -> list[str]:
    return sorted(ep.value for ep in example_entry_points())


def example_components(plugins: PluginManager) -> list:
    return [c for c in plugins.components() if c.provider.distribution == DISTRIBUTION]


# -- the package as a whole --------------------------------------------------------------------


def test_discovered_with_its_distribution(snnkit_plugins):
    neuron = snnkit_plugins.get("neurons", "resonate-and-fire")
    assert (neuron.provider.distribution, neuron.provider.version) == (DISTRIBUTION, VERSION)
    assert neuron.summary.startswith("Resonate-and-fire neurons")
    assert snnkit_plugins.failures == []


def test_listed_by_the_cli_with_its_distribution(snnkit_plugins):
    from snnkit_cli.main import cli

    result = CliRunner().invoke(cli, ["plugins", "--kind", "neurons"], obj=snnkit_plugins)
    row = next(line for line in result.output.splitlines() if line.startswith("neurons  resonate-and-fire"))
    assert f"{DISTRIBUTION} {VERSION}" in row


def test_every_kind_has_a_component_from_the_example_plugin(snnkit_plugins):
    """A kind added to snnkit later shows up here until the example plugin covers it."""
    covered = {c.kind for c in example_components(snnkit_plugins)}
    missing = [kind for kind in KINDS if kind not in covered]
    assert not missing, f"{DISTRIBUTION} has no component of kind(s) {', '.join(missing)}: add one, with its contract"


def test_one_entry_point_per_module_and_one_module_per_component(snnkit_plugins):
    modules = example_modules()
    assert len(modules) == len(set(modules)), "two entry points name the same module"
    # entry-point names are shared by every installed distribution: prefixed, they clash with none
    # (docs/writing-plugins.md's own `snnkit-resonate` has a `resonate-and-fire` entry point)
    assert all(ep.name.startswith("example-") for ep in example_entry_points())
    components = example_components(snnkit_plugins)
    by_module = {}
    for c in components:
        factory = c.factory if callable(c.factory) else None
        by_module.setdefault(factory.__module__ if factory else "snnkit_example.experiments", []).append(c.name)
    assert set(by_module) <= set(modules), f"components defined outside their entry-point modules: {by_module}"
    assert all(len(names) == 1 for names in by_module.values()), by_module


def test_depends_on_snnkit_core_only_and_never_imports_the_builtins():
    requires = importlib.metadata.requires(DISTRIBUTION) or []
    assert [r for r in requires if "extra ==" not in r] == ["snnkit-core"], requires
    package = Path(importlib.import_module("snnkit_example").__file__).parent
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] == "snnkit_plugins" for n in names), f"{source.name} imports snnkit_plugins"


@pytest.mark.parametrize("module", example_modules())
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_every_parameter_is_annotated_and_documented(snnkit_plugins):
    for c in example_components(snnkit_plugins):
        for p in c.parameters:
            assert p.annotation, f"{c.label}: parameter {p.name!r} has no annotation"
            assert f"{p.name}:" in c.doc, f"{c.label}: parameter {p.name!r} is not in its docstring's Args"


@pytest.mark.parametrize(
    ("kind", "name", "args", "params", "parameter"),
    [
        ("neurons", "resonate-and-fire", (3,), {"damping": 0.0}, "damping"),
        ("connections", "ring", (6, 6), {"radius": 3}, "radius"),
        ("connections", "ring", (6, 6), {"norm": -1.0}, "norm"),
        ("learning_rules", "oja", (), {"nu": -1e-3}, "nu"),
        ("learning_rules", "oja", (), {"tc_post": 0.0}, "tc_post"),
        ("encoders", "regular", (), {"max_rate": -5.0}, "max_rate"),
        ("encoders", "regular", (), {"max_rate": math.inf}, "max_rate"),
        ("datasets", "parity", (), {"bits": 0}, "bits"),
        ("datasets", "parity", (), {"repeats": 0}, "repeats"),
        ("environments", "corridor", (), {"length": 1}, "length"),
        ("environments", "corridor", (), {"slip": 1.5}, "slip"),
        ("actions", "last-to-fire", (), {"epsilon": 2.0}, "epsilon"),
        ("monitors", "last-steps", ("layer",), {"window": 0}, "window"),
        ("models", "resonator-ring", (), {"n_neurons": 0}, "n_neurons"),
        ("models", "resonator-ring", (), {"lateral": 1.0}, "lateral"),
        ("evaluations", "nearest-centroid", (), {"min_spikes": -1}, "min_spikes"),
        ("pipelines", "prequential-readout", (), {"samples": 0}, "samples"),
        ("surrogates", "gaussian", (), {"sigma": 0.0}, "sigma"),
        ("losses", "count-margin", (), {"margin": -1.0}, "margin"),
    ],
)
def test_a_value_out_of_range_is_refused_naming_its_parameter(snnkit_plugins, kind, name, args, params, parameter):
    with pytest.raises(ValueError, match=rf"\b{parameter}\b"):
        snnkit_plugins.build(kind, name, *args, **params)


def test_disabling_one_entry_point_blocks_exactly_its_component(monkeypatch):
    monkeypatch.setenv("SNNKIT_DISABLE_PLUGINS", "example-ring")
    plugins = PluginManager()
    plugins.load_setuptools_entrypoints()
    assert "ring" not in plugins.registry("connections")
    assert "oja" in plugins.registry("learning_rules") and "resonator-ring" in plugins.registry("models")


# -- neurons: resonate-and-fire -------------------------------------------------------------------


class TestResonateAndFireContract(NeuronContract):
    name = "resonate-and-fire"
    drive = 100.0


def test_used_by_name_in_a_network(snnkit_plugins):
    net = Network(plugins=snnkit_plugins)
    net.add_layer("in", "input", 2)
    net.add_layer("rf", "resonate-and-fire", 1)
    net.add_connection("in", "rf", "dense", weight=torch.tensor([[4.0], [0.0]]))
    net.add_monitor("v", "state", target="rf", variables=["v", "x", "s"])
    x = torch.zeros(4, 1, 2)
    x[0, 0, 0] = 1.0
    net.run({"in": x}, time=4)
    v = torch.tensor(net.monitors["v"].get("v").flatten().tolist(), dtype=torch.float64)
    # the kick of 4 mV arrives in step 1, then z = 4 exp((b + i omega) k dt): v - v_rest = Im z
    k = torch.arange(4, dtype=torch.float64)
    expected = -65.0 + 4.0 * torch.exp(-0.02 * k) * torch.sin(2 * math.pi * 0.04 * k)
    torch.testing.assert_close(v, expected, atol=1e-5, rtol=0)


def test_resonates_with_input_at_its_eigenfrequency(snnkit_plugins):
    """Two kicks of 8 mV (each alone peaks at 7 mV) fire the neuron one period (25 ms at 40 Hz) apart,
    not half a period apart."""
    layer = snnkit_plugins.build("neurons", "resonate-and-fire", 1)
    fired = {}
    for gap in (25, 12):
        state, count = layer.initial_state(1), 0
        for t in range(60):
            kick = 8.0 if t in (0, gap) else 0.0
            spikes, state = layer(torch.tensor([[kick]]), state, Context())
            count += int(spikes.item())
        fired[gap] = count
    assert fired == {25: 1, 12: 0}


# -- connections: ring ---------------------------------------------------------------------------


class TestRingContract(ConnectionContract):
    name = "ring"
    source_shape = (6,)
    target_shape = (6,)


class TestRingOfTwoNeighboursContract(ConnectionContract):
    name = "ring"
    source_shape = (2, 4)  # flattened: 8 neurons on the ring
    target_shape = (8,)
    params = {"radius": 2, "weight": "uniform(0, 1)"}


def test_ring_delivers_to_the_neighbours_and_learns_through_outer(snnkit_plugins):
    conn = snnkit_plugins.build("connections", "ring", 5, 5, radius=2, weight=torch.arange(20.0).reshape(5, 4))
    x = torch.zeros(1, 5)
    x[0, 0] = 1.0
    out, _ = conn(x, conn.initial_state(1), Context())
    # neuron 0 is, for target j, the source at offset (0 - j) mod 5: offsets (-2, -1, 1, 2) are columns 0..3
    expected = [0.0, conn.weight[1, 1], conn.weight[2, 0], conn.weight[3, 3], conn.weight[4, 2]]
    assert out.flatten().tolist() == pytest.approx([float(e) for e in expected])
    update = conn.outer(x, torch.ones(1, 5))[0]
    assert update.sum() == 4 and update[1, 1] == update[2, 0] == update[3, 3] == update[4, 2] == 1
    conn.normalize(2.0)
    assert torch.allclose(conn.weight.sum(1), torch.full((5,), 2.0))


# -- learning rules: oja -------------------------------------------------------------------------


class TestOjaContract(LearningRuleContract):
    name = "oja"


class TestOjaOnResonateAndFireContract(LearningRuleContract):
    name = "oja"
    target = "resonate-and-fire"
    params = {"nu": 1e-2, "tc_pre": 10.0}


def test_oja_keeps_its_traces_in_its_state_and_a_monitor_records_them(snnkit_plugins):
    net = Network(plugins=snnkit_plugins, seed=0)
    net.add_layer("in", "input", 1)
    net.add_layer("out", "lif", 1)
    net.add_connection(
        "in", "out", "dense", weight=0.0, rule=snnkit_plugins.build("learning_rules", "oja", tc_pre=10.0)
    )
    monitor = net.add_monitor("traces", "last-steps", target="in->out", variables=["pre", "post"])
    x = torch.zeros(4, 1, 1)
    x[0] = 1.0
    net.run({"in": x}, time=4, learning=True)
    # the spike of step 0 arrives at step 1 (one-step delay), then decays by exp(-dt / tc_pre)
    assert monitor.get("pre").flatten().tolist() == pytest.approx([0.0, 1.0, math.exp(-0.1), math.exp(-0.2)])
    assert monitor.get("post").abs().sum() == 0  # the target never fired: nothing learned either
    assert net.connections["in->out"].weight.item() == 0.0


def test_oja_bounds_the_weights_where_hebbian_growth_alone_would_not(snnkit_plugins):
    """Pre and post always active (traces converge to 1 / (1 - exp(-dt / tc))): Oja's fixed point is
    ``w = x / y = 1`` whatever the start, with equal time constants."""
    conn = snnkit_plugins.build("connections", "ring", 3, 3, weight=5.0)
    rule = snnkit_plugins.build("learning_rules", "oja", nu=1e-3)
    from snnkit import Activity

    state, both = rule.initial_state(conn, 1), torch.ones(1, 3)
    with torch.no_grad():
        for _ in range(3000):
            state = rule(conn, Activity(both), Activity(both), state, Context())
    assert torch.allclose(conn.weight, torch.ones_like(conn.weight), atol=1e-3)


# -- encoders: regular ---------------------------------------------------------------------------


class TestRegularContract(EncoderContract):
    name = "regular"


class TestRegularImagesContract(EncoderContract):
    name = "regular"
    data_shape = (2, 3, 3)
    params = {"max_rate": 500.0}


def test_regular_fires_at_the_rate_evenly_spaced(snnkit_plugins):
    encoder = snnkit_plugins.build("encoders", "regular", max_rate=80.0)
    spikes = encoder(torch.tensor([[1.0, 0.25, -1.0, 2.0]]), 1000, dt=0.5)  # 500 ms
    assert spikes[:, 0].sum(0).tolist() == [40, 10, 0, 40]  # clipped to [0, 1]
    gaps = spikes[:, 0, 0].nonzero().flatten().diff()
    assert set(gaps.tolist()) == {25}  # every 12.5 ms
    assert encoder.with_max_rate(160.0)(torch.ones(1, 1), 1000, dt=0.5).sum() == 80  # a RateEncoder
    assert encoder.max_rate == 80.0


# -- datasets: parity ----------------------------------------------------------------------------


class TestParityContract(DatasetContract):
    name = "parity"
    classes = 2


class TestXORContract(DatasetContract):
    name = "parity"
    classes = 2
    params = {"bits": 2, "repeats": 3, "seed": 5}


def test_parity_labels_and_splits(snnkit_plugins):
    test = snnkit_plugins.build("datasets", "parity", train=False, bits=3)
    assert len(test) == 8 and test.classes == ["even", "odd"]
    for x, y in (test[i] for i in range(8)):
        assert int(y) == int(x.sum()) % 2
    train = snnkit_plugins.build("datasets", "parity", bits=3, repeats=2, seed=1)
    assert len(train) == 16
    first, second = train.patterns[:8], train.patterns[8:]
    assert sorted(map(tuple, first.tolist())) == sorted(map(tuple, test.patterns.tolist()))  # each pass: all patterns
    assert not torch.equal(first, second)  # in its own order
    again = snnkit_plugins.build("datasets", "parity", bits=3, repeats=2, seed=1)
    assert torch.equal(train.patterns, again.patterns)


# -- environments: corridor ----------------------------------------------------------------------


class TestCorridorContract(EnvironmentContract):
    name = "corridor"


class TestSlipperyCorridorContract(EnvironmentContract):
    name = "corridor"
    params = {"length": 4, "slip": 0.3, "max_steps": 6}
    steps = 40


def test_corridor_walks_to_the_goal_and_is_cut_off_after_max_steps(snnkit_plugins):
    env = snnkit_plugins.build("environments", "corridor", length=4, max_steps=3, step_cost=0.5)
    start = int(env.reset(seed=0).argmax())
    assert start < 3
    transitions = [env.step(1) for _ in range(3 - start)]
    assert [t.reward for t in transitions] == [-0.5] * (2 - start) + [1.0]
    assert transitions[-1].terminated and not transitions[-1].truncated
    env.reset(seed=0)
    walled = [env.step(0) for _ in range(3)]
    assert walled[-1].observation.tolist() == [1.0, 0.0, 0.0, 0.0]  # the wall held
    assert [t.truncated for t in walled] == [False, False, True] and not walled[-1].terminated


def test_corridor_with_the_environment_pipeline_and_the_last_to_fire_action(snnkit_plugins, tmp_path):
    """The example's environment, encoder and action function driven by the built-in
    ``environment`` pipeline, looked up by name."""
    text = f"""
[run]
name = "corridor"
time = 10
output = "{tmp_path / "corridor.pt"}"

[pipeline]
plugin = "environment"
episodes = 3
max_steps = 8

[environment]
plugin = "corridor"
length = 4

[encoder]
plugin = "regular"
max_rate = 500.0

[action]
plugin = "last-to-fire"

[[network.layers]]
name = "position"
neuron = "input"
shape = 4

[[network.layers]]
name = "moves"
neuron = "resonate-and-fire"
shape = 4

[[network.connections]]
source = "position"
target = "moves"
weight = "uniform(10, 30)"

[recorder]
plugin = "torch-save"
"""
    result = run_experiment(parse_experiment(text, snnkit_plugins), snnkit_plugins)
    assert result.status == "complete" and result.units_done == 3
    recording = open_recording(tmp_path / "corridor.pt", snnkit_plugins)
    index, lengths = recording.metrics()["length"]
    assert index.tolist() == [0, 1, 2] and all(1 <= n <= 8 for n in lengths.tolist())


# -- actions: last-to-fire -----------------------------------------------------------------------


class TestLastToFireContract(ActionContract):
    name = "last-to-fire"


class TestExploringLastToFireContract(ActionContract):
    name = "last-to-fire"
    params = {"epsilon": 0.5}  # the contract chooses with explore=False: epsilon must not matter there


def test_last_to_fire_breaks_ties_and_silence_at_random(snnkit_plugins):
    action = snnkit_plugins.build("actions", "last-to-fire")
    tie = torch.zeros(3, 200, 4, dtype=torch.bool)
    tie[2, :, 0] = tie[2, :, 3] = True  # both groups last fire at step 2
    chosen = action(tie, 2, generator=torch.Generator().manual_seed(0))
    assert set(chosen.tolist()) == {0, 1}
    silent = action(torch.zeros(3, 200, 4, dtype=torch.bool), 2, generator=torch.Generator().manual_seed(0))
    assert set(silent.tolist()) == {0, 1}


# -- monitors: last-steps ------------------------------------------------------------------------


class TestLastStepsContract(MonitorContract):
    name = "last-steps"


class TestLastStepsSmallWindowContract(MonitorContract):
    name = "last-steps"
    params = {"window": 6}  # the contract records 5 and 6 steps: all of them fit


def test_last_steps_keeps_only_the_window(snnkit_plugins):
    monitor = snnkit_plugins.build("monitors", "last-steps", target="layer", variables=["v"], window=4)
    values = torch.arange(30.0).reshape(10, 3, 1)
    monitor.record_steps({"v": values[:3]})
    for t in range(3, 6):
        monitor.record({"v": values[t]})
    monitor.record_steps({"v": values[6:]})
    assert torch.equal(monitor.get("v"), values[6:])
    assert sum(len(b) for b in monitor._blocks["v"]) <= 4 + 4  # the dropped blocks are gone, not kept


# -- recorders: torch-save -----------------------------------------------------------------------


class TestTorchSaveRecorderContract(RecorderContract):
    name = "torch-save"


class TestTorchSaveRecorderWithoutFsyncContract(RecorderContract):
    name = "torch-save"
    params = {"fsync": False}


def test_torch_save_writes_atomically_and_recognizes_only_its_files(snnkit_plugins, tmp_path, monkeypatch):
    recorder = snnkit_plugins.build("recorders", "torch-save")
    path = tmp_path / "run.pt"
    recorder.start(path, "[run]\n", {"name": "atomic", "seed": 0})
    before = path.read_bytes()

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr("snnkit_example.torch_save.os.replace", fail)
    recorder.log(0, {"rate": 1.0})
    with pytest.raises(OSError, match="disk full"):
        recorder.flush()
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["run.pt"]  # no temporary left
    monkeypatch.undo()
    recorder.finish("complete")
    assert open_recording(path, snnkit_plugins).metrics()["rate"][1].tolist() == [1.0]
    cls = type(recorder)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.ones(2)}, other)  # a torch file, but not a recording
    assert cls.recognizes(path) and not cls.recognizes(other) and not cls.recognizes(tmp_path / "missing.pt")


# -- plots: rate-histogram -----------------------------------------------------------------------


class TestRateHistogramContract(PlotContract):
    name = "rate-histogram"


class TestRateHistogramOfOneSampleContract(PlotContract):
    name = "rate-histogram"
    params = {"sample": 0, "bins": 5}


# -- models, evaluations, pipelines, experiments: the shipped experiment -------------------------


def test_resonator_ring_model_builds_a_network_that_runs(snnkit_plugins):
    net = snnkit_plugins.build("models", "resonator-ring", n_inputs=3, n_neurons=5, radius=2, plugins=snnkit_plugins)
    assert (net.input_layer, net.output_layer) == ("input", "output")
    assert type(net.rules["input->output"]).__name__ == "Oja"
    monitor = net.add_monitor("out", "last-steps", target="output", variables=["s"])
    before = net.connections["input->output"].weight.clone()
    net.run({"input": torch.ones(30, 2, 3, dtype=torch.bool)}, time=30)
    assert monitor.get("s").any() and not torch.equal(before, net.connections["input->output"].weight)


def test_nearest_centroid_refits_and_ignores_classes_without_samples(snnkit_plugins):
    readout = snnkit_plugins.build("evaluations", "nearest-centroid")
    readout.fit(torch.tensor([[2.0, 0.0], [0.0, 2.0]]), torch.tensor([0, 2]), n_classes=3)
    assert readout.predict(torch.tensor([[1.0, 0.1], [0.1, 1.0]])).tolist() == [0, 2]  # never class 1
    assert readout.accuracy(torch.tensor([[1.0, 0.0], [0.0, 0.0]]), torch.tensor([0, 0])) == 0.5  # silent: wrong
    with pytest.raises(Exception, match="fit"):
        snnkit_plugins.build("evaluations", "nearest-centroid").predict(torch.ones(1, 2))


class TestPrequentialReadoutContract(PipelineContract):
    name = "prequential-readout"
    experiment = DEMO


def test_the_shipped_experiment_is_listed_and_runs_through_the_cli(snnkit_plugins, tmp_path):
    from snnkit_cli.main import cli

    runner = CliRunner()
    listing = runner.invoke(cli, ["experiments"], obj=snnkit_plugins)
    assert any(line.split()[:1] == ["parity-demo"] for line in listing.output.splitlines()), listing.output
    path = tmp_path / "x.pt"
    result = runner.invoke(cli, ["run", "parity-demo", "--output", str(path), "--quiet", "--json"], obj=snnkit_plugins)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "complete", summary
    recording = open_recording(path, snnkit_plugins)
    assert type(recording).__name__ == "TorchSaveRecording" and recording.status == "complete"
    assert recording.attrs["name"] == "parity-demo" and DISTRIBUTION in recording.attrs["versions"]
    experiment = load_experiment("parity-demo", snnkit_plugins)
    units = 32 // experiment.run["batch_size"]
    assert tuple(recording.spikes("output").shape) == (units * experiment.run["time"], 4, 8)
    assert recording.values("output", "v").dtype == torch.float32
    index, accuracy = recording.metrics()["accuracy"]
    assert index.tolist() == list(range(1, units)) and ((accuracy >= 0) & (accuracy <= 1)).all()
    snapshots, weights = recording.weights()["input->output"]
    assert snapshots.tolist() == [1, 3, 5, 7] and tuple(weights.shape) == (4, 4, 8)
    assert torch.equal(recording.checkpoint()["progress"]["index"], torch.tensor(units - 1))
    assert recording.checkpoint()["pipeline"]["counts"].shape == (32, 8)
    assert tomllib.loads(recording.experiment)["model"]["plugin"] == "resonator-ring"
    inspected = runner.invoke(cli, ["inspect", str(path)], obj=snnkit_plugins)
    assert inspected.exit_code == 0 and "status complete" in inspected.output, inspected.output
    plotted = runner.invoke(cli, ["plot", str(path), "--plot", "rate-histogram"], obj=snnkit_plugins)
    assert plotted.exit_code == 0, plotted.output
    assert (tmp_path / "x" / "rate-histogram.png").stat().st_size > 0


# -- surrogates and losses: trained by gradient with the built-in pipeline -----------------------


class TestGaussianContract(SurrogateContract):
    name = "gaussian"


def test_gaussian_integrates_to_one(snnkit_plugins):
    surrogate = snnkit_plugins.build("surrogates", "gaussian", sigma=0.3)
    x = torch.linspace(-5, 5, 20001, dtype=torch.float64)
    assert torch.trapezoid(surrogate.derivative(x), x).item() == pytest.approx(1.0, abs=1e-9)


def test_count_margin_is_zero_once_the_label_leads_by_the_margin(snnkit_plugins):
    loss = snnkit_plugins.build("losses", "count-margin", margin=2.0)
    spikes = torch.zeros(5, 2, 3)
    spikes[:, 0, 1] = 1.0  # sample 0: neuron 1 fires 5 times, the others never
    spikes[:3, 1, 0] = spikes[:2, 1, 2] = 1.0  # sample 1: counts 3, 0, 2
    assert loss.predict({"s": spikes}).tolist() == [1, 0]
    assert loss({"s": spikes}, torch.tensor([1, 0])).item() == pytest.approx((0 + (0 + 1) / 3) / 2)
    counts = spikes.sum(0).requires_grad_()
    loss({"s": counts[None]}, torch.tensor([1, 0])).backward()
    assert counts.grad[1].tolist() == pytest.approx([-1 / 6, 0.0, 1 / 6])  # raise the label, lower the rival


def test_resonate_and_fire_gaussian_and_count_margin_train_by_gradient(snnkit_plugins, tmp_path):
    """The example's neuron, surrogate, loss, dataset and encoder in the built-in ``gradient`` pipeline."""
    text = f"""
[run]
name = "parity-gradient"
time = 20
batch_size = 4
weights_every = 1
output = "{tmp_path / "gradient.pt"}"

[pipeline]
plugin = "gradient"
loss = "count-margin"
loss_params = {{ margin = 2.0 }}
lr = 0.05
epochs = 2

[dataset]
plugin = "parity"
bits = 2
repeats = 4

[encoder]
plugin = "regular"
max_rate = 250.0

[[network.layers]]
name = "input"
neuron = "input"
shape = 2

[[network.layers]]
name = "hidden"
neuron = "resonate-and-fire"
shape = 8
surrogate = {{ name = "gaussian", sigma = 5.0 }}

[[network.layers]]
name = "output"
neuron = "resonate-and-fire"
shape = 2
surrogate = {{ name = "gaussian", sigma = 5.0 }}

[[network.connections]]
source = "input"
target = "hidden"
weight = "uniform(0, 40)"
learnable = true

[[network.connections]]
source = "hidden"
target = "output"
weight = "uniform(0, 40)"
learnable = true

[recorder]
plugin = "torch-save"
"""
    experiment = parse_experiment(text, snnkit_plugins)
    result = run_experiment(experiment, snnkit_plugins)
    assert result.status == "complete", result
    recording = open_recording(experiment.output, snnkit_plugins)
    _, losses = recording.metrics()["loss"]
    assert torch.isfinite(losses).all() and len(losses) == 8
    index, weights = recording.weights()["input->hidden"]
    assert index.tolist() == list(range(10)) and not torch.equal(weights[0], weights[-1])  # 2 epochs of 4 + 1 test


# -- commands: snnkit example-info ---------------------------------------------------------------


@pytest.fixture
def snnkit_group(snnkit_plugins):
    """A fresh `snnkit` group with the built-in commands and every plugin's, as `snnkit` builds it
    (the process-wide group is left alone)."""
    from snnkit_cli.main import SnnkitGroup, add_plugin_commands, cli

    group = SnnkitGroup(name="snnkit", commands=dict(cli.commands))
    add_plugin_commands(snnkit_plugins, group)
    return group


def test_the_command_lists_every_component_of_the_package(snnkit_group, snnkit_plugins):
    runner = CliRunner()
    result = runner.invoke(snnkit_group, ["example-info"], obj=snnkit_plugins)
    assert result.exit_code == 0, result.output
    rows = {tuple(line.split()[:2]) for line in result.output.splitlines()}
    assert rows == {(c.kind, c.name) for c in example_components(snnkit_plugins)}
    assert len(rows) >= len(KINDS)
    rules = runner.invoke(snnkit_group, ["example-info", "--kind", "learning-rules"], obj=snnkit_plugins)
    assert rules.exit_code == 0 and rules.output.split()[:2] == ["learning_rules", "oja"]
    bad = runner.invoke(snnkit_group, ["example-info", "--kind", "neuron"], obj=snnkit_plugins)
    assert bad.exit_code == 2 and "did you mean 'neurons'" in bad.output
    assert snnkit_group.commands["example-info"].snnkit_provider.startswith(f"{DISTRIBUTION} {VERSION}")
    assert snnkit_plugins.failures == []


def test_the_command_runs_from_the_installed_snnkit_command():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "snnkit_cli", "example-info", "--kind", "neurons"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["neurons", "resonate-and-fire"]
