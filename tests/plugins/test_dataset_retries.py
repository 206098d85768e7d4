"""The dataset pipeline shows a sample again, at a higher rate, when the output fired too little
(Diehl & Cook 2015); in a batch, only the samples that fired too little are shown again, one at a
time, as at batch size 1."""

import torch

from snnkit import Network
from snnkit.pipelines import RunContext
from snnkit_plugins.encoders.poisson import Poisson
from snnkit_plugins.pipelines.dataset import DatasetPipeline


class Images(list):
    classes = ["dark", "bright"]


def presentations(plugins, images: torch.Tensor, **options):
    """Present ``images`` as one batch; return the pipeline's counts and, per presentation, the
    input spikes, the teacher's clamp and the output counts that the network was given and fired."""
    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "input", 4)
    net.add_layer("out", "mcculloch-pitts", 4, threshold=0.5)
    net.add_connection("in", "out", "dense", weight=torch.eye(4))  # each input spike: one output spike
    data = Images((image, 1) for image in images)
    context = RunContext(20, 1.0, len(images), 1, torch.Generator().manual_seed(0), Poisson(max_rate=200.0), data)
    context.load_dataset = lambda **_: data
    pipeline = DatasetPipeline(
        train_samples=len(images), test_samples=0, input_layer="in", output_layer="out", **options
    )
    pipeline.prepare(net, context)
    shown = []
    run = net.run

    def spy(inputs, time, clamp=None):
        run(inputs, time, clamp=clamp)
        shown.append((inputs["in"].clone(), clamp, pipeline.monitor.counts().sum(1)))

    net.run = spy
    labels = torch.ones(len(images), dtype=torch.long) if options.get("supervised") else None
    counts, _ = pipeline._present(net, images, labels, context)
    return counts.sum(1), shown


def test_only_the_samples_that_fired_too_little_are_shown_again_one_by_one(plugins):
    # samples 0 and 2 are bright (about 16 spikes in 20 steps at 200 Hz), 1 and 3 dark: no rate makes them fire
    bright, dark = torch.ones(4), torch.zeros(4)
    counts, shown = presentations(plugins, torch.stack([bright, dark, bright, dark]))
    assert [tuple(spikes.shape) for spikes, _, _ in shown] == [(20, 4, 4)] + [(20, 1, 4)] * 6  # 3 retries each
    first_input, _, first_counts = shown[0]
    assert first_input[:, [0, 2]].sum((0, 2)).min() >= 5 and first_counts[[0, 2]].min() >= 5
    assert counts[[0, 2]].tolist() == first_counts[[0, 2]].tolist()  # the bright ones keep their counts
    assert counts[[1, 3]].tolist() == [0.0, 0.0]


def test_a_sample_alone_is_shown_again_as_before(plugins):
    counts, shown = presentations(plugins, torch.zeros(1, 4))
    assert len(shown) == 4 and counts.tolist() == [0.0]
    counts, shown = presentations(plugins, torch.ones(1, 4))
    assert len(shown) == 1 and counts[0] >= 5


def test_a_retried_sample_takes_the_counts_of_its_last_presentation(plugins):
    # dim: at 200 Hz x 0.05 about 0.2 spikes; at 200 + 3 x 400 Hz about 1.4 per input, 5.6 in all
    counts, shown = presentations(plugins, torch.full((1, 4), 0.05), rate_increase=400.0)
    assert len(shown) >= 2 and counts[0] == shown[-1][2][0]
    assert all(c[0] < 5 for _, _, c in shown[:-1])
    assert counts[0] >= 5 or len(shown) == 4


def test_the_teacher_comes_along_with_a_retried_sample(plugins):
    # the teacher forces neurons 2 and 3 (class 1) at 200 Hz: about 8 spikes, short of 12 for the
    # dark sample, which no input helps; the bright one fires about 24 and is done at once
    images = torch.stack([torch.ones(4), torch.zeros(4)])
    counts, shown = presentations(plugins, images, supervised=True, clamp_rate=200.0, min_spikes=12)
    assert len(shown) == 4 and counts[0] >= 12
    teacher = shown[0][1]["out"]
    for _, clamp, _ in shown[1:]:
        assert torch.equal(clamp["out"], teacher[:, 1:2])
