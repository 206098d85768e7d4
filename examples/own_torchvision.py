"""Any torchvision dataset by name, learned by a spiking network (docs/own-data.md)."""

import tempfile
from pathlib import Path

from snnkit import get_plugin_manager
from snnkit.experiment import load_experiment
from snnkit.runner import run_experiment

work = Path(tempfile.mkdtemp())

# FakeData (random images) needs no download; for SVHN write class = "SVHN" (downloaded to
# ~/.cache/snnkit/data, or read from $SNNKIT_DATA or root = "...") and give the network 3 x 32 x 32 inputs
(work / "torchvision.toml").write_text(f"""
[run]
seed = 0
time = 10
batch_size = 8
output = "{work / "torchvision.h5"}"

[dataset]
plugin = "torchvision"
class = "FakeData"           # any class of torchvision.datasets; the other keys are its parameters
size = 32
image_size = [1, 8, 8]
num_classes = 4

[encoder]
plugin = "poisson"

[[network.layers]]
name = "input"
neuron = "input"
shape = 64                   # 8 x 8 grey pixels

[[network.layers]]
name = "output"
neuron = "lif"
shape = 4
v_rest = 0.0
v_reset = 0.0
v_thresh = 1.0
surrogate = "fast-sigmoid"

[[network.connections]]
source = "input"
target = "output"
weight = "uniform(-0.1, 0.1)"
learnable = true

[pipeline]
plugin = "gradient"
test_samples = 16
""")

plugins = get_plugin_manager()
result = run_experiment(load_experiment(work / "torchvision.toml", plugins), plugins)
print("test accuracy:", result.metrics["test_accuracy"], "(random images and labels: chance is 0.25)")
