"""`snnkit sweep` and `snnkit.sweep`: grids and seeds on a real local Ray (2 workers, started once
for this module) and on the local backend; tables, failures, interruption and resuming."""

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from snnkit import recording as rec
from snnkit.sweep_results import SweepResults
from snnkit.sweeps import SweepError, Trial, parse_grid, parse_range, parse_seeds, sweep
from snnkit_cli.main import cli

ray = pytest.importorskip("ray", reason="the sweep extra: pip install 'snnkit-core[sweep]'")

TINY = """
[run]
name = "sweep-test"
time = 40
samples = 6
flush_every = 2
checkpoint_every = 2

[encoder]
plugin = "poisson"
max_rate = 40.0

[[network.layers]]
name = "input"
neuron = "input"
shape = 50

[[network.layers]]
name = "output"
neuron = "lif"
shape = 20
tau_mem = 20.0

[[network.connections]]
source = "input"
target = "output"
weight = "uniform(0, 1)"
rule = { name = "post-pre", nu = [1e-4, 1e-2] }
"""


@pytest.fixture(scope="module")
def local_ray():
    """A real local Ray with 2 workers for the whole module (starting one takes seconds)."""
    ray.init(num_cpus=2, object_store_memory=100 * 2**20, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    path = tmp_path_factory.mktemp("exp") / "tiny.toml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def grid_sweep(local_ray, experiment, tmp_path_factory):
    """2 rates x 2 membrane time constants (-5 ms: the LIF refuses it, so those trials fail) x 2 seeds, on Ray."""
    folder = tmp_path_factory.mktemp("grid")
    result = CliRunner().invoke(
        cli,
        [
            "sweep",
            str(experiment),
            "--grid",
            "encoder.max_rate=40,80",
            "--grid",
            "network.layers.1.tau_mem=20,-5",
            "--seeds",
            "0-1",
            "--output",
            str(folder),
            "--table",
        ],
        catch_exceptions=False,
    )
    return folder, result


def test_seeds_grids_and_ranges_are_read_as_documented():
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4] and parse_seeds("0,3,7") == [0, 3, 7] and parse_seeds(2) == [2]
    assert parse_grid(["model.n_neurons=100,400", "run.x=[1, 2],[3]", 'a.b="p,q",r']) == {
        "model.n_neurons": [100, 400],
        "run.x": [[1, 2], [3]],
        "a.b": ["p,q", "r"],
    }
    assert parse_range("encoder.max_rate=32:256:log") == ("encoder.max_rate", (32, 256, "log"))
    with pytest.raises(SweepError, match="0-4"):
        parse_seeds("4-0")
    with pytest.raises(SweepError, match=r"table\.key=value1,value2"):
        parse_grid(["n_neurons=1,2"])
    # a trial's name depends on its settings, seed and the sweep's --set values, nothing else
    assert Trial({"a.b": 1}, 0).key == Trial({"a.b": 1}, 0).key != Trial({"a.b": 1}, 1).key
    assert Trial({"a.b": 1}, 0).key != Trial({"a.b": 1}, 0, ("run.time=5",)).key


def test_the_table_has_one_row_per_trial_and_the_failures_with_their_error(grid_sweep):
    folder, result = grid_sweep
    assert result.exit_code == 1  # some trials failed; the others completed
    results = SweepResults.load(folder)
    rows = results.table()
    settings = [(r["encoder.max_rate"], r["network.layers.1.tau_mem"], r["seed"]) for r in rows]
    assert settings == [(a, b, s) for a in (40, 80) for b in (20, -5) for s in (0, 1)]
    for row in rows:
        if row["network.layers.1.tau_mem"] == -5:
            assert row["status"] == "failed" and "tau_mem must be a positive time constant" in row["error"]
            assert row["rate.output"] is None
        else:
            assert row["status"] == "complete" and row["error"] is None and row["rate.input"] > 0
    # the recording of each trial holds its settings and seed
    trial = results.rows[0]
    recorded = rec.open(trial["path"])
    assert recorded.attrs["seed"] == 0 and "max_rate = 40" in recorded.experiment
    # mean and (sample) standard deviation over the two seeds, per setting
    summary = {(s["encoder.max_rate"], s["network.layers.1.tau_mem"]): s for s in results.summary()}
    assert len(summary) == 4 and summary[(40, -5)]["complete"] == 0 and summary[(40, -5)]["rate.output.mean"] is None
    a, b = (r["rate.output"] for r in rows if r["encoder.max_rate"] == 80 and r["network.layers.1.tau_mem"] == 20)
    assert summary[(80, 20)]["rate.output.mean"] == pytest.approx((a + b) / 2)
    assert summary[(80, 20)]["rate.output.std"] == pytest.approx(abs(a - b) / 2**0.5)
    # --table printed it, and the CSV and JSON files hold the same rows
    table = result.output[result.output.index("trials (") :]
    assert "mean and spread over seeds" in table and all(r["trial"] in table for r in rows)
    with open(folder / "results.csv") as file:
        lines = list(csv.DictReader(file))
    assert [line["trial"] for line in lines] == [r["trial"] for r in rows]
    assert [float(line["rate.input"] or "nan") for line in lines[:2]] == [rows[0]["rate.input"], rows[1]["rate.input"]]
    assert len(json.loads((folder / "results.json").read_text())["trials"]) == 8


def test_a_trial_has_the_metrics_of_snnkit_run_with_its_settings_and_the_local_backend_too(
    grid_sweep, experiment, tmp_path
):
    folder, _ = grid_sweep
    trial = next(r for r in SweepResults.load(folder).rows if r["params"]["encoder.max_rate"] == 80 and r["seed"] == 1)
    out = tmp_path / "run.h5"
    settings = ["encoder.max_rate=80", "network.layers.1.tau_mem=20", "run.seed=1"]
    args = ["run", str(experiment), *(a for s in settings for a in ("--set", s)), "--output", str(out), "--quiet"]
    assert CliRunner().invoke(cli, args, catch_exceptions=False).exit_code == 0
    ran = rec.open(out).metrics()
    assert trial["metrics"] == {k: float(v[-1]) for k, (_, v) in ran.items()}
    assert torch.equal(ran["rate.output"][1], rec.open(trial["path"]).metrics()["rate.output"][1])
    # the same trial without Ray, in a worker process of the local backend
    local = sweep(
        experiment,
        grid={"encoder.max_rate": [80], "network.layers.1.tau_mem": [20]},
        seeds=[1],
        backend="local",
        workers=1,
        output=tmp_path / "local",
    )
    assert [r["metrics"] for r in local.rows] == [trial["metrics"]]


def test_an_interrupted_sweep_run_again_resumes_and_skips_what_finished(local_ray, experiment, tmp_path):
    """Short trials (8 units) finish, SIGINT arrives while the long ones (96 units) run; the same
    command again skips the finished ones and resumes the others from their checkpoints."""
    args = ["sweep", str(experiment), "--grid", "run.samples=8,96", "--seeds", "0,1", "--output", str(tmp_path)]
    trials = tmp_path / "trials"

    def statuses():
        found = []
        for path in trials.glob("*.json"):
            try:
                record = json.loads(path.read_text())
            except (OSError, ValueError):  # being replaced
                continue
            recording = record["status"] != "running" or Path(record["path"]).exists()
            found.append(record["status"] if recording else "starting")  # stopped then: "not started"
        return found

    def interrupt():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = statuses()
            if found.count("complete") == 2 and found.count("running") == 2:
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=interrupt)
    watcher.start()
    first = CliRunner().invoke(cli, args, catch_exceptions=False)
    watcher.join()
    assert first.exit_code == 130, first.output
    before = {r["key"]: r for r in SweepResults.load(tmp_path).rows}
    assert sorted(r["status"] for r in before.values()) == ["complete", "complete", "interrupted", "interrupted"]
    stamps = {key: os.stat(r["path"]).st_mtime_ns for key, r in before.items()}
    started = {key: rec.open(r["path"]).attrs["started"] for key, r in before.items()}

    again = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    after = {r["key"]: r for r in SweepResults.load(tmp_path).rows}
    assert all(r["status"] == "complete" for r in after.values())
    for key, row in before.items():
        recorded = rec.open(row["path"])
        assert recorded.attrs["started"] == started[key]  # resumed, never started over
        if row["status"] == "complete":
            assert os.stat(row["path"]).st_mtime_ns == stamps[key]  # not run again
        else:
            assert int(recorded.checkpoint()["progress"]["index"]) == 95
            assert recorded.metrics()["rate.output"][0].tolist() == list(range(96))
    assert again.output.count("(finished before)") == 2 and again.output.count("(resumed)") == 2


def test_a_random_search_tells_optuna_each_settings_mean_and_resumes_its_study(local_ray, experiment, tmp_path):
    optuna = pytest.importorskip("optuna")
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    def search(trials):
        return sweep(
            experiment,
            ranges={"encoder.max_rate": (20, 120)},
            search="random",
            trials=trials,
            objective="rate.output",
            seeds=[0],
            output=tmp_path,
        )

    first = search(2)
    assert [r["status"] for r in first.rows] == ["complete", "complete"]
    assert all(20 <= r["params"]["encoder.max_rate"] <= 120 for r in first.rows)
    study = optuna.load_study(
        study_name="sweep", storage=JournalStorage(JournalFileBackend(str(tmp_path / "optuna.log")))
    )
    assert [t.value for t in study.trials] == [r["metrics"]["rate.output"] for r in first.rows]
    more = search(3)  # one more setting, a new one; the two before are not run again
    assert [r["key"] for r in more.rows[:2]] == [r["key"] for r in first.rows] and len(more.rows) == 3
    assert more.rows[2]["params"] not in [r["params"] for r in first.rows]
    assert all(r["status"] == "complete" for r in more.rows)


def test_a_sweep_table_in_the_experiment_file_gives_the_settings_and_the_command_line_wins(entry_point_plugins):
    from snnkit.experiment import parse_experiment
    from snnkit.sweeps import _sweep, from_table

    text = TINY + '[sweep]\nseeds = "0-2"\nbackend = "local"\n[sweep.grid]\n"encoder.max_rate" = [20, 40]\n'
    exp = parse_experiment(text, entry_point_plugins)  # `snnkit run` accepts the file
    settings = from_table(exp.data["sweep"], exp.source)
    spec = _sweep("x.toml", (), settings, exp.run, False)
    assert spec.grid == {"encoder.max_rate": [20, 40]} and spec.backend == "local"
    assert [(t.params["encoder.max_rate"], t.seed) for t in spec.grid_trials()] == [
        (rate, seed) for rate in (20, 40) for seed in (0, 1, 2)
    ]
    assert _sweep("x.toml", (), {**settings, "seeds": "5"}, exp.run, False).seeds == [5]  # as sweep() merges them
    searched = from_table({"range": {"run.dt": [0.5, 1.0, "log"]}, "trials": 4, "objective": "m"}, "x.toml")
    assert _sweep("x.toml", (), searched, exp.run, False).ranges == {"run.dt": (0.5, 1.0, "log")}
    with pytest.raises(SweepError, match="unknown key 'seed'"):
        from_table({"seed": 1}, "x.toml")


def test_ctrl_c_twice_stops_the_trials_at_once_and_still_writes_the_results(experiment, tmp_path):
    args = ["sweep", str(experiment), "--grid", "run.samples=500", "--backend", "local", "--output", str(tmp_path)]

    def recording():
        """Whether a trial runs and its recording has begun (before that, stopping it records nothing)."""
        records = [json.loads(path.read_text()) for path in (tmp_path / "trials").glob("*.json")]
        return any(r["status"] == "running" and Path(r["path"]).exists() for r in records)

    def interrupt():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if recording():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.5)
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=interrupt)
    watcher.start()
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    watcher.join()
    assert result.exit_code == 130, result.output
    assert "stopping the trials now" in result.output and "nothing was recorded" not in result.output
    assert "0 of 1 trials complete, 0 failed, 1 to run" in result.output
    (row,) = SweepResults.load(tmp_path).rows
    assert row["status"] == "interrupted" and (tmp_path / "results.csv").exists()


def test_an_unguarded_script_on_the_local_backend_is_told_what_to_do(experiment, tmp_path):
    script = tmp_path / "sweep_script.py"
    call = f"snnkit.sweep({str(experiment)!r}, grid={{'run.samples': [2]}}, backend='local', output={str(tmp_path)!r})"
    script.write_text(f"import snnkit\n{call}\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert 'must do so under `if __name__ == "__main__":`' in result.stderr.splitlines()[-1]


def test_the_plot_draws_one_panel_per_swept_parameter_with_the_means_over_seeds(grid_sweep):
    pytest.importorskip("matplotlib")
    from snnkit_plugins.plots.sweep import plot_sweep

    folder, _ = grid_sweep
    results = SweepResults.load(folder)
    figure = plot_sweep(results, "rate.output")
    assert [ax.get_xlabel() for ax in figure.axes] == results.parameters
    summary = [line for line in results.summary() if line["rate.output.mean"] is not None]
    means = {line["encoder.max_rate"]: line["rate.output.mean"] for line in summary}
    (drawn,) = [line for line in figure.axes[0].lines if line.get_marker() == "o"]  # tau_mem=20: -5 failed
    assert list(drawn.get_xdata()) == [40.0, 80.0] and list(drawn.get_ydata()) == [means[40.0], means[80.0]]
