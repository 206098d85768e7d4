import torch

from snnkit import Network

net = Network(dt=1.0, seed=0)  # dt in ms; the seed makes a run repeat exactly
net.add_layer("input", "input", 100)  # 100 spike sources
net.add_layer("output", "lif", 10, tau_mem=20.0)  # 10 leaky integrate-and-fire neurons
net.add_connection("input", "output", "dense", wmin=0.0, wmax=0.5)  # weights uniform in [0, 0.5] mV
net.add_monitor("output-spikes", "state", target="output", variables=["s"])

# Random input: each source spikes with probability 0.05 per 1 ms step (50 Hz), [time, batch, neurons]
spikes = torch.rand(250, 1, 100, generator=net.generator()) < 0.05
net.run({"input": spikes}, time=250)

counts = net.monitors["output-spikes"].get("s").sum(dim=(0, 1))
print("input spikes:", int(spikes.sum()))
print("output spikes per neuron:", counts.tolist())
