"""Your own images, one folder per class, learned by a spiking network (docs/own-data.md)."""

import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from snnkit import get_plugin_manager
from snnkit.experiment import load_experiment
from snnkit.runner import run_experiment

work = Path(tempfile.mkdtemp())

# Stand-ins for your pictures: my-images/<class>/<name>.png, 20 of each class (bright left or right)
rng = np.random.default_rng(0)
for side, name in enumerate(["left", "right"]):
    (work / "my-images" / name).mkdir(parents=True)
    for i in range(20):
        pixels = rng.integers(0, 60, size=(24, 32, 3), dtype=np.uint8)
        pixels[:, side * 16 : side * 16 + 16] += 180
        Image.fromarray(pixels).save(work / "my-images" / name / f"{i:02d}.png")

(work / "my-images.toml").write_text(f"""
[run]
seed = 0
time = 20                    # steps of 1 ms per image
batch_size = 8
output = "{work / "my-images.h5"}"

[dataset]
plugin = "image-folder"
root = "{work / "my-images"}"  # no train/test folders: 4 of each class's 20 images are the test split
size = [12, 16]              # height, width in pixels
grayscale = true             # [12, 16] images: 192 inputs

[encoder]
plugin = "poisson"
max_rate = 200.0             # Hz for a white pixel

[[network.layers]]
name = "input"
neuron = "input"
shape = 192

[[network.layers]]
name = "output"
neuron = "lif"
shape = 2                    # one neuron per class: left, right
v_rest = 0.0
v_reset = 0.0
v_thresh = 1.0
surrogate = "fast-sigmoid"

[[network.connections]]
source = "input"
target = "output"
weight = "uniform(-0.07, 0.07)"
learnable = true

[pipeline]
plugin = "gradient"
epochs = 3
lr = 0.01
""")

plugins = get_plugin_manager()
experiment = load_experiment(work / "my-images.toml", plugins)  # the same as `snnkit run my-images.toml`
result = run_experiment(experiment, plugins)
print("test accuracy:", result.metrics["test_accuracy"])
