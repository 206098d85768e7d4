"""ANN-to-SNN conversion (``snnkit_plugins.conversion``, ``snnkit convert``): hand-set tiny models
against closed forms and hand-computed percentiles."""

import re

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from snnkit_plugins.conversion import (
    ConversionError,
    ann_to_snn,
    classify,
    fold_batchnorm,
    load_converted,
    normalisation_factors,
    save_converted,
    spiking_accuracy,
)


def test_the_convert_command_is_discovered_through_the_entry_point(entry_point_plugins):
    from snnkit_cli.main import SnnkitGroup, add_plugin_commands

    group = SnnkitGroup(name="snnkit")
    add_plugin_commands(entry_point_plugins, group)
    assert "snnkit-plugins" in group.commands["convert"].snnkit_provider


def linear_relu(weight, bias):
    fc = nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        fc.weight.copy_(weight)
        fc.bias.copy_(bias)
    return nn.Sequential(fc, nn.ReLU())


def rates(net, x, steps):
    net.add_monitor("out", "state", target=net.output_layer, variables=["s"])
    net.run(None, time=steps, constant={"input": x})
    return net.monitors["out"].get("s").float().mean(0)


@pytest.mark.parametrize("percentile", [100.0, 90.0])
def test_one_layer_rates_are_activations_over_the_normalisation_factor_within_one_over_t(plugins, percentile):
    weight = torch.tensor([[1.0, -0.5, 0.25], [0.5, 0.5, 0.5], [-1.0, 0.0, 0.2], [2.0, 1.0, -1.0]])
    bias = torch.tensor([0.1, -0.2, 0.0, 0.3])
    model = linear_relu(weight, bias)
    calibration = torch.linspace(0, 1, 60).reshape(20, 3)
    net = ann_to_snn(model, calibration, percentile=percentile, plugins=plugins)
    activations = torch.relu(calibration.double() @ weight.double().T + bias.double())
    lam = np.percentile(activations[activations > 0].numpy(), percentile)
    x = torch.tensor([[0.9, 0.1, 0.4], [0.2, 0.8, 0.6], [1.0, 1.0, 1.0]])
    unclamped = torch.relu(x.double() @ weight.double().T + bias.double()) / lam
    expected = unclamped.clamp(max=1.0)  # a neuron fires at most once per step
    steps = 300
    got = rates(net, x, steps).double()
    assert (got - expected).abs().max() <= 1 / steps
    if percentile < 100:
        assert (unclamped > 1).any()  # the robust percentile lets the largest activations saturate


def test_batchnorm_folding_is_exact_in_float64():
    torch.manual_seed(0)
    fc, bn = nn.Linear(5, 4).double(), nn.BatchNorm1d(4).double()
    conv, bn2 = nn.Conv2d(2, 3, 3, padding=1).double(), nn.BatchNorm2d(3, eps=1e-3).double()
    for norm in (bn, bn2):
        with torch.no_grad():
            norm.running_mean.uniform_(-1, 1)
            norm.running_var.uniform_(0.2, 3)
            norm.weight.uniform_(-2, 2)
            norm.bias.uniform_(-1, 1)
        norm.eval()
    x = torch.randn(7, 5, dtype=torch.float64)
    w, b = fold_batchnorm(fc.weight, fc.bias, bn)
    assert torch.allclose(nn.functional.linear(x, w, b), bn(fc(x)), rtol=0, atol=1e-12)
    maps = torch.randn(2, 2, 6, 6, dtype=torch.float64)
    w, b = fold_batchnorm(conv.weight, conv.bias, bn2)
    assert torch.allclose(nn.functional.conv2d(maps, w, b, padding=1), bn2(conv(maps)), rtol=0, atol=1e-12)


def test_normalisation_factors_and_weights_follow_the_hand_computed_percentiles(plugins):
    g = torch.Generator().manual_seed(1)
    w1, b1 = torch.randn(6, 4, generator=g), torch.randn(6, generator=g) * 0.1
    w2, b2 = torch.randn(3, 6, generator=g), torch.randn(3, generator=g) * 0.1
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Dropout(0.5), nn.Linear(6, 3))
    with torch.no_grad():
        model[0].weight.copy_(w1), model[0].bias.copy_(b1), model[3].weight.copy_(w2), model[3].bias.copy_(b2)
    x = torch.rand(50, 4, generator=g)
    a1 = torch.relu(x.double() @ w1.double().T + b1.double())
    a2 = a1 @ w2.double().T + b2.double()  # the last layer has no ReLU: its positive outputs count
    lam1 = np.percentile(a1[a1 > 0].numpy(), 99.0)
    lam2 = np.percentile(a2[a2 > 0].numpy(), 99.0)
    factors = normalisation_factors(model, x, 99.0)
    assert factors == pytest.approx({"fc0": lam1, "fc3": lam2}, rel=1e-12)
    net = ann_to_snn(model, x, percentile=99.0, plugins=plugins)
    assert list(net.layers) == ["input", "fc0", "fc3"]
    conn1, conn2 = net.connections["input->fc0"], net.connections["fc0->fc3"]
    assert torch.allclose(conn1.weight, (w1 / lam1).T.float()) and torch.allclose(conn1.bias, (b1 / lam1).float())
    assert torch.allclose(conn2.weight, (w2 * lam1 / lam2).T.float()) and torch.allclose(
        conn2.bias, (b2 / lam2).float()
    )
    layer = net.layers["fc0"]
    assert (layer.v_thresh, layer.v_reset, layer.refractory, layer.reset) == (1.0, 0.0, 0.0, "subtract")


def cnn():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1),
        nn.MaxPool2d(2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Dropout(),
        nn.Linear(54, 5),
    )
    with torch.no_grad():
        model[1].running_mean.uniform_(-0.2, 0.2)
        model[1].running_var.uniform_(0.5, 2)
    return model.eval()


def test_a_small_cnn_converts_and_its_spikes_agree_with_it(plugins, tmp_path):
    model = cnn()
    x = torch.rand(40, 1, 14, 14, generator=torch.Generator().manual_seed(2))
    net = ann_to_snn(model, x, plugins=plugins)
    assert list(net.layers) == ["input", "conv0", "avgpool3", "conv4", "maxpool5", "fc9"]
    assert type(net.connections["conv4->maxpool5"]).__name__ == "MaxPool2d"
    labels = model(x).argmax(1)
    accuracy = spiking_accuracy(net, x, labels, steps=[300], batch_size=20)
    assert accuracy[300] >= 0.9  # the spiking network's choice is the ANN's on (nearly) every input
    # saved and loaded back, it is the same network
    path = save_converted(net, tmp_path / "snn.pt", metadata={"accuracy": accuracy})
    again, metadata = load_converted(path, plugins=plugins)
    assert metadata == {"accuracy": accuracy}
    assert torch.equal(classify(again, x[:8], 50)[50], classify(net, x[:8], 50)[50])
    assert (again.input_layer, again.output_layer) == ("input", "fc9")


@pytest.mark.parametrize(
    ("model", "named"),
    [
        (nn.Sequential(nn.Linear(4, 3), nn.Sigmoid(), nn.Linear(3, 2)), "layer 1 (Sigmoid)"),
        (nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2)), "layer 0 (Linear)"),
        (nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.BatchNorm1d(3), nn.Linear(3, 2)), "layer 2 (BatchNorm1d)"),
        (nn.Sequential(nn.Conv2d(1, 2, 3), nn.AvgPool2d(2), nn.ReLU()), "layer 1 (AvgPool2d)"),
        (nn.Sequential(nn.Conv2d(1, 2, 3, groups=1, dilation=2), nn.ReLU()), "layer 0 (Conv2d)"),
        (nn.Sequential(nn.Linear(4, 3), nn.Softmax(1), nn.ReLU()), "layer 1 (Softmax)"),
        (nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.LSTM(3, 2)), "layer 2 (LSTM)"),
    ],
)
def test_layers_that_do_not_convert_are_named(plugins, model, named):
    x = torch.rand(4, 1, 6, 6) if isinstance(model[0], nn.Conv2d) else torch.rand(4, 4)
    with pytest.raises(ConversionError, match=re.escape(f"cannot convert {named}:")) as e:
        ann_to_snn(model, x, plugins=plugins)
    if "Sigmoid" in named or "LSTM" in named:
        assert "Convertible layers: Linear; Conv2d; ReLU; AvgPool2d; MaxPool2d; Flatten" in str(e.value)


def test_only_sequential_models_convert(plugins):
    class Net(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(ConversionError, match=r"cannot convert Net: .*nn\.Sequential"):
        ann_to_snn(Net(), torch.rand(2, 3), plugins=plugins)


def test_snnkit_convert_end_to_end(entry_point_plugins, tmp_path):
    from snnkit_cli.main import SnnkitGroup, add_plugin_commands

    g = torch.Generator().manual_seed(0)
    data = torch.rand(200, 4, generator=g)
    labels = (data[:, 0] > data[:, 1]).long()
    torch.save({"data": data, "labels": labels}, tmp_path / "points.pt")
    model = nn.Sequential(nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 2))  # class 1 scores relu(x0 - x1)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, -1.0, 0, 0], [-1.0, 1.0, 0, 0]]))
        model[0].bias.zero_()
        model[2].weight.copy_(torch.eye(2).flip(0)), model[2].bias.zero_()
    torch.save(model, tmp_path / "model.pt")
    group = SnnkitGroup(name="snnkit")
    add_plugin_commands(entry_point_plugins, group)
    out = tmp_path / "snn.pt"
    args = ["convert", str(tmp_path / "model.pt"), "--data", "tensors", "--data-set", f"path={tmp_path / 'points.pt'}"]
    args += ["--steps", "20,200", "--calibration", "100", "-o", str(out)]
    result = CliRunner().invoke(group, args, obj=entry_point_plugins)
    assert result.exit_code == 0, result.output
    assert "ANN accuracy on 40 test samples: 100.00 %" in result.output
    network, metadata = load_converted(out, plugins=entry_point_plugins)
    assert metadata["ann_accuracy"] == 1.0 and set(metadata["accuracy"]) == {20, 200}
    assert metadata["accuracy"][200] >= 0.95
    assert f"  200  {100 * metadata['accuracy'][200]:>10.2f} %" in result.output
    assert metadata["normalisation"].keys() == {"fc0", "fc2"}
    assert list(network.layers) == ["input", "fc0", "fc2"]
    again = CliRunner().invoke(group, args, obj=entry_point_plugins)
    assert again.exit_code == 2 and "--force" in again.output
    # a state_dict is not a model: one line, exit code 2
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    args[1], args[-1] = str(tmp_path / "weights.pt"), str(tmp_path / "other.pt")
    result = CliRunner().invoke(group, args, obj=entry_point_plugins)
    assert result.exit_code == 2 and "state_dict, which has no architecture" in result.output
    assert "Traceback" not in result.output
