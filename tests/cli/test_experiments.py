"""Experiment files: validation errors (file, table, key, suggestion), overrides, dry runs."""

import textwrap
import tomllib

import pytest
from click.testing import CliRunner

from snnkit.experiment import ExperimentError, load_experiment, parse_experiment
from snnkit_cli.main import cli

VALID = """
[run]
name = "tiny"
seed = 1
time = 20
samples = 3

[encoder]
plugin = "poisson"

[[network.layers]]
name = "input"
neuron = "input"
shape = 10

[[network.layers]]
name = "output"
neuron = "lif"
shape = 4
tau_mem = 20.0

[[network.connections]]
source = "input"
target = "output"
weight = "uniform(0, 1)"
rule = { name = "post-pre", nu = [1e-4, 1e-2] }

[[monitors]]
name = "out"
target = "output"
variables = ["s", "v"]
"""


def parse(text, plugins, overrides=()):
    return parse_experiment(textwrap.dedent(text), plugins, source="exp.toml", overrides=overrides)


def error(text, plugins, overrides=()):
    with pytest.raises(ExperimentError) as info:
        parse(text, plugins, overrides)
    return str(info.value)


def test_a_valid_file_gets_its_defaults(entry_point_plugins):
    exp = parse(VALID, entry_point_plugins)
    assert exp.run["batch_size"] == 1 and exp.run["dt"] == 1.0 and exp.run["device"] == "cpu"
    assert exp.data["pipeline"]["plugin"] == "simulate" and exp.data["recorder"]["plugin"] == "hdf5"
    assert exp.data["network"]["connections"][0]["connection"] == "dense"
    assert str(exp.output) == "runs/tiny.h5"
    assert tomllib.loads(exp.to_toml()) == exp.data  # the resolved TOML reads back to the same data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("[run]", "[runn]"), "exp.toml: [runn]: unknown table; did you mean 'run'?"),
        (("seed = 1", "sed = 1"), "exp.toml: [run] key 'sed': unknown key; did you mean 'seed'?"),
        (("seed = 1", 'seed = "one"'), "exp.toml: [run] key 'seed': must be an integer, got str 'one'"),
        (("time = 20", "time = 0"), "[run] key 'time': must be at least 1"),
        (
            ('neuron = "lif"', 'neuron = "lfi"'),
            "[network.layers.1] key 'neuron': unknown neuron model 'lfi'; did you mean 'lif'?",
        ),
        (
            ("tau_mem = 20.0", "tau = 20.0"),
            "[network.layers.1] key 'tau': neuron model 'lif': unknown parameter 'tau' (did you mean 'tau_mem'?)",
        ),
        (("tau_mem = 20.0", 'tau_mem = "slow"'), "parameter 'tau_mem' must be float, got str 'slow'"),
        (
            ('target = "output"\nweight', 'target = "outptu"\nweight'),
            "[network.connections.0] key 'target': no layer named 'outptu'; did you mean 'output'?",
        ),
        (
            ('name = "post-pre"', 'name = "post_pre"'),
            "[network.connections.0] key 'rule': unknown learning rule 'post_pre'; did you mean 'post-pre'?",
        ),
        (
            ('plugin = "poisson"', 'plugin = "poison"'),
            "[encoder] key 'plugin': unknown encoder 'poison'; did you mean 'poisson'?",
        ),
        (
            ("shape = 10", 'shape = "ten"'),
            "[network.layers.0] key 'shape': must be a positive integer or a list of them",
        ),
        (
            ('target = "output"\nvariables', 'target = "outpt"\nvariables'),
            "[monitors.0] key 'target': no layer or connection named 'outpt'",
        ),
        (
            ('name = "input"\nneuron = "input"', 'neuron = "input"'),
            "[network.layers.0] key 'name': missing required value",
        ),
    ],
)
def test_each_problem_names_file_table_and_key(entry_point_plugins, change, expected):
    old, new = change
    assert old in VALID
    assert expected in error(VALID.replace(old, new, 1), entry_point_plugins)


def test_model_or_network_exactly_once(entry_point_plugins):
    text = VALID.split("[[network.layers]]")[0]
    assert "give exactly one of [model] and [network]" in error(text, entry_point_plugins)


def test_overrides_set_any_value_and_are_validated(entry_point_plugins):
    exp = parse(VALID, entry_point_plugins, ["run.seed=3", "run.name=other", "network.layers.1.shape=8"])
    assert exp.run["seed"] == 3 and exp.run["name"] == "other"
    assert exp.data["network"]["layers"][1]["shape"] == 8
    assert "[run] key 'seed': must be an integer" in error(VALID, entry_point_plugins, ["run.seed=abc"])
    assert "write it as table.key=value" in error(VALID, entry_point_plugins, ["run.seed"])


def test_named_experiment_loads(entry_point_plugins):
    exp = load_experiment("poisson-lif-demo", entry_point_plugins, ["run.samples=2"])
    assert exp.run["samples"] == 2 and "poisson-lif-demo" in exp.source


def run_cli(plugins, *args):
    return CliRunner().invoke(cli, list(args), obj=plugins)


def test_cli_validation_errors_exit_2_without_traceback(entry_point_plugins, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(VALID.replace('neuron = "lif"', 'neuron = "lfi"'))
    result = run_cli(entry_point_plugins, "run", str(path))
    assert result.exit_code == 2
    assert f"Error: {path}: [network.layers.1] key 'neuron': unknown neuron model 'lfi'" in result.output
    assert "Traceback" not in result.output
    result = run_cli(entry_point_plugins, "run", "poisson-lif-dem")
    assert result.exit_code == 2 and "did you mean 'poisson-lif-demo'" in result.output


def test_dry_run_prints_the_resolved_experiment(entry_point_plugins, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default output, runs/poisson-lif-demo.h5, may exist where the suite runs
    result = run_cli(entry_point_plugins, "run", "poisson-lif-demo", "--dry-run", "--set", "run.seed=7")
    assert result.exit_code == 0
    data = tomllib.loads(result.output)
    assert data["run"]["seed"] == 7 and data["pipeline"]["plugin"] == "simulate"


def test_experiments_command_lists_the_demo(entry_point_plugins):
    result = run_cli(entry_point_plugins, "experiments")
    rows = [line.split() for line in result.output.splitlines()]
    names = [row[0] for row in rows if "(snnkit-plugins" in row]  # other installed packages may add theirs
    assert result.exit_code == 0 and names == [
        "cartpole-mstdp",
        "mnist-diehl-cook",
        "mnist-increasing-inhibition",
        "mnist-locally-connected",
        "mnist-reservoir",
        "mnist-stdp-gradient-readout",
        "mnist-surrogate-conv",
        "mnist-surrogate-fc",
        "nmnist-diehl-cook",
        "poisson-lif-demo",
        "shd-surrogate",
    ]


def test_run_samples_is_refused_by_pipelines_that_count_their_own_units(entry_point_plugins):
    with pytest.raises(ExperimentError) as info:
        load_experiment("mnist-diehl-cook", entry_point_plugins, ["run.samples=5"])
    assert str(info.value).endswith(
        "[run] key 'samples': the 'dataset' pipeline does not count [run] samples: say how much it runs with"
        " [pipeline] train_samples (--set pipeline.train_samples=N)"
    )
    with pytest.raises(ExperimentError, match=r"\[pipeline\] episodes \(--set pipeline.episodes=N\)"):
        load_experiment("cartpole-mstdp", entry_point_plugins, ["run.samples=5"])
    assert load_experiment("poisson-lif-demo", entry_point_plugins, ["run.samples=5"]).run["samples"] == 5
    resolved = load_experiment("mnist-diehl-cook", entry_point_plugins).to_toml()
    assert "samples =" not in resolved.split("[dataset]")[0]  # [run] holds no samples it would ignore
    # what recordings made before the check carry (the old default) still resumes
    old = resolved.replace("[run]\n", "[run]\nsamples = 10\n", 1)
    assert parse_experiment(old, entry_point_plugins).run["samples"] is None
