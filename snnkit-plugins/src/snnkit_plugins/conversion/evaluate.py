"""Running a converted network: its predictions and accuracy per number of steps, and its file.

A converted network is kept as snnkit's own description of a network (an experiment's
``[network]`` table, which the core validates and builds, as a recording keeps its experiment)
with its ``state_dict``, in one ``torch.save`` file that ``torch.load(..., weights_only=True)``
reads back: NIR cannot hold it, since NIR's ``IF`` resets to a value and these neurons reset by
subtraction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from snnkit import Network
from snnkit.experiment import build_network, dump_toml, parse_experiment
from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit_plugins.connections.conv2d import Conv2d
from snnkit_plugins.connections.dense import Dense
from snnkit_plugins.connections.maxpool2d import MaxPool2d
from snnkit_plugins.conversion.ann import ConversionError
from snnkit_plugins.neurons.integrate_and_fire import IF
from snnkit_plugins.neurons.real_input import RealInput

FORMAT = "snnkit-converted-network"
VERSION = 1
_MONITOR = "conversion-readout"


def _steps(steps: int | Sequence[int]) -> list[int]:
    wanted = [steps] if isinstance(steps, int) else list(steps)
    if not wanted or not all(isinstance(t, int) and not isinstance(t, bool) and t > 0 for t in wanted):
        raise ValueError(f"steps must be positive numbers of steps, got {steps!r}")
    return sorted(set(wanted))


def classify(network: Network, inputs: Tensor, steps: int | Sequence[int]) -> dict[int, Tensor]:
    """The class each input is given after each number of ``steps``: ``{steps: [batch] indices}``.

    The network runs ``max(steps)`` steps from a fresh state with ``inputs`` (``[batch, *input
    shape]``) as a constant current into ``network.input_layer``. The prediction is the output
    neuron that has integrated the most input: ``spikes x (v_thresh - v_reset) + v - v_reset``,
    which for neurons that reset by subtraction is exactly their summed input (the ANN's output
    times the number of steps, as rates approach activations). It ranks like the spike count and
    breaks its ties, and it ranks output neurons that never fire (a last layer without ReLU).
    """
    wanted = _steps(steps)
    if network.input_layer is None or network.output_layer is None:
        raise ValueError("the network names no input_layer or output_layer (ann_to_snn sets both)")
    out = network.layers[network.output_layer]
    if not isinstance(out, IF) or out.reset != "subtract" or out.refractory or out.v_min is not None:
        raise ValueError("classify reads an output layer of 'if' neurons with reset='subtract' (as ann_to_snn builds)")
    network.reset_state()
    network.add_monitor(_MONITOR, "state", target=network.output_layer, variables=["s", "v"])
    try:
        with torch.no_grad():
            dtype = next((p.dtype for p in network.parameters()), torch.float32)
            x = inputs.to(device=network.device, dtype=dtype)
            network.run(None, time=wanted[-1], constant={network.input_layer: x}, learning=False)
            spikes = network.monitors[_MONITOR].get("s")
            v = network.monitors[_MONITOR].get("v")
    finally:
        del network.monitors[_MONITOR]
        network.reset_state()
    counts = spikes.to(v.dtype).cumsum(0)
    integrated = counts * (out.v_thresh - out.v_reset) + v - out.v_reset
    return {t: integrated[t - 1].flatten(1).argmax(1).cpu() for t in wanted}


def spiking_accuracy(
    network: Network,
    data: Tensor | Iterable[Any],
    labels: Tensor | None = None,
    *,
    steps: int | Sequence[int] = (50, 100, 200, 500),
    batch_size: int = 500,
) -> dict[int, float]:
    """The share of ``data`` that :func:`classify` gets right after each number of ``steps``.

    ``data`` is a tensor ``[N, *input shape]`` with ``labels`` ``[N]``, or an iterable of
    ``(inputs, labels)`` batches (a ``DataLoader``). One run of ``max(steps)`` steps per batch
    gives every figure.
    """
    wanted = _steps(steps)
    if isinstance(data, Tensor):
        if labels is None or len(labels) != len(data):
            raise ValueError("give labels [N] for data [N, *shape]")
        pairs: Iterable[Any] = (
            (data[i : i + batch_size], labels[i : i + batch_size]) for i in range(0, len(data), batch_size)
        )
    else:
        pairs = data
    right = dict.fromkeys(wanted, 0)
    total = 0
    for x, y in pairs:
        predicted = classify(network, x, wanted)
        for t in wanted:
            right[t] += int((predicted[t] == y.cpu()).sum())
        total += len(y)
    if not total:
        raise ValueError("the data holds no samples")
    return {t: right[t] / total for t in wanted}


# -- the file ------------------------------------------------------------------------------------


def _describe(network: Network) -> dict[str, Any]:
    """The network as an experiment's ``[network]`` table (weights come from the state_dict)."""
    layers: list[dict[str, Any]] = []
    for name, layer in network.layers.items():
        entry: dict[str, Any] = {"name": name, "shape": list(layer.shape)}
        if isinstance(layer, RealInput):
            entry["neuron"] = "real-input"
        elif isinstance(layer, IF):
            entry.update(neuron="if", v_reset=layer.v_reset, v_thresh=layer.v_thresh, refractory=layer.refractory)
            entry["reset"] = layer.reset
            if layer.v_min is not None:
                entry["v_min"] = layer.v_min
        else:
            raise _cannot_save("layer", name, layer)
        layers.append(entry)
    connections: list[dict[str, Any]] = []
    for name, conn in network.connections.items():
        source, target = network.edges[name]
        entry = {"source": source, "target": target, "name": name}
        if isinstance(conn, Dense) and conn.mask is None and conn.delays is None and conn.sign is None:
            entry.update(connection="dense", weight=0.0)
        elif isinstance(conn, Conv2d):
            entry.update(connection="conv2d", weight=0.0, kernel_size=list(conn.kernel_size))
            entry.update(stride=list(conn.stride), padding=list(conn.padding))
        elif isinstance(conn, MaxPool2d):
            entry.update(connection="maxpool2d", kernel_size=list(conn.kernel_size), stride=list(conn.stride))
            entry.update(padding=list(conn.padding), tau_rate=conn.tau_rate)
        else:
            raise _cannot_save("connection", name, conn)
        if getattr(conn, "bias", None) is not None:
            entry["bias"] = 0.0
        if conn.delay:
            entry["delay"] = conn.delay
        connections.append(entry)
    return {"layers": layers, "connections": connections, "zero_delay": network.zero_delay}


def _cannot_save(what: str, name: str, component: Any) -> ConversionError:
    return ConversionError(
        None,
        f"{what} {name!r}",
        f"save_converted keeps networks of real-input and if layers joined by dense, conv2d and maxpool2d"
        f" connections (what ann_to_snn builds), not {type(component).__name__}",
    )


def save_converted(network: Network, path: str | Path, *, metadata: Mapping[str, Any] | None = None) -> Path:
    """Write ``network`` to ``path`` (``torch.save``): its description as an experiment's
    ``[network]`` table, its ``state_dict``, its input and output layers, and ``metadata``
    (numbers, strings and lists or dicts of them, e.g. the accuracy per number of steps).
    :func:`load_converted` reads it back."""
    experiment = {"run": {"name": "converted", "dt": network.dt, "seed": network.seed % 2**63}}
    experiment["network"] = _describe(network)
    state = {k: v.detach().cpu().clone() for k, v in network.state_dict().items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "format": FORMAT,
            "version": VERSION,
            "experiment": dump_toml(experiment),
            "state_dict": state,
            "input_layer": network.input_layer,
            "output_layer": network.output_layer,
            "metadata": dict(metadata or {}),
        },
        path,
    )
    return path


def load_converted(path: str | Path, *, plugins: PluginManager | None = None) -> tuple[Network, dict[str, Any]]:
    """The network that :func:`save_converted` wrote to ``path``, and its metadata.

    The file is read with ``torch.load(weights_only=True)`` (no code runs); the network is built
    by the core from its ``[network]`` table, so every component is checked as in an experiment.
    """
    plugins = plugins or get_plugin_manager()
    try:
        content = torch.load(Path(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ConversionError(None, str(path), f"it is not a converted network ({type(exc).__name__}: {exc})") from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise ConversionError(None, str(path), "it is not a converted network (snnkit convert writes them)")
    if content.get("version") != VERSION:
        raise ConversionError(None, str(path), f"its format version {content.get('version')} is not {VERSION}")
    experiment = parse_experiment(content["experiment"], plugins, source=str(path))
    network = build_network(experiment, plugins)
    network.load_state_dict(content["state_dict"])
    network.input_layer, network.output_layer = content["input_layer"], content["output_layer"]
    return network, dict(content["metadata"])


__all__ = ["classify", "load_converted", "save_converted", "spiking_accuracy"]
