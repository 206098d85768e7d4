"""`snnkit predict` and snnkit.predict.TrainedRun: classify new data with a trained run."""

import csv
import os
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from snnkit import recording as rec
from snnkit.experiment import load_experiment, parse_experiment
from snnkit.predict import PredictError, TrainedRun
from snnkit.runner import run_experiment
from snnkit_cli.main import cli

DATA = Path(os.environ.get("SNNKIT_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
needs_mnist = pytest.mark.skipif(not (DATA / "MNIST" / "raw").exists(), reason=f"MNIST files not found in {DATA}")

# A tiny Diehl & Cook run on real digits (about 3 s): rank-order coding is deterministic, so
# presenting the test digits again gives exactly the spikes the run's test saw.
TINY = """
[run]
name = "tiny"
seed = 0
time = 20
output = "{output}"
[dataset]
plugin = "mnist"
[encoder]
plugin = "rank-order"
[model]
plugin = "diehl-cook-2015"
n_neurons = 20
inh = 120.0
norm = 300.0
[pipeline]
plugin = "dataset"
train_samples = 100
test_samples = 40
assign_every = 50
window = 100
evaluations = ["all-activity", "proportion-weighting", "logistic-regression"]
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished tiny run and the test accuracies it recorded."""
    from snnkit import PluginManager

    os.environ.setdefault("SNNKIT_DATA", str(DATA))
    plugins = PluginManager()
    plugins.load_setuptools_entrypoints()
    path = tmp_path_factory.mktemp("predict") / "tiny.h5"
    experiment = parse_experiment(TINY.format(output=path), plugins)
    assert run_experiment(experiment, plugins).status == "complete"
    recorded = {k.split(".", 1)[1]: float(v[-1]) for k, (_, v) in rec.open(path).metrics().items() if "test_" in k}
    return path, recorded


@pytest.fixture(scope="module")
def predicted(trained):
    """The tiny run, loaded, and its predictions for its own 40 test digits."""
    from snnkit import PluginManager

    plugins = PluginManager()
    plugins.load_setuptools_entrypoints()
    run = TrainedRun(trained[0], plugins)
    test = run.dataset(overrides=["dataset.train=false"])  # the run's own [dataset] table, its test split
    return run, test, run.predict_dataset(test, samples=40)


@needs_mnist
def test_predict_on_the_runs_own_test_digits_gives_its_recorded_test_accuracy(trained, predicted):
    recorded = trained[1]
    run, test, result = predicted
    assert result.accuracy() == pytest.approx(recorded, abs=1e-6)
    assert recorded["all-activity"] >= 0.2  # it learned something: chance is 0.1
    assert result.labels.tolist() == test.labels[:40].tolist()
    # the same digits as a tensor (the Python way to classify one's own inputs) give the same classes
    again = run.predict(torch.stack([test[i][0] for i in range(5)]))
    assert again.labels is None and again.accuracy() == {}
    for name, classes in again.predictions.items():
        assert classes.tolist() == result.predictions[name][:5].tolist()


@needs_mnist
def test_the_command_prints_the_accuracy_and_writes_one_csv_row_per_sample(trained, predicted, tmp_path):
    path, result = trained[0], predicted[2]
    out = tmp_path / "pred.csv"
    args = ["predict", str(path), "--data", "mnist", "--set", "dataset.train=false", "--samples", "10"]
    done = CliRunner().invoke(cli, [*args, "--output", str(out)], obj=predicted[0].plugins)
    assert done.exit_code == 0, done.output
    first10 = {name: float((p[:10] == result.labels[:10]).float().mean()) for name, p in result.predictions.items()}
    for name, value in first10.items():
        assert f"accuracy.{name}: {value:.4f}" in done.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 10 and list(rows[0]) == ["sample", "label", *result.predictions]
    for name, classes in result.predictions.items():
        assert [int(r[name]) for r in rows] == classes[:10].tolist()
    assert [int(r["label"]) for r in rows] == result.labels[:10].tolist()
    again = CliRunner().invoke(cli, [*args, "--output", str(out)], obj=predicted[0].plugins)
    assert again.exit_code == 2 and "exists" in again.output  # never overwritten without --force


def test_a_run_without_a_label_assignment_is_refused_with_a_clear_error(entry_point_plugins, tmp_path):
    path = tmp_path / "demo.h5"
    small = ["run.time=10", "run.samples=2", f'run.output="{path}"']
    run_experiment(load_experiment("poisson-lif-demo", entry_point_plugins, small), entry_point_plugins)
    with pytest.raises(PredictError, match=r"'simulate' pipeline assigns no labels.*not a classifier"):
        TrainedRun(path, entry_point_plugins)
    result = CliRunner().invoke(cli, ["predict", str(path)], obj=entry_point_plugins)
    assert result.exit_code == 2 and "not a classifier" in result.output


@needs_mnist
def test_a_run_stopped_before_its_first_assignment_says_so(entry_point_plugins, tmp_path, monkeypatch):
    monkeypatch.setenv("SNNKIT_DATA", str(DATA))
    path = tmp_path / "early.h5"
    text = (
        TINY.format(output=path)
        .replace("train_samples = 100", "train_samples = 10")
        .replace("test_samples = 40", "test_samples = 0")
    )
    run_experiment(parse_experiment(text, entry_point_plugins), entry_point_plugins)
    with pytest.raises(PredictError, match=r"no label assignment.*assign_every = 50"):
        TrainedRun(path, entry_point_plugins)


@needs_mnist
def test_data_of_the_wrong_shape_names_the_input_layer(trained, entry_point_plugins):
    run = TrainedRun(trained[0], entry_point_plugins)
    with pytest.raises(PredictError, match="the input layer 'X' has 784 neurons"):
        run.predict(torch.rand(2, 10, 10))


@needs_mnist
def test_a_tensors_file_given_as_data_is_classified_whole_like_the_same_digits(predicted, tmp_path):
    run, test, result = predicted
    picked = [0, 1, 2, 3, 4, 7, 8]  # digits 7, 2, 1, 0, 4, 9, 5: one per class, so the file has no test split
    path = tmp_path / "mine.pt"
    torch.save({"data": torch.stack([test[i][0] for i in picked]), "labels": test.labels[picked]}, path)
    mine = run.predict_dataset(run.dataset(str(path)))  # a file path: read whole by the tensors dataset
    assert mine.labels.tolist() == test.labels[picked].tolist()
    for name, classes in mine.predictions.items():
        assert classes.tolist() == result.predictions[name][picked].tolist()
