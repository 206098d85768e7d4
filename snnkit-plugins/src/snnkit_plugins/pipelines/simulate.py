"""The ``simulate`` pipeline: present encoded intensities to a network, sample by sample."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from snnkit import Monitor, Network, Pipeline, hookimpl
from snnkit.errors import SnnkitError
from snnkit.pipelines import RunContext


class _SpikeCounter(Monitor):
    """Counts spikes of one layer over a sample."""

    def __init__(self, target: str) -> None:
        super().__init__(target, ("s",))
        self.count = 0.0

    def record(self, values: Mapping[str, Tensor]) -> None:
        self.count += float(values["s"].sum())

    def record_steps(self, values: Mapping[str, Tensor]) -> None:
        self.record(values)  # a sum over the steps is the same sum

    def reset(self) -> None:
        self.count = 0.0


class Simulate(Pipeline):
    """Present input intensities through the encoder to one layer for ``[run] time`` steps per sample.

    Each sample draws intensities uniformly in [0, 1) per input neuron from the run's generator
    (or uses the constant ``intensity``), encodes them with the experiment's ``[encoder]``, resets
    the network's transient state (``reset = true``) and runs it. Metrics per sample: the mean
    firing rate of every layer (``rate.<layer>``, Hz). Needs no data set: the quickest way to
    exercise a network, record it and look at it.

    Args:
        input_layer: layer that receives the encoded input, ``"input"``.
        intensity: constant intensity for every input neuron; ``None`` draws random ones.
        reset: reset the transient state before each sample.

    >>> Simulate(input_layer="in", intensity=0.5).input_layer
    'in'
    """

    def __init__(self, *, input_layer: str = "input", intensity: float | None = None, reset: bool = True) -> None:
        if intensity is not None and intensity < 0:
            raise ValueError(f"intensity must be non-negative, got {intensity}")
        self.input_layer, self.intensity, self.reset = input_layer, intensity, reset
        self.counters: dict[str, _SpikeCounter] = {}

    def prepare(self, network: Network, context: RunContext) -> None:
        if context.encoder is None:
            raise SnnkitError('the simulate pipeline needs an [encoder] table (e.g. plugin = "poisson")')
        if self.input_layer not in network.layers:
            raise SnnkitError(
                f"the simulate pipeline's input_layer {self.input_layer!r} is not a layer of the network;"
                f" layers: {', '.join(network.layers)}"
            )
        for name in network.layers:
            self.counters[name] = _SpikeCounter(name)
            network.add_monitor(f"simulate.{name}", self.counters[name])

    @torch.no_grad()  # local learning only: a learnable tensor (a readout trained later) builds no graph
    def step(self, network: Network, index: int, context: RunContext) -> Mapping[str, float]:
        shape = (context.batch_size, *network.layers[self.input_layer].shape)
        if self.intensity is None:
            data = torch.rand(shape, generator=context.generator, device=network.device)
        else:
            data = torch.full(shape, self.intensity, device=network.device)
        assert context.encoder is not None
        spikes = context.encoder(data, context.time, dt=context.dt, generator=context.generator)
        if self.reset:
            network.reset_state()
        for counter in self.counters.values():
            counter.reset()
        network.run({self.input_layer: spikes}, time=context.time)
        seconds = context.time * context.dt / 1000.0
        metrics = {}
        for name, counter in self.counters.items():
            neurons = network.layers[name].size * context.batch_size
            metrics[f"rate.{name}"] = counter.count / neurons / seconds
        return metrics


@hookimpl
def snnkit_register_pipelines(registry):
    registry.add("simulate", Simulate, default=True)
