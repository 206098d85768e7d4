import torch

from snnkit import Network

net = Network(dt=1.0, seed=0, zero_delay=True)  # zero_delay: layers pass spikes on in the same step
lif = dict(v_rest=0.0, v_reset=0.0, v_thresh=1.0, tau_mem=19.5, refractory=0.0, surrogate="fast-sigmoid")
net.add_layer("input", "real-input", 784)  # pixel values as an input current
net.add_layer("hidden", "lif", 100, learnable=["tau_mem"], **lif)
net.add_layer("output", "lif", 10, **lif)
net.add_connection("input", "hidden", "dense", weight="uniform(-0.036, 0.036)", bias=0.0, learnable=True)
net.add_connection("hidden", "output", "dense", weight="uniform(-0.1, 0.1)", bias=0.0, learnable=True)
net.add_monitor("out", "state", target="output", variables=["s"])

loss_fn = net.plugins.build("losses", "rate-cross-entropy")
optimizer = torch.optim.Adam(net.learnable().values(), lr=2e-3)

g = torch.Generator().manual_seed(0)
images, labels = torch.rand(32, 784, generator=g), torch.randint(0, 10, (32,), generator=g)  # your data
for step in range(30):
    net.reset_state()  # every sample starts at rest, and the monitors start empty
    net.run(None, time=25, constant={"input": images})  # the same input current at every step
    loss = loss_fn({"s": net.monitors["out"].get("s")}, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step in (0, 29):
        print(f"step {step}: loss {loss.item():.3f}")
