"""Label readouts on hand-made activity."""

import pytest
import torch

from snnkit_plugins.evaluations.labels import NotFittedError

# 6 neurons, 3 classes: neurons 0, 1 answer class 0; 2 answers class 1; 3, 4 class 2; 5 never fires
COUNTS = torch.tensor(
    [
        [6.0, 4, 0, 1, 0, 0],  # class 0
        [4.0, 6, 1, 0, 0, 0],  # class 0
        [0.0, 1, 8, 0, 1, 0],  # class 1
        [1.0, 0, 0, 5, 3, 0],  # class 2
        [0.0, 0, 1, 3, 5, 0],  # class 2
    ]
)
LABELS = torch.tensor([0, 0, 1, 2, 2])


@pytest.mark.parametrize(
    "name", ["assign-labels", "all-activity", "proportion-weighting", "ngram", "logistic-regression"]
)
def test_discovered(plugins, name):
    assert plugins.get("evaluations", name).provider.distribution == "snnkit-plugins"


def test_assignments_by_highest_mean_rate_and_silent_neurons_unassigned(plugins):
    readout = plugins.build("evaluations", "assign-labels")
    readout.fit(COUNTS, LABELS, n_classes=3)
    assert readout.assignments.tolist() == [0, 0, 1, 2, 2, -1]
    torch.testing.assert_close(readout.rates[:, 0], torch.tensor([5.0, 0.0, 0.5]))
    assert readout.predict(torch.tensor([[0.0, 0, 0, 0, 0, 9]])).tolist() == [-1]  # only the silent neuron fires


@pytest.mark.parametrize("name", ["assign-labels", "all-activity", "proportion-weighting", "logistic-regression"])
def test_each_readout_classifies_the_fitting_activity(plugins, name):
    readout = plugins.build("evaluations", name)
    readout.fit(COUNTS, LABELS, n_classes=3)
    assert readout.predict(COUNTS).tolist() == LABELS.tolist()
    assert readout.accuracy(COUNTS, LABELS) == 1.0


def test_all_activity_averages_over_assigned_neurons(plugins):
    readout = plugins.build("evaluations", "all-activity")
    readout.fit(COUNTS, LABELS, n_classes=3)
    scores = readout.scores(torch.tensor([[2.0, 0, 1.5, 0, 0, 0]]))
    torch.testing.assert_close(scores, torch.tensor([[1.0, 1.5, 0.0]]))  # class 0: (2 + 0) / 2
    assert readout.predict(torch.zeros(1, 6)).tolist() == [-1]  # silence is not class 0


def test_ngram_uses_firing_order(plugins):
    readout = plugins.build("evaluations", "ngram", n=2)
    sequences = [torch.tensor([0, 1]), torch.tensor([1, 0]), torch.tensor([2, 2])]
    readout.fit(torch.zeros(3, 3), torch.tensor([0, 1, 2]), 3, sequences)
    assert readout.predict(
        torch.zeros(3, 3), [torch.tensor([2, 1, 0]), torch.tensor([2, 2]), torch.tensor([0])]
    ).tolist() == [1, 2, -1]


def test_predicting_before_fitting_says_so(plugins):
    with pytest.raises(NotFittedError, match="fit"):
        plugins.build("evaluations", "all-activity").predict(COUNTS)


def test_logistic_regression_leaves_the_global_random_stream_alone():
    from snnkit_plugins.evaluations.logistic_regression import LogisticRegression

    counts, labels = torch.tensor([[3.0, 0], [0, 3], [4, 1], [1, 4]]), torch.tensor([0, 1, 0, 1])
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    LogisticRegression().fit(counts, labels, 2)
    assert torch.equal(torch.rand(3), expected)
