"""Shared by the matplotlib plot plugins (not a plugin module)."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from snnkit.errors import SnnkitError


class NothingToPlot(SnnkitError):
    """The recording holds no data this plot draws."""


def check_sample(sample: int, batch: int | None) -> None:
    """Refuse a batch ``sample`` the run does not have (it would draw an empty plot)."""
    if batch is not None and not 0 <= sample < batch:
        raise SnnkitError(
            f"sample {sample} is out of range: the run has {batch} sample{'s' if batch > 1 else ''} per batch"
            f" (sample = 0{f' to {batch - 1}' if batch > 1 else ''})"
        )


def pyplot() -> Any:
    """matplotlib's pyplot, on whatever backend the user has (``MPLBACKEND``, an interactive window,
    Jupyter's inline one); matplotlib itself falls back to the file-only Agg without a display."""
    import matplotlib.pyplot as plt

    return plt


def panels(
    count: int, *, width: float = 8.0, height: float = 2.5, figure: Any = None, sharex: bool = False
) -> tuple[Any, list[Any]]:
    """``count`` stacked axes: in ``figure``, cleared, when given (a redraw of a live figure), else in
    a new figure. ``sharex`` gives them one x axis (one range, tick labels on the lowest only)."""
    if figure is None:
        plt = pyplot()
        figure = plt.figure(figsize=(width, height * count))
    else:
        figure.clear()
    axes = figure.subplots(count, 1, squeeze=False, sharex=sharex)
    return figure, [row[0] for row in axes]


#: Families whose values are fractions in [0, 1].
FRACTIONS = ("accuracy", "silent")

#: The y-axis label of a family: its quantity and unit.
LABELS = {
    "accuracy": "accuracy (fraction correct)",
    "loss": "loss",
    "rate": "firing rate (Hz)",
    "return": "return (summed reward)",
    "length": "length (steps)",
    "reward": "reward (mean per decision)",
    "silent": "silent decisions (fraction)",
    "output_spikes": "output spikes (per sample)",
}


def colour_bar(figure: Any, ax: Any, mappable: Any, **kwargs: Any) -> Any:
    """A colour bar right beside ``ax``'s image (also when the image keeps its aspect and does not
    fill the panel's width), taking its space from ``ax``."""
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    key = make_axes_locatable(ax).append_axes("right", size=0.15, pad=0.1)
    return figure.colorbar(mappable, cax=key, **kwargs)


# -- what a recording says about its run ----------------------------------------------------------
# The Recording interface gives monitored values, metrics and weights, not the network's layers:
# shapes, thresholds and the pipeline's unit are read from the resolved experiment (its
# [[network.layers]] tables, [run], [pipeline]) and, for a network in memory
# (snnkit.recording.from_network), from the network itself.


def experiment_of(recording: Any) -> dict[str, Any]:
    """The recording's resolved experiment as a dict (empty when it holds none that parses)."""
    try:
        return tomllib.loads(recording.experiment or "")
    except (tomllib.TOMLDecodeError, TypeError):
        return {}


def dt_of(experiment: dict[str, Any]) -> float:
    """The run's time step in ms (``[run] dt``, 1 ms by default)."""
    return float(experiment.get("run", {}).get("dt", 1.0))


def step_label(experiment: dict[str, Any]) -> str:
    """The label of a time axis in steps, with the step's length in ms."""
    return f"time step (dt = {dt_of(experiment):g} ms)"


def unit_label(experiment: dict[str, Any]) -> str:
    """What one unit of the run is, singular (``sample``, ``batch of 128 samples``, ``episode``),
    from the pipeline plugin's ``unit``; ``unit`` when the experiment names no pipeline."""
    name = experiment.get("pipeline", {}).get("plugin")
    plural = ""
    if name:
        try:
            from snnkit.plugins import get_plugin_manager

            plural = str(getattr(get_plugin_manager().get("pipelines", name).factory, "unit", ""))
        except Exception:  # an uninstalled pipeline: the axis still gets a name
            plural = ""
    if not plural:
        return "unit"
    singular = plural[:-2] if plural.endswith(("ches", "shes", "sses", "xes")) else plural.removesuffix("s")
    batch = experiment.get("run", {}).get("batch_size", 1)
    if singular == "batch":
        return "sample" if batch == 1 else f"batch (of {batch} samples)"
    return singular


def integer_ticks(axis: Any) -> None:
    """Ticks on whole numbers only (units, neuron indices, counts)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _network(recording: Any) -> Any:
    """The network behind a recording made by ``snnkit.recording.from_network``, else ``None``."""
    return getattr(recording, "network", None)


def layer_table(experiment: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The ``[[network.layers]]`` table of layer ``name``, if the experiment declares it."""
    for table in experiment.get("network", {}).get("layers", []):
        if table.get("name") == name:
            return dict(table)
    return None


def layer_shape(recording: Any, experiment: dict[str, Any], name: str) -> tuple[int, ...] | None:
    """The shape of layer ``name`` (one sample), when the network or the experiment says it."""
    network = _network(recording)
    if network is not None and name in getattr(network, "layers", {}):
        return tuple(int(n) for n in network.layers[name].shape)
    table = layer_table(experiment, name)
    if table is None or "shape" not in table:
        return None
    shape = table["shape"]
    return (int(shape),) if isinstance(shape, int) else tuple(int(n) for n in shape)


def connection_ends(experiment: dict[str, Any], name: str) -> tuple[str, str] | None:
    """The ``(source, target)`` layers of connection ``name`` (declared, or ``source->target``)."""
    for table in experiment.get("network", {}).get("connections", []):
        if table.get("name", f"{table.get('source')}->{table.get('target')}") == name:
            return str(table.get("source")), str(table.get("target"))
    if "->" in name:
        source, target = name.split("->", 1)
        return source, target
    return None


def is_input_layer(recording: Any, experiment: dict[str, Any], name: str, targets: Iterable[str] = ()) -> bool:
    """Whether layer ``name`` is where the data enter: the pipeline's or network's input layer, a
    declared ``input``/``real-input`` layer, or (for a model's layers) a layer no connection in
    ``targets`` or in the experiment feeds."""
    network = _network(recording)
    if network is not None:
        return bool(name == getattr(network, "input_layer", None))
    if experiment.get("pipeline", {}).get("input_layer") == name:
        return True
    table = layer_table(experiment, name)
    if table is not None:
        return table.get("neuron") in ("input", "real-input")
    declared = {str(t.get("target")) for t in experiment.get("network", {}).get("connections", [])}
    return name not in declared | set(targets)


def image_shape(
    recording: Any, experiment: dict[str, Any], layer: str, size: int, targets: Iterable[str] = ()
) -> tuple[int, ...] | None:
    """``(height, width)`` or ``(channels, height, width)`` of ``layer`` when its ``size`` neurons
    form an image, else ``None`` (a 1-D layer is drawn as a row or matrix, not folded into a square).

    A layer with a declared 2-D or 3-D shape is an image. A flat input layer (a model's, or one
    declared with ``shape = 784``) of a run that reads a ``[dataset]`` holds the data set's images,
    flattened: square grey (784 = 28 x 28) or square colour (3072 = 3 x 32 x 32) ones are
    recognised. Anything else is not an image.
    """
    shape = layer_shape(recording, experiment, layer)
    if shape is not None and math.prod(shape) == size and len(shape) >= 2:
        if len(shape) == 2:
            return shape
        return (math.prod(shape[:-2]), shape[-2], shape[-1])
    if "dataset" not in experiment or not is_input_layer(recording, experiment, layer, targets):
        return None
    side = math.isqrt(size)
    if side > 1 and side * side == size:
        return (side, side)
    side = math.isqrt(size // 3)
    if side > 1 and 3 * side * side == size:
        return (3, side, side)
    return None


def plugin_default(kind: str, name: str, parameter: str) -> Any:
    """The default of ``parameter`` of plugin ``name`` of ``kind`` (e.g. a neuron model's
    ``v_thresh``), from the installed plugins; ``None`` when unknown."""
    try:
        from snnkit.plugins import get_plugin_manager

        component = get_plugin_manager().get(kind, name)
    except Exception:
        return None
    for p in component.parameters:
        if p.name == parameter and not p.required:
            return p.default
    return None


def threshold(recording: Any, experiment: dict[str, Any], layer: str) -> float | None:
    """The firing threshold ``v_thresh`` (mV) of ``layer``'s neurons, when known: from the network
    in memory, else the layer's table or its neuron model's default. ``None`` for layers a model
    builds, neuron models without ``v_thresh`` and learnable (per-neuron) thresholds."""
    network = _network(recording)
    value: Any = None
    if network is not None:
        layers = getattr(network, "layers", {})
        group = layers[layer] if layer in layers else None
        value = getattr(getattr(group, "params", None), "v_thresh", None)
    else:
        table = layer_table(experiment, layer)
        if table is not None:
            value = table.get("v_thresh")
            if value is None and table.get("neuron"):
                value = plugin_default("neurons", str(table["neuron"]), "v_thresh")
    if isinstance(value, Tensor):
        value = value.item() if value.numel() == 1 else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def recorded_steps(recording: Any) -> int:
    """How many time steps the monitors recorded (they all record the same steps): the length of
    any recorded variable that is stored per step, else one past the last recorded spike.

    (The Recording interface has no cheaper way to tell the steps of a monitor that records only
    spikes: for such a recording, trailing steps without any spike are not counted.)"""
    steps = 0
    for path, shape, _ in recording.tree():
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == "monitors" and shape:
            steps = max(steps, int(shape[0]))
    if steps:
        return steps
    for name, monitor in recording.monitors().items():
        if "s" in monitor["variables"]:
            step = recording.events(name)["step"]
            if step.numel():
                steps = max(steps, int(step.max()) + 1)
    return steps


def raster_size(neurons: int, height: float = 2.5) -> float:
    """Marker size (points^2) of a ``|`` raster mark in a panel ``height`` inches tall: about one
    neuron's row, between 1.5 and 6 points long."""
    row = 72 * height * 0.7 / max(neurons, 1)
    return min(max(row, 1.5), 6.0) ** 2


def running_mean(values: Tensor, window: int) -> Tensor:
    """The mean of the last ``window`` values at each point (of fewer at the start, so the curve
    starts with the data)."""
    values = values.double()
    total = torch.cumsum(values, 0)
    shifted = total.clone()
    shifted[window:] = total[window:] - total[:-window]
    counts = torch.arange(1, len(values) + 1, dtype=torch.float64).clamp(max=window)
    return shifted / counts


def break_gaps(index: Tensor, values: Tensor) -> tuple[Any, Any]:
    """``(x, y)`` as numpy arrays with a NaN where the units jump by more than twice the series'
    usual step, so a line is not drawn across units the series has no value for (a test phase
    between training epochs)."""
    import numpy as np

    x, y = index.double().numpy(), values.double().numpy()
    if len(x) < 3:
        return x, y
    gaps = np.diff(x)
    usual = float(np.median(gaps))
    cut = np.nonzero(gaps > 2 * usual)[0] + 1
    return np.insert(x, cut, np.nan), np.insert(y, cut, np.nan)
