"""`snnkit run`, recording to HDF5, clean stops, resuming, inspect and plot."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from click.testing import CliRunner

from snnkit import Network
from snnkit import recording as rec
from snnkit.experiment import load_experiment
from snnkit.runner import run_experiment
from snnkit_cli.main import cli

SIGINT_SAMPLES = 300
SMALL = ["run.time=40", "run.samples=6", "run.flush_every=2", "run.checkpoint_every=3", "run.weights_every=2"]


def demo(plugins, path, extra=()):
    return load_experiment("poisson-lif-demo", plugins, [*SMALL, f'run.output="{path}"', *extra])


def test_a_run_writes_every_documented_dataset(entry_point_plugins, tmp_path):
    path = tmp_path / "demo.h5"
    result = run_experiment(demo(entry_point_plugins, path), entry_point_plugins)
    assert (result.status, result.units_done, result.units) == ("complete", 6, 6)
    r = rec.open(path)
    attrs = r.attrs
    assert attrs["status"] == "complete" and attrs["error"] == "" and attrs["seed"] == 0
    assert attrs["format"] == "snnkit-recording" and attrs["started"] < attrs["ended"]
    assert {"snnkit-core", "snnkit-plugins", "torch", "h5py"} <= set(attrs["versions"])
    assert "[run]" in r.experiment and 'name = "poisson-lif-demo"' in r.experiment
    assert r.monitors() == {
        "input": {"target": "input", "variables": ["s"]},
        "output": {"target": "output", "variables": ["s", "v"]},
    }
    assert r.spikes("input").shape == (240, 1, 100) and r.spikes("output").dtype == torch.bool
    assert r.values("output", "v").shape == (240, 1, 50)
    metrics = r.metrics()
    assert set(metrics) == {"rate.input", "rate.output"}
    assert metrics["rate.input"][0].tolist() == list(range(6))
    index, weights = r.weights()["input->output"]
    assert index.tolist() == [1, 3, 5] and weights.shape == (3, 100, 50)
    checkpoint = r.checkpoint()
    assert set(checkpoint) == {"network", "transient", "generators", "pipeline", "progress"}
    assert int(checkpoint["progress"]["index"]) == 5
    assert torch.equal(checkpoint["network"]["connections.input->output.weight"], weights[-1])
    paths = {p for p, _, _ in r.tree()}
    assert {"monitors/input/s/step", "monitors/input/s/sample", "monitors/input/s/index", "monitors/output/v"} <= paths


def test_spikes_read_back_equal_the_monitored_spikes(entry_point_plugins, tmp_path):
    recorder = entry_point_plugins.build("recorders", "hdf5")
    recorder.start(tmp_path / "r.h5", "[run]\n", {"seed": 0})
    net = Network(plugins=entry_point_plugins, seed=0)
    net.add_layer("in", "input", (3, 4))
    net.add_layer("out", "lif", 5)
    net.add_connection("in", "out", "dense", weight="uniform(0, 8)")
    net.add_monitor("mem", "state", target="out", variables=["s", "v"])
    net.add_monitor("rec", recorder.monitor("rec", "out", ["s", "v"]))
    net.add_monitor("rec-in", recorder.monitor("rec-in", "in", ["s"]))
    x = torch.rand(30, 2, 3, 4, generator=torch.Generator().manual_seed(0)) < 0.3
    net.run({"in": x}, time=30)
    recorder.finish("complete")
    r = rec.open(tmp_path / "r.h5")
    assert net.monitors["mem"].get("s").any()
    assert torch.equal(r.spikes("rec"), net.monitors["mem"].get("s"))
    assert torch.equal(r.values("rec", "v"), net.monitors["mem"].get("v"))
    assert torch.equal(r.spikes("rec-in"), x)


def test_an_interrupted_run_resumes_to_the_same_weights(entry_point_plugins, tmp_path):
    full = tmp_path / "full.h5"
    run_experiment(demo(entry_point_plugins, full), entry_point_plugins)
    part = tmp_path / "part.h5"
    calls = []  # asked once before the recording starts, then before every unit
    stopped = run_experiment(
        demo(entry_point_plugins, part), entry_point_plugins, should_stop=lambda: calls.append(1) or len(calls) > 5
    )
    assert (stopped.status, stopped.units_done) == ("interrupted", 4)
    assert rec.open(part).status == "interrupted"
    exp = demo(entry_point_plugins, part)
    resumed = run_experiment(exp, entry_point_plugins, resume=part)
    assert (resumed.status, resumed.units_done) == ("complete", 6)
    a, b = rec.open(full), rec.open(part)
    key = "connections.input->output.weight"
    assert torch.equal(a.checkpoint()["network"][key], b.checkpoint()["network"][key])
    assert torch.equal(a.spikes("output"), b.spikes("output"))  # the recording is seamless too
    assert torch.equal(a.metrics()["rate.output"][1], b.metrics()["rate.output"][1])


def test_a_bad_configuration_fails_before_any_file_is_written(entry_point_plugins, tmp_path):
    path = tmp_path / "fail.h5"
    exp = demo(entry_point_plugins, path, ['pipeline.input_layer="nowhere"'])
    with pytest.raises(Exception, match="input_layer 'nowhere'"):
        run_experiment(exp, entry_point_plugins)
    assert not path.exists() and not (tmp_path / "fail.h5.lock").exists()


def test_a_run_failing_midway_is_marked_failed_with_its_error(entry_point_plugins, tmp_path):
    path = tmp_path / "fail.h5"
    calls = []

    def failing() -> bool:
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("the simulated fault")
        return False

    with pytest.raises(RuntimeError, match="the simulated fault"):
        run_experiment(demo(entry_point_plugins, path), entry_point_plugins, should_stop=failing)
    r = rec.open(path)
    assert r.status == "failed" and r.attrs["error"] == "RuntimeError: the simulated fault"
    assert r.metrics()["rate.output"][0].tolist() == [0, 1]  # the units done before the fault


def start(tmp_path, name, samples=300):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "-m", "snnkit_cli", "run", "poisson-lif-demo", "--quiet", "--output", str(tmp_path / name)]
    args += [
        arg
        for setting in [*SMALL[:1], f"run.samples={samples}", "run.flush_every=2", "run.checkpoint_every=50"]
        for arg in ("--set", setting)
    ]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_flushes(path, timeout=60.0):
    """Wait until the file exists and (judging by its size) holds a few flushes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 200_000:
            return
        time.sleep(0.1)
    raise AssertionError(f"{path} did not grow in {timeout} s")


def test_sigint_stops_cleanly_and_resume_matches_an_uninterrupted_run(entry_point_plugins, tmp_path):
    process = start(tmp_path, "sig.h5", samples=SIGINT_SAMPLES)  # long enough to be stopped mid-run
    wait_for_flushes(tmp_path / "sig.h5")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "resume with: snnkit run --resume" in err
    r = rec.open(tmp_path / "sig.h5")
    assert r.status == "interrupted"
    done = int(r.checkpoint()["progress"]["index"]) + 1
    assert 0 < done < SIGINT_SAMPLES
    resumed = subprocess.run(
        [sys.executable, "-m", "snnkit_cli", "run", "--resume", str(tmp_path / "sig.h5"), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "complete"
    reference = tmp_path / "ref.h5"
    exp = load_experiment(
        "poisson-lif-demo",
        entry_point_plugins,
        [
            SMALL[0],
            f"run.samples={SIGINT_SAMPLES}",
            "run.flush_every=2",
            "run.checkpoint_every=50",
            f'run.output="{reference}"',
        ],
    )
    run_experiment(exp, entry_point_plugins)
    key = "connections.input->output.weight"
    assert torch.equal(
        rec.open(tmp_path / "sig.h5").checkpoint()["network"][key], rec.open(reference).checkpoint()["network"][key]
    )


def test_kill_9_leaves_a_readable_file(tmp_path):
    process = start(tmp_path, "killed.h5", samples=2000)
    wait_for_flushes(tmp_path / "killed.h5")
    time.sleep(0.5)
    process.kill()
    process.wait(timeout=30)
    r = rec.open(tmp_path / "killed.h5")
    assert r.status == "running"
    index, _ = r.metrics()["rate.output"]
    assert len(index) >= 2 and index.tolist() == list(range(len(index)))
    assert r.spikes("input").shape[0] == 40 * len(index)  # monitors flushed together with metrics


def test_inspect_and_plot(entry_point_plugins, tmp_path):
    path = tmp_path / "demo.h5"
    run_experiment(demo(entry_point_plugins, path), entry_point_plugins)
    runner = CliRunner()
    result = runner.invoke(cli, ["inspect", str(path), "--json"], obj=entry_point_plugins)
    assert result.exit_code == 0
    info = json.loads(result.output)
    assert info["attrs"]["status"] == "complete" and info["metrics"]["rate.input"]["count"] == 6
    shapes = {item["path"]: item["shape"] for item in info["tree"]}
    assert shapes["monitors/output/v"] == [240, 1, 50]
    text = runner.invoke(cli, ["inspect", str(path)], obj=entry_point_plugins)
    assert "status complete" in text.output and "rate.output" in text.output
    out = tmp_path / "plots"
    result = runner.invoke(cli, ["plot", str(path), "--out", str(out)], obj=entry_point_plugins)
    assert result.exit_code == 0, result.output
    import matplotlib.image

    panels = {"spikes": 2, "voltages": 1, "weights": 1, "performance": 1, "input": 2}
    assert not (out / "reward.png").exists()  # no reward metrics in this run: skipped, not drawn empty
    for name, count in panels.items():
        image = matplotlib.image.imread(out / f"{name}.png")
        assert image.shape[1] == 800  # 8 inches at 100 dpi
        expected_height = {"spikes": 250, "voltages": 250, "weights": 600, "performance": 250, "input": 300}[
            name
        ] * count
        assert image.shape[0] == expected_height
        assert image[..., :3].std() > 0.05  # not blank
    bad = runner.invoke(cli, ["plot", str(path), "--plot", "spike"], obj=entry_point_plugins)
    assert bad.exit_code == 2 and "did you mean 'spikes'" in bad.output


def test_live_plots_render_within_their_time_budget(entry_point_plugins, tmp_path, capsys):
    from snnkit_cli.commands.run import LivePlots

    path = tmp_path / "demo.h5"
    run_experiment(demo(entry_point_plugins, path), entry_point_plugins)
    flushes = []
    live = LivePlots(entry_point_plugins, ["spikes", "performance"], tmp_path / "live", every=2, budget=1e6)
    live(1, path, lambda: flushes.append(1))  # not on the interval: nothing
    assert live.renders == 0 and not flushes
    live(2, path, lambda: flushes.append(1))
    assert live.renders == 1 and flushes == [1]
    assert (tmp_path / "live" / "spikes.png").exists()  # one plot per redraw, in turn
    assert not (tmp_path / "live" / "performance.png").exists()
    live(4, path, lambda: None)
    assert live.renders == 2 and (tmp_path / "live" / "performance.png").exists()
    # no display here (MPLBACKEND=Agg): said once, then files
    assert capsys.readouterr().err.lower().count("live plots: no display (matplotlib backend 'agg')") == 1
    frugal = LivePlots(entry_point_plugins, ["spikes"], tmp_path / "frugal", every=1, budget=0.1)
    frugal(1, path, lambda: None)  # the first render comes at once: start-up, outside the budget
    frugal(2, path, lambda: None)  # the first redraw: nothing drawn yet
    frugal(3, path, lambda: None)  # the next would take drawing above 10 % of the time since the start
    assert frugal.renders == 2 and frugal.startup > 0 and frugal.spent > 0


def test_threads_are_chosen_per_run_do_not_change_results_and_are_given_back(entry_point_plugins, tmp_path):
    from snnkit.runner import choose_threads

    assert choose_threads(3, 1) == 3 and choose_threads("auto", 1) == 1
    assert 1 <= choose_threads("auto", 64) <= (os.cpu_count() or 1)
    before = torch.get_num_threads()
    weights = []
    for threads in (1, 2):
        path = tmp_path / f"t{threads}.h5"
        run_experiment(demo(entry_point_plugins, path, [f"run.threads={threads}"]), entry_point_plugins)
        r = rec.open(path)
        assert r.attrs["threads"] == threads
        weights.append(r.checkpoint()["network"]["connections.input->output.weight"])
    assert torch.equal(weights[0], weights[1])  # the same run, whatever the threads (CPU)
    assert torch.get_num_threads() == before
    with pytest.raises(Exception, match=r"\[run\] key 'threads': must be a number of threads"):
        demo(entry_point_plugins, tmp_path / "x.h5", ["run.threads=0"])


def test_the_last_metrics_are_printed_at_the_end(entry_point_plugins, tmp_path):
    args = ["run", "poisson-lif-demo", "--output", str(tmp_path / "m.h5"), *[a for s in SMALL for a in ("--set", s)]]
    result = CliRunner().invoke(cli, args, obj=entry_point_plugins)
    assert result.exit_code == 0, result.output
    last = rec.open(tmp_path / "m.h5").metrics()["rate.input"][1][-1].item()
    assert f"last metrics: rate.input={last:.4g} rate.output=" in result.output


def test_a_broken_plot_is_skipped_naming_its_distribution(entry_point_plugins, tmp_path):
    from types import SimpleNamespace

    def broken(recording, *, figure=None):
        return recording.metrics()["no-such-metric"]  # a KeyError, not an SnnkitError

    entry_point_plugins.register(
        SimpleNamespace(snnkit_register_plots=lambda registry: registry.add("broken", broken)), name="broken"
    )
    path = tmp_path / "demo.h5"
    run_experiment(demo(entry_point_plugins, path), entry_point_plugins)
    result = CliRunner().invoke(
        cli, ["plot", str(path), "--all", "--out", str(tmp_path / "plots")], obj=entry_point_plugins
    )
    assert result.exit_code == 0 and (tmp_path / "plots" / "spikes.png").exists()  # the others are drawn
    assert "skipped broken: the plot failed (KeyError: 'no-such-metric'); it comes from (registered in code)" in (
        result.output
    )
    named = CliRunner().invoke(cli, ["plot", str(path), "--plot", "broken"], obj=entry_point_plugins)
    assert (
        named.exit_code == 2 and "Traceback" not in named.output and "Error: the plot failed (KeyError" in named.output
    )


def test_a_resume_uses_the_thread_count_the_run_started_with(entry_point_plugins, tmp_path, monkeypatch):
    import snnkit.runner

    path = tmp_path / "t.h5"
    experiment = demo(entry_point_plugins, path, ["run.threads=2", "run.checkpoint_every=1"])
    stopped = run_experiment(experiment, entry_point_plugins, should_stop=lambda: rec_units(path) >= 2)
    assert stopped.status == "interrupted"
    monkeypatch.setattr(snnkit.runner, "choose_threads", lambda setting, batch: 1)  # the load changed since
    seen = []
    resumed = run_experiment(
        experiment, entry_point_plugins, resume=path, progress=lambda *_: seen.append(torch.get_num_threads())
    )
    assert resumed.status == "complete" and set(seen) == {2}


def rec_units(path):
    """Units a recording has checkpointed so far (0 before the file exists)."""
    return int(rec.open(path).checkpoint()["progress"]["index"]) + 1 if path.exists() else 0


def test_the_progress_bar_shows_the_metrics_that_say_how_learning_goes_first():
    from snnkit_cli.commands.run import _format_metrics

    metrics = {"rate.input": 3.0, "rate.output": 2.0, "loss": 0.5, "accuracy.all-activity": 0.9}
    assert _format_metrics(metrics) == "accuracy.all-activity=0.9 loss=0.5 rate.input=3"
    assert _format_metrics({"rate.x": 1.0, "return_mean": 10.0}) == "return_mean=10 rate.x=1"


def test_a_complete_run_ends_with_a_weight_snapshot_an_interrupted_one_does_not(entry_point_plugins, tmp_path):
    path = tmp_path / "w.h5"
    run_experiment(demo(entry_point_plugins, path, ["run.weights_every=4"]), entry_point_plugins)  # 6 samples
    index, _ = rec.open(path).weights()["input->output"]
    assert index.tolist() == [3, 5]  # the scheduled one, and the final weights
    stopped = tmp_path / "s.h5"
    experiment = demo(entry_point_plugins, stopped, ["run.weights_every=4"])
    done = []
    partial = run_experiment(
        experiment, entry_point_plugins, should_stop=lambda: len(done) >= 5, progress=lambda *a: done.append(a)
    )
    assert partial.status == "interrupted"
    assert rec.open(stopped).weights()["input->output"][0].tolist() == [3]  # resumed, it ends as the complete one
    run_experiment(experiment, entry_point_plugins, resume=stopped)
    assert rec.open(stopped).weights()["input->output"][0].tolist() == [3, 5]
