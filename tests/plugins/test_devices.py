"""The same network on a GPU gives the same spikes as on the CPU."""

import pytest
import torch

from snnkit import Network


def build(plugins):
    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "input", 50)
    net.add_layer("out", "lif", 20, tau_mem=20.0)
    net.add_connection("in", "out", "dense", wmin=0.0, wmax=2.0)
    net.add_monitor("out", "state", target="out", variables=["s", "v"], device="cpu")
    return net


@pytest.mark.cuda
def test_cuda_matches_cpu(plugins):
    x = torch.rand(100, 3, 50, generator=torch.Generator().manual_seed(0)) < 0.1
    cpu, gpu = build(plugins), build(plugins).to("cuda")
    cpu.run({"in": x}, time=100)
    gpu.run({"in": x}, time=100)  # inputs on the CPU are moved by the network
    assert gpu.connections["in->out"].weight.is_cuda and gpu.state.layers["out"].v.is_cuda
    assert torch.equal(cpu.monitors["out"].get("s"), gpu.monitors["out"].get("s"))
    torch.testing.assert_close(cpu.monitors["out"].get("v"), gpu.monitors["out"].get("v"))
    gpu.to("cpu")
    assert not gpu.state.layers["out"].v.is_cuda
