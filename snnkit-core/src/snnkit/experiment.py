"""Experiments: TOML files (or named ones from plugins) describing a whole run, validated up front.

Schema (documented with a full example in ``docs/experiments.md``)::

    [run]          name, seed, device, dt, time, batch_size, samples, output, flush_every,
                   checkpoint_every, weights_every, compile, threads
    [pipeline]     plugin = "simulate" and its parameters
    [encoder]      plugin and its parameters
    [dataset] or [environment]   plugin and its parameters
    [action]       plugin and its parameters (environment runs: output spikes to actions)
    [model]        plugin and its parameters (builds the whole network), or
    [network]      layers = [{name, neuron, shape, ...parameters}],
                   connections = [{source, target, connection = "dense", rule, ...parameters}]
    [[monitors]]   name, target, variables
    [recorder]     plugin = "hdf5" and its parameters
    plots          a list of plot plugin names
    [sweep]        read by ``snnkit sweep`` only (``snnkit.sweeps``): grid, seeds, search, ...

Everything is checked before any heavy work; each problem raises one :class:`ExperimentError`
naming the file, the table and the key.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snnkit.errors import DuplicateComponentError, ParameterError, SnnkitError, UnknownComponentError, closest
from snnkit.network import Network
from snnkit.plugins import PluginManager

#: [run] keys: (type, default). ``None`` default means "derived" (see ``RUN_DEFAULTS`` use).
RUN_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "name": (str, None),
    "seed": (int, 0),
    "device": (str, "cpu"),
    "dt": (float, 1.0),
    "time": (int, 250),
    "batch_size": (int, 1),
    "samples": (int, None),  # None: 10 for pipelines that count [run] samples; see Pipeline.length_key
    "output": (str, None),  # None: runs/{name} with the recorder's file suffix
    "flush_every": (int, 10),
    "checkpoint_every": (int, 50),
    "weights_every": (int, 0),
    "compile": (bool, False),
    "threads": ((int, str), "auto"),
}
PLUGIN_TABLES = {
    "pipeline": "pipelines",
    "encoder": "encoders",
    "dataset": "datasets",
    "environment": "environments",
    "action": "actions",
    "model": "models",
    "recorder": "recorders",
}
TOP_LEVEL = ["run", *PLUGIN_TABLES, "network", "monitors", "plots", "sweep"]
LAYER_KEYS = ("name", "neuron", "shape", "surrogate")
CONNECTION_KEYS = ("source", "target", "connection", "name", "rule")
MONITOR_KEYS = ("name", "target", "variables")


class ExperimentError(SnnkitError, ValueError):
    """A problem in an experiment file: where it is and what would be right."""

    def __init__(self, source: str, table: str | None, key: str | None, message: str) -> None:
        self.source, self.table, self.key = source, table, key
        where = f"[{table}]" + (f" key {key!r}" if key else "") + ": " if table else ""
        super().__init__(f"{source}: {where}{message}")


@dataclass
class Experiment:
    """A validated experiment: ``data`` holds every table with defaults filled in."""

    source: str
    data: dict[str, Any]

    @property
    def run(self) -> dict[str, Any]:
        run: dict[str, Any] = self.data["run"]
        return run

    @property
    def output(self) -> Path:
        return Path(self.run["output"].format(name=self.run["name"]))

    def to_toml(self) -> str:
        """The resolved experiment as TOML text (stored in every recording)."""
        return dump_toml(self.data)


def load_experiment(
    name_or_path: str | Path,
    plugins: PluginManager,
    overrides: Sequence[str] = (),
) -> Experiment:
    """Read an experiment file, or a named experiment from the plugins, apply ``--set`` overrides
    (``"run.seed=3"``, ``"model.n_neurons=400"``) and validate it."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.exists():
            raise ExperimentError(str(path), None, None, "no such file")
        if path.is_dir():
            raise ExperimentError(str(path), None, None, "is a directory; name an experiment file (.toml)")
        try:
            source, text = str(path), path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ExperimentError(
                str(path), None, None, f"is not UTF-8 text (byte {exc.start}); save it as UTF-8"
            ) from None
        except OSError as exc:
            raise ExperimentError(str(path), None, None, f"cannot be read: {exc.strerror}") from None
    else:
        component = plugins.get("experiments", str(name_or_path))
        experiment_path = Path(component.build())
        source, text = f"experiment {name_or_path!r} ({experiment_path})", experiment_path.read_text()
    return parse_experiment(text, plugins, source=source, overrides=overrides)


def parse_experiment(
    text: str, plugins: PluginManager, *, source: str = "<experiment>", overrides: Sequence[str] = ()
) -> Experiment:
    """Parse and validate TOML ``text``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(source, _table_at(text, str(exc)), None, f"not valid TOML: {exc}") from None
    for override in overrides:
        apply_override(data, override, source)
    return Experiment(source, validate(data, plugins, source))


def _table_at(text: str, error: str) -> str:
    """The table a TOML syntax error is in, from the ``(at line N, column M)`` of the message."""
    match = re.search(r"at line (\d+)", error)
    lines = text.splitlines()[: int(match.group(1)) - 1] if match else []
    counts: dict[str, int] = {}
    table = "top level"
    for line in lines:
        header = re.match(r"\s*(\[\[?)\s*([^\]]+?)\s*\]", line)
        if header:
            name = header.group(2)
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                table = f"{name}.{counts[name]}"
            else:
                table = name
    return table


def apply_override(data: dict[str, Any], override: str, source: str) -> None:
    """Set ``table.key=value`` in ``data``; the value is read as TOML, else taken as a string."""
    if "=" not in override:
        raise ExperimentError(source, "run", None, f"--set {override!r}: write it as table.key=value")
    path, raw = override.split("=", 1)
    try:
        value = tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw
    parts = path.strip().split(".")
    if len(parts) < 2:
        raise ExperimentError(source, "run", None, f"--set {override!r}: name a table and a key, e.g. run.seed=3")
    node: Any = data
    for depth, part in enumerate(parts):
        where = ".".join(parts[:depth]) or "top level"
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ExperimentError(
                    source, where, None, f"--set {override!r}: {where} has entries 0 to {len(node) - 1}, not {part!r}"
                )
            if depth == len(parts) - 1:
                node[int(part)] = value
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if depth == len(parts) - 1:
                node[part] = value
            else:
                node = node.setdefault(part, {})
        else:
            raise ExperimentError(
                source,
                where,
                None,
                f"--set {override!r}: {where} is a value ({node!r}), not a table; set it with --set {where}=VALUE",
            )


def validate(data: dict[str, Any], plugins: PluginManager, source: str) -> dict[str, Any]:
    """Check every table and fill in defaults; raise :class:`ExperimentError` on the first problem."""
    data = copy.deepcopy(data)
    for key in data:
        if key not in TOP_LEVEL:
            raise ExperimentError(
                source, key, None, f"unknown table{_hint(key, TOP_LEVEL)} Tables: {', '.join(TOP_LEVEL)}."
            )
    for table, value in data.items():
        _check_numbers(value, table, None, source)
    data["run"] = _run_table(data.get("run", {}), source)
    if ("model" in data) == ("network" in data):
        raise ExperimentError(source, "network", None, "give exactly one of [model] and [network]")
    for table, kind in PLUGIN_TABLES.items():
        default = _default(plugins, kind, table, source)
        if table in data or default is not None:
            data[table] = _plugin_table(data.get(table, {}), table, kind, plugins, source, default)
    _samples(data, plugins, source)
    recorder = plugins.get("recorders", data["recorder"]["plugin"]).factory if "recorder" in data else None
    data["run"]["output"] = _output(data["run"], recorder, source)
    if "network" in data:
        data["network"] = _network_table(data["network"], plugins, source)
        targets = {layer["name"] for layer in data["network"]["layers"]}
        targets |= {c["name"] for c in data["network"]["connections"]}
    else:
        targets = None  # a model defines its layers; monitors are checked when it is built
    data["monitors"] = [
        _monitor(m, i, targets, source) for i, m in enumerate(_tables(data.get("monitors", []), "monitors", source))
    ]
    seen: set[str] = set()
    for i, monitor in enumerate(data["monitors"]):
        if monitor["name"] in seen:
            raise ExperimentError(
                source, f"monitors.{i}", "name", f"a monitor named {monitor['name']!r} is defined twice"
            )
        seen.add(monitor["name"])
    if "network" in data:
        _check_network_memory(data, source)
    plots = data.get("plots", [])
    if not isinstance(plots, list) or not all(isinstance(p, str) for p in plots):
        raise ExperimentError(source, "plots", None, 'plots must be a list of plot names, e.g. ["spikes"]')
    for name in plots:
        _component(plugins, "plots", name, "plots", None, source)
    data["plots"] = plots
    if not isinstance(data.get("sweep", {}), dict):
        raise ExperimentError(source, "sweep", None, "must be a table (see docs/sweeps.md)")
    return data


@contextmanager
def building(source: str, table: str, keys: Sequence[str]) -> Iterator[None]:
    """Turn an error raised while building the plugin of ``table`` (a range check in its
    constructor, an allocation that fails) into an :class:`ExperimentError` naming the file, the
    table and the first of ``keys`` the message mentions."""
    try:
        yield
    except ExperimentError:
        raise
    except (SnnkitError, ValueError, TypeError, RuntimeError, MemoryError) as exc:
        message = str(exc) or type(exc).__name__
        found = [(m.start(), k) for k in keys if (m := re.search(rf"\b{re.escape(k)}\b", message))]
        raise ExperimentError(source, table, min(found)[1] if found else None, message) from None


def build_network(experiment: Experiment, plugins: PluginManager) -> Network:
    """The experiment's network, on its device, seeded with its seed."""
    run = experiment.run
    if "model" in experiment.data:
        params = {k: v for k, v in experiment.data["model"].items() if k != "plugin"}
        component = plugins.get("models", experiment.data["model"]["plugin"])
        accepted = {p.name for p in component.parameters}
        for key, value in (("seed", run["seed"]), ("dt", run["dt"]), ("plugins", plugins)):
            if key in accepted:  # the run's settings, unless the [model] table sets them
                params.setdefault(key, value)
        with building(experiment.source, "model", list(params)):
            network = component.build(**params)
        if not isinstance(network, Network):
            raise ExperimentError(
                experiment.source, "model", "plugin", f"the model built a {type(network).__name__}, not a Network"
            )
        network.use_compile = run["compile"]
        return network.to(run["device"])
    table = experiment.data["network"]
    network = Network(
        dt=run["dt"], seed=run["seed"], plugins=plugins, compile=run["compile"], zero_delay=table["zero_delay"]
    )
    source = experiment.source
    for i, layer in enumerate(table["layers"]):
        params = {k: v for k, v in layer.items() if k not in LAYER_KEYS}
        surrogate = layer.get("surrogate")
        if isinstance(surrogate, dict):
            with building(source, f"network.layers.{i}.surrogate", list(surrogate)):
                surrogate = plugins.build(
                    "surrogates", surrogate["name"], **{k: v for k, v in surrogate.items() if k != "name"}
                )
        with building(source, f"network.layers.{i}", list(layer)):
            network.add_layer(layer["name"], layer["neuron"], layer["shape"], surrogate=surrogate, **params)
    for i, conn in enumerate(experiment.data["network"]["connections"]):
        params = {k: v for k, v in conn.items() if k not in CONNECTION_KEYS}
        rule = conn.get("rule")
        if isinstance(rule, dict):
            with building(source, f"network.connections.{i}.rule", list(rule)):
                rule = plugins.build("learning_rules", rule["name"], **{k: v for k, v in rule.items() if k != "name"})
        with building(source, f"network.connections.{i}", [*params, "rule", "source", "target"]):
            network.add_connection(
                conn["source"], conn["target"], conn["connection"], rule=rule, name=conn["name"], **params
            )
    return network.to(run["device"])


def build_plugin(experiment: Experiment, table: str, plugins: PluginManager, **extra: Any) -> Any:
    """Build the plugin of ``table`` (e.g. ``"encoder"``) with its parameters, or ``None``."""
    spec = experiment.data.get(table)
    if spec is None:
        return None
    params = {k: v for k, v in spec.items() if k != "plugin"}
    with building(experiment.source, table, list(params)):
        return plugins.build(PLUGIN_TABLES[table], spec["plugin"], **{**params, **extra})


# -- validation helpers --------------------------------------------------------------------------


def _hint(name: str, known: Sequence[str]) -> str:
    match = closest(name, known)
    return f"; did you mean {match[0]!r}?" if match else "."


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {
        int: "an integer",
        float: "a number",
        str: "a string",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(names.get(t, t.__name__) for t in types)


def _check_type(value: Any, expected: type | tuple[type, ...], source: str, table: str, key: str) -> Any:
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    types = expected if isinstance(expected, tuple) else (expected,)
    if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
        raise ExperimentError(
            source, table, key, f"must be {_type_name(expected)}, got {type(value).__name__} {value!r}"
        )
    return value


def _run_table(run: Any, source: str) -> dict[str, Any]:
    if not isinstance(run, dict):
        raise ExperimentError(source, "run", None, "must be a table")
    resolved: dict[str, Any] = {}
    for key, value in run.items():
        if key not in RUN_KEYS:
            raise ExperimentError(
                source, "run", key, f"unknown key{_hint(key, list(RUN_KEYS))} Keys: {', '.join(RUN_KEYS)}."
            )
        resolved[key] = _check_type(value, RUN_KEYS[key][0], source, "run", key)
    for key, (_, default) in RUN_KEYS.items():
        resolved.setdefault(key, default)
    resolved["name"] = resolved["name"] or Path(source.split(" ")[-1].strip("()'")).stem or "experiment"
    for key in ("time", "batch_size", "samples"):
        if resolved[key] is not None and resolved[key] < 1:
            raise ExperimentError(source, "run", key, f"must be at least 1, got {resolved[key]}")
    if not resolved["dt"] > 0 or not math.isfinite(resolved["dt"]):
        raise ExperimentError(source, "run", "dt", f"must be a positive time step in ms, got {resolved['dt']}")
    threads = resolved["threads"]
    if not ((isinstance(threads, int) and threads >= 1) or threads == "auto"):
        raise ExperimentError(
            source, "run", "threads", f'must be a number of threads (at least 1) or "auto", got {threads!r}'
        )
    for key in ("flush_every", "checkpoint_every", "weights_every"):
        if resolved[key] < 0:
            raise ExperimentError(source, "run", key, f"must be a number of units, 0 for never; got {resolved[key]}")
    _check_device(resolved["device"], source)
    return resolved


#: Units of a run whose pipeline counts ``[run] samples`` and whose file gives none.
DEFAULT_SAMPLES = 10


def _samples(data: dict[str, Any], plugins: PluginManager, source: str) -> None:
    """``[run] samples`` for a pipeline that counts it (10 when not given), and an error for one that
    says how much to run with a key of its own (``Pipeline.length_key``) instead of ignoring it."""
    name = data.get("pipeline", {}).get("plugin")
    own = getattr(plugins.get("pipelines", name).factory, "length_key", None) if name else None
    if own is None:
        if data["run"]["samples"] is None:
            data["run"]["samples"] = DEFAULT_SAMPLES
    elif data["run"]["samples"] == DEFAULT_SAMPLES:
        data["run"]["samples"] = None  # what recordings made before this check carry: they still resume
    elif data["run"]["samples"] is not None:
        raise ExperimentError(
            source,
            "run",
            "samples",
            f"the {name!r} pipeline does not count [run] samples: say how much it runs with [pipeline]"
            f" {own} (--set pipeline.{own}=N)",
        )


def _output(run: dict[str, Any], recorder: Any, source: str) -> str:
    """The output path template: the one given, else ``runs/{name}`` with the recorder's suffix."""
    suffix = getattr(recorder, "suffix", "")
    output = run["output"] if run["output"] is not None else f"runs/{{name}}{suffix}"
    try:
        formatted = output.format(name=run["name"])
    except (KeyError, IndexError, ValueError) as exc:
        raise ExperimentError(
            source, "run", "output", f"{output!r}: only {{name}} can be filled in ({type(exc).__name__}: {exc})"
        ) from None
    if not formatted.strip() or formatted.endswith(("/", "\\")):
        raise ExperimentError(
            source, "run", "output", f'must name a file, e.g. "runs/{{name}}{suffix}"; got {output!r}'
        )
    return output


def _check_device(device: str, source: str) -> None:
    import torch

    try:
        kind = torch.device(device).type
    except (RuntimeError, ValueError):
        raise ExperimentError(source, "run", "device", f'unknown device {device!r}; use "cpu" or "cuda"') from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ExperimentError(source, "run", "device", 'CUDA is not available on this machine; use device = "cpu"')
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ExperimentError(source, "run", "device", 'MPS is not available on this machine; use device = "cpu"')


def _check_numbers(value: Any, table: str, key: str | None, source: str) -> None:
    """No NaN anywhere (it is never a meaningful setting) and no integer beyond 64 bits."""
    if isinstance(value, Mapping):
        inner = table if key is None else f"{table}.{key}"
        for k, v in value.items():
            _check_numbers(v, inner, str(k), source)
    elif isinstance(value, list):
        if value and all(isinstance(v, Mapping) for v in value):
            for i, v in enumerate(value):
                _check_numbers(v, f"{table}.{key}.{i}" if key else f"{table}.{i}", None, source)
        else:
            for v in value:
                _check_numbers(v, table, key, source)
    elif isinstance(value, float) and math.isnan(value):
        raise ExperimentError(source, table, key, "is nan: give a number")
    elif isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise ExperimentError(source, table, key, f"{value} is too large (at most {2**63 - 1})")


#: Bytes of state per neuron and sample that a layer keeps (potentials, counters, traces, spikes).
STATE_BYTES = 4 * 8


def _check_network_memory(data: dict[str, Any], source: str) -> None:
    """Refuse layers whose state could not fit in memory, before anything is allocated."""
    from snnkit.resources import available_memory, describe_bytes

    available, batch = available_memory(), data["run"]["batch_size"]
    sizes = {
        layer["name"]: math.prod(layer["shape"]) if isinstance(layer["shape"], list) else layer["shape"]
        for layer in data["network"]["layers"]
    }
    for i, layer in enumerate(data["network"]["layers"]):
        neurons = sizes[layer["name"]]
        if neurons * STATE_BYTES > available:
            raise ExperimentError(
                source,
                f"network.layers.{i}",
                "shape",
                f"{neurons} neurons would need {describe_bytes(neurons * STATE_BYTES)} of memory;"
                f" {describe_bytes(available)} is available",
            )
        if neurons * batch * STATE_BYTES > available:
            raise ExperimentError(
                source,
                "run",
                "batch_size",
                f"{batch} samples of layer {layer['name']!r} ({neurons} neurons) would need"
                f" {describe_bytes(neurons * batch * STATE_BYTES)} of memory; {describe_bytes(available)} is available",
            )
    run = data["run"]
    held = min([n for n in (run["flush_every"], run["checkpoint_every"], run["samples"] or 0) if n > 0])
    for i, monitor in enumerate(data["monitors"]):
        neurons = sizes.get(monitor["target"])
        if neurons is None:  # a connection's variables
            continue
        per_step = sum(1 if v == "s" else 4 for v in monitor["variables"]) * neurons * batch
        buffered = 2 * per_step * run["time"] * held  # the steps between flushes, and their copy when written
        if buffered > available:
            raise ExperimentError(
                source,
                f"monitors.{i}",
                "variables",
                f"would hold {describe_bytes(buffered)} in memory between writes ({held} units of {run['time']} steps);"
                f" {describe_bytes(available)} is available: monitor fewer variables or lower [run] flush_every",
            )


def _component(plugins: PluginManager, kind: str, name: Any, table: str, key: str | None, source: str) -> Any:
    if not isinstance(name, str):
        raise ExperimentError(source, table, key, f"must be a plugin name (a string), got {name!r}")
    try:
        return plugins.get(kind, name)
    except (UnknownComponentError, DuplicateComponentError) as exc:
        raise ExperimentError(source, table, key, str(exc)) from None


def _check_params(component: Any, params: dict[str, Any], given: Sequence[str], table: str, source: str) -> None:
    try:
        component.check_parameters(params, given=given)
    except ParameterError as exc:
        quoted = [(exc.problem.find(f"'{k}'"), k) for k in params if f"'{k}'" in exc.problem]
        key = min(quoted)[1] if quoted else None  # the first named: a suggestion comes after it
        raise ExperimentError(source, table, key, str(exc)) from None


def _default(plugins: PluginManager, kind: str, table: str, source: str) -> str | None:
    """The name of the component a plugin offers as the default of ``kind``, if any."""
    try:
        component = plugins.registry(kind).default()
    except SnnkitError as exc:
        raise ExperimentError(source, table, "plugin", str(exc)) from None
    return component.name if component is not None else None


def _plugin_table(
    given: Any, table: str, kind: str, plugins: PluginManager, source: str, default: str | None
) -> dict[str, Any]:
    if not isinstance(given, dict):
        raise ExperimentError(source, table, None, "must be a table")
    spec: dict[str, Any] = dict(given)
    spec.setdefault("plugin", default)
    if spec["plugin"] is None:
        raise ExperimentError(source, table, "plugin", f"missing: name the {kind.rstrip('s')} plugin to use")
    component = _component(plugins, kind, spec["plugin"], table, "plugin", source)
    _check_params(component, {k: v for k, v in spec.items() if k != "plugin"}, (), table, source)
    return spec


def _tables(value: Any, table: str, source: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ExperimentError(source, table, None, "must be an array of tables ([[...]])")
    return list(value)


def _require(entry: dict[str, Any], keys: Sequence[str], table: str, source: str) -> None:
    for key in keys:
        if key not in entry:
            raise ExperimentError(source, table, key, "missing required value")


def _network_table(network: Any, plugins: PluginManager, source: str) -> dict[str, Any]:
    if not isinstance(network, dict):
        raise ExperimentError(source, "network", None, "must be a table")
    keys = ["layers", "connections", "zero_delay"]
    for key in network:
        if key not in keys:
            raise ExperimentError(source, "network", key, f"unknown key{_hint(key, keys)}")
    zero_delay = _check_type(network.get("zero_delay", False), bool, source, "network", "zero_delay")
    layers = _tables(network.get("layers", []), "network.layers", source)
    if not layers:
        raise ExperimentError(source, "network", "layers", "missing: a network needs at least one layer")
    shapes: dict[str, Any] = {}
    for i, layer in enumerate(layers):
        table = f"network.layers.{i}"
        _require(layer, ("name", "neuron", "shape"), table, source)
        name = _check_type(layer["name"], str, source, table, "name")
        if name in shapes:
            raise ExperimentError(source, table, "name", f"layer {name!r} is defined twice")
        shape = layer["shape"]
        dims = shape if isinstance(shape, list) else [shape]
        if not dims or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
            raise ExperimentError(
                source,
                table,
                "shape",
                f"must be a positive integer or a list of them, e.g. 100 or [28, 28]; got {shape!r}",
            )
        component = _component(plugins, "neurons", layer["neuron"], table, "neuron", source)
        _check_params(component, {k: v for k, v in layer.items() if k not in LAYER_KEYS}, ("shape",), table, source)
        surrogate = layer.get("surrogate")
        if surrogate is not None:
            surrogate_name = surrogate.get("name") if isinstance(surrogate, dict) else surrogate
            surrogate_component = _component(plugins, "surrogates", surrogate_name, table, "surrogate", source)
            if isinstance(surrogate, dict):
                params = {k: v for k, v in surrogate.items() if k != "name"}
                _check_params(surrogate_component, params, (), f"{table}.surrogate", source)
        shapes[name] = shape
    connections = _tables(network.get("connections", []), "network.connections", source)
    names: set[str] = set()
    for i, conn in enumerate(connections):
        table = f"network.connections.{i}"
        _require(conn, ("source", "target"), table, source)
        for end in ("source", "target"):
            if conn[end] not in shapes:
                raise ExperimentError(
                    source,
                    table,
                    end,
                    f"no layer named {conn[end]!r}{_hint(str(conn[end]), list(shapes))} Layers: {', '.join(shapes)}.",
                )
        conn.setdefault("connection", "dense")
        conn.setdefault("name", f"{conn['source']}->{conn['target']}")
        if conn["name"] in names:
            raise ExperimentError(
                source, table, "name", f"connection {conn['name']!r} is defined twice; give one a name"
            )
        names.add(conn["name"])
        component = _component(plugins, "connections", conn["connection"], table, "connection", source)
        params = {k: v for k, v in conn.items() if k not in CONNECTION_KEYS}
        _check_params(component, params, ("source_shape", "target_shape", "generator"), table, source)
        rule = conn.get("rule")
        if rule is not None:
            rule_name = rule.get("name") if isinstance(rule, dict) else rule
            rule_component = _component(plugins, "learning_rules", rule_name, table, "rule", source)
            if isinstance(rule, dict):
                _check_params(
                    rule_component, {k: v for k, v in rule.items() if k != "name"}, (), f"{table}.rule", source
                )
    return {"layers": layers, "connections": connections, "zero_delay": zero_delay}


def _monitor(entry: dict[str, Any], index: int, targets: set[str] | None, source: str) -> dict[str, Any]:
    table = f"monitors.{index}"
    for key in entry:
        if key not in MONITOR_KEYS:
            raise ExperimentError(
                source, table, key, f"unknown key{_hint(key, MONITOR_KEYS)} Keys: {', '.join(MONITOR_KEYS)}."
            )
    _require(entry, ("name", "target"), table, source)
    if targets is not None and entry["target"] not in targets:
        raise ExperimentError(
            source,
            table,
            "target",
            f"no layer or connection named {entry['target']!r}{_hint(entry['target'], sorted(targets))}",
        )
    variables = entry.get("variables", ["s"])
    if isinstance(variables, str):
        variables = [variables]
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        raise ExperimentError(source, table, "variables", 'must be a list of variable names, e.g. ["s", "v"]')
    return {"name": entry["name"], "target": entry["target"], "variables": variables}


# -- TOML output ---------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "inf"
            if value == math.inf
            else "-inf"
            if value == -math.inf
            else "nan"
            if math.isnan(value)
            else repr(value)
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _toml_value(key)


def dump_toml(data: Mapping[str, Any]) -> str:
    """Write experiment data (tables, arrays of tables, scalars, lists, inline tables) as TOML."""
    lines: list[str] = []

    def table(prefix: str, values: Mapping[str, Any]) -> None:
        scalars = {k: v for k, v in values.items() if v is not None and not _is_table(v) and not _is_table_array(v)}
        if prefix and (scalars or not values):
            lines.append(f"[{prefix}]")
        lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars.items())
        if scalars:
            lines.append("")
        for k, v in values.items():
            name = f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k)
            if _is_table(v):
                table(name, v)
            elif _is_table_array(v):
                for item in v:
                    lines.append(f"[[{name}]]")
                    lines.extend(f"{_toml_key(ik)} = {_toml_value(iv)}" for ik, iv in item.items())
                    lines.append("")

    table("", data)
    return "\n".join(lines).rstrip() + "\n"


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


__all__ = [
    "Experiment",
    "ExperimentError",
    "build_network",
    "build_plugin",
    "dump_toml",
    "load_experiment",
    "parse_experiment",
]
