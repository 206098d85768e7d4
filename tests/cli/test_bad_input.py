"""The bad-input corpus: every mistake gets one line naming the file, the table and the key, exit
code 2, before anything runs, and leaves the file at the output path as it was.

Each case in ``bad_inputs/`` is a whole experiment file whose first line says what the error must
name (``# expect: [table] key 'key'``); ``OUTPUT`` in it is replaced by a path holding a recording.
"""

import hashlib
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
def test_a_bad_experiment_file_gets_one_line_and_touches_nothing(entry_point_plugins, tmp_path, existing, case, dry_run):
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
