"""The ``gradient`` pipeline data-parallel (torch.distributed, gloo): two processes, each with half
of every batch, train to the weights of one process with the whole batch; rank 0 alone records; a
run resumes with as many processes as it started with, and exactly; pipelines that learn locally
are refused."""

import shutil
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from click.testing import CliRunner

from snnkit import recording as rec
from snnkit.distributed import DistributedError
from snnkit.experiment import build_network, load_experiment
from snnkit.plugins import get_plugin_manager
from snnkit.runner import run_experiment
from snnkit_cli.main import cli

EXPERIMENT = """
[run]
name = "tiny-data-parallel"
seed = 3
time = 8
batch_size = 16
threads = 1
checkpoint_every = 1000

[dataset]
plugin = "tensors"
path = "{data}"
{encoder}
[network]
zero_delay = true

[[network.layers]]
name = "input"
neuron = "{input}"
shape = 12

[[network.layers]]
name = "hidden"
neuron = "lif"
shape = 16
v_rest = 0.0
v_reset = 0.0
v_thresh = 1.0
tau_mem = 19.5
surrogate = "fast-sigmoid"

[[network.layers]]
name = "output"
neuron = "lif"
shape = 3
v_rest = 0.0
v_reset = 0.0
v_thresh = 1.0
tau_mem = 19.5
surrogate = "fast-sigmoid"

[[network.connections]]
source = "input"
target = "hidden"
weight = "uniform(-0.6, 0.6)"
bias = 0.1
learnable = true

[[network.connections]]
source = "hidden"
target = "output"
weight = "uniform(-0.6, 0.6)"
learnable = true

[pipeline]
plugin = "gradient"
train_samples = 64   # 4 batches of 16: 8 samples per process
test_samples = 10    # one test batch, 5 samples per process
loss = "membrane-cross-entropy"
optimizer = "adam"
lr = 0.02

[recorder]
plugin = "hdf5"
"""
POISSON = '\n[encoder]\nplugin = "poisson"\nmax_rate = 400.0\n'


def _experiments(tmp_path: Path) -> tuple[Path, Path]:
    """Constant-current and Poisson-encoded variants of a 12-3 classification of 100 samples."""
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(100) % 3
    data = torch.rand(100, 12, generator=g) * 0.5 + torch.nn.functional.one_hot(labels, 12)[:, :12] * 0.5
    torch.save((data, labels), tmp_path / "data.pt")
    plain, encoded = tmp_path / "plain.toml", tmp_path / "encoded.toml"
    plain.write_text(EXPERIMENT.format(data=tmp_path / "data.pt", encoder="", input="real-input"))
    encoded.write_text(EXPERIMENT.format(data=tmp_path / "data.pt", encoder=POISSON, input="input"))
    return plain, encoded


def _run(toml: Path, output: Path, *, stop_after: int | None = None, resume: bool = False):
    plugins = get_plugin_manager()
    experiment = load_experiment(str(toml), plugins, [f'run.output="{output}"'])
    calls: list[int] = []  # asked once before recording, then before every unit
    stop = (lambda: calls.append(1) or len(calls) > stop_after + 1) if stop_after is not None else (lambda: False)
    return run_experiment(experiment, plugins, should_stop=stop, resume=output if resume else None)


def _in_group(rank: int, world: int, port: int, tmp_path: Path) -> None:
    """One rank of the two: everything this test runs data-parallel."""
    import os

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.distributed.init_process_group("gloo", rank=rank, world_size=world)
    try:
        torch.set_num_threads(1)
        plain, encoded = tmp_path / "plain.toml", tmp_path / "encoded.toml"
        runs = tmp_path / "runs"
        assert _run(plain, runs / "parallel.h5").status == "complete"
        # interrupted after 2 units, kept for the parent's resume in one process, then resumed here
        assert _run(encoded, runs / "resumed.h5", stop_after=2).status == "interrupted"
        if rank == 0:
            shutil.copy(runs / "resumed.h5", tmp_path / "kept" / "interrupted.h5")
        assert _run(encoded, runs / "resumed.h5", resume=True).status == "complete"
        assert _run(encoded, runs / "uninterrupted.h5").status == "complete"
        # a run of one process resumed by two is refused, by both
        with pytest.raises(DistributedError, match=r"recorded by 1 processes and this resume runs in 2"):
            _run(plain, tmp_path / "kept" / "single-interrupted.h5", resume=True)
        # a pipeline whose learning is local is refused before anything is recorded
        plugins = get_plugin_manager()
        demo = load_experiment("poisson-lif-demo", plugins, [f'run.output="{runs / "demo.h5"}"'])
        with pytest.raises(DistributedError, match=r"'simulate' pipeline does not run data-parallel"):
            run_experiment(demo, plugins)
    finally:
        torch.distributed.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_train_as_one_with_the_whole_batch(tmp_path):
    plain, _ = _experiments(tmp_path)
    (tmp_path / "runs").mkdir()
    (tmp_path / "kept").mkdir()
    torch.set_num_threads(1)
    single = _run(plain, tmp_path / "single.h5")
    assert _run(plain, tmp_path / "kept" / "single-interrupted.h5", stop_after=2).status == "interrupted"

    mp.spawn(_in_group, args=(2, _free_port(), tmp_path), nprocs=2, join=True)

    # rank 0 alone wrote, one file per run (rank 1 would have met rank 0's lock on the same path)
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["parallel.h5", "resumed.h5", "uninterrupted.h5"]
    one, two = rec.open(tmp_path / "single.h5"), rec.open(tmp_path / "runs" / "parallel.h5")
    assert two.status == "complete" and int(two.attrs["world_size"]) == 2 and int(one.attrs["world_size"]) == 1
    initial = build_network(load_experiment(str(plain), get_plugin_manager()), get_plugin_manager()).state_dict()
    for key, value in one.checkpoint()["network"].items():
        torch.testing.assert_close(two.checkpoint()["network"][key], value, rtol=1e-5, atol=1e-6, msg=key)
        if key in initial:  # the 4 steps moved the weights: the ranks agree on trained ones
            assert float((value - initial[key]).abs().max()) > 1e-3, key
    # the metrics cover the whole batch, as one process's do: loss, accuracy, rates, the test
    for name, (units, values) in one.metrics().items():
        assert torch.equal(two.metrics()[name][0], units), name
        torch.testing.assert_close(two.metrics()[name][1], values, rtol=1e-5, atol=1e-6, msg=name)
    assert {"loss", "accuracy", "rate.hidden", "test_accuracy"} <= set(one.metrics())
    assert single.metrics["test_accuracy"] == pytest.approx(two.metrics()["test_accuracy"][1][-1])

    # resumed with the same two processes: exactly the uninterrupted run, Poisson spikes included
    resumed, whole = rec.open(tmp_path / "runs" / "resumed.h5"), rec.open(tmp_path / "runs" / "uninterrupted.h5")
    for key, value in whole.checkpoint()["network"].items():
        assert torch.equal(resumed.checkpoint()["network"][key], value), key
    for name, (_, values) in whole.metrics().items():
        assert torch.equal(resumed.metrics()[name][1], values), name

    # a run of two processes resumed by one is refused, naming both, and its file is left as it was
    kept = tmp_path / "kept" / "interrupted.h5"
    with pytest.raises(DistributedError, match=r"recorded by 2 processes and this resume runs in 1.*--nproc 2"):
        _run(plain, kept, resume=True)
    assert rec.open(kept).status == "interrupted"
    shown = CliRunner().invoke(cli, ["inspect", str(kept)])
    assert f"continue with `snnkit run --nproc 2 --resume {kept}`" in shown.output and "world_size: 2" in shown.output
    wrong = CliRunner().invoke(cli, ["run", "--nproc", "3", "--resume", str(kept)])
    assert wrong.exit_code == 2 and wrong.output.count("recorded by 2 processes and --nproc asks for 3") == 1


def test_nproc_refuses_a_pipeline_that_learns_locally():
    result = CliRunner().invoke(cli, ["run", "poisson-lif-demo", "--nproc", "2"])
    assert result.exit_code == 2
    assert "the 'simulate' pipeline does not" in result.output and "pipelines that do: gradient" in result.output
