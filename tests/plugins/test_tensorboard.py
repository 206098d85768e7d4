"""The ``tensorboard`` recorder: the event files read back equal the recording it wraps, which stays
complete; a resumed run shows the curves of an uninterrupted one; a missing package names its extra."""

import importlib.util
import io
import time

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from snnkit import PluginManager
from snnkit import recording as rec
from snnkit.errors import ComponentUnavailableError
from snnkit.experiment import ExperimentError, load_experiment
from snnkit.runner import run_experiment
from snnkit.testing import RecorderContract
from snnkit_cli.main import cli
from snnkit_plugins.recorders.hdf5_recording import HDF5Recording
from snnkit_plugins.recorders.tensorboard import TensorBoardRecorder, TensorBoardWarning, receptive_fields

SMALL = ["run.time=40", "run.samples=6", "run.flush_every=2", "run.checkpoint_every=2", "run.weights_every=1"]
TENSORBOARD = 'recorder.plugin="tensorboard"'
CONNECTION = "input->output"


class TestTensorBoardRecorderContract(RecorderContract):
    name = "tensorboard"


def events(log_dir):
    """Everything TensorBoard shows of ``log_dir`` (no sampling)."""
    sizes = {"scalars": 0, "histograms": 0, "images": 0, "tensors": 0}
    accumulator = EventAccumulator(str(log_dir), size_guidance=sizes)
    accumulator.Reload()
    return accumulator


def scalars(acc):
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def demo(plugins, path, extra=()):
    return load_experiment("poisson-lif-demo", plugins, [*SMALL, TENSORBOARD, f'run.output="{path}"', *extra])


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """The demo run as a user types it, once for the tests that only read it."""
    plugins = PluginManager()
    plugins.load_setuptools_entrypoints()
    path = tmp_path_factory.mktemp("tb") / "demo.h5"
    sets = [a for s in [*SMALL, TENSORBOARD] for a in ("--set", s)]
    result = CliRunner().invoke(cli, ["run", "poisson-lif-demo", "--quiet", "--output", str(path), *sets], obj=plugins)
    assert result.exit_code == 0, result.output
    return path, events(path.with_name("demo.tb")), plugins


def test_is_discovered_and_a_missing_package_names_the_extra(monkeypatch, plugins):
    component = plugins.get("recorders", "tensorboard")
    assert component.provider.distribution == "snnkit-plugins" and component.available
    assert component.factory is TensorBoardRecorder and "tensorboard" in component.requires

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else find_spec(name, *a)
    )
    without = PluginManager()
    without.load_setuptools_entrypoints()
    missing = without.get("recorders", "tensorboard")
    assert missing.missing == ("tensorboard",)
    assert missing.install == "pip install 'snnkit-plugins[tensorboard]'"
    with pytest.raises(ComponentUnavailableError, match=r"pip install 'snnkit-plugins\[tensorboard\]'"):
        without.build("recorders", "tensorboard")


def test_scalars_equal_the_recorded_metrics(cli_run):
    path, acc, plugins = cli_run
    metrics = rec.open(path, plugins).metrics()
    assert set(metrics) == {"rate.input", "rate.output"}
    for name, (index, value) in metrics.items():
        # TensorBoard keeps scalars as float32: the same value, rounded to float32
        expected = [(i, float(np.float32(v))) for i, v in zip(index.tolist(), value.tolist(), strict=True)]
        assert scalars(acc)[name] == expected


def test_a_histogram_and_an_image_of_the_weights_at_every_snapshot(cli_run):
    path, acc, plugins = cli_run
    index, weights = rec.open(path, plugins).weights()[CONNECTION]
    assert index.tolist() == list(range(6))  # weights_every = 1
    histograms = acc.Histograms(f"weights/{CONNECTION}")
    assert [h.step for h in histograms] == index.tolist()
    for h, w in zip(histograms, weights, strict=True):
        assert h.histogram_value.num == w.numel() == 100 * 50
        assert (h.histogram_value.min, h.histogram_value.max) == (w.min().item(), w.max().item())
    images = acc.Images(f"receptive-fields/{CONNECTION}")
    assert [i.step for i in images] == index.tolist()
    last = np.asarray(Image.open(io.BytesIO(images[-1].encoded_image_string)).convert("RGB"))
    assert np.array_equal(last, receptive_fields(weights[-1], (10, 10)))  # 100 inputs = 10 x 10, 50 fields


def test_the_experiment_and_metadata_are_texts(cli_run):
    path, acc, plugins = cli_run
    recording = rec.open(path, plugins)
    (experiment,) = acc.Tensors("experiment/text_summary")
    assert experiment.step == 0
    assert experiment.tensor_proto.string_val[0].decode() == f"```toml\n{recording.experiment}\n```"
    metadata = acc.Tensors("metadata/text_summary")[0].tensor_proto.string_val[0].decode()
    assert f"| seed | {recording.attrs['seed']} |" in metadata and "tensorboard 2." in metadata


def test_the_recording_is_the_hdf5_recorders_and_complete(cli_run):
    path, _, plugins = cli_run
    recording = rec.open(path, plugins)
    assert isinstance(recording, HDF5Recording) and recording.status == "complete"
    assert TensorBoardRecorder.recognizes(path) and isinstance(TensorBoardRecorder.open(path), HDF5Recording)
    assert 'plugin = "tensorboard"' in recording.experiment  # what --resume rebuilds from
    assert recording.spikes("output").shape == (6 * 40, 1, 50)
    assert recording.values("output", "v").shape == (6 * 40, 1, 50)
    assert int(recording.checkpoint()["progress"]["index"]) == 5
    assert not TensorBoardRecorder.recognizes(path.with_name("demo.tb") / "no-recording")
    inspect = CliRunner().invoke(cli, ["inspect", str(path)], obj=plugins)
    assert inspect.exit_code == 0 and "complete" in inspect.output


def test_receptive_fields_are_the_columns_unrotated_in_rows():
    fields = torch.zeros(3, 4, 5)  # 5 fields of 3 x 4
    for j in range(5):
        fields[0, :, j] = 1.0  # a bar along the top
        fields[2, 3, j] = j / 4  # a corner whose brightness grows with the field
    image = receptive_fields(fields.reshape(12, 5), (3, 4), max_fields=4)  # only the first 4: 2 x 2
    scale = 8  # 2 * (4 + 1) + 1 = 11 pixels wide, enlarged as far as allowed
    assert image.shape == ((2 * 4 + 1) * scale, 11 * scale, 3)
    small = image[::scale, ::scale, 0]
    for j in range(4):
        top, left = 1 + (j // 2) * 4, 1 + (j % 2) * 5
        tile = small[top : top + 3, left : left + 4]
        assert (tile[0] == 255).all() and tile[2, 3] == round(255 * j / 4) and tile[1].sum() == 0


@pytest.mark.parametrize("how", ["between units", "at once"])
def test_a_resumed_run_shows_the_curves_of_an_uninterrupted_one(plugins, tmp_path, how):
    straight = demo(plugins, tmp_path / "straight.h5")
    assert run_experiment(straight, plugins).status == "complete"
    log_dir = f'recorder.log_dir="{tmp_path}/{{name}}-stopped"'  # a folder of one's own, named after the run
    stopped = demo(plugins, tmp_path / "stopped.h5", [log_dir])
    done = []

    def progress(finished, units, metrics):
        done.append(finished)
        if how == "at once" and finished == 3:
            raise KeyboardInterrupt  # after unit 2 was logged; the last checkpoint is after unit 1

    result = run_experiment(
        stopped, plugins, should_stop=lambda: how == "between units" and len(done) >= 3, progress=progress
    )
    assert result.status == "interrupted"
    partial = events(tmp_path / "poisson-lif-demo-stopped")
    assert [s for s, _ in scalars(partial)["rate.output"]] == [0, 1, 2]  # unit 2 logged: stale "at once"
    # TensorBoard reads a folder's event files in name order, which starts with the second of creation:
    # the resumed run's file must come later, as it does across processes
    time.sleep(1.01 - time.time() % 1)
    assert run_experiment(stopped, plugins, resume=stopped.output).status == "complete"
    resumed, uninterrupted = events(tmp_path / "poisson-lif-demo-stopped"), events(tmp_path / "straight.tb")
    assert scalars(resumed) == scalars(uninterrupted)
    assert len(scalars(resumed)["rate.output"]) == 6
    tag = f"weights/{CONNECTION}"
    assert [h.step for h in resumed.Histograms(tag)] == [h.step for h in uninterrupted.Histograms(tag)] == [*range(6)]
    assert len(resumed.Tensors("experiment/text_summary")) == 1


def test_a_forced_rerun_hides_the_events_of_the_run_it_replaces(plugins, tmp_path):
    assert run_experiment(demo(plugins, tmp_path / "f.h5"), plugins).status == "complete"
    time.sleep(1.01 - time.time() % 1)  # as above: the second run's file comes later
    again = demo(plugins, tmp_path / "f.h5", ["run.samples=3", "run.seed=1"])
    assert run_experiment(again, plugins, force=True).status == "complete"
    metrics = rec.open(tmp_path / "f.h5", plugins).metrics()["rate.output"]
    expected = [(i, float(np.float32(v))) for i, v in zip(metrics[0].tolist(), metrics[1].tolist(), strict=True)]
    assert scalars(events(tmp_path / "f.tb"))["rate.output"] == expected and len(expected) == 3


def test_a_failure_in_tensorboard_leaves_the_recording_whole(plugins, tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter

    def broken(self, *args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(SummaryWriter, "add_histogram", broken)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.warns(TensorBoardWarning, match=r"histogram weights/input->output: OSError: no space left"):
        assert run_experiment(demo(plugins, tmp_path / "h.h5"), plugins).status == "complete"
    with pytest.warns(TensorBoardWarning, match="opening the event files"):
        run = demo(plugins, tmp_path / "d.h5", [f'recorder.log_dir="{blocked}/tb"'])
        assert run_experiment(run, plugins).status == "complete"
    for name in ("h.h5", "d.h5"):
        recording = rec.open(tmp_path / name, plugins)
        assert recording.status == "complete" and recording.weights()[CONNECTION][0].tolist() == [*range(6)]
        assert recording.metrics()["rate.output"][0].tolist() == [*range(6)]
    assert len(scalars(events(tmp_path / "h.tb"))["rate.output"]) == 6  # the rest was still logged


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("recorder.max_fields=-1", "max_fields must be a number of receptive fields"),
        ('recorder.log_dir="tb/{run}"', "log_dir 'tb/{run}': only {name} can be filled in"),
        (
            'recorder.inner="hdf55"',
            "inner must name an installed recorder: unknown recorder 'hdf55'; did you mean 'hdf5'\\?",
        ),
        ('recorder.inner="tensorboard"', "inner must name the recorder that writes the recording"),
        (
            'recorder.inner_params={compression="zip"}',
            "inner_params of the 'hdf5' recorder: compression must be 'gzip', 'lzf' or 'none'",
        ),
        ("recorder.inner_params={level=3}", "inner_params: recorder 'hdf5': unknown parameter 'level'"),
    ],
)
def test_mistakes_name_the_parameter_before_anything_is_written(plugins, tmp_path, setting, message):
    with pytest.raises(ExperimentError, match=r"\[recorder\] key '\w+': .*" + message):
        run_experiment(demo(plugins, tmp_path / "x.h5", [setting]), plugins)
    assert not list(tmp_path.iterdir())


def test_images_only_of_sources_that_are_images(tmp_path):
    from snnkit import Network

    net = Network(seed=0)
    net.add_layer("image", "input", (1, 4, 6))  # a 4 x 6 image
    net.add_layer("square", "input", 16)  # 4 x 4
    net.add_layer("flat", "input", 30)  # neither
    net.add_layer("out", "lif", 3)
    for source in ("image", "square", "flat"):
        net.add_connection(source, "out", "dense")
    for max_fields, drawn in ((2, ["image->out", "square->out"]), (0, [])):
        recorder = TensorBoardRecorder(max_fields=max_fields, log_dir=str(tmp_path / f"tb{max_fields}"))
        recorder.start(tmp_path / f"r{max_fields}.h5", "[run]\n", {"name": "images", "seed": 0})
        recorder.snapshot(0, net)
        recorder.finish("complete")
        acc = events(tmp_path / f"tb{max_fields}")
        assert sorted(acc.Tags()["histograms"]) == ["weights/flat->out", "weights/image->out", "weights/square->out"]
        assert sorted(acc.Tags()["images"]) == [f"receptive-fields/{name}" for name in drawn]
    tile = events(tmp_path / "tb2").Images("receptive-fields/image->out")[0]
    assert (tile.height, tile.width) == ((4 + 2) * 8, (2 * 6 + 3) * 8)  # 2 fields of 4 x 6 side by side, x 8
