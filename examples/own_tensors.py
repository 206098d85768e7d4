"""Your own inputs and labels from a file, or from Python, learned by a spiking network (docs/own-data.md)."""

import tempfile
from pathlib import Path

import numpy as np
import torch

from snnkit import get_plugin_manager
from snnkit.experiment import load_experiment
from snnkit.runner import run_experiment

work = Path(tempfile.mkdtemp())

# Stand-ins for your measurements: 10 features in [0, 1] per sample, 3 classes, in Keras's naming
rng = np.random.default_rng(0)
centres = rng.uniform(0.0, 1.0, size=(3, 10))
y = rng.integers(0, 3, size=240)
x = np.clip(centres[y] + rng.normal(0.0, 0.1, size=(240, 10)), 0.0, 1.0).astype(np.float32)
np.savez(work / "my-data.npz", x_train=x[:200], y_train=y[:200], x_test=x[200:], y_test=y[200:])

(work / "my-data.toml").write_text(f"""
[run]
seed = 0
time = 25
batch_size = 10
output = "{work / "my-data.h5"}"

[dataset]
plugin = "tensors"
path = "{work / "my-data.npz"}"  # x_train/y_train and x_test/y_test; also data/labels, x/y, .pt and .h5

[encoder]
plugin = "poisson"
max_rate = 200.0

[[network.layers]]
name = "input"
neuron = "input"
shape = 10

[[network.layers]]
name = "output"
neuron = "lif"
shape = 3
v_rest = 0.0
v_reset = 0.0
v_thresh = 1.0
surrogate = "fast-sigmoid"

[[network.connections]]
source = "input"
target = "output"
weight = "uniform(-0.3, 0.3)"
learnable = true

[pipeline]
plugin = "gradient"
epochs = 5
lr = 0.02
""")

plugins = get_plugin_manager()
result = run_experiment(load_experiment(work / "my-data.toml", plugins), plugins)
print("test accuracy:", result.metrics["test_accuracy"])

# From Python: tensors you already hold become a dataset (80 % for training, 20 % of each class for testing)
train = plugins.build("datasets", "tensors", data=torch.from_numpy(x), labels=torch.from_numpy(y))
test = plugins.build("datasets", "tensors", data=torch.from_numpy(x), labels=torch.from_numpy(y), train=False)
print("from Python:", len(train), "training and", len(test), "test samples of shape", tuple(train[0][0].shape))
