"""The ``if`` neuron's reset by subtraction (``reset="subtract"``), against hand-computed spike counts."""

import math

import pytest
import torch

from snnkit.testing import NeuronContract

from .helpers import drive


class TestIFSubtractContract(NeuronContract):
    name = "if"
    params = {"reset": "subtract", "v_reset": 0.0, "v_thresh": 1.0, "refractory": 0.0}
    drive = 2.0


class TestIFSubtractRefractoryContract(NeuronContract):
    name = "if"
    params = {"reset": "subtract", "v_reset": 0.0, "v_thresh": 1.0, "refractory": 2.0}
    drive = 2.0


@pytest.mark.parametrize("x", [0.0, 0.125, 0.375, 0.5, 0.75, 1.0, 0.13, 0.7])
def test_subtraction_gives_floor_of_steps_times_input_spikes(plugins, x):
    layer = plugins.build("neurons", "if", 1, v_reset=0.0, v_thresh=1.0, refractory=0.0, reset="subtract")
    spikes, states = drive(layer, [x] * 200)
    counts = spikes.reshape(200).cumsum(0)
    k = torch.arange(1, 201, dtype=torch.float64)
    if x * 8 == int(x * 8):  # exact in binary: the count is exactly floor(k x)
        assert counts.tolist() == torch.floor(k * x).tolist()
    else:  # rounding may move a spike by a step: within one spike of it
        assert (counts - torch.floor(k * x)).abs().max() <= 1
    # the spikes and what is left on the membrane add up to the input integrated so far
    v = torch.tensor([s.v.item() for s in states], dtype=torch.float64)
    assert torch.allclose(counts + v, k * x)


def test_subtraction_keeps_the_overshoot_where_the_default_discards_it(plugins):
    kept = plugins.build("neurons", "if", 1, v_reset=-65.0, v_thresh=-52.0, refractory=0.0, reset="subtract")
    _, states = drive(kept, [20.0])
    assert states[0].v.item() == pytest.approx(-65.0 + 20.0 - 13.0)  # 7 mV above v_reset
    default = plugins.build("neurons", "if", 1, refractory=0.0)
    assert default.reset == "value"
    _, states = drive(default, [20.0])
    assert states[0].v.item() == -65.0


def test_subtraction_respects_the_refractory_period(plugins):
    layer = plugins.build("neurons", "if", 1, v_reset=0.0, v_thresh=1.0, refractory=2.0, reset="subtract")
    spikes, states = drive(layer, [1.5] * 7)
    # input ignored for two steps after each spike: v = 1.5 -> spike (0.5), hold, hold, 2.0 -> spike (1.0) ...
    assert spikes.flatten().tolist() == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    assert [s.v.item() for s in states[:4]] == pytest.approx([0.5, 0.5, 0.5, 1.0])


def test_bad_reset_options_are_refused(plugins):
    with pytest.raises(ValueError, match="reset must be one of 'value', 'subtract'"):
        plugins.build("neurons", "if", 1, reset="zero")
    with pytest.raises(ValueError, match="v_thresh above v_reset"):
        plugins.build("neurons", "if", 1, v_thresh=0.0, v_reset=0.0, reset="subtract")


def test_nir_export_refuses_reset_by_subtraction(plugins):
    pytest.importorskip("nir")
    import snnkit
    from snnkit import Network
    from snnkit.errors import NIRExportError

    net = Network(plugins=plugins)
    net.add_layer("in", "real-input", 2)
    net.add_layer("out", "if", 2, v_reset=0.0, v_thresh=1.0, refractory=0.0, reset="subtract")
    net.add_connection("in", "out", "dense", weight=1.0)
    with pytest.raises(NIRExportError, match="resets by subtraction"):
        snnkit.to_nir(net)
    assert math.isfinite(net.layers["out"].v_thresh)
