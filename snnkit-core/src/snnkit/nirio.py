"""Export networks to NIR and import NIR graphs: ``snnkit.to_nir`` and ``snnkit.from_nir``.

NIR (the Neuromorphic Intermediate Representation, https://neuroir.org, PyPI ``nir``) describes a
network as a graph of continuous-time nodes (``LIF``, ``Affine``, ``Conv2d``, ...). The core knows
no component: each plugin maps its own through the ``snnkit_register_nir(registry)`` hook, with
``registry.exporter(ComponentClass, export)`` and ``registry.importer("NodeType", import_node)``.
The core walks the network or the graph, calls those functions, and handles what belongs to the
graph itself: ``Input``/``Output`` nodes, ``Flatten`` (a reshape, which snnkit's connections do
implicitly), ``Delay`` (a connection's delay) and the one-step delay of snnkit's default networks.

Conventions (``docs/nir.md`` gives the formulas): times in a graph are in seconds (snnkit's are
ms); voltages keep snnkit's numbers (mV); each step's input to a layer is a current held for one
step, so a neuron's input gain is ``r * dt / tau`` (``r * dt`` for ``IF``) and snnkit exports
``r = tau / dt``, a gain of 1. ``discretization`` says how a time constant ``tau`` becomes a decay
per step: ``"exact"`` (``exp(-dt / tau)``, snnkit's own) or ``"forward-euler"`` (``1 - dt / tau``,
as snnTorch reads and writes graphs).

``nir`` is optional (``pip install 'snnkit-core[nir]'``) and imported only here, when needed.
"""

from __future__ import annotations

import copy
import importlib
import itertools
import math
import pathlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import torch
from torch import Tensor

from snnkit.connections import Connection
from snnkit.context import Context, NoState
from snnkit.errors import NIRError, NIRExportError, NIRFileError, NIRImportError, NIRMissingError, NIRShapeError
from snnkit.neurons import NeuronGroup
from snnkit.registry import LOCAL, Provider

if TYPE_CHECKING:
    from snnkit.network import Network
    from snnkit.plugins import PluginManager

DISCRETIZATIONS = ("exact", "forward-euler")
#: Node types the core handles itself; plugins register the others.
GRAPH_NODES = ("Output", "Flatten", "Delay")


def require_nir() -> Any:
    """The ``nir`` module, or :class:`~snnkit.errors.NIRMissingError` with the install line."""
    try:
        return importlib.import_module("nir")
    except ImportError:
        raise NIRMissingError() from None


class _Unsupported(Exception):
    """Raised by ``ctx.unsupported``; the core turns it into an error that names the part."""


def _check_discretization(discretization: str) -> str:
    if discretization not in DISCRETIZATIONS:
        raise NIRError(f"discretization must be one of {', '.join(DISCRETIZATIONS)}, got {discretization!r}")
    return discretization


def _numpy(value: float | Tensor | np.ndarray, shape: Sequence[int]) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.detach().cpu().numpy()
    return np.array(np.broadcast_to(np.asarray(value), tuple(shape)))


@dataclass
class ExportContext:
    """What an exporter is handed besides its component: where it is and the graph's conventions."""

    name: str  # the layer's or connection's name in the network
    network: Network
    discretization: str
    shape: tuple[int, ...] = ()  # a layer's shape; a connection's source shape

    @property
    def dt(self) -> float:
        """The network's time step (ms)."""
        return self.network.dt

    @property
    def dt_s(self) -> float:
        """The time step in the graph's unit (s)."""
        return self.network.dt * 1e-3

    def unsupported(self, reason: str) -> NoReturn:
        """Refuse to export: ``reason`` says what NIR cannot hold (the error names the part and plugin)."""
        raise _Unsupported(reason)

    def array(self, value: float | Tensor | np.ndarray, shape: Sequence[int] | None = None) -> np.ndarray:
        """``value`` (a number or tensor) as a numpy array of ``shape`` (default: the layer's)."""
        return _numpy(value, self.shape if shape is None else shape)

    def time(self, ms: float | Tensor) -> np.ndarray:
        """A duration in ms as the graph's seconds, one per neuron."""
        return self.array(ms) * 1e-3

    def tau(self, tau_ms: float | Tensor) -> np.ndarray:
        """A time constant (ms) as the graph's ``tau`` (s), one per neuron, such that a simulator of
        ``discretization`` decays by ``exp(-dt / tau_ms)`` per step as snnkit does."""
        tau = self.array(tau_ms).astype(np.float64)
        if self.discretization == "exact":
            return tau * 1e-3
        return self.dt_s / -np.expm1(-self.dt / tau)  # 1 - dt_s / tau_nir = exp(-dt / tau_ms)


@dataclass
class ImportContext:
    """What an importer is handed besides its node: the time step and the shape of its input."""

    name: str  # the node's name in the graph (and of the layer or connection it becomes)
    node: Any
    dt: float  # the network's time step (ms)
    discretization: str
    source_shape: tuple[int, ...]  # the snnkit shape of what feeds the node (a connection's source layer)
    input_shape: tuple[int, ...]  # that shape as the graph sees it (after any Flatten)
    plugins: PluginManager | None = None

    @property
    def dt_s(self) -> float:
        """The time step in the graph's unit (s)."""
        return self.dt * 1e-3

    def unsupported(self, reason: str) -> NoReturn:
        """Refuse to import the node: ``reason`` says what snnkit cannot hold."""
        raise _Unsupported(reason)

    def array(self, value: Any) -> np.ndarray:
        return np.asarray(value, dtype=np.float64) if not isinstance(value, np.ndarray) else value

    def shape(self, *values: Any) -> tuple[int, ...]:
        """The layer's shape: that of the parameters when they hold one value per neuron, else the input's."""
        for value in values:
            a = np.asarray(value)
            if a.size > 1:
                if a.size != math.prod(self.source_shape):
                    raise NIRShapeError(
                        self.name,
                        type(self.node).__name__,
                        f"its parameters have shape {a.shape} but its input has shape {self.input_shape}",
                    )
                return self.source_shape
        return self.source_shape

    def uniform(self, value: Any, shape: Sequence[int] | None = None) -> float | Tensor:
        """A parameter as a number when every neuron has the same, else a float32 tensor of ``shape``."""
        a = np.asarray(value)
        if a.size == 0:
            self.unsupported("a parameter is empty")
        flat = a.reshape(-1)
        if bool(np.all(flat == flat[0])):
            return float(flat[0])
        return torch.as_tensor(np.array(a, dtype=np.float32)).reshape(tuple(shape or self.source_shape))

    def tau_ms(self, tau: Any, shape: Sequence[int] | None = None) -> float | Tensor:
        """The graph's time constant (s) as snnkit's ``tau`` (ms) that decays as ``discretization`` reads it."""
        t = np.asarray(tau, dtype=np.float64)
        if np.any(t <= 0):
            self.unsupported("its time constants must be positive")
        if self.discretization == "exact":
            ms = t * 1e3
        else:
            decay = 1.0 - self.dt_s / t
            if np.any(decay <= 0):
                self.unsupported(f"forward Euler with dt = {self.dt_s} s needs tau > dt, got tau = {t.min()}")
            ms = -self.dt / np.log(decay)
        return self.uniform(ms, shape)

    def gain(self, value: Any) -> np.ndarray:
        """An input gain as an array; 1 where it is 1 to float rounding, so that voltages stay as written."""
        g = np.asarray(value, dtype=np.float64)
        return np.where(np.isclose(g, 1.0, rtol=1e-6, atol=0.0), 1.0, g)


Exporter = Callable[[Any, ExportContext], Any]
Importer = Callable[[Any, ImportContext], Any]


@dataclass
class NIRRegistry:
    """Mappings to and from NIR, filled by plugins' ``snnkit_register_nir`` hooks.

    >>> registry = NIRRegistry()
    >>> registry.importer("LIF", lambda node, ctx: ...)
    >>> registry.importers()
    ['LIF']
    """

    _exporters: dict[type, tuple[Exporter, Provider]] = field(default_factory=dict)
    _importers: dict[str, tuple[Importer, Provider]] = field(default_factory=dict)
    _provider: Provider = LOCAL

    def exporter(self, component: type, export: Exporter) -> None:
        """Export instances of ``component`` (a ``NeuronGroup`` or ``Connection`` class, subclasses
        included) with ``export(component, ctx) -> nir node``; a connection may return a list of
        nodes, applied in order (e.g. ``[nir.Flatten(...), nir.Affine(...)]``)."""
        if component in self._exporters:
            raise NIRError(
                f"{component.__name__} has two NIR exporters: from {self._exporters[component][1]} and {self._provider}"
            )
        self._exporters[component] = (export, self._provider)

    def importer(self, node_type: str, import_node: Importer) -> None:
        """Import NIR nodes whose class is named ``node_type`` (``"LIF"``) with
        ``import_node(node, ctx) -> NeuronGroup | Connection``."""
        if node_type in GRAPH_NODES:
            raise NIRError(f"NIR {node_type} nodes are handled by the core; register importers for other node types")
        if node_type in self._importers:
            raise NIRError(
                f"NIR {node_type} nodes have two importers: from {self._importers[node_type][1]} and {self._provider}"
            )
        self._importers[node_type] = (import_node, self._provider)

    def importers(self) -> list[str]:
        """The node types that can be imported (besides the core's own)."""
        return sorted(self._importers)

    def find_exporter(self, component: object) -> tuple[Exporter, Provider] | None:
        for cls in type(component).__mro__:
            if cls in self._exporters:
                return self._exporters[cls]
        return None

    def find_importer(self, node_type: str) -> tuple[Importer, Provider] | None:
        return self._importers.get(node_type)


def nir_registry(plugins: PluginManager) -> NIRRegistry:
    """Every plugin's NIR mappings; a plugin whose hook raises is reported and the others still count."""
    registry = NIRRegistry()
    for impl in plugins.hook.snnkit_register_nir.get_hookimpls():
        registry._provider = plugins._provider(impl.plugin_name)
        try:
            impl.function(**{arg: registry for arg in impl.argnames})
        except Exception as exc:
            plugins.report_failure(impl.plugin_name, f"snnkit_register_nir raised {type(exc).__name__}: {exc}")
    registry._provider = LOCAL
    return registry


class Relay(NeuronGroup):
    """Passes its summed input on unchanged (real values): what joins two linear NIR nodes in a row
    (``Conv2d -> AvgPool2d``), since in snnkit every connection runs from a layer to a layer."""

    emits_real = True
    memoryless = True

    def initial_state(
        self, batch_size: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> NoState:
        return NoState()

    def forward(self, input: Tensor, state: NoState, ctx: Context) -> tuple[Tensor, NoState]:
        return input, state


# -- export --------------------------------------------------------------------------------------


def _describe(plugins: PluginManager, kind: str, component: object) -> tuple[str, str]:
    """The registered name of ``component``'s class and who provided it."""
    for c in plugins.components(kind):
        if c.factory is type(component):
            return c.name, str(c.provider)
    return type(component).__name__, "code (not a registered plugin)"


def to_nir(network: Network, *, discretization: str = "exact", drop_rules: bool = False) -> Any:
    """The network as a ``nir.NIRGraph``: its learned state, for inference in any NIR tool.

    Args:
        network: the network; every layer and connection must have a NIR exporter.
        discretization: how the graph's time constants are to be read: ``"exact"`` (``tau`` is the
            model's own, decay ``exp(-dt / tau)``) or ``"forward-euler"`` (``tau`` chosen so that
            ``1 - dt / tau`` is snnkit's decay, for tools that step that way, such as snnTorch).
        drop_rules: export connections that have a learning rule, with their current weights (NIR
            holds no plasticity); otherwise such a connection is an error.

    Raises:
        NIRExportError: a part NIR cannot express, naming it, its plugin and why.
        NIRMissingError: ``nir`` is not installed.

    Layers become neuron nodes named after them and connections become nodes named after theirs
    (plus ``<name>.flatten`` where one reshapes); a network without ``zero_delay`` gets a ``Delay``
    node of one step (plus the connection's ``delay``) before each connection, so the graph steps
    as the network does. Layers without outgoing connections (or ``network.output_layer``) feed
    ``Output`` nodes.

    >>> graph = snnkit.to_nir(net)  # doctest: +SKIP
    >>> nir.write("model.nir", graph)  # doctest: +SKIP
    """
    nir = require_nir()
    _check_discretization(discretization)
    plugins = network.plugins
    registry = nir_registry(plugins)
    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    layers = dict(network._layer_items())
    relays = {name for name, layer in layers.items() if isinstance(layer, Relay)}

    def export(kind: str, what: str, name: str, component: Any, shape: tuple[int, ...]) -> list[Any]:
        found = registry.find_exporter(component)
        label, provider = _describe(plugins, kind, component)
        if found is None:
            raise NIRExportError(
                what, name, label, provider, "its plugin registers no NIR exporter (hook snnkit_register_nir)"
            )
        ctx = ExportContext(name, network, discretization, shape)
        try:
            result = found[0](component, ctx)
        except _Unsupported as exc:
            raise NIRExportError(what, name, label, provider, str(exc)) from None
        return list(result) if isinstance(result, list | tuple) else [result]

    for name, layer in layers.items():
        if name in relays:
            continue
        (node,) = export("neurons", "layer", name, layer, layer.shape)
        nodes[name] = node
    chains: dict[str, tuple[str, str]] = {}  # connection -> (first node, last node)
    for name, conn in network._connection_items():
        source, target = network.edges[name]
        if name in network.rules and not drop_rules:
            rule, provider = _describe(plugins, "learning_rules", network.rules[name])
            raise NIRExportError(
                "connection",
                name,
                rule,
                provider,
                "NIR holds no plasticity; pass drop_rules=True (snnkit export --drop-rules) to export its current"
                " weights for inference",
            )
        chain = export("connections", "connection", name, conn, layers[source].shape)
        names = [f"{name}.{i}" for i in range(len(chain) - 1)] + [name]
        for i, node in enumerate(chain[:-1]):
            names[i] = f"{name}.{type(node).__name__.lower()}"
        steps = int(conn.delay) + (0 if network.zero_delay else 1)
        if steps:
            delay = np.full(layers[source].shape, steps * network.dt * 1e-3)
            nodes[f"{name}.delay"] = nir.Delay(delay=delay)
            chain, names = [nodes[f"{name}.delay"], *chain], [f"{name}.delay", *names]
        for node_name, node in zip(names, chain, strict=True):
            nodes[node_name] = node
        edges.extend(itertools.pairwise(names))
        chains[name] = (names[0], names[-1])

    def ends(layer: str) -> list[str]:
        """The nodes whose output is ``layer``'s (a relay's are its incoming chains' last nodes)."""
        if layer not in relays:
            return [layer]
        return [chains[c][1] for c, (_, t) in network.edges.items() if t == layer]

    for name, (source, target) in network.edges.items():
        for end in ends(source):
            edges.append((end, chains[name][0]))
        if target not in relays:
            edges.append((chains[name][1], target))
    inputs = {name for name, node in nodes.items() if type(node).__name__ == "Input"}
    if network.output_layer is not None:
        outputs = [network.output_layer]
    else:
        sources = {s for s, _ in network.edges.values()}
        outputs = [n for n in layers if n not in sources and n not in inputs]
    for output in outputs:
        out = "output" if len(outputs) == 1 and "output" not in nodes else f"output.{output}"
        nodes[out] = nir.Output(output_type=np.array(list(layers[output].shape)))
        edges.extend((end, out) for end in ends(output))
    metadata = {"source": "snnkit", "dt": network.dt * 1e-3, "discretization": discretization}
    try:
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata)
    except Exception:  # an exporter's node without types the graph can infer: keep it untyped
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=False)


# -- import --------------------------------------------------------------------------------------


def read(path: str | pathlib.Path) -> Any:
    """Read a NIR file (``nir.read``), turning what is wrong with it into :class:`NIRFileError`."""
    nir = require_nir()
    p = pathlib.Path(path)
    if not p.is_file():
        raise NIRFileError(str(path), "no such file")
    try:
        return nir.read(p, type_check=False)
    except Exception as exc:
        raise NIRFileError(str(path), f"{type(exc).__name__}: {exc}") from None


@dataclass
class _Signal:
    """What a graph node hands on: a layer's output, or a connection's waiting for its target."""

    shape: tuple[int, ...]  # as the graph sees it
    layer: str | None = None  # the layer whose output this is
    delay: int = 0  # steps (from Delay nodes)
    pending: list[tuple[str, Connection, str]] = field(default_factory=list)  # (name, connection, source layer)
    node: str = ""
    uses: int = 0


def _order(names: Sequence[str], edges: Sequence[tuple[str, str]]) -> list[str]:
    """Nodes in an order where each comes after its predecessors; a cycle is an error."""
    preds = {n: [s for s, t in edges if t == n] for n in names}
    done: list[str] = []
    placed: set[str] = set()
    while len(done) < len(names):
        ready = [n for n in names if n not in placed and all(p in placed for p in preds[n])]
        if not ready:
            left = [n for n in names if n not in placed]
            raise NIRImportError(
                "",
                "NIRGraph",
                f"its nodes {', '.join(map(repr, left))} form a cycle (a recurrent graph); snnkit imports"
                " feed-forward graphs only",
            )
        for n in ready:
            placed.add(n)
            done.append(n)
    return done


def _inline(graph: Any, nir: Any) -> tuple[dict[str, Any], list[tuple[str, str]], set[str]]:
    """The graph's nodes and edges with nested graphs (snnTorch's recurrent layers) inlined as
    ``outer.inner``; their own ``Input`` and ``Output`` nodes become pass-through nodes (returned)."""
    nodes: dict[str, Any] = {}
    edges = [(str(s), str(t)) for s, t in graph.edges]
    passthrough: set[str] = set()
    for name, node in graph.nodes.items():
        if not isinstance(node, nir.NIRGraph):
            nodes[str(name)] = node
            continue
        inner, inner_edges, inner_pass = _inline(node, nir)
        nodes.update({f"{name}.{k}": v for k, v in inner.items()})
        passthrough |= {f"{name}.{k}" for k in inner_pass}
        entries = [f"{name}.{k}" for k, v in inner.items() if type(v).__name__ == "Input"]
        exits = [f"{name}.{k}" for k, v in inner.items() if type(v).__name__ == "Output"]
        passthrough |= {*entries, *exits}
        edges = [e for e in edges if name not in e] + [
            *((s, entry) for s, t in edges if t == name for entry in entries),
            *((exit, t) for s, t in edges if s == name for exit in exits),
            *((f"{name}.{s}", f"{name}.{t}") for s, t in inner_edges),
        ]
    return nodes, edges, passthrough


def _back_edges(names: Sequence[str], edges: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Edges that close a cycle, found by a depth-first walk from the nodes nothing feeds (in the
    graph's order): each carries the signal of the step before, as in snnTorch's recurrent layers."""
    succs: dict[str, list[str]] = {n: [] for n in names}
    for s, t in edges:
        succs[s].append(t)
    state: dict[str, int] = {}  # 1: on the walk's path, 2: done
    back: set[tuple[str, str]] = set()
    fed = {t for _, t in edges}
    for root in [n for n in names if n not in fed] + list(names):
        if root in state:
            continue
        stack = [(root, iter(succs[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(succs[child])))
    return back


def _shape(value: Any) -> tuple[int, ...]:
    if isinstance(value, dict):
        value = next(iter(value.values()))
    return tuple(int(d) for d in np.asarray(value).reshape(-1))


def from_nir(
    graph_or_path: Any,
    *,
    dt: float | None = None,
    discretization: str = "exact",
    plugins: PluginManager | None = None,
    seed: int | None = None,
) -> Network:
    """Build a :class:`~snnkit.Network` from a ``nir.NIRGraph`` or a NIR file.

    Args:
        graph_or_path: the graph, or the path of a file that ``nir.write`` wrote.
        dt: the time step in the graph's unit (seconds: ``1e-3`` for snnkit's 1 ms; snnTorch's
            graphs assume ``1e-4``); defaults to the one snnkit wrote into the graph's metadata.
        discretization: how to read time constants: ``"exact"`` (decay ``exp(-dt / tau)``) or
            ``"forward-euler"`` (decay ``1 - dt / tau``, what snnTorch means by its graphs).
        plugins: where importers are found (default: the process-wide plugin manager).
        seed: the network's seed.

    The network has ``zero_delay=True`` (a NIR edge passes its signal on at once); ``Delay`` nodes
    become connection delays in whole steps. An edge that closes a cycle (a recurrent connection,
    found by a depth-first walk from the inputs) delivers the spikes of the step before (``delay=1``
    unless a ``Delay`` node says more), as in snnTorch's recurrent layers; nested graphs are inlined.
    ``input_layer`` and ``output_layer`` name the layers of the graph's first ``Input`` and ``Output``.

    Raises:
        NIRFileError: the file is not a NIR graph.
        NIRImportError: a node without importer (named) or with parameters snnkit cannot hold.
        NIRShapeError: connected nodes whose shapes do not fit.
    """
    from snnkit.network import Network

    nir = require_nir()
    _check_discretization(discretization)
    graph = read(graph_or_path) if isinstance(graph_or_path, str | pathlib.Path) else graph_or_path
    if not isinstance(graph, nir.NIRGraph):
        raise NIRImportError("", type(graph).__name__, "expected a nir.NIRGraph or the path of a NIR file")
    metadata = graph.metadata if isinstance(graph.metadata, dict) else {}
    if dt is None:
        if "dt" not in metadata:
            raise NIRError(
                "the graph does not say its time step (NIR graphs need not): give dt in the graph's time unit,"
                " e.g. from_nir(graph, dt=1e-3) for 1 ms (snnTorch's graphs assume dt=1e-4)"
            )
        dt = float(np.asarray(metadata["dt"]))
    if not dt > 0:
        raise NIRError(f"dt must be a positive time step in the graph's unit (s), got {dt}")
    network = Network(dt=dt * 1e3, zero_delay=True, plugins=plugins, seed=seed)
    registry = nir_registry(network.plugins)
    for s, t in graph.edges:
        for end in (s, t):
            if end not in graph.nodes:
                raise NIRImportError("", "NIRGraph", f"the edge {s!r} -> {t!r} names no node {end!r}")
    all_nodes, all_edges, passthrough = _inline(graph, nir)
    names = list(all_nodes)
    back = _back_edges(names, all_edges)
    edges = [e for e in all_edges if e not in back]
    preds = {n: [s for s, t in edges if t == n] for n in names}
    signals: dict[str, _Signal] = {}
    layer_names: dict[str, str] = {}
    outputs: list[str] = []

    def clean(name: str) -> str:
        return str(name).replace(".", "_").replace("/", "_") or "node"

    def relay(signal: _Signal) -> str:
        """Turn pending connections into a layer of their summed output (two linear nodes in a row)."""
        if signal.layer is not None:
            return signal.layer
        name = clean(signal.node)
        network.add_layer(name, Relay(signal.pending[0][1].target_shape))
        for conn_name, conn, source in signal.pending:
            network.add_connection(source, name, conn, name=conn_name)
        signal.layer, signal.pending, signal.delay = name, [], 0
        return name

    def take(signal: _Signal) -> list[tuple[str, Connection, str]]:
        signal.uses += 1
        if signal.uses == 1:
            return signal.pending
        return [(f"{n}.{signal.uses}", copy.deepcopy(c), s) for n, c, s in signal.pending]

    for n in _order(names, edges):
        node = all_nodes[n]
        kind = type(node).__name__
        ins = [signals[p] for p in preds[n]]
        if n in passthrough:  # a nested graph's own Input or Output
            if len(ins) != 1:
                raise NIRImportError(n, kind, "a nested graph's input or output must be fed by one node")
            signals[n] = ins[0]
            continue

        def fail(reason: str, shape: bool = False, n: str = n, kind: str = kind) -> NoReturn:
            raise (NIRShapeError if shape else NIRImportError)(n, kind, reason)

        if kind == "Input":
            shape = _shape(node.input_type)
        elif kind == "Output":
            if not ins:
                fail("nothing feeds it")
            for signal in ins:
                expected = _shape(node.output_type) if node.output_type.get("output") is not None else signal.shape
                if math.prod(expected) != math.prod(signal.shape):
                    fail(f"it expects shape {expected} but receives {signal.shape}", shape=True)
                outputs.append(relay(signal))
            continue
        else:
            if not ins:
                fail("no edge leads into it")
            shape = ins[0].shape
            for signal in ins[1:]:
                if signal.shape != shape:
                    fail(f"its inputs have different shapes, {shape} and {signal.shape}", shape=True)
        if kind == "Flatten":
            if len(ins) != 1:
                fail("a Flatten node takes one input")
            signals[n] = copy.copy(ins[0])
            signals[n].shape = (math.prod(shape),)
            continue
        if kind == "Delay":
            if len(ins) != 1:
                fail("a Delay node takes one input")
            steps = np.asarray(node.delay, dtype=np.float64) / dt
            if steps.size and not np.allclose(steps, steps.reshape(-1)[0]):
                fail("its delays differ between neurons; snnkit delays a whole connection by whole steps")
            k = float(steps.reshape(-1)[0]) if steps.size else 0.0
            if abs(k - round(k)) > 1e-6 or k < 0:
                fail(f"its delay is {k:g} steps of dt = {dt} s; snnkit delays by whole steps")
            signals[n] = copy.copy(ins[0])
            signals[n].delay += round(k)
            if ins[0].layer is None:
                signals[n].pending = [(name, c, s) for name, c, s in ins[0].pending]
                for _, conn, _ in signals[n].pending:
                    conn.delay += round(k)
                signals[n].delay = 0
            continue
        found = registry.find_importer(kind)
        if found is None:
            known = sorted({*registry.importers(), *GRAPH_NODES})
            fail(
                f"no installed plugin imports {kind} nodes. Importable node types: {', '.join(known)}"
                " (plugins add more through the hook snnkit_register_nir)"
            )
        source_shape = shape
        if ins and ins[0].layer is not None:
            source_shape = tuple(network._layer(ins[0].layer, "source").shape)
        elif ins:
            source_shape = tuple(ins[0].pending[0][1].target_shape)
        ctx = ImportContext(clean(n), node, network.dt, discretization, source_shape, shape, network.plugins)
        try:
            built = found[0](node, ctx)
        except _Unsupported as exc:
            fail(str(exc))
        except NIRImportError:
            raise
        except Exception as exc:
            fail(f"its importer (from {found[1]}) raised {type(exc).__name__}: {exc}")
        if isinstance(built, NeuronGroup):
            name = clean(n)
            if kind != "Input" and tuple(built.shape) != source_shape:
                fail(f"its neurons have shape {tuple(built.shape)} but its input has shape {source_shape}", shape=True)
            network.add_layer(name, built)
            layer_names[n] = name
            for signal in ins:
                if signal.layer is not None:
                    fail(
                        f"it is fed by {signal.node!r} directly, a layer of neurons; snnkit joins layers by"
                        " connections: put a Scale node of ones between them"
                    )
                for conn_name, conn, source in take(signal):
                    try:
                        network.add_connection(source, name, conn, name=conn_name)
                    except NIRError:
                        raise
                    except Exception as exc:
                        fail(f"cannot connect {conn_name!r} to it: {exc}", shape=True)
            signals[n] = _Signal(tuple(built.shape), layer=name, node=n)
        elif isinstance(built, Connection):
            pending = []
            for i, signal in enumerate(ins):
                source = relay(signal) if signal.layer is None else signal.layer
                conn = built if i == 0 else copy.deepcopy(built)
                given = tuple(network._layer(source, "source").shape)
                if tuple(conn.source_shape) != given:
                    fail(f"it takes shape {tuple(conn.source_shape)} but receives {given}", shape=True)
                conn.delay = conn.delay + signal.delay
                pending.append((clean(n) if i == 0 else f"{clean(n)}.{i}", conn, source))
            signals[n] = _Signal(tuple(built.target_shape), pending=pending, node=n)
        else:
            fail(f"its importer (from {found[1]}) returned {type(built).__name__}, not a NeuronGroup or Connection")
    for s, t in sorted(back):  # recurrent edges: what closes a cycle arrives one step late
        signal, target = signals[s], layer_names.get(t)
        if target is None or signal.layer is not None:
            raise NIRImportError(
                t,
                type(all_nodes[t]).__name__,
                f"the edge {s!r} -> {t!r} closes a cycle; snnkit imports cycles that run through a connection"
                " node (Affine, Linear, Scale, ...) into a neuron node",
            )
        for conn_name, conn, source in take(signal):
            conn.delay = conn.delay or 1
            network.add_connection(source, target, conn, name=conn_name)
    for signal in signals.values():  # connections that feed nothing: keep them, into a relay
        if signal.pending and not signal.uses:
            relay(signal)
    inputs = [layer_names[n] for n in names if type(all_nodes[n]).__name__ == "Input" and n in layer_names]
    network.input_layer = inputs[0] if inputs else None
    network.output_layer = outputs[0] if outputs else None
    return network
