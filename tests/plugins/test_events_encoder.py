"""The events encoder: frames of event counts presented step by step, at the network's dt."""

import pytest
import torch

from snnkit import recording as rec
from snnkit.testing import EncoderContract
from snnkit_plugins.encoders.events import Events


def test_discovered(plugins):
    component = plugins.get("encoders", "events")
    assert component.provider.distribution == "snnkit-plugins" and component.build().takes_frames


def test_one_frame_per_step_when_dt_is_the_bin_width(plugins):
    frames = torch.zeros(2, 4, 2, 3, 3)  # [batch, frames, polarity, height, width]
    frames[0, 1, 1, 2, 0] = 3.0
    frames[1, 3, 0, 0, 2] = 1.0
    spikes = plugins.build("encoders", "events")(frames, 6)
    assert spikes.shape == (6, 2, 2, 3, 3) and spikes.dtype == torch.bool
    assert spikes.nonzero().tolist() == [[1, 0, 1, 2, 0], [3, 1, 0, 0, 2]]  # steps 4 and 5: after the frames


def test_a_coarser_dt_sums_whole_bins_and_counts_are_kept_on_request():
    frames = torch.tensor([[[1.0], [2.0], [0.0], [4.0], [5.0]]])  # 5 bins of 0.5 ms
    assert Events(bin_width=0.5, counts=True)(frames, 3, dt=1.0)[:, 0, 0].tolist() == [3.0, 4.0, 5.0]
    assert Events(bin_width=0.5)(frames, 2, dt=1.0)[:, 0, 0].tolist() == [True, True]  # bin 4 is not shown
    with pytest.raises(ValueError, match=r"dt \(1.5 ms\) must be a whole multiple of the data's bin_width"):
        Events(bin_width=1.0)(frames, 2, dt=1.5)
    with pytest.raises(ValueError, match="bin_width must be a positive time"):
        Events(bin_width=0.0)


def test_the_dataset_pipeline_feeds_frames_to_a_flat_input_layer(plugins, tmp_path):
    """A tensors file of [N, frames, 2, 3, 3] counts runs through the dataset pipeline into 18 inputs."""
    from snnkit.experiment import parse_experiment
    from snnkit.runner import run_experiment

    frames = torch.zeros(8, 10, 2, 3, 3)
    frames[:, ::2, 0, 1, 1] = 1.0
    torch.save({"data": frames, "labels": torch.arange(8) % 2}, tmp_path / "events.pt")
    text = f"""
[run]
time = 10
output = "{tmp_path / "run.h5"}"
[dataset]
plugin = "tensors"
path = "{tmp_path / "events.pt"}"
[encoder]
plugin = "events"
[model]
plugin = "two-layer"
n_inputs = 18
n_neurons = 4
[pipeline]
plugin = "dataset"
train_samples = 4
test_samples = 2
assign_every = 2
window = 4
[[monitors]]
name = "input"
target = "X"
"""
    result = run_experiment(parse_experiment(text, plugins), plugins)
    assert result.status == "complete"
    spikes = rec.open(tmp_path / "run.h5").spikes("input")  # [steps, batch, 18]
    assert spikes.shape == (60, 1, 18) and spikes.sum() == 30 and spikes[:, 0, 4].sum() == 30  # [0, 1, 1] is 4


class TestEventsContract(EncoderContract):
    name = "events"
    data_shape = (60, 5)  # frames, channels
