"""The bad-input corpus: every mistake gets one line naming the file, the table and the key, exit
code 2, before anything runs, and leaves the file at the output path as it was.

Each case in ``bad_inputs/`` is a whole experiment file whose first line says what the error must
name (``# expect: [table] key 'key'``); ``OUTPUT`` in it is replaced by a path holding a recording.
"""

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from snnkit.experiment import load_experiment
from snnkit.runner import run_experiment
from snnkit_cli.main import cli

CASES = sorted((Path(__file__).parent / "bad_inputs").glob("*.toml"))


@pytest.fixture(scope="module")
def existing(tmp_path_factory):
    """A finished recording, copied to wherever a case records."""
    from snnkit import PluginManager

    plugins = PluginManager()
    plugins.load_setuptools_entrypoints()
    path = tmp_path_factory.mktemp("existing") / "run.h5"
    settings = ["run.time=10", "run.samples=2", f'run.output="{path}"']
    run_experiment(load_experiment("poisson-lif-demo", plugins, settings), plugins)
    return path


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(result, source, expect):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert lines[0].startswith(f"Error: {source}: {expect}"), lines[0]


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_a_bad_experiment_file_gets_one_line_and_touches_nothing(
    entry_point_plugins, tmp_path, existing, case, dry_run
):
    text = case.read_text()
    expect = text.splitlines()[0].removeprefix("# expect: ")
    output = tmp_path / "run.h5"
    shutil.copy(existing, output)
    before = digest(output)
    experiment = tmp_path / case.name
    experiment.write_text(text.replace("OUTPUT", str(output)))
    args = ["run", str(experiment), "--force", "--quiet", *(["--dry-run"] if dry_run else [])]
    result = CliRunner().invoke(cli, args, obj=entry_point_plugins)
    one_line_error(result, experiment, expect)
    assert digest(output) == before and not (tmp_path / "run.h5.lock").exists()


# -- command-line arguments and files that are not experiments --------------------------------------

DEMO = "poisson-lif-demo"
NAMED = f"experiment '{DEMO}'"


@pytest.mark.parametrize(
    ("setting", "expect"),
    [
        ("run.seed.x=1", "[run.seed]: --set 'run.seed.x=1': run.seed is a value (0), not a table"),
        ("plots.0=spike", "[plots]: unknown plot 'spike'; did you mean 'spikes'?"),
        ("plots.9=spikes", "[plots]: --set 'plots.9=spikes': plots has entries 0 to 4"),
        ("run.seed=123456789012345678901234567890", "[run] key 'seed': 123456789012345678901234567890 is too large"),
        ("run.output={nme}.h5", "[run] key 'output'"),
    ],
)
def test_bad_overrides_get_one_line(entry_point_plugins, setting, expect):
    result = CliRunner().invoke(cli, ["run", DEMO, "--set", setting, "--dry-run"], obj=entry_point_plugins)
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert expect in result.output and NAMED in result.output


def test_experiment_files_that_cannot_be_read(entry_point_plugins, tmp_path):
    runner = CliRunner()
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[run]\nname = "caf\xe9"\n'.encode("latin-1"))
    result = runner.invoke(cli, ["run", str(latin)], obj=entry_point_plugins)
    assert result.exit_code == 2 and "is not UTF-8 text" in result.output and str(latin) in result.output
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    result = runner.invoke(cli, ["run", str(folder)], obj=entry_point_plugins)
    assert result.exit_code == 2 and "is a directory" in result.output


def output_cases(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    (tmp_path / "adir").mkdir()
    return {
        "a directory": (tmp_path / "adir", "it is a directory"),
        "parent is a file": (afile / "run.h5", "is a file, not a folder"),
        "name too long": (tmp_path / ("x" * 300 + ".h5"), "too long"),
    }


@pytest.mark.parametrize("case", ["a directory", "parent is a file", "name too long"])
def test_outputs_that_cannot_be_written(entry_point_plugins, tmp_path, case):
    path, expect = output_cases(tmp_path)[case]
    for dry in ([], ["--dry-run"]):
        result = CliRunner().invoke(cli, ["run", DEMO, "--output", str(path), *dry], obj=entry_point_plugins)
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        assert f"{NAMED}" in result.output and "[run] key 'output'" in result.output and expect in result.output
    assert (tmp_path / "afile").read_text() == "x"


def test_a_read_only_folder(entry_point_plugins, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root may write into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    result = CliRunner().invoke(cli, ["run", DEMO, "--output", str(folder / "r.h5")], obj=entry_point_plugins)
    assert result.exit_code == 2 and "is not writable" in result.output


@pytest.mark.parametrize("command", ["resume", "inspect", "plot"])
def test_files_that_are_not_recordings(entry_point_plugins, tmp_path, existing, command):
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5")
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(existing.read_bytes()[:5000])
    cases = (
        (text, "is not a recording any installed recorder wrote (recorders: hdf5"),
        (truncated, "not a readable HDF5"),
    )
    for path, expect in cases:
        args = {"resume": ["run", "--resume"], "inspect": ["inspect"], "plot": ["plot"]}[command]
        result = CliRunner().invoke(cli, [*args, str(path)], obj=entry_point_plugins)
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        assert expect in result.output and str(path) in result.output
    assert text.read_text() == "not HDF5"
    assert truncated.read_bytes() == existing.read_bytes()[:5000]  # a damaged file is left as it is


# -- the Python API ---------------------------------------------------------------------------------


def api_network(plugins):
    from snnkit import Network

    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "input", 3)
    net.add_layer("out", "lif", 2)
    net.add_connection("in", "out", "dense")
    return net


def test_api_mistakes_get_clear_errors(entry_point_plugins):
    import torch

    from snnkit.errors import NetworkError

    net = api_network(entry_point_plugins)
    with pytest.raises(NetworkError, match=r"a shape must be a positive int or a sequence of them.*got 2.5"):
        net.add_layer("x", "lif", 2.5)
    assert "x" not in net.layers
    with pytest.raises(NetworkError, match=r"load_state_tensors: the mapping has no 'batch_size' \(it has v\)"):
        net.load_state_tensors({"v": torch.zeros(1)})
    spikes = torch.zeros(5, 1, 3)
    for bad, expect in ((3.0, "must be spikes .* found 3.0"), (float("nan"), "must be spikes .* found nan")):
        x = spikes.clone()
        x[2, 0, 1] = bad
        with pytest.raises(NetworkError, match=expect):
            net.run({"in": x}, time=5)
    with pytest.raises(NetworkError, match="must be spikes"):
        net.run({"in": torch.full((5, 1, 3), 3, dtype=torch.int64)}, time=5)
    current = torch.zeros(5, 1, 2)
    current[0, 0, 0] = float("inf")
    with pytest.raises(NetworkError, match="input for layer 'out' contains NaN or infinite values"):
        net.run({"out": current}, time=5)
    net.run({"in": spikes.bool(), "out": torch.ones(5, 1, 2)}, time=5)  # good input still runs
    assert net.state.time == 5


def test_nan_parameters_are_refused_in_python_too(entry_point_plugins):
    from snnkit import Network
    from snnkit.errors import ParameterError

    net = Network(plugins=entry_point_plugins)
    net.add_layer("in", "input", 3)
    for name, value in (("tau_mem", float("nan")), ("v_thresh", float("nan")), ("refractory", float("nan"))):
        with pytest.raises(ParameterError, match=f"parameter '{name}' is nan"):
            net.add_layer("out", "lif", 2, **{name: value})
    net.add_layer("out", "lif", 2)
    with pytest.raises(ParameterError, match="parameter 'wmax' is nan"):
        net.add_connection("in", "out", "dense", wmax=float("nan"))
    encoder = entry_point_plugins.build("encoders", "poisson")
    import torch

    with pytest.raises(ValueError, match="finite, non-negative intensities, found nan"):
        encoder(torch.tensor([0.5, float("nan")]), 10)
