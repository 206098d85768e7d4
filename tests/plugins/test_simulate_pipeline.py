"""The ``simulate`` pipeline, through the pipeline contract (the shipped demo, made small)."""

from pathlib import Path

import snnkit_plugins.experiments
from snnkit.testing import PipelineContract


class TestSimulatePipelineContract(PipelineContract):
    name = "simulate"
    experiment = (Path(snnkit_plugins.experiments.__file__).parent / "poisson_lif_demo.toml").read_text()
    overrides = ("run.samples=4", "run.time=50", "run.checkpoint_every=1")
