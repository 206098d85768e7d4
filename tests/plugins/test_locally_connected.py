"""The ``locally-connected`` model (Saunders et al. 2019): local receptive fields, competition per location."""

from importlib.metadata import entry_points

import pytest
import torch

from snnkit_plugins.models.locally_connected import competition_weights


def test_the_model_is_registered_through_its_entry_point(plugins):
    assert "locally-connected" in {ep.name for ep in entry_points(group="snnkit")}
    assert plugins.get("models", "locally-connected").provider.distribution == "snnkit-plugins"


def test_structure_is_the_papers_smallest_network_12_by_12_patches_at_stride_8(plugins):
    net = plugins.build("models", "locally-connected", plugins=plugins)
    assert net.layers["X"].shape == (1, 28, 28) and net.layers["Y"].shape == (25, 3, 3)  # (28 - 12) / 8 + 1
    assert (net.input_layer, net.output_layer) == ("X", "Y") and "X->Y" in net.rules
    w = net.connections["X->Y"].weight  # [filters, locations, patch]
    assert w.shape == (25, 9, 144) and w.numel() == 32400  # the paper's 225 neurons, 32,400 synapses
    torch.testing.assert_close(w.sum(-1), torch.full((25, 9), 36.0))  # norm: 0.25 per pixel of the patch
    assert (w >= 0).all() and (w <= 1).all()


def test_neurons_compete_only_with_the_other_filters_at_their_location(plugins):
    net = plugins.build(
        "models",
        "locally-connected",
        input_shape=[1, 8, 8],
        kernel_size=4,
        stride=2,
        n_filters=3,
        inh=7.0,
        plugins=plugins,
    )
    assert net.layers["Y"].shape == (3, 3, 3)
    w = net.connections["Y->Y"].weight  # flat index: filter * 9 + row * 3 + column
    at = lambda f, y, x: f * 9 + y * 3 + x  # noqa: E731
    assert w[at(0, 1, 2), at(2, 1, 2)].item() == -7.0  # same location, other filter
    assert w[at(0, 1, 2), at(0, 1, 1)].item() == 0.0  # same filter, neighbouring location
    assert w[at(0, 1, 2), at(1, 0, 0)].item() == 0.0  # other filter, other location
    assert (w != 0).sum().item() == 9 * 3 * 2  # each neuron inhibits the 2 other filters at its location
    assert torch.equal(w, w.T)


def test_a_spike_reaches_only_the_neurons_whose_patch_holds_it(plugins):
    net = plugins.build(
        "models", "locally-connected", input_shape=[1, 8, 8], kernel_size=4, stride=4, n_filters=2, plugins=plugins
    )
    conn = net.connections["X->Y"]
    x = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    x[0, 0, 1, 6] = True  # in the top-right patch (rows 0-3, columns 4-7): location (0, 1)
    out, _ = conn(x, conn.initial_state(1), net_context())
    hit = out[0] != 0
    assert hit[:, 0, 1].all() and hit.sum().item() == 2  # both filters there, nothing elsewhere
    expected = conn.weight[:, 1, 1 * 4 + 2]  # location 1, patch pixel (1, 2)
    torch.testing.assert_close(out[0, :, 0, 1], expected)


def net_context():
    from snnkit import Context

    return Context()


def test_competition_weights_by_hand_and_bad_sizes(plugins):
    w = competition_weights(2, 3, 4.0)
    assert w[0, 3].item() == -4.0 and w[0, 4].item() == 0.0 and w[0, 0].item() == 0.0
    with pytest.raises(Exception, match="kernel"):
        plugins.build("models", "locally-connected", kernel_size=30, plugins=plugins)
