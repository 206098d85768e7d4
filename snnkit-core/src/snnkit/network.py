"""The Network: layers of neurons, connections between them, learning rules and monitors, stepped
on a fixed clock.

Step semantics (the same for every network, whatever the order things were added in). Within
each step of ``dt`` ms:

1. every connection delivers its source layer's spikes **from the previous step** (a one-step
   synaptic delay, plus the connection's own ``delay`` in steps if it has one); with
   ``zero_delay=True`` a connection without ``delay`` delivers its source's spikes of this same
   step instead, layers being stepped in the order of their connections (which must not form a
   cycle), and a connection with ``delay=d`` delivers those of ``d`` steps before;
2. every layer integrates the delivered input plus any external input of this step and emits
   spikes (``clamp`` then forces spikes on where asked, and ``suppress`` removes them where asked);
3. while learning, every learning rule updates its connection; then each plastic connection
   decays its weights (``weight_decay``) and re-applies its bounds (``norm`` is re-applied
   once, at the end of a learning ``run``);
4. every monitor records.

Spikes are 0.0/1.0 floats of the network's dtype in every mode. A run is *differentiable* when
autograd is on and a learnable tensor (``requires_grad``) or an input needs a gradient: its steps
then keep the autograd graph, monitors record values that carry it, and local plasticity (learning
rules, adaptive thresholds) is frozen, since it changes tensors in place.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

import torch
from torch import Tensor, nn

from snnkit import threads as threads_
from snnkit.connections import Connection
from snnkit.context import Activity, Context
from snnkit.errors import NetworkError, ParameterError, ShapeError, closest
from snnkit.learning import LearningRule
from snnkit.monitors import Monitor
from snnkit.neurons import NeuronGroup, as_shape
from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit.surrogates import Surrogate

#: The state's parts as a step takes and returns them: spikes, layer, connection, delay-line and
#: rule states, each by name.
StepParts = tuple[dict[str, Tensor], dict[str, Any], dict[str, Any], dict[str, Tensor], dict[str, Any]]


@dataclass
class NetworkState:
    """The transient state of a network for one batch size; reset by ``Network.reset_state``."""

    batch_size: int
    layers: dict[str, Any] = field(default_factory=dict)
    spikes: dict[str, Tensor] = field(default_factory=dict)
    connections: dict[str, Any] = field(default_factory=dict)
    delays: dict[str, Tensor] = field(default_factory=dict)  # per connection: [delay, batch, *source_shape]
    rules: dict[str, Any] = field(default_factory=dict)
    time: int = 0  # steps simulated since the last reset


class _Drive(NamedTuple):
    """What a run feeds its steps: external inputs, clamps and suppressions by layer name, and the reward."""

    inputs: dict[str, Tensor]
    clamps: dict[str, Tensor]
    suppressed: dict[str, Tensor]
    reward: Tensor | None


def _without(values: dict[str, Tensor], names: Container[str]) -> dict[str, Tensor]:
    return {k: v for k, v in values.items() if k not in names}


#: Components' settings seen by compiled steps, each numbered (see ``Network._settings``).
_SETTINGS: dict[tuple[Any, ...], int] = {}
#: Per settings number, ``Network._steps`` under a code object of its own (see ``_steps_for``).
_STEP_COPIES: dict[int, types.FunctionType] = {}


def _steps_for(settings: int) -> types.FunctionType:
    """``Network._steps`` with a code object of its own for each settings number.

    torch.compile keeps compiled code per code object, and per graph break within it, with
    guards; those on the components are off (they cost a tenth of a step), so networks with other
    settings must not share a code object: a settings argument alone is not guarded in the code
    after a graph break, where another network's steps were once found and run (an ``srm0``
    network's random draws break the graph).
    """
    if settings not in _STEP_COPIES:
        steps = Network._steps
        name = f"_steps_{settings}"
        code = steps.__code__.replace(co_name=name, co_qualname=f"Network.{name}")
        _STEP_COPIES[settings] = types.FunctionType(
            code, steps.__globals__, name, steps.__defaults__, steps.__closure__
        )
    return _STEP_COPIES[settings]


def _wrong_output(result: Any, shape: tuple[int, ...], state_type: type | None) -> str:
    """What is wrong with a component's ``(output, state)`` for one sample, or ``""``."""
    if not isinstance(result, tuple) or len(result) != 2:
        return f"must return (output, state), returned {type(result).__name__}"
    output, state = result
    if not isinstance(output, Tensor):
        return f"must return a tensor first, returned {type(output).__name__}"
    if tuple(output.shape) != shape:
        return f"returned shape {tuple(output.shape)}, expected {shape} ([batch, *shape])"
    if not (output.is_floating_point() or output.dtype == torch.bool):
        return f"returned dtype {output.dtype}, expected a float (spikes as 0.0/1.0)"
    if state_type is not None and type(state) is not state_type:
        return f"must return its state as a {state_type.__name__}, returned {type(state).__name__}"
    return ""


def _map_tensors(x: Any, fn: Callable[[Tensor], Tensor]) -> Any:
    """``fn`` applied to a tensor or to each tensor of a ``NamedTuple``; anything else as is."""
    if isinstance(x, Tensor):
        return fn(x)
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(_map_tensors(v, fn) for v in x))
    return x


def _slice(part: Any, start: int, stop: int) -> Any:
    """Steps ``start:stop`` of a ``[time, ...]`` tensor or of each in a dict; ``None`` stays."""
    if isinstance(part, dict):
        return {k: v[start:stop] for k, v in part.items()}
    return None if part is None else part[start:stop]


@dataclass(frozen=True)
class _Plan:
    """The network's structure as a step walks it, built once instead of every step."""

    layers: list[tuple[str, NeuronGroup]]  # with zero_delay, sources before their targets
    edges: list[tuple[str, Connection, str, str]]  # delivered from the previous step: name, connection, source, target
    immediate: dict[str, list[tuple[str, Connection, str]]]  # zero_delay: per target, (name, connection, source)
    lines: dict[str, int]  # per connection, the steps its delay line holds (0: none)
    rules: list[tuple[str, LearningRule, Connection, str, str]]
    plastic: list[Connection]  # connections whose weights change while learning


class Network(nn.Module):
    """A clock-driven spiking network with a batch dimension.

    Args:
        dt: simulation time step (ms).
        seed: seed of the network's random generators (weight initialisation, stochastic neurons);
            ``None`` draws one at random. The same seed repeats a run exactly on CPU.
        plugins: where names such as ``"lif"`` are looked up; defaults to the process-wide
            plugin manager loaded from entry points.
        compile: fuse the steps with ``torch.compile``: propagation, neurons, learning rules and
            bounds, ``STEPS_PER_CALL`` (25) steps per call. At batch 1 on a CPU a step is mostly
            per-operation overhead, which this removes (Diehl & Cook's network: about 7 times
            faster). Each new batch size, learning mode or set of inputs and clamps compiles once
            (tens of seconds; needs a C++ compiler on a CPU); torch caches the compiled code on disk
            (``TORCHINDUCTOR_CACHE_DIR``), so a later process only traces the steps again (Diehl &
            Cook's training steps: 38 s the first time, 6 s from the cache). Results match the
            uncompiled steps to float rounding; code that ``torch.compile`` cannot trace runs
            uncompiled. torch's guards on the components are replaced by a cheaper check of their
            settings at every ``run``: changing a component's parameters (or its surrogate)
            compiles the steps again. Differentiable runs compile their backward pass too. A
            simulation on a CPU with a connection of 2 million synapses or more
            (:attr:`COMPILE_LIMIT`) steps uncompiled, event by event, which is faster there than
            any compiled dense product.
        zero_delay: connections without a ``delay`` deliver their source's spikes in the same step
            (BindsNET's ``one_step``; how snnTorch's and Norse's layers work), so a signal crosses
            a deep feed-forward stack in one step instead of one step per layer; a connection with
            ``delay=d`` delivers after ``d`` steps, which is how a recurrent connection (one that
            closes a cycle) is written: a cycle of connections without delay is an error. Use it
            for feed-forward networks trained by gradient or converted from other tools; keep the
            default one-step delay for recurrent networks with local learning, where the order
            in which layers were added must not matter.

    >>> net = Network(dt=1.0, seed=0)
    >>> net.add_layer("in", "input", 100)  # doctest: +SKIP
    >>> net.add_layer("exc", "lif", 10)  # doctest: +SKIP
    >>> net.add_connection("in", "exc", "dense")  # doctest: +SKIP
    >>> net.run({"in": torch.rand(250, 1, 100) < 0.05}, time=250)  # doctest: +SKIP

    ``state_dict()`` holds everything learned (weights, adaptive thresholds); the transient state
    (membrane potentials, traces) is :attr:`state`, rebuilt by :meth:`reset_state` and whenever the
    batch size of the inputs changes.

    :attr:`input_layer` and :attr:`output_layer` name the layers that take the data and give the
    result, when whoever built the network says so (model plugins do); pipelines use them when
    their own table names no layer. Both are ``None`` until set.
    """

    _anchor: Tensor

    #: Steps advanced per call of the (compiled) step loop; monitors still see every step.
    STEPS_PER_CALL = 25

    def __init__(
        self,
        dt: float = 1.0,
        *,
        seed: int | None = None,
        plugins: PluginManager | None = None,
        compile: bool = False,
        zero_delay: bool = False,
        threads: int | str | None = "auto",
    ) -> None:
        super().__init__()
        if not dt > 0:
            raise ValueError(f"dt must be a positive time step in ms, got {dt}")
        self.dt = float(dt)
        self.seed = seed if seed is not None else int.from_bytes(os.urandom(7), "little")
        self.layers = nn.ModuleDict()
        self.connections = nn.ModuleDict()
        self.rules = nn.ModuleDict()
        self.monitors: dict[str, Monitor] = {}
        self.edges: dict[str, tuple[str, str]] = {}  # connection name -> (source, target)
        self.state: NetworkState | None = None
        self._plugins = plugins
        self._generators: dict[torch.device, torch.Generator] = {}
        self._compiled: tuple[int, Callable[..., Any]] | None = None  # settings number, compiled steps
        self._use_compile = compile
        self.zero_delay = bool(zero_delay)
        self.threads = threads_.check(threads)
        self._free_cores: int | None = None  # for "auto", measured once
        self.input_layer: str | None = None
        self.output_layer: str | None = None
        self._plan: _Plan | None = None
        # Moves with .to(), so it tells the network's device and float dtype; not saved.
        self.register_buffer("_anchor", torch.empty(0), persistent=False)

    # -- building --------------------------------------------------------------------------------

    @property
    def plugins(self) -> PluginManager:
        if self._plugins is None:
            self._plugins = get_plugin_manager()
        return self._plugins

    @property
    def device(self) -> torch.device:
        return self._anchor.device

    @property
    def use_compile(self) -> bool:
        """Whether steps are fused with ``torch.compile`` (the ``compile`` argument); settable."""
        return self._use_compile

    @use_compile.setter
    def use_compile(self, value: bool) -> None:
        self._use_compile, self._compiled, self.state = bool(value), None, None

    def generator(self, device: torch.device | str | None = None) -> torch.Generator:
        """The network's seeded random generator on ``device`` (default: the network's)."""
        device = torch.device(device) if device is not None else self.device
        if device not in self._generators:
            self._generators[device] = torch.Generator(device=device).manual_seed(self.seed)
        return self._generators[device]

    def random_state(self) -> dict[str, Tensor]:
        """The state of every random generator the network made, by device name (for checkpoints)."""
        return {str(device): g.get_state() for device, g in self._generators.items()}

    def load_random_state(self, states: Mapping[str, Tensor]) -> None:
        """Restore what :meth:`random_state` returned: the run goes on drawing the same numbers."""
        for device, state in states.items():
            self.generator(device).set_state(state.to(torch.uint8))

    def add_layer(
        self,
        name: str,
        neuron: str | NeuronGroup,
        shape: int | tuple[int, ...] | None = None,
        *,
        surrogate: str | Surrogate | None = None,
        **params: Any,
    ) -> NeuronGroup:
        """Add a layer of neurons: a plugin name with its ``shape`` and parameters, or a ``NeuronGroup``.

        ``surrogate`` (a surrogate plugin name such as ``"fast-sigmoid"``, or a ``Surrogate``) is
        the pseudo-derivative its spikes pass gradients through when the network trains by
        gradient; only models with ``differentiable = True`` take one.

        >>> net.add_layer("exc", "lif", 100, tau_mem=50.0)  # doctest: +SKIP
        >>> net.add_layer("hidden", "lif", 100, surrogate="atan")  # doctest: +SKIP
        """
        self._check_new_name(name, self.layers, "layer")
        if isinstance(neuron, str):
            if shape is None:
                raise NetworkError(f"layer {name!r}: give its shape, e.g. add_layer({name!r}, {neuron!r}, 100)")
            layer = self._build_by_name("neurons", neuron, as_shape(shape), label=f"layer {name!r}", **params)
        else:
            layer = self.plugins.build("neurons", neuron, **params)
            if shape is not None and as_shape(shape) != getattr(layer, "shape", None):
                raise ShapeError(f"layer {name!r}", as_shape(shape), getattr(layer, "shape", None))
        if not isinstance(layer, NeuronGroup):
            raise NetworkError(f"layer {name!r}: expected a NeuronGroup, got {type(layer).__name__}")
        if surrogate is not None:
            if not layer.differentiable:
                raise NetworkError(
                    f"layer {name!r}: {type(layer).__name__} neurons take no surrogate gradient (their spikes "
                    "do not come from a threshold crossing); give surrogates to spiking layers such as 'lif'"
                )
            built = self.plugins.build("surrogates", surrogate)
            if not isinstance(built, Surrogate):
                raise NetworkError(f"layer {name!r}: surrogate must be a Surrogate, got {type(built).__name__}")
            layer.surrogate = built
        self.layers[name] = layer.to(self.device)
        self.state, self._compiled, self._plan = None, None, None
        return layer

    def add_connection(
        self,
        source: str,
        target: str,
        connection: str | Connection = "dense",
        *,
        rule: str | LearningRule | None = None,
        name: str | None = None,
        **params: Any,
    ) -> Connection:
        """Connect layer ``source`` to layer ``target``; returns the connection.

        Args:
            connection: a connection plugin name (built with the layers' shapes and ``params``)
                or a ``Connection`` whose shapes match the layers.
            rule: a learning-rule plugin name or a ``LearningRule`` that updates this connection.
            name: the connection's name, ``"source->target"`` by default.
        """
        src, tgt = self._layer(source, "source"), self._layer(target, "target")
        name = name or f"{source}->{target}"
        self._check_new_name(name, self.connections, "connection")
        if isinstance(connection, str):
            conn = self._build_by_name(
                "connections", connection, src.shape, tgt.shape, label=f"connection {name!r}", **params
            )
        else:
            conn = self.plugins.build("connections", connection, **params)
        if not isinstance(conn, Connection):
            raise NetworkError(f"connection {name!r}: expected a Connection, got {type(conn).__name__}")
        if conn.source_shape != src.shape:
            raise ShapeError(f"connection {name!r} source (layer {source!r})", src.shape, conn.source_shape)
        if conn.target_shape != tgt.shape:
            raise ShapeError(f"connection {name!r} target (layer {target!r})", tgt.shape, conn.target_shape)
        conn.binary_source = not src.emits_real
        learning_rule = None if rule is None else self.plugins.build("learning_rules", rule)
        if learning_rule is not None:
            if not isinstance(learning_rule, LearningRule):
                raise NetworkError(
                    f"connection {name!r}: rule must be a LearningRule, got {type(learning_rule).__name__}"
                )
            learning_rule.check_layers(src, tgt)
            refusal = conn.local_learning_refusal()
            if refusal is not None:
                raise NetworkError(f"connection {name!r} cannot take rule {rule!r}: {refusal}")
        self.connections[name] = conn.to(self.device)
        self.edges[name] = (source, target)
        if self.zero_delay:
            try:
                self._layer_order()
            except NetworkError:
                del self.connections[name], self.edges[name]
                raise
        if learning_rule is not None:
            self.rules[name] = learning_rule.to(self.device)
        self.state, self._compiled, self._plan = None, None, None
        return conn

    def add_monitor(self, name: str, monitor: str | Monitor, **params: Any) -> Monitor:
        """Add a monitor: a plugin name with its parameters (``target``, ``variables``, ...) or a ``Monitor``.

        >>> net.add_monitor("exc-spikes", "state", target="exc", variables=["s", "v"])  # doctest: +SKIP
        """
        if name in self.monitors:
            raise NetworkError(f"a monitor named {name!r} already exists")
        built = self.plugins.build("monitors", monitor, **params)
        if not isinstance(built, Monitor):
            raise NetworkError(f"monitor {name!r}: expected a Monitor, got {type(built).__name__}")
        available = self._variables(built.target)
        for variable in built.variables:
            if variable not in available:
                match = closest(variable, available)
                hint = f"; did you mean {match[0]!r}?" if match else "."
                raise NetworkError(
                    f"monitor {name!r}: {built.target!r} has no variable {variable!r}{hint}"
                    f" Its variables: {', '.join(available)}."
                )
        self.monitors[name] = built
        return built

    # -- running ---------------------------------------------------------------------------------

    def reset_state(self) -> None:
        """Forget the transient state (potentials, traces, delays) and every monitor's recording."""
        self.state = None
        for monitor in self.monitors.values():
            monitor.reset()

    def run(
        self,
        inputs: Mapping[str, Tensor] | None,
        time: int,
        *,
        reward: float | Tensor | None = None,
        clamp: Mapping[str, Tensor] | None = None,
        suppress: Mapping[str, Tensor] | None = None,
        learning: bool | None = None,
        constant: Mapping[str, Tensor] | None = None,
    ) -> None:
        """Simulate ``time`` steps, continuing from the current state.

        The run is differentiable (see :attr:`differentiable`) when autograd is on and a
        learnable tensor of the network or an input requires a gradient: monitors then record
        values that carry the autograd graph, so a loss on them back-propagates through time to
        weights, learnable neuron parameters and inputs. Wrap a run in ``torch.no_grad()`` to
        simulate a network with learnable tensors without building a graph.

        Args:
            inputs: external input per layer name, ``[time, batch, *shape]``: spikes for ``input``
                layers, input added to the membrane for others. Layers not named get none.
            time: number of steps of ``dt`` ms.
            reward: for reward-modulated rules: a number, a tensor ``[batch]`` held for the whole
                run, or ``[time, batch]`` per step.
            clamp: per layer name, a boolean tensor ``[time, batch, *shape]``, ``[batch, *shape]``
                or ``[*shape]`` of neurons forced to spike.
            suppress: like ``clamp``, neurons whose spikes are removed (after ``clamp``); the neuron
                still updates its own state as if it had fired, only no spike leaves it.
            constant: external input per layer name that is the same at every step,
                ``[batch, *shape]`` (e.g. pixel values as a constant current); what same-step
                connections deliver from a memoryless layer fed such an input is computed once
                per call, not per step.
            learning: local plasticity (learning rules, adaptive thresholds) in ``train()`` mode;
                ``False`` freezes it for this run, as ``eval()`` does. By default it is on, except
                in a differentiable run, where it is off (and asking for it is an error).
        """
        if not isinstance(time, int) or isinstance(time, bool) or time < 1:
            raise ValueError(f"time must be a positive number of steps, got {time!r}")
        inputs = dict(inputs or {})
        held = dict(constant or {})
        differentiable = self.differentiable({**inputs, **held})
        if differentiable and learning:
            raise NetworkError(
                "local learning rules change weights in place and cannot run in a differentiable run; "
                "run local learning under torch.no_grad() and gradient training with learning=False"
            )
        wanted = self._threads(self._batch_size(inputs, time, held))
        previous = torch.get_num_threads()
        if wanted is not None and wanted != previous:
            torch.set_num_threads(wanted)
        try:
            with torch.set_grad_enabled(differentiable):
                self._run(inputs, held, time, reward, clamp, suppress, learning is not False and not differentiable)
        finally:
            if wanted is not None and wanted != previous:
                torch.set_num_threads(previous)

    def _threads(self, batch: int) -> int | None:
        """The torch threads a run at batch size ``batch`` uses (see ``threads``), None for torch's own."""
        if self.threads is None or self.device.type != "cpu":
            return None
        if self.threads != threads_.AUTO:
            return int(self.threads)
        return self.auto_threads(batch)

    def auto_threads(self, batch: int) -> int:
        """What ``threads="auto"`` picks at batch size ``batch``: one thread for a batch of one in a
        network whose connections are all under :data:`snnkit.threads.LARGE` synapses, else the
        cores other processes leave free (measured at the first such run)."""
        weights = [getattr(c, "weight", None) for c in self.connections.values()]
        large = any(isinstance(w, Tensor) and w.numel() >= threads_.LARGE for w in weights)
        if batch == 1 and not large:
            return 1
        if self._free_cores is None:
            self._free_cores = threads_.free_cores()
        return self._free_cores

    def differentiable(self, inputs: Mapping[str, Tensor] | None = None) -> bool:
        """Whether a run now would be differentiable: autograd is on and a learnable tensor of the
        network (a parameter with ``requires_grad``) or one of ``inputs`` needs a gradient."""
        if not torch.is_grad_enabled():
            return False
        return any(p.requires_grad for p in self.parameters()) or any(
            isinstance(x, Tensor) and x.requires_grad for x in (inputs or {}).values()
        )

    def _gradient_paths(self, inputs: Mapping[str, Tensor]) -> set[str]:
        """The layers whose output depends on a learnable tensor or an input that needs a gradient:
        gradients pass through them. Layers only upstream (fixed feature layers feeding a trained
        readout) need no surrogate."""
        start = {name for name, layer in self._layer_items() if any(p.requires_grad for p in layer.parameters())}
        start |= {name for name, x in inputs.items() if isinstance(x, Tensor) and x.requires_grad}
        start |= {
            self.edges[name][1]
            for name, conn in self._connection_items()
            if any(p.requires_grad for p in conn.parameters())
        }
        reached, frontier = set(start), list(start)
        while frontier:
            layer = frontier.pop()
            for source, target in self.edges.values():
                if source == layer and target not in reached:
                    reached.add(target)
                    frontier.append(target)
        return reached

    def learnable(self) -> dict[str, Tensor]:
        """The tensors gradient training updates (``requires_grad``), by name, for an optimiser."""
        return {name: p for name, p in self.named_parameters() if p.requires_grad}

    def detach_state(self) -> None:
        """Cut the autograd graph at the current state, keeping its values: truncated
        back-propagation through time continues a run from here without reaching back."""
        if self.state is None:
            return
        s = self.state
        for group in (s.layers, s.spikes, s.connections, s.delays, s.rules):
            for key, value in group.items():
                group[key] = _map_tensors(value, Tensor.detach)

    def _run(
        self,
        inputs: dict[str, Tensor],
        held: dict[str, Tensor],
        time: int,
        reward: float | Tensor | None,
        clamp: Mapping[str, Tensor] | None,
        suppress: Mapping[str, Tensor] | None,
        learning: bool,
    ) -> None:
        if torch.is_grad_enabled():
            reached = self._gradient_paths({**inputs, **held})
            missing = [
                n
                for n, layer in self._layer_items()
                if n in reached and layer.differentiable and layer.surrogate is None
            ]
            if missing:
                known = ", ".join(c.name for c in self.plugins.components("surrogates")) or "none installed"
                raise NetworkError(
                    "a differentiable run needs a surrogate gradient on every spiking layer that a learnable tensor"
                    f" feeds; {', '.join(missing)} has none: add_layer(..., surrogate=NAME) with one of: {known}"
                )
        batch = self._batch_size(inputs, time, held)
        if self.state is None or self.state.batch_size != batch:
            self.state = self._initial_state(batch)
        state = self.state
        device, dtype = self.device, self._anchor.dtype
        # boolean spikes stay boolean until their layer takes them (a quarter of the memory)
        external = {
            k: v.to(device=device, dtype=torch.bool if v.dtype == torch.bool else dtype)
            for k, v in {**inputs, **held}.items()
        }
        clamps = {k: self._clamp(k, v, time, batch) for k, v in (clamp or {}).items()}
        suppressed = {k: self._clamp(k, v, time, batch, "suppress") for k, v in (suppress or {}).items()}
        ctx = Context(dt=self.dt, learning=self.training and learning, generator=self.generator(), dtype=dtype)
        plan = self._structure()
        advance = self._steps
        if self.use_compile and not self._event_driven_pays(plan):
            # torch's guards on every module attribute cost a tenth of a step, so they are off; in
            # their place every component's settings get a number, and each number its own copy
            # of the steps' code: other settings (another network, a changed parameter) compile
            # anew instead of reusing code that baked in the old ones.
            settings = _SETTINGS.setdefault(self._settings(), len(_SETTINGS))
            if self._compiled is None or self._compiled[0] != settings:
                options: dict[str, str | int | bool | Callable[..., Any]] = {
                    "guard_filter_fn": torch.compiler.skip_guard_on_all_nn_modules_unsafe,
                }
                steps = types.MethodType(_steps_for(settings), self)
                self._compiled = (settings, torch.compile(steps, dynamic=False, options=options))
            advance = self._compiled[1]
        driven = {target for *_, target in plan.edges} | set(plan.immediate)
        silence = {
            name: torch.zeros((batch, *layer.shape), device=device, dtype=dtype)
            for name, layer in plan.layers
            if name not in external and name not in driven
        }
        # What changes from step to step is sliced per call ([steps, ...]); the rest is passed as is.
        stepped = _Drive(_without(external, held), self._stepped(clamps), self._stepped(suppressed), None)
        fixed = _Drive(
            silence | _without(external, stepped.inputs),
            _without(clamps, stepped.clamps),
            _without(suppressed, stepped.suppressed),
            None,
        )
        if ctx.learning and reward is not None:
            r = self._reward(reward, time, batch)
            if r.dim() == 2:
                stepped = stepped._replace(reward=r)
            else:
                fixed = fixed._replace(reward=r)
        # Weights change within a call: a monitor of a connection must see every step.
        chunk = 1 if any(m.target in self.connections for m in self.monitors.values()) else self.STEPS_PER_CALL
        watched = tuple(dict.fromkeys((m.target, v) for m in self.monitors.values() for v in m.variables))
        parts: StepParts = (state.spikes, state.layers, state.connections, state.delays, state.rules)
        for start in range(0, time, chunk):
            block = _Drive(*(_slice(part, start, start + chunk) for part in stepped))
            steps = min(chunk, time - start)
            parts, recorded, _ = advance(parts, block, fixed, steps, ctx, watched)
            state.spikes, state.layers, state.connections, state.delays, state.rules = parts
            state.time += steps
            for monitor in self.monitors.values():
                monitor.record_steps({v: recorded[monitor.target, v] for v in monitor.variables})
        if ctx.learning:
            for conn in plan.plastic:
                conn.renormalize()

    #: Synapses in one connection from which, simulating on a CPU, the uncompiled step wins: it
    #: visits only the rows of the sources that spiked, the compiled one sums every synapse (at
    #: 15 Hz, 1000 x 1000 ran 1.3 times faster compiled, 2000 x 2000 2 to 2.5 times slower).
    COMPILE_LIMIT = 2_000_000

    def _event_driven_pays(self, plan: _Plan) -> bool:
        """Whether ``compile=True`` should step uncompiled now: a simulation (no gradients) on a
        CPU with a connection of at least :attr:`COMPILE_LIMIT` synapses."""
        if torch.is_grad_enabled() or self.device.type != "cpu":
            return False
        connections = [c for _, c, _, _ in plan.edges] + [c for cs in plan.immediate.values() for _, c, _ in cs]
        return any(
            isinstance(getattr(c, "weight", None), Tensor) and c.weight.numel() >= self.COMPILE_LIMIT
            for c in connections
        )

    def _settings(self) -> tuple[Any, ...]:
        """Every component's settings (its attributes other than tensors and modules), to tell
        when compiled steps, which assumed them, are stale."""

        def plain(value: Any) -> Any:
            if isinstance(value, Tensor | nn.Module) or (callable(value) and not hasattr(value, "__dict__")):
                return None
            return repr(value)

        return tuple(
            (name, tuple((k, plain(v)) for k, v in vars(module).items() if not k.startswith("_")))
            for name, module in self.named_modules()
            if name
        )

    def _structure(self) -> _Plan:
        """The layers, connections and rules in the order a step visits them (cached)."""
        if self._plan is None:
            self._check_components()
            edges = [(n, self._connection(n), s, t) for n, (s, t) in self.edges.items()]
            immediate: dict[str, list[tuple[str, Connection, str]]] = {}
            for n, c, source, target in edges:
                if self._is_immediate(c):
                    immediate.setdefault(target, []).append((n, c, source))
            self._plan = _Plan(
                layers=[(n, self._layer(n, "")) for n in self._layer_order()],
                edges=[e for e in edges if not self._is_immediate(e[1])],
                immediate=immediate,
                lines={n: self._line_length(c) for n, c, _, _ in edges},
                rules=[(n, cast(LearningRule, r), self._connection(n), *self.edges[n]) for n, r in self.rules.items()],
                plastic=[c for n, c, _, _ in edges if n in self.rules or c.weight_decay],
            )
        return self._plan

    def check(self) -> None:
        """Step every layer and connection once on silent input and refuse one that returns the
        wrong thing (shape, dtype, state), naming it, its plugin and its distribution, instead of
        a torch error deep inside a later layer or learning rule. Done once per structure, before
        its first step, or earlier by calling this (``snnkit run --dry-run`` does); nothing the
        network keeps changes."""
        self._structure()

    def _check_components(self) -> None:
        device, dtype = self.device, self._anchor.dtype
        ctx = Context(dt=self.dt, learning=False, generator=torch.Generator(device=device), dtype=dtype)
        with torch.no_grad():
            for name, layer in self._layer_items():
                state = layer.initial_state(1, device=device, dtype=dtype)
                result = layer(torch.zeros(1, *layer.shape, device=device, dtype=dtype), state, ctx)
                problem = _wrong_output(result, (1, *layer.shape), type(state))
                if problem:
                    raise NetworkError(f"layer {name!r} ({self._who(layer)}): forward {problem}")
            for name, conn in self._connection_items():
                source = self._layer(self.edges[name][0], "")
                result = conn(
                    torch.zeros(1, *source.shape, device=device, dtype=dtype),
                    conn.initial_state(1, device=device, dtype=dtype),
                    ctx,
                )
                problem = _wrong_output(result, (1, *conn.target_shape), None)
                if problem:
                    raise NetworkError(f"connection {name!r} ({self._who(conn)}): forward {problem}")

    def _who(self, component: object) -> str:
        """``LIF from snnkit-plugins 0.1.0``: the class and the distribution that registered it."""
        for c in self.plugins.components():
            if c.factory is type(component):
                return f"{type(component).__name__}, plugin {c.name!r} from {c.provider}"
        return type(component).__name__

    def _is_immediate(self, conn: Connection) -> bool:
        """Whether ``conn`` delivers its source's spikes of the same step (``zero_delay``, no ``delay``)."""
        return self.zero_delay and not conn.delay

    def _line_length(self, conn: Connection) -> int:
        """Steps of source spikes a connection's delay line holds beyond the previous step's."""
        return max(conn.delay - 1, 0) if self.zero_delay else conn.delay

    def _layer_order(self) -> list[str]:
        """Layer names, each after the sources of its same-step connections (``zero_delay``);
        the order they were added in otherwise. A cycle of same-step connections is an error."""
        if not self.zero_delay:
            return list(self.layers)
        sources: dict[str, list[str]] = {name: [] for name in self.layers}
        for conn_name, (source, target) in self.edges.items():
            if self._is_immediate(self._connection(conn_name)):
                sources[target].append(source)
        order: list[str] = []
        visiting: list[str] = []

        def visit(name: str) -> None:
            if name in order:
                return
            if name in visiting:
                cycle = [name, *reversed(visiting[visiting.index(name) :])]  # in the connections' direction
                raise NetworkError(
                    f"zero_delay: the connections {' -> '.join(cycle)} form a cycle, so no layer of it can "
                    "go first; give the connection that closes it delay=1 (a recurrent connection "
                    "delivers the previous step's spikes)"
                )
            visiting.append(name)
            for source in sources[name]:
                visit(source)
            visiting.pop()
            order.append(name)

        for name in self.layers:
            visit(name)
        return order

    def _stepped(self, masks: dict[str, Tensor]) -> dict[str, Tensor]:
        """The inputs or masks with a time dimension (``[time, batch, *shape]``)."""
        return {k: m for k, m in masks.items() if m.dim() == 2 + len(self._layer(k, "masked").shape)}

    def _steps(
        self,
        parts: StepParts,
        block: _Drive,
        fixed: _Drive,
        steps: int,
        ctx: Context,
        watched: tuple[tuple[str, str], ...],
    ) -> tuple[StepParts, dict[tuple[str, str], Tensor], Any]:
        """Advance ``steps`` steps, fed by ``block`` (its tensors are ``[steps, ...]``) and ``fixed``
        (the same every step).

        Returns the new state's parts, per watched ``(target, variable)`` its values after each
        step (``[steps, ...]``, spikes as booleans, for the monitors), and, when compiled, the
        spikes and rule states after every step. Several steps per call spread a compiled
        call's fixed cost. The per-step values are returned, though unused, because as separate
        buffers they keep compiled code from recomputing a chain of earlier steps inside each
        step's loops over the weights (twice as slow); the other parts need not be.
        """
        compiling = torch.compiler.is_compiling()
        seen: dict[tuple[str, str], list[Tensor]] = {key: [] for key in watched}
        every: list[tuple[dict[str, Tensor], dict[str, Any]]] = []
        binary = {(t, v) for t, v in watched if v == "s" and not self._layer(t, "monitored").emits_real}
        constant, skip = self._constant_deliveries(parts, block, fixed, ctx)
        stepped, inputs = dict(block.inputs), dict(fixed.inputs)
        for k, v in constant.items():  # the constant deliveries join the target's external input
            if k in stepped:
                stepped[k] = stepped[k] + v
            else:
                inputs[k] = inputs[k] + v if k in inputs else v
        # per part (inputs, clamps, suppressions): each stepped tensor split into its steps once
        drives = [
            ({k: v.unbind(0) for k, v in b.items()}, f)
            for b, f in zip(
                (stepped, block.clamps, block.suppressed), (inputs, fixed.clamps, fixed.suppressed), strict=True
            )
        ]
        for t in range(steps):
            now, forced, quiet = ({**{k: v[t] for k, v in b.items()}, **f} if b else f for b, f in drives)
            reward = block.reward[t] if block.reward is not None else fixed.reward
            parts = self._step(*parts, now, forced, quiet, reward, ctx, skip)
            if compiling:
                every.append((parts[0], parts[4]))  # what loops over weights read
            for key in watched:
                value = self._value(parts, *key)
                if key in binary and value.numel() >= 1024 and not value.requires_grad:
                    # a large block of float spikes is a fresh mmap'ed buffer per call, whose page
                    # faults cost more than a cast per step (10 against 2 us per step at 4000 neurons)
                    value = value.bool()
                seen[key].append(value)
        recorded = {}
        for key, values in seen.items():
            stacked = torch.stack(values)
            # monitors keep spikes as booleans, unless they carry gradients
            recorded[key] = stacked.bool() if key in binary and not stacked.requires_grad else stacked
        return parts, recorded, every if compiling else None

    def _constant_deliveries(
        self, parts: StepParts, block: _Drive, fixed: _Drive, ctx: Context
    ) -> tuple[dict[str, Tensor], frozenset[str]]:
        """What same-step connections deliver from layers that emit the same at every step of this
        call, computed once, by target layer, and the names of those connections.

        Such a source is a ``memoryless`` layer (its output depends on this step's input alone)
        fed a constant input (no time dimension) and neither clamped nor suppressed; its
        connection keeps no state and does not learn in this run. Reusing one output for every
        step gives the same values, and, in a differentiable run, the same gradients, summed over
        the steps before the one product that needs them (constant inputs such as pixel currents
        then cost one pass through the first layer's weights instead of one per step).
        """
        plan = self._structure()
        masked = {*block.clamps, *block.suppressed, *fixed.clamps, *fixed.suppressed}
        constant: dict[str, Tensor] = {}
        skip: set[str] = set()
        emitted: dict[str, Tensor] = {}
        for target, incoming in plan.immediate.items():
            for name, conn, source in incoming:
                layer = self._layer(source, "source")
                learns = ctx.learning and (name in self.rules or conn.weight_decay)
                if (
                    not layer.memoryless
                    or source not in fixed.inputs
                    or source in block.inputs
                    or source in masked
                    or learns
                    or len(parts[2][name]) > 0  # the connection keeps a state
                ):
                    continue
                if source not in emitted:
                    emitted[source] = layer(fixed.inputs[source], parts[1][source], ctx)[0]
                out, _ = conn(emitted[source], parts[2][name], ctx)
                constant[target] = out if target not in constant else constant[target] + out
                skip.add(name)
        return constant, frozenset(skip)

    def _value(self, parts: StepParts, target: str, variable: str) -> Tensor:
        """A monitorable variable in the state ``parts`` (as ``_step`` returns them)."""
        spikes, layers, connections, _, rules = parts
        if target in self.layers:
            if variable == "s":
                return spikes[target]
            return cast(Tensor, getattr(layers[target], variable))
        if variable == "weight":
            return self._connection(target).weight  # changes in place: _steps stacks (copies) it at once
        if variable in connections[target]._fields:
            return cast(Tensor, getattr(connections[target], variable))
        return cast(Tensor, getattr(rules[target], variable))  # a learning rule's trace

    def _step(
        self,
        spikes: dict[str, Tensor],
        layers: dict[str, Any],
        connections: dict[str, Any],
        delays: dict[str, Tensor],
        rules: dict[str, Any],
        external: dict[str, Tensor],
        clamps: dict[str, Tensor],
        suppressed: dict[str, Tensor],
        reward: Tensor | None,
        ctx: Context,
        skip: Container[str] = (),
    ) -> StepParts:
        """One step (see the module's docstring) from the state's parts to their next values;
        the connections in ``skip`` deliver nothing (their constant output is in ``external``).

        Apart from learned tensors (weights, adaptive thresholds), which change in place, it
        only reads its arguments, so ``torch.compile`` can fuse it whole (``compile=True``).
        """
        plan = self._structure()
        layers, connections, delays = dict(layers), dict(connections), dict(delays)
        batch = next(iter(spikes.values())).shape[0]
        delivered: dict[str, Tensor] = {}
        drive: dict[str, Tensor] = {}

        def deliver(name: str, conn: Connection, pre: Tensor, target: str) -> None:
            if plan.lines[name]:
                line = delays[name]
                pre, delays[name] = line[0], torch.cat([line[1:], pre[None]])
            delivered[name] = pre
            out, connections[name] = conn(pre, connections[name], ctx)
            if tuple(out.shape) != (batch, *conn.target_shape):
                raise ShapeError(
                    f"connection {name!r} output to layer {target!r}", (batch, *conn.target_shape), tuple(out.shape)
                )
            drive[target] = out if target not in drive else drive[target] + out

        for name, conn, source, target in plan.edges:
            deliver(name, conn, spikes[source], target)
        new_spikes: dict[str, Tensor] = {}
        for name, layer in plan.layers:
            for conn_name, conn, source in plan.immediate.get(name, ()):
                if conn_name not in skip:
                    deliver(conn_name, conn, new_spikes[source], name)
            x = drive.get(name)
            if name in external:
                x = external[name] if x is None else x + external[name]
            assert x is not None  # run() gives zeros to layers that receive nothing
            s, layers[name] = layer(x, layers[name], ctx)
            if name in clamps:
                s = torch.where(clamps[name], torch.ones_like(s), s)
            if name in suppressed:
                s = torch.where(suppressed[name], torch.zeros_like(s), s)
            new_spikes[name] = s
        if ctx.learning:
            rules = dict(rules)
            for name, rule, conn, source, target in plan.rules:
                arrived = Activity(delivered[name], layers[source])
                fired = Activity(new_spikes[target], layers[target])
                rules[name] = rule(conn, arrived, fired, rules[name], ctx, reward)
            for conn in plan.plastic:
                conn.decay_weights(self.dt)
                conn.constrain()
        return new_spikes, layers, connections, delays, rules

    def state_tensors(self) -> dict[str, Tensor]:
        """The transient state as named tensors (for checkpoints); empty before the first run."""
        s = self.state
        if s is None:
            return {}
        out = {"batch_size": torch.tensor(s.batch_size), "time": torch.tensor(s.time)}
        for group in ("layers", "connections", "rules"):
            for name, values in getattr(s, group).items():
                out.update({f"{group}.{name}.{field}": v for field, v in values._asdict().items()})
        for group in ("spikes", "delays"):
            out.update({f"{group}.{name}": v for name, v in getattr(s, group).items() if v is not None})
        return out

    def load_state_tensors(self, tensors: Mapping[str, Tensor]) -> None:
        """Restore what :meth:`state_tensors` returned into a network of the same structure."""
        if not tensors:
            self.state = None
            return
        try:
            self._load_state_tensors(tensors)
        except KeyError as exc:
            raise NetworkError(
                f"load_state_tensors: the mapping has no {exc.args[0]!r} (it has {', '.join(tensors) or 'nothing'});"
                " give what state_tensors() returned for a network with the same layers and connections"
            ) from None

    def _load_state_tensors(self, tensors: Mapping[str, Tensor]) -> None:
        state = self._initial_state(int(tensors["batch_size"]))
        state.time = int(tensors["time"])
        device = self.device
        for group in ("layers", "connections", "rules"):
            values = getattr(state, group)
            for name, current in values.items():
                fields = {f: tensors[f"{group}.{name}.{f}"].to(device) for f in current._fields}
                values[name] = current._replace(**fields)
        for group in ("spikes", "delays"):
            values = getattr(state, group)
            for name, current in values.items():
                if current is not None:
                    values[name] = tensors[f"{group}.{name}"].to(device)
        self.state = state

    # -- helpers ---------------------------------------------------------------------------------

    def _initial_state(self, batch: int) -> NetworkState:
        device, dtype = self.device, self._anchor.dtype
        state = NetworkState(batch_size=batch)
        for name, layer in self._layer_items():
            state.layers[name] = layer.initial_state(batch, device=device, dtype=dtype)
            state.spikes[name] = torch.zeros((batch, *layer.shape), device=device, dtype=dtype)
        for name, conn in self._connection_items():
            state.connections[name] = conn.initial_state(batch, device=device, dtype=dtype)
            if self._line_length(conn):
                source = state.spikes[self.edges[name][0]]
                line = self._line_length(conn)
                state.delays[name] = torch.zeros((line, *source.shape), device=device, dtype=source.dtype)
        for name, rule in self.rules.items():
            conn = self._connection(name)
            state.rules[name] = cast(LearningRule, rule).initial_state(conn, batch, device=device, dtype=dtype)
        return state

    def _batch_size(self, inputs: Mapping[str, Tensor], time: int, held: Mapping[str, Tensor]) -> int:
        batch = None
        for name, x in held.items():
            layer = self._layer(name, "input")
            if name in inputs:
                raise NetworkError(f"layer {name!r} has both a stepped input and a constant one; give one")
            if not isinstance(x, Tensor) or tuple(x.shape[1:]) != layer.shape or x.dim() != 1 + len(layer.shape):
                shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
                raise ShapeError(f"constant input for layer {name!r} ([batch, *shape])", ("batch", *layer.shape), shape)
            if batch is not None and x.shape[0] != batch:
                raise ShapeError(
                    f"constant input for layer {name!r}: batch size", (batch, *layer.shape), tuple(x.shape)
                )
            batch = x.shape[0]
            layer.check_input(name, x)
        for name, x in inputs.items():
            layer = self._layer(name, "input")
            if not isinstance(x, Tensor):
                raise NetworkError(f"input for layer {name!r} must be a tensor, got {type(x).__name__}")
            expected = (time, batch or "batch", *layer.shape)
            if x.dim() != 2 + len(layer.shape) or x.shape[0] != time or tuple(x.shape[2:]) != layer.shape:
                raise ShapeError(f"input for layer {name!r} ([time, batch, *shape])", expected, tuple(x.shape))
            if batch is not None and x.shape[1] != batch:
                raise ShapeError(
                    f"input for layer {name!r}: every input must have the same batch size", expected, tuple(x.shape)
                )
            batch = x.shape[1]
            layer.check_input(name, x)
        if batch is None:
            batch = self.state.batch_size if self.state is not None else 1
        return batch

    def _clamp(self, name: str, mask: Tensor, time: int, batch: int, what: str = "clamp") -> Tensor:
        shape = self._layer(name, what).shape
        allowed = [(time, batch, *shape), (batch, *shape), shape]
        if tuple(mask.shape) not in allowed:
            raise ShapeError(f"{what} for layer {name!r}", " or ".join(map(str, allowed)), tuple(mask.shape))
        return mask.to(device=self.device, dtype=torch.bool)

    def _reward(self, reward: float | Tensor, time: int, batch: int) -> Tensor:
        """The reward as ``[batch]`` (held for the run) or ``[time, batch]`` (per step)."""
        r = torch.as_tensor(reward, dtype=self._anchor.dtype, device=self.device)
        if r.dim() == 0:
            r = r.expand(batch)
        if tuple(r.shape) in ((batch,), (time, batch)):
            return r
        raise ShapeError("reward", f"() or ({batch},) or ({time}, {batch})", tuple(r.shape))

    def _variables(self, target: str) -> list[str]:
        if target in self.layers:
            layer = self._layer(target, "monitor target")
            fields = layer.initial_state(1, device=self.device)._fields
            return ["s", *fields]
        if target in self.connections:
            conn = self._connection(target)
            rule = cast(LearningRule, self.rules[target]) if target in self.rules else None
            traces = rule.initial_state(conn, 1, device=self.device)._fields if rule else ()
            return ["weight", *conn.initial_state(1, device=self.device)._fields, *traces]
        known = [*self.layers, *self.connections]
        match = closest(target, known)
        hint = f"; did you mean {match[0]!r}?" if match else "."
        raise NetworkError(
            f"monitor target {target!r} is neither a layer nor a connection{hint} Known: {', '.join(known)}."
        )

    def _build_by_name(self, kind: str, name: str, *args: Any, label: str, **params: Any) -> Any:
        """Build a component, handing it the network's seeded CPU generator if it takes one; a
        parameter refused by its signature (``ParameterError``) or a plain ``ValueError`` from the
        plugin (a bad value) gets ``label`` (the layer or connection) in front, so the message says
        where it happened."""
        component = self.plugins.get(kind, name)
        if "generator" in {p.name for p in component.parameters} and "generator" not in params:
            params["generator"] = self.generator("cpu")
        try:
            return component.build(*args, **params)
        except ParameterError as error:
            raise ParameterError(f"{label}: {error.component}", error.problem, error.accepted) from None
        except ValueError as error:
            if type(error) is not ValueError:
                raise
            raise NetworkError(f"{label} ({name!r}): {error}") from error

    def _layer_items(self) -> list[tuple[str, NeuronGroup]]:
        return [(name, cast(NeuronGroup, layer)) for name, layer in self.layers.items()]

    def _connection_items(self) -> list[tuple[str, Connection]]:
        return [(name, cast(Connection, conn)) for name, conn in self.connections.items()]

    def _connection(self, name: str) -> Connection:
        return cast(Connection, self.connections[name])

    def _layer(self, name: str, role: str) -> NeuronGroup:
        if name not in self.layers:
            match = closest(name, list(self.layers))
            hint = f"; did you mean {match[0]!r}?" if match else "."
            known = ", ".join(self.layers) or "none yet"
            raise NetworkError(f"{role} layer {name!r} does not exist{hint} Layers: {known}.")
        return cast(NeuronGroup, self.layers[name])

    @staticmethod
    def _check_new_name(name: str, taken: Container[str] | nn.ModuleDict, what: str) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise NetworkError(f"{what} names must be non-empty strings without '.', got {name!r}")
        if name in taken:
            raise NetworkError(f"a {what} named {name!r} already exists")

    def __getstate__(self) -> dict[str, Any]:
        """Pickle (and deep-copy) without the compiled steps, which the next run compiles again,
        and without the plugin manager: a copy looks names up in the process-wide one."""
        state = self.__dict__.copy()
        state["_compiled"], state["_plan"], state["_plugins"] = None, None, None
        return state

    def _apply(self, fn: Callable[[Tensor], Tensor], *args: Any, **kwargs: Any) -> Network:
        """Move the transient state along with the modules (``.to(device)``, ``.double()``, ...)."""
        super()._apply(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        self._compiled = None  # compiled for the old device and dtype
        if self.state is not None:
            s = self.state

            for group in (s.layers, s.spikes, s.connections, s.delays, s.rules):
                for key, value in group.items():
                    group[key] = _map_tensors(value, fn)
        return self
