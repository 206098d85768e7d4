"""What survives what: stops at once, a second writer, reruns, a full disk, readers, kill -9.

Every case ends by comparing the recording with an uninterrupted run of the same experiment, or by
checking that the file at the output is byte for byte what it was.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import namedtuple

import pytest
import torch
from click.testing import CliRunner

from snnkit import recording as rec
from snnkit.experiment import ExperimentError, load_experiment
from snnkit.runlock import OutputError
from snnkit.runner import run_experiment
from snnkit_cli.main import cli

SETTINGS = ["run.flush_every=2", "run.checkpoint_every=20", "run.weights_every=5"]
STEPS = 40  # per sample; LONG for a test that must interrupt a sample in the middle
LONG = 1000


def settings(samples, steps=STEPS):
    return [*SETTINGS, f"run.samples={samples}", f"run.time={steps}"]


def experiment(plugins, path, samples, steps=STEPS):
    return load_experiment("poisson-lif-demo", plugins, [*settings(samples, steps), f'run.output="{path}"'])


def start(path, samples, steps=STEPS):
    """``snnkit run`` in a subprocess."""
    args = [sys.executable, "-m", "snnkit_cli", "run", "poisson-lif-demo", "--quiet", "--output", str(path)]
    args += [arg for setting in settings(samples, steps) for arg in ("--set", setting)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def resume(path):
    return subprocess.run(
        [sys.executable, "-m", "snnkit_cli", "run", "--resume", str(path), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def wait_for_units(path, units, timeout=120.0):
    """Wait until the recording at ``path`` has flushed the metrics of ``units`` units."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if len(rec.open(path).metrics().get("rate.output", ([], []))[0]) >= units:
                return
        except (rec.RecordingError, KeyError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"{path} did not record {units} units in {timeout} s")


def assert_same_recording(a, b, steps=STEPS):
    """Two recordings hold the same data: spikes, voltages, metrics, weight snapshots, checkpoint."""
    a, b = rec.open(a), rec.open(b)
    assert a.status == b.status == "complete"
    for monitor in ("input", "output"):
        assert torch.equal(a.spikes(monitor), b.spikes(monitor)), monitor
    assert torch.equal(a.values("output", "v"), b.values("output", "v"))
    for name, (index, values) in a.metrics().items():
        assert torch.equal(index, b.metrics()[name][0]) and torch.equal(values, b.metrics()[name][1]), name
    for name, (index, values) in a.weights().items():
        assert torch.equal(index, b.weights()[name][0]) and torch.equal(values, b.weights()[name][1]), name
    for group, tensors in a.checkpoint().items():
        if group != "pipeline":
            for key, value in tensors.items():
                assert torch.equal(value, b.checkpoint()[group][key]), (group, key)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Uninterrupted runs, by number of samples and steps per sample."""
    made = {}

    def get(samples, steps=STEPS):
        if (samples, steps) not in made:
            from snnkit import PluginManager

            plugins = PluginManager()
            plugins.load_setuptools_entrypoints()
            path = tmp_path_factory.mktemp("reference") / f"ref-{samples}-{steps}.h5"
            run_experiment(experiment(plugins, path, samples, steps), plugins)
            made[samples, steps] = path
        return made[samples, steps]

    return get


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- 1. two Ctrl-C: stop at once, resume from the last checkpoint --------------------------------


def test_double_ctrl_c_then_resume_equals_an_uninterrupted_run(tmp_path, reference):
    path = tmp_path / "twice.h5"
    process = start(path, 40, LONG)
    wait_for_units(path, 22)  # past the first checkpoint (unit 19)
    process.send_signal(signal.SIGINT)
    time.sleep(0.01)  # the second arrives in the middle of a sample (one takes about 0.1 s)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    r = rec.open(path)
    assert r.status == "interrupted" and "stopped at once" in r.attrs["error"]
    last = int(r.checkpoint()["progress"]["index"])
    assert (last + 1) % 20 == 0  # the resume point is a checkpoint at a unit boundary
    resumed = resume(path)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_recording(path, reference(40, LONG))


# -- 2. one writer per file -----------------------------------------------------------------------


def test_a_second_writer_is_refused_and_the_first_run_goes_on(entry_point_plugins, tmp_path, reference):
    path = tmp_path / "busy.h5"
    process = start(path, 40, LONG)  # 0.1 s a sample: it is still writing while the others try
    wait_for_units(path, 2)
    assert rec.open(path).writer["pid"] == process.pid
    with pytest.raises(OutputError, match=f"being written by process {process.pid}"):
        run_experiment(experiment(entry_point_plugins, path, 60), entry_point_plugins, resume=path)
    with pytest.raises(ExperimentError, match=f"\\[run\\] key 'output': .* being written by process {process.pid}"):
        run_experiment(experiment(entry_point_plugins, path, 60), entry_point_plugins, force=True)
    second = CliRunner().invoke(cli, ["run", "--resume", str(path)], obj=entry_point_plugins)
    assert second.exit_code == 2 and f"process {process.pid}" in second.output
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert rec.open(path).writer is None and not (tmp_path / "busy.h5.lock").exists()
    assert_same_recording(path, reference(40, LONG), LONG)


# -- 3. never overwrite -----------------------------------------------------------------------------


def test_rerunning_refuses_to_overwrite_unless_forced(entry_point_plugins, tmp_path):
    path = tmp_path / "done.h5"
    run_experiment(experiment(entry_point_plugins, path, 3), entry_point_plugins)
    before = digest(path)
    runner = CliRunner()
    args = ["run", "poisson-lif-demo", "--output", str(path), *[a for s in settings(3) for a in ("--set", s)]]
    again = runner.invoke(cli, args, obj=entry_point_plugins)
    assert again.exit_code == 2 and "already holds a recording of 'poisson-lif-demo' (status complete)" in again.output
    assert "--force" in again.output and len(again.output.strip().splitlines()) == 1
    assert digest(path) == before
    finished = runner.invoke(cli, ["run", "--resume", str(path)], obj=entry_point_plugins)
    assert (
        finished.exit_code == 0
        and "complete: 3/3 samples" in finished.output
        and "nothing to resume" in finished.output
    )
    assert digest(path) == before  # resuming a finished run leaves it alone
    both = runner.invoke(cli, ["run", "--resume", str(path), "--force"], obj=entry_point_plugins)
    assert both.exit_code == 2 and "give no EXPERIMENT, --set or --force" in both.output
    dry = runner.invoke(cli, [*args, "--dry-run"], obj=entry_point_plugins)
    assert dry.exit_code == 2 and "already holds a recording" in dry.output
    forced = runner.invoke(cli, [*args, "--force", "--set", "run.seed=7"], obj=entry_point_plugins)
    assert forced.exit_code == 0, forced.output
    assert rec.open(path).attrs["seed"] == 7


def test_running_out_of_memory_marks_the_recording_failed_with_the_cause(entry_point_plugins, tmp_path):
    from snnkit.resources import ResourceError

    path, calls = tmp_path / "oom.h5", []

    def allocating() -> bool:  # stands for an allocation that fails in the third unit
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 5000000000 bytes")
        return False

    with pytest.raises(ResourceError, match=r"ran out of memory after unit 1 .* marked failed"):
        run_experiment(experiment(entry_point_plugins, path, 6), entry_point_plugins, should_stop=allocating)
    r = rec.open(path)
    assert r.status == "failed" and "can't allocate memory" in r.attrs["error"] and r.writer is None


def test_a_file_that_is_not_a_recording_is_never_replaced(entry_point_plugins, tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("my notes")
    with pytest.raises(ExperimentError, match="not a snnkit recording; snnkit never replaces it"):
        run_experiment(experiment(entry_point_plugins, path, 2), entry_point_plugins, force=True)
    assert path.read_text() == "my notes"


# -- 4. disk full -----------------------------------------------------------------------------------


Usage = namedtuple("Usage", "total used free")


def test_a_full_disk_fails_cleanly_and_resumes_to_the_uninterrupted_result(
    entry_point_plugins, tmp_path, reference, monkeypatch
):
    """The disk "fills" after a few writes (reported free space drops); the run must stop with a
    clear error and status failed, and a resume once space is back must equal the full run."""
    import snnkit_plugins.recorders.hdf5 as hdf5

    path = tmp_path / "full.h5"
    writes, real = [], shutil.disk_usage

    def disk_usage(folder):
        writes.append(1)
        return Usage(10**12, 0, 0 if len(writes) > 20 else 10**11)

    monkeypatch.setattr(hdf5.shutil, "disk_usage", disk_usage)
    with pytest.raises(hdf5.RecorderError, match="not enough disk space") as error:
        run_experiment(experiment(entry_point_plugins, path, 60), entry_point_plugins)
    assert f"snnkit run --resume {path}" in str(error.value)
    r = rec.open(path)
    assert r.status == "failed" and "not enough disk space" in r.attrs["error"]
    recorded = len(r.metrics()["rate.output"][0])
    assert 0 < recorded < 60 and r.spikes("input").shape[0] == 40 * recorded  # counts cover what is on disk
    monkeypatch.setattr(hdf5.shutil, "disk_usage", real)
    run_experiment(experiment(entry_point_plugins, path, 60), entry_point_plugins, resume=path)
    assert_same_recording(path, reference(60))


def _mount_small_filesystem(folder, size):
    folder.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    except FileNotFoundError:
        return False
    return done.returncode == 0


def test_a_real_full_disk(tmp_path, reference):
    """On a small filesystem made for the test (where this machine lets the test mount one)."""
    folder = tmp_path / "small"
    if not _mount_small_filesystem(folder, "3m"):
        pytest.skip("cannot mount a small filesystem here (needs root); the simulated disk-full test covers it")
    try:
        path = folder / "run.h5"
        process = start(path, 200)
        _, err = process.communicate(timeout=300)
        assert process.returncode == 2, err
        assert "not enough disk space" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
        r = rec.open(path)
        assert r.status == "failed" and r.writer is None
        recorded = len(r.metrics()["rate.output"][0])
        assert 0 < recorded < 200 and r.spikes("input").shape[0] == 40 * recorded
        subprocess.run(["mount", "-o", "remount,size=64m", str(folder)], check=True)
        resumed = resume(path)
        assert resumed.returncode == 0, resumed.stderr
        assert_same_recording(path, reference(200))
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


# -- 5. a reader holding the file open --------------------------------------------------------------

HOLD = """
import h5py, time
while True:
    try:
        f = h5py.File({path!r}, "r")
        break
    except BlockingIOError:  # the run is writing at this moment
        time.sleep(0.01)
print("open", flush=True)
time.sleep(600)
"""


def test_a_reader_holding_the_file_open_does_not_stop_the_run(tmp_path, reference):
    path = tmp_path / "read.h5"
    process = start(path, 40, LONG)  # 0.1 s a sample: the reader opens the file while the run goes on
    wait_for_units(path, 2)
    hold = HOLD.format(path=str(path))  # like HDFView or a notebook: open, and never close
    holder = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert "held open by another program" in err
    finally:
        holder.kill()
        holder.wait()
    assert_same_recording(path, reference(40, LONG), LONG)


# -- 6. kill -9: a dead run is told from a live one, and resumes ------------------------------------


def test_a_killed_run_is_reported_dead_and_resumes(entry_point_plugins, tmp_path, reference):
    path = tmp_path / "killed.h5"
    process = start(path, 40, LONG)  # 0.1 s a sample: still running while inspect looks
    wait_for_units(path, 10)
    runner = CliRunner()
    live = runner.invoke(cli, ["inspect", str(path)], obj=entry_point_plugins)
    assert f"being written now by process {process.pid}" in live.output
    process.kill()
    process.wait(timeout=30)
    dead = runner.invoke(cli, ["inspect", str(path)], obj=entry_point_plugins)
    assert "status running" in dead.output and "not running: the process writing it died" in dead.output
    assert f"snnkit run --resume {path}" in dead.output
    with pytest.raises(ExperimentError, match="recording of 'poisson-lif-demo' \\(whose process died\\): continue"):
        run_experiment(experiment(entry_point_plugins, path, 40, LONG), entry_point_plugins)
    resumed = resume(path)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_recording(path, reference(40, LONG), LONG)


def test_a_file_holds_at_most_two_checkpoints_however_many_were_written(entry_point_plugins, tmp_path):
    sizes = {}
    for every in (1, 40):
        path = tmp_path / f"every-{every}.h5"
        settings = ["run.time=5", "run.samples=40", f"run.checkpoint_every={every}", "run.weights_every=0"]
        run_experiment(
            load_experiment("poisson-lif-demo", entry_point_plugins, [*settings, f'run.output="{path}"']),
            entry_point_plugins,
        )
        sizes[every] = path.stat().st_size
    checkpoint = sum(t.numel() * t.element_size() for g in rec.open(path).checkpoint().values() for t in g.values())
    assert checkpoint > 20_000  # the 100 x 50 weights and more
    assert sizes[1] - sizes[40] < 2 * checkpoint  # 40 checkpoints were written, 41 with the first


def test_a_file_killed_while_hdf5_closed_it_is_repaired_when_opened(entry_point_plugins, tmp_path):
    """A kill while HDF5 closes the file can leave it shorter than the end its superblock records
    (space reserved, not yet written), which HDF5 refuses; opening it extends it to that end."""
    import h5py

    path = tmp_path / "short.h5"
    run_experiment(experiment(entry_point_plugins, path, 3), entry_point_plugins)
    rates = rec.open(path).metrics()["rate.output"][1]
    with h5py.File(path, "a") as f:  # reserve space at the end of the file and never write it
        create = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        create.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        create.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
        h5py.h5d.create(f.id, b"reserved", h5py.h5t.NATIVE_UINT8, h5py.h5s.create_simple((8192,)), dcpl=create)
    size = path.stat().st_size
    os.truncate(path, size - 8192)  # as if the process died before the reserved tail reached the disk
    with pytest.raises(OSError, match="truncated file"):
        h5py.File(path, "r")
    assert torch.equal(rec.open(path).metrics()["rate.output"][1], rates)
    assert path.stat().st_size == size


def test_ctrl_c_while_starting_exits_quietly_and_records_nothing(tmp_path):
    path = tmp_path / "early.h5"
    process = start(path, 10)
    time.sleep(0.3)  # still importing torch and the plugins
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "nothing was" in err
    assert not path.exists() and not (tmp_path / "early.h5.lock").exists()
