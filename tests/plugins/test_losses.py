"""The classification losses against hand-computed values, and their gradients."""

import math

import pytest
import torch

import snnkit.errors
from snnkit_plugins.losses.classification import first_spike_times

NAMES = ["rate-cross-entropy", "count-mse", "membrane-cross-entropy", "first-spike-cross-entropy"]


@pytest.mark.parametrize("name", NAMES)
def test_discovered_through_the_entry_point(plugins, name):
    component = plugins.get("losses", name)
    assert component.provider.plugin == "classification-losses"


def spikes_from(rows):
    """``rows[b][n]`` lists the steps at which neuron ``n`` of sample ``b`` fires; 4 steps."""
    s = torch.zeros(4, len(rows), len(rows[0]), dtype=torch.float64)
    for b, row in enumerate(rows):
        for n, steps in enumerate(row):
            for t in steps:
                s[t, b, n] = 1.0
    return s


def test_rate_cross_entropy_is_cross_entropy_of_the_counts(plugins):
    s = spikes_from([[[0, 1, 2], [3], []], [[], [0, 1], [2]]])  # counts (3, 1, 0) and (0, 2, 1)
    labels = torch.tensor([0, 2])
    loss = plugins.build("losses", "rate-cross-entropy")
    by_hand = (-(3 - math.log(math.exp(3) + math.exp(1) + 1)) - (1 - math.log(1 + math.exp(2) + math.exp(1)))) / 2
    assert loss({"s": s}, labels).item() == pytest.approx(by_hand)
    assert loss.predict({"s": s}).tolist() == [0, 1]


def test_count_mse_targets_the_rates(plugins):
    s = spikes_from([[[0, 1, 2], [3], []]])  # counts 3, 1, 0 over 4 steps; targets 0.75 * 4 = 3, 0.25 * 4 = 1
    loss = plugins.build("losses", "count-mse", correct_rate=0.75, incorrect_rate=0.25)
    assert loss({"s": s}, torch.tensor([0])).item() == pytest.approx((0 + 0 + 1) / 3)
    assert loss({"s": s}, torch.tensor([1])).item() == pytest.approx((4 + 4 + 1) / 3)


def test_membrane_cross_entropy_reads_the_maximum_or_the_mean(plugins):
    v = torch.tensor([[[0.0, 1.0]], [[2.0, 0.0]], [[-2.0, 0.5]]], dtype=torch.float64)  # max (2, 1), mean (0, 0.5)
    labels = torch.tensor([1])
    by_max = plugins.build("losses", "membrane-cross-entropy")
    by_mean = plugins.build("losses", "membrane-cross-entropy", over_time="mean")
    assert by_max({"v": v}, labels).item() == pytest.approx(-(1 - math.log(math.exp(2) + math.exp(1))))
    assert by_mean({"v": v}, labels).item() == pytest.approx(-(0.5 - math.log(1 + math.exp(0.5))))
    assert (by_max.predict({"v": v}).tolist(), by_mean.predict({"v": v}).tolist()) == ([0], [1])
    with pytest.raises(ValueError, match="over_time must be 'max' or 'mean'"):
        plugins.build("losses", "membrane-cross-entropy", over_time="min")


def test_first_spike_times_and_their_gradient():
    s = spikes_from([[[2, 3], [0], []]]).requires_grad_()
    times = first_spike_times(s)
    assert times.tolist() == [[2.0, 0.0, 4.0]]  # a silent neuron counts as firing at the end
    times.sum().backward()
    # neuron 0, s = (0, 0, 1, 1), t_first = 4 + sum_t (t - 4) f[t], f[t] = s[t] prod_{u<t} (1 - s[u]):
    # d/ds[0] = -4 + 2 (f[2] falls) = -2; d/ds[1] = -3 + 2 = -1; d/ds[2] = -2 + 1 (f[3] rises) = -1
    assert s.grad[:3, 0, 0].tolist() == [-2.0, -1.0, -1.0]
    assert s.grad[3, 0, 0].item() == 0.0  # after the first spike nothing changes it


def test_first_spike_cross_entropy(plugins):
    s = spikes_from([[[2], [1], []]])  # first spikes at 2, 1, 4
    loss = plugins.build("losses", "first-spike-cross-entropy", tau=2.0)
    logits = torch.tensor([-1.0, -0.5, -2.0], dtype=torch.float64)
    assert loss({"s": s}, torch.tensor([0])).item() == pytest.approx(-(logits[0] - logits.exp().sum().log()).item())
    assert loss.predict({"s": s}).tolist() == [1]


@pytest.mark.parametrize("name", ["rate-cross-entropy", "count-mse", "first-spike-cross-entropy"])
def test_spike_losses_pass_gradients_to_the_spikes(plugins, name):
    s = spikes_from([[[0], [1], []], [[2], [], [0, 3]]]).requires_grad_()
    plugins.build("losses", name)({"s": s}, torch.tensor([1, 2])).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0


SPIKES = torch.zeros(4, 2, 3)  # [time, batch, classes]


@pytest.mark.parametrize(
    "output, labels, match",
    [
        (SPIKES, torch.tensor([0, 1]), r"recorded variables as a dict, e\.g\. \{'s': spikes\}"),
        ({"v": SPIKES}, torch.tensor([0, 1]), r"reads 's'; the output has 'v'"),
        ({"s": SPIKES[0]}, torch.tensor([0, 1]), r"'s' must be a tensor \[time, batch, classes\], got \(2,"),
        ({"s": SPIKES}, torch.tensor([0.0, 1.0]), r"must be 2 class indices \(integers, \[batch\]\), got torch\.float"),
        ({"s": SPIKES}, torch.tensor([0, 9]), r"a label is 9, but the output has 3 neurons, one per class \(0 to 2\)"),
        ({"s": SPIKES}, torch.tensor([-1, 0]), r"a label is -1"),
    ],
)
def test_what_a_loss_cannot_score_is_named_before_torch_sees_it(plugins, output, labels, match):
    with pytest.raises(snnkit.errors.LossInputError, match=match):
        plugins.build("losses", "rate-cross-entropy")(output, labels)
    assert plugins.build("losses", "rate-cross-entropy")({"s": SPIKES}, torch.tensor([0, 2])).item() > 0
