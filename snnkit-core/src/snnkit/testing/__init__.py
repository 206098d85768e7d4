"""Contract test suites for plugin authors (pytest).

Subclass one in your own tests and name your component; every check then runs against it, found
through entry points exactly as users will find it::

    from snnkit.testing import NeuronContract

    class TestQIF(NeuronContract):
        name = "qif"
        params = {"tau_mem": 10.0}

The suites need pytest, which is not a dependency of ``snnkit-core``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import torch

from snnkit.connections import Connection
from snnkit.context import Context
from snnkit.neurons import NeuronGroup
from snnkit.plugins import PluginManager
from snnkit.registry import Component
from snnkit.surrogates import Surrogate


class _Contract:
    kind: ClassVar[str]
    name: ClassVar[str]
    params: ClassVar[dict[str, Any]] = {}

    @pytest.fixture
    def plugins(self) -> PluginManager:
        manager = PluginManager()
        manager.load_setuptools_entrypoints()
        return manager

    @pytest.fixture
    def component(self, plugins: PluginManager) -> Component[Any]:
        return plugins.get(self.kind, self.name)

    def test_is_discovered_through_an_entry_point(self, component: Component[Any]) -> None:
        assert not component.provider.is_local, "registered in code, not through an entry point"
        assert component.provider.version, "the providing distribution has no version"

    def test_documents_itself(self, component: Component[Any]) -> None:
        assert component.summary and component.summary != "(no description)", "add a docstring"
        assert ">>>" in component.doc, "the docstring should carry a >>> example"


class NeuronContract(_Contract):
    """Checks that a neuron model honours the ``NeuronGroup`` contract.

    Set ``name`` (registry name), optionally ``params`` and ``shape``; ``drive`` is the input
    amplitude used to make neurons spike. Set ``deterministic = False`` for models that draw random
    numbers: samples of a batch then draw different numbers than samples run alone.
    """

    kind = "neurons"
    shape: ClassVar[tuple[int, ...]] = (3, 4)
    drive: ClassVar[float] = 20.0
    steps: ClassVar[int] = 20
    deterministic: ClassVar[bool] = True

    def build(self, plugins: PluginManager) -> NeuronGroup:
        layer = plugins.build("neurons", self.name, self.shape, **self.params)
        assert isinstance(layer, NeuronGroup)
        return layer

    def inputs(self, batch: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(0)
        return self.drive * torch.rand(self.steps, batch, *self.shape, generator=g)

    def simulate(self, layer: NeuronGroup, x: torch.Tensor, seed: int = 0) -> torch.Tensor:
        ctx = Context(dt=1.0, learning=False, generator=torch.Generator().manual_seed(seed))
        state = layer.initial_state(x.shape[1])
        spikes = []
        for step in x:
            s, state = layer(step, state, ctx)
            spikes.append(s)
        return torch.stack(spikes)

    def test_state_has_a_leading_batch_dimension(self, plugins: PluginManager) -> None:
        state = self.build(plugins).initial_state(5)
        assert hasattr(state, "_fields"), "state must be a NamedTuple"
        for field, value in state._asdict().items():
            assert value.shape[:1] == (5,), f"state field {field!r} lacks the batch dimension"

    def test_forward_returns_float_spikes_and_state_of_the_same_form(self, plugins: PluginManager) -> None:
        layer = self.build(plugins)
        state = layer.initial_state(2)
        spikes, new_state = layer(self.inputs(2)[0], state, Context(generator=torch.Generator()))
        assert spikes.dtype == torch.float32, (
            f"spikes must take the input's float dtype (float32 here), got {spikes.dtype}: make them with"
            " snnkit.spike(...) or snnkit.to_spikes(...)"
        )
        assert tuple(spikes.shape) == (2, *self.shape), (
            f"spikes must be [batch, *shape] = {(2, *self.shape)}, got {tuple(spikes.shape)}"
        )
        if not layer.emits_real:
            assert set(spikes.unique().tolist()) <= {0.0, 1.0}, "spikes must be 0.0 or 1.0"
        assert type(new_state) is type(state), (
            f"forward must return its state as a {type(state).__name__}, returned {type(new_state).__name__}"
        )
        for field, old, new in zip(state._fields, state, new_state, strict=True):
            assert old.shape == new.shape and old.dtype == new.dtype, (
                f"state field {field!r} changed from {tuple(old.shape)} {old.dtype} to {tuple(new.shape)} {new.dtype}"
            )

    def test_spikes_take_the_input_dtype(self, plugins: PluginManager) -> None:
        layer = self.build(plugins).double()
        state = layer.initial_state(1, dtype=torch.float64)
        spikes, _ = layer(self.inputs(1)[0].double(), state, Context(generator=torch.Generator()))
        assert spikes.dtype == torch.float64

    def test_gradients_pass_through_the_surrogate(self, plugins: PluginManager) -> None:
        """A ``differentiable`` model: the same spikes with and without autograd, and a gradient
        from its spikes back to its input."""
        layer = self.build(plugins)
        if not layer.differentiable:
            pytest.skip("not differentiable: its spikes do not come from a threshold crossing")
        layer.surrogate = _Constant()
        x = self.inputs(2)
        plain = self.simulate(layer, x)
        x.requires_grad_(True)
        traced = self.simulate(layer, x)
        assert torch.equal(plain, traced.detach()), "a surrogate must not change the spikes"
        traced.sum().backward()
        assert x.grad is not None and x.grad.abs().sum() > 0, "no gradient reached the input"

    def test_spikes_under_strong_input(self, plugins: PluginManager) -> None:
        assert self.simulate(self.build(plugins), self.inputs(1)).any(), "no spike under strong input"

    def test_batch_samples_are_independent(self, plugins: PluginManager) -> None:
        if not self.deterministic:
            pytest.skip("stochastic model: batch samples draw different random numbers")
        layer = self.build(plugins)
        x = self.inputs(3)
        together = self.simulate(layer, x)
        for b in range(3):
            assert torch.equal(together[:, b], self.simulate(layer, x[:, b : b + 1])[:, 0])

    def test_runs_in_float64(self, plugins: PluginManager) -> None:
        layer = self.build(plugins).double()
        state = layer.initial_state(1, dtype=torch.float64)
        _, state = layer(self.inputs(1)[0].double(), state, Context(generator=torch.Generator()))
        assert all(v.dtype in (torch.float64, torch.bool, torch.long) for v in state)

    def test_state_dict_round_trip(self, plugins: PluginManager) -> None:
        a, b = _trained_and_fresh(lambda: self.build(plugins))
        x = self.inputs(1)
        assert torch.equal(self.simulate(a, x), self.simulate(b, x)), (
            "a layer loaded from another's state_dict behaves differently: keep everything learned"
            " in parameters or buffers"
        )
        fresh = self.simulate(self.build(plugins), x)
        assert not torch.equal(self.simulate(b, x), fresh), (
            "changing every saved tensor changed nothing the layer does: does it copy them at"
            " construction instead of reading them in forward?"
        )


def _trained_and_fresh(build: Any) -> tuple[Any, Any]:
    """Two components: one whose saved tensors were all changed (as training would change them),
    and a fresh one that loaded its state_dict. Checks that loading copied every value, so the
    round-trip checks above fail for a component that saves nothing or loads wrongly."""
    a, b = build(), build()
    state = a.state_dict()
    if not state:
        pytest.skip("nothing to save: the component has no parameters or buffers")
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for tensor in state.values():  # in place: a's own tensors change, each element differently
            if tensor.is_floating_point():
                noise = torch.rand(tensor.shape, generator=g, dtype=tensor.dtype).to(tensor.device)
                tensor.mul_(1 + noise).add_(noise * (tensor.abs().mean() + 10))
    b.load_state_dict(a.state_dict())
    for key, value in a.state_dict().items():
        assert torch.equal(b.state_dict()[key], value), f"state_dict entry {key!r} did not load"
    return a, b


class _Constant(Surrogate):
    """A pseudo-derivative of 1 everywhere, for the contract's gradient check."""

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(x)


class ConnectionContract(_Contract):
    """Checks that a connection type honours the ``Connection`` contract."""

    kind = "connections"
    source_shape: ClassVar[tuple[int, ...]] = (6,)
    target_shape: ClassVar[tuple[int, ...]] = (4,)

    def build(self, plugins: PluginManager, **extra: Any) -> Connection:
        conn = plugins.build("connections", self.name, self.source_shape, self.target_shape, **{**self.params, **extra})
        assert isinstance(conn, Connection)
        return conn

    def test_output_follows_the_input(self, plugins: PluginManager) -> None:
        conn = self.build(plugins)
        silent, _ = conn(torch.zeros(1, *self.source_shape, dtype=torch.bool), conn.initial_state(1), Context())
        assert not silent.any(), "no input must deliver no input (add a bias on purpose only)"

    def spikes(self, batch: int) -> torch.Tensor:
        return torch.rand(batch, *self.source_shape, generator=torch.Generator().manual_seed(0)) < 0.5

    def test_output_has_the_target_shape(self, plugins: PluginManager) -> None:
        conn = self.build(plugins)
        out, _ = conn(self.spikes(3), conn.initial_state(3), Context())
        assert tuple(out.shape) == (3, *self.target_shape), (
            f"the output must be [batch, *target_shape] = {(3, *self.target_shape)}, got {tuple(out.shape)}"
        )
        assert out.is_floating_point(), f"the output must be a float tensor, got {out.dtype}"

    def test_has_a_weight_tensor(self, plugins: PluginManager) -> None:
        assert isinstance(self.build(plugins).weight, torch.Tensor)

    def test_batch_samples_are_independent(self, plugins: PluginManager) -> None:
        conn = self.build(plugins)
        x = self.spikes(3)
        together, _ = conn(x, conn.initial_state(3), Context())
        for b in range(3):
            alone, _ = conn(x[b : b + 1], conn.initial_state(1), Context())
            torch.testing.assert_close(together[b : b + 1], alone)

    def test_constrain_applies_weight_bounds(self, plugins: PluginManager, component: Component[Any]) -> None:
        if "wmin" not in {p.name for p in component.parameters}:
            pytest.skip("no weight bounds: nothing learnable")
        conn = self.build(plugins, wmin=-0.1, wmax=0.1)
        with torch.no_grad():
            conn.weight.mul_(0).add_(torch.linspace(-1, 1, conn.weight.numel()).reshape(conn.weight.shape))
        conn.constrain()
        assert conn.weight.min() >= -0.1 and conn.weight.max() <= 0.1

    def test_state_dict_round_trip(self, plugins: PluginManager) -> None:
        a, b = _trained_and_fresh(lambda: self.build(plugins))
        x = self.spikes(2)
        out_a, _ = a(x, a.initial_state(2), Context())
        out_b, _ = b(x, b.initial_state(2), Context())
        assert torch.equal(out_a, out_b), "a connection loaded from another's state_dict delivers differently"
        fresh = self.build(plugins)
        out_fresh, _ = fresh(x, fresh.initial_state(2), Context())
        assert not torch.equal(out_b, out_fresh), (
            "changing every saved tensor changed nothing the connection delivers: does it copy them at"
            " construction instead of reading them in forward?"
        )

    def test_learnable_weights_get_gradients_from_every_source(
        self, plugins: PluginManager, component: Component[Any]
    ) -> None:
        """With ``learnable``, gradients reach the weights and every source, silent ones included
        (a surrogate gradient needs them)."""
        if "learnable" not in {p.name for p in component.parameters}:
            pytest.skip("not learnable by gradient")
        conn = self.build(plugins, learnable=True)
        assert conn.weight.requires_grad
        x = (torch.arange(2 * conn.source_size).reshape(2, *self.source_shape) % 3 == 0).float().requires_grad_()
        out, _ = conn(x, conn.initial_state(2), Context())
        (out * torch.linspace(0.5, 1.5, out[0].numel()).reshape(out.shape[1:])).sum().backward()
        assert conn.weight.grad is not None and conn.weight.grad.abs().sum() > 0
        assert x.grad is not None and bool((x.grad[x == 0] != 0).any()), "silent sources got no gradient"


class SurrogateContract(_Contract):
    """Checks that a surrogate gradient honours the ``Surrogate`` contract."""

    kind = "surrogates"

    def test_derivative_is_finite_non_negative_and_elementwise(self, plugins: PluginManager) -> None:
        surrogate = plugins.build("surrogates", self.name, **self.params)
        assert isinstance(surrogate, Surrogate)
        x = torch.linspace(-20.0, 20.0, 401, dtype=torch.float64).reshape(1, 401)
        d = surrogate.derivative(x)
        assert d.shape == x.shape and d.dtype == torch.float64
        assert torch.isfinite(d).all() and (d >= 0).all()
        assert d[0, 200] > 0, "the pseudo-derivative must not vanish at threshold"
        torch.testing.assert_close(surrogate.derivative(x[:, :7]), d[:, :7])


class EncoderContract(_Contract):
    """Checks that an encoder honours the ``Encoder`` contract: spikes ``[time, batch, ...]`` of
    0/1, the same for the same generator state, and samples of a batch encoded independently.

    Set ``name``, optionally ``params`` and ``data_shape`` (one sample's shape); set
    ``emits_spikes = False`` for an encoder that gives currents (real values) instead of spikes."""

    kind = "encoders"
    data_shape: ClassVar[tuple[int, ...]] = (5,)
    time: ClassVar[int] = 50
    emits_spikes: ClassVar[bool] = True

    def encode(self, plugins: PluginManager, data: torch.Tensor, seed: int = 0) -> torch.Tensor:
        encoder = plugins.build("encoders", self.name, **self.params)
        return encoder(data, self.time, dt=1.0, generator=torch.Generator().manual_seed(seed))

    def data(self, batch: int) -> torch.Tensor:
        return torch.rand(batch, *self.data_shape, generator=torch.Generator().manual_seed(0))

    def test_spikes_have_time_first_and_are_0_or_1(self, plugins: PluginManager) -> None:
        spikes = self.encode(plugins, self.data(3))
        assert spikes.shape[:2] == (self.time, 3), (
            f"expected spikes [time={self.time}, batch=3, ...], got {tuple(spikes.shape)}"
        )
        values = set(spikes.unique().tolist())
        if self.emits_spikes:
            assert values <= {0, 1}, f"spikes must be booleans or 0/1, got values {sorted(values)[:5]}"
        else:
            assert torch.isfinite(spikes.float()).all(), "currents must be finite"

    def test_the_same_generator_gives_the_same_spikes(self, plugins: PluginManager) -> None:
        data = self.data(2)
        assert torch.equal(self.encode(plugins, data, 7), self.encode(plugins, data, 7)), (
            "randomness must come only from the generator passed in"
        )

    def test_data_is_not_changed(self, plugins: PluginManager) -> None:
        data = self.data(2)
        before = data.clone()
        self.encode(plugins, data)
        assert torch.equal(data, before), "the encoder changed its input in place"


class LearningRuleContract(_Contract):
    """Checks that a learning rule honours the ``LearningRule`` contract, in a small network:
    ``source`` (input, random spikes) to ``target`` neurons through a dense connection.

    Set ``name``, optionally ``params``, ``target`` (a neuron model the rule works with, ``lif``
    by default) with ``target_params``, and ``reward = True`` for a rule that learns from reward."""

    kind = "learning_rules"
    target: ClassVar[str] = "lif"
    target_params: ClassVar[dict[str, Any]] = {}
    reward: ClassVar[bool] = False
    steps: ClassVar[int] = 100

    def network(self, plugins: PluginManager, seed: int = 0) -> Any:
        from snnkit.network import Network

        net = Network(plugins=plugins, seed=seed)
        net.add_layer("source", "input", 8)
        net.add_layer("target", self.target, 4, **self.target_params)
        rule = plugins.build("learning_rules", self.name, **self.params)
        net.add_connection("source", "target", "dense", weight="uniform(0.5, 1.5)", rule=rule, wmin=0.0, wmax=5.0)
        return net

    def learn(self, plugins: PluginManager, seed: int = 0) -> torch.Tensor:
        net = self.network(plugins, seed)
        spikes = torch.rand(self.steps, 2, 8, generator=torch.Generator().manual_seed(seed)) < 0.3
        reward = torch.ones(2) if self.reward else None
        with torch.no_grad():
            net.run({"source": spikes}, time=self.steps, reward=reward)
        weight: torch.Tensor = net.connections["source->target"].weight.detach().clone()
        return weight

    def test_state_has_a_leading_batch_dimension(self, plugins: PluginManager) -> None:
        net = self.network(plugins)
        rule, conn = net.rules["source->target"], net.connections["source->target"]
        state = rule.initial_state(conn, 3)
        assert hasattr(state, "_fields"), f"initial_state must return a NamedTuple, returned {type(state).__name__}"
        for field, value in state._asdict().items():
            assert value.shape[:1] == (3,), f"rule state {field!r} has shape {tuple(value.shape)}: no batch dimension"

    def test_weights_change_while_both_layers_spike(self, plugins: PluginManager) -> None:
        before = self.network(plugins).connections["source->target"].weight.detach().clone()
        after = self.learn(plugins)
        assert not torch.equal(before, after), "the rule changed no weight while both layers spiked"
        assert torch.isfinite(after).all(), "the rule made weights NaN or infinite"

    def test_the_same_seed_learns_the_same_weights(self, plugins: PluginManager) -> None:
        assert torch.equal(self.learn(plugins, 3), self.learn(plugins, 3)), (
            "randomness must come only from the context's generator"
        )


class RecorderContract(_Contract):
    """Checks that a recorder honours the ``Recorder`` contract: what it writes reads back through
    its own ``open`` (the ``Recording`` interface), it recognizes its files, and a resume drops
    what was recorded after the checkpoint it continues from.

    Set ``name`` and optionally ``params``."""

    kind = "recorders"

    def recorder(self, plugins: PluginManager) -> Any:
        from snnkit.recorders import Recorder

        recorder = plugins.build("recorders", self.name, **self.params)
        assert isinstance(recorder, Recorder), f"expected a Recorder, got {type(recorder).__name__}"
        return recorder

    @staticmethod
    def steps(count: int, start: int = 0) -> list[dict[str, torch.Tensor]]:
        g = torch.Generator().manual_seed(start)
        return [{"s": torch.rand(2, 3, generator=g) < 0.5, "v": torch.randn(2, 3, generator=g)} for _ in range(count)]

    def write(self, recorder: Any, path: Any, steps: list[dict[str, torch.Tensor]]) -> Any:
        recorder.start(path, "[run]\n", {"name": "contract", "seed": 0})
        monitor = recorder.monitor("layer", "layer", ["s", "v"])
        for values in steps:
            monitor.record(values)
        return monitor

    def test_what_it_writes_reads_back(self, plugins: PluginManager, tmp_path: Any) -> None:
        recorder = self.recorder(plugins)
        path = tmp_path / f"run{type(recorder).suffix}"
        steps = self.steps(5)
        self.write(recorder, path, steps)
        recorder.log(0, {"rate": 1.5})
        recorder.checkpoint(0, {"progress": {"index": torch.tensor(0)}, "network": {"w": torch.arange(4.0)}})
        recorder.finish("complete")
        assert type(recorder).recognizes(path), "the recorder does not recognize a file it wrote"
        recording = type(recorder).open(path)
        assert recording.status == "complete", f"status read back: {recording.status!r}"
        assert torch.equal(recording.spikes("layer"), torch.stack([s["s"] for s in steps])), "spikes differ"
        assert torch.allclose(recording.values("layer", "v").float(), torch.stack([s["v"] for s in steps])), (
            "monitored values differ"
        )
        index, value = recording.metrics()["rate"]
        assert index.tolist() == [0] and value.tolist() == [1.5], f"metrics read back: {index}, {value}"
        assert torch.equal(recording.checkpoint()["network"]["w"].float(), torch.arange(4.0)), "checkpoint differs"

    def test_a_resume_drops_what_came_after_the_checkpoint(self, plugins: PluginManager, tmp_path: Any) -> None:
        recorder = self.recorder(plugins)
        path = tmp_path / f"run{type(recorder).suffix}"
        monitor = self.write(recorder, path, self.steps(3))
        recorder.log(0, {"rate": 1.0})
        recorder.checkpoint(0, {"progress": {"index": torch.tensor(0)}})
        for values in self.steps(2, start=1):
            monitor.record(values)
        recorder.log(1, {"rate": 2.0})
        recorder.finish("interrupted")
        again = self.recorder(plugins)
        again.monitor("layer", "layer", ["s", "v"])  # as the runner does: monitors first, then resume
        checkpoint = again.resume(path)
        assert int(checkpoint["progress"]["index"]) == 0, "resume returned another checkpoint"
        again.finish("interrupted")
        recording = type(again).open(path)
        assert recording.spikes("layer").shape[0] == 3, (
            f"after resume the file holds {recording.spikes('layer').shape[0]} steps, not the 3 before the checkpoint"
        )
        assert recording.metrics()["rate"][0].tolist() == [0], "metrics after the checkpoint were kept"


class ActionContract(_Contract):
    """Checks that an action function honours the ``ActionFunction`` contract: one int64 action
    per sample, in range, the same for the same generator, and a clear group's action chosen
    when only that group fires (set ``follows_spikes = False`` for one that ignores the spikes).

    Set ``name`` and optionally ``params``."""

    kind = "actions"
    follows_spikes: ClassVar[bool] = True

    def choose(self, plugins: PluginManager, spikes: torch.Tensor, n_actions: int, seed: int = 0) -> torch.Tensor:
        action = plugins.build("actions", self.name, **self.params)
        chosen: torch.Tensor = action(spikes, n_actions, generator=torch.Generator().manual_seed(seed), explore=False)
        return chosen

    def test_one_action_per_sample_in_range(self, plugins: PluginManager) -> None:
        spikes = torch.rand(20, 5, 6, generator=torch.Generator().manual_seed(0)) < 0.3
        actions = self.choose(plugins, spikes, 3)
        assert actions.dtype == torch.int64 and tuple(actions.shape) == (5,), (
            f"expected int64 actions [batch=5], got {actions.dtype} {tuple(actions.shape)}"
        )
        assert bool(((actions >= 0) & (actions < 3)).all()), f"actions out of range 0..2: {actions.tolist()}"

    def test_the_same_generator_chooses_the_same(self, plugins: PluginManager) -> None:
        spikes = torch.rand(20, 4, 6, generator=torch.Generator().manual_seed(1)) < 0.3
        assert torch.equal(self.choose(plugins, spikes, 3, 5), self.choose(plugins, spikes, 3, 5)), (
            "randomness must come only from the generator passed in"
        )

    def test_only_one_group_firing_chooses_it(self, plugins: PluginManager) -> None:
        if not self.follows_spikes:
            pytest.skip("chooses without looking at the spikes")
        spikes = torch.zeros(20, 3, 6, dtype=torch.bool)
        for sample, group in enumerate((2, 0, 1)):
            spikes[:, sample, 2 * group : 2 * group + 2] = True  # 2 neurons per action
        assert self.choose(plugins, spikes, 3).tolist() == [2, 0, 1], "the only group that fired was not chosen"


class MonitorContract(_Contract):
    """Checks that a monitor honours the ``Monitor`` contract: it takes the network's values step by
    step and in blocks, and (with ``keeps_values``) gives back ``[time, batch, ...]`` copies equal
    to what it was handed, whichever way they came, and forgets them on ``reset``.

    Set ``name`` and optionally ``params`` (besides ``target`` and ``variables``)."""

    kind = "monitors"

    def build(self, plugins: PluginManager) -> Any:
        from snnkit.monitors import Monitor

        monitor = plugins.build("monitors", self.name, target="layer", variables=["s", "v"], **self.params)
        assert isinstance(monitor, Monitor), f"expected a Monitor, got {type(monitor).__name__}"
        assert monitor.target == "layer" and monitor.variables == ("s", "v"), (
            f"target and variables not kept: {monitor.target!r}, {monitor.variables!r}"
        )
        return monitor

    @staticmethod
    def values(steps: int, seed: int = 0) -> dict[str, torch.Tensor]:
        g = torch.Generator().manual_seed(seed)
        return {"s": torch.rand(steps, 2, 3, generator=g) < 0.5, "v": torch.randn(steps, 2, 3, generator=g)}

    def test_steps_and_blocks_read_back_as_handed(self, plugins: PluginManager) -> None:
        monitor = self.build(plugins)
        if not monitor.keeps_values:
            pytest.skip("keeps nothing in memory (keeps_values is False)")
        handed = self.values(5)
        for t in range(2):
            monitor.record({k: v[t] for k, v in handed.items()})
        monitor.record_steps({k: v[2:] for k, v in handed.items()})
        for variable, expected in handed.items():
            got = monitor.get(variable).cpu()
            assert tuple(got.shape) == tuple(expected.shape), (
                f"get({variable!r}) has shape {tuple(got.shape)}, expected [time, batch, ...] = {tuple(expected.shape)}"
            )
            assert torch.equal(got.to(expected.dtype), expected), f"get({variable!r}) differs from what was recorded"

    def test_keeps_copies_not_references(self, plugins: PluginManager) -> None:
        monitor = self.build(plugins)
        if not monitor.keeps_values:
            pytest.skip("keeps nothing in memory (keeps_values is False)")
        handed = self.values(1)
        step = {k: v[0].clone() for k, v in handed.items()}
        monitor.record(step)
        step["v"].add_(100.0)  # the network changes its tensors in place (weights) after recording
        assert torch.equal(monitor.get("v").cpu(), handed["v"]), "the monitor kept a reference, not a copy"

    def test_reset_forgets(self, plugins: PluginManager) -> None:
        from snnkit.errors import SnnkitError

        monitor = self.build(plugins)
        monitor.record_steps(self.values(3))
        monitor.reset()
        if monitor.keeps_values:
            with pytest.raises(SnnkitError):
                monitor.get("v")  # nothing recorded since the reset: a clear error, not stale data

    def test_records_a_running_network(self, plugins: PluginManager) -> None:
        from snnkit.network import Network

        net = Network(plugins=plugins, seed=0)
        net.add_layer("input", "input", 3)
        net.add_layer("layer", "lif", 2)
        net.add_connection("input", "layer", "dense", weight=10.0)
        monitor = net.add_monitor("m", self.build(plugins))
        net.run({"input": torch.ones(6, 2, 3)}, time=6)
        if monitor.keeps_values:
            assert tuple(monitor.get("v").shape) == (6, 2, 2), f"recorded v {tuple(monitor.get('v').shape)}"
            assert monitor.get("s").bool().any(), "the layer spiked but no spike was recorded"


class DatasetContract(_Contract):
    """Checks that a dataset honours the dataset contract: both splits build, items are ``(data,
    label)`` tensors with finite float data and integer labels in ``range(classes)``, the same index
    gives the same item, and items batch with torch's default collation.

    Set ``name``, ``params`` (e.g. ``root`` and ``download = False`` for files the test provides)
    and ``classes`` (labels are in ``range(classes)``)."""

    kind = "datasets"
    classes: ClassVar[int] = 10

    def build(self, plugins: PluginManager, train: bool = True) -> Any:
        dataset = plugins.build("datasets", self.name, train=train, **self.params)
        assert hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__"), (
            f"expected a map-style torch Dataset, got {type(dataset).__name__}"
        )
        return dataset

    def test_both_splits_hold_labelled_float_data(self, plugins: PluginManager) -> None:
        for train in (True, False):
            dataset = self.build(plugins, train)
            assert len(dataset) > 0, f"the {'training' if train else 'test'} split is empty"
            item = dataset[0]
            assert isinstance(item, tuple) and len(item) == 2, f"items must be (data, label), got {type(item)}"
            data, label = item
            assert isinstance(data, torch.Tensor) and data.is_floating_point(), (
                f"data must be a float tensor, got {getattr(data, 'dtype', type(data).__name__)}"
            )
            assert torch.isfinite(data).all(), "data has NaN or infinite values"
            label = torch.as_tensor(label)
            assert label.dim() == 0 and not label.is_floating_point(), f"labels must be integers, got {label!r}"
            assert 0 <= int(label) < self.classes, f"label {int(label)} is outside range({self.classes})"

    def test_the_same_index_gives_the_same_item(self, plugins: PluginManager) -> None:
        dataset = self.build(plugins)
        last = len(dataset) - 1
        assert torch.equal(dataset[last][0], dataset[last][0]), "reading an item twice gave different data"

    def test_items_batch_with_default_collation(self, plugins: PluginManager) -> None:
        from torch.utils.data import default_collate

        dataset = self.build(plugins)
        data, labels = default_collate([dataset[0], dataset[len(dataset) - 1]])
        assert data.shape[0] == 2 and labels.shape == (2,), (
            f"two items batch to data {tuple(data.shape)} and labels {tuple(labels.shape)}: items differ in shape"
        )


class EnvironmentContract(_Contract):
    """Checks that an environment honours the ``Environment`` contract: ``n_actions`` discrete
    actions, tensor observations of one shape, ``Transition`` steps, and episodes that repeat
    exactly from the same seed and actions.

    Set ``name``, optionally ``params`` and ``steps`` (how many steps the checks take)."""

    kind = "environments"
    steps: ClassVar[int] = 20

    def episode(self, plugins: PluginManager, seed: int) -> list[Any]:
        from snnkit.environments import Transition

        env = plugins.build("environments", self.name, **self.params)
        try:
            assert isinstance(env.n_actions, int) and env.n_actions >= 1, f"n_actions is {env.n_actions!r}"
            first = env.reset(seed=seed)
            assert isinstance(first, torch.Tensor), f"reset must return a tensor, returned {type(first).__name__}"
            out: list[Any] = [first]
            for t in range(self.steps):
                transition = env.step(t % env.n_actions)
                assert isinstance(transition, Transition), (
                    f"step must return snnkit.environments.Transition, returned {type(transition).__name__}"
                )
                obs = transition.observation
                assert isinstance(obs, torch.Tensor) and obs.shape == first.shape, (
                    f"observation {getattr(obs, 'shape', type(obs).__name__)} differs from reset's {tuple(first.shape)}"
                )
                assert isinstance(transition.reward, float), f"reward must be a float, got {transition.reward!r}"
                assert isinstance(transition.terminated, bool) and isinstance(transition.truncated, bool), (
                    "terminated and truncated must be bools"
                )
                out.append(transition)
                if transition.terminated or transition.truncated:
                    out.append(env.reset())
            return out
        finally:
            env.close()

    def test_steps_return_transitions_of_one_shape(self, plugins: PluginManager) -> None:
        assert len(self.episode(plugins, 0)) > self.steps

    def test_the_same_seed_and_actions_repeat_the_episode(self, plugins: PluginManager) -> None:
        def flat(items: list[Any]) -> list[torch.Tensor]:
            return [i if isinstance(i, torch.Tensor) else i.observation for i in items]

        first, again = flat(self.episode(plugins, 3)), flat(self.episode(plugins, 3))
        assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True)), (
            "the same seed and actions gave other observations: draw randomness only from reset's seed"
        )


class PlotContract(_Contract):
    """Checks that a plot honours the ``Plot`` contract: it draws a matplotlib figure from a
    :class:`~snnkit.recording.Recording` (here one of a small network in memory, through
    ``snnkit.recording.from_network``), draws into the figure it is given, and says what is missing
    when the recording holds nothing it can draw.

    Set ``name``, optionally ``params``; override :meth:`recording` when the plot needs data the
    default lacks (it has spike and ``v`` monitors on ``input`` and ``output``, weights, the
    metrics ``accuracy``, ``rate`` and ``return``, and the array ``assignments``)."""

    kind = "plots"

    def recording(self, plugins: PluginManager) -> Any:
        from snnkit.network import Network
        from snnkit.recording import from_network

        net = Network(plugins=plugins, seed=0)
        net.add_layer("input", "input", 16)
        net.add_layer("output", "lif", 4)
        net.add_connection("input", "output", "dense", weight="uniform(0, 5)")
        net.input_layer, net.output_layer = "input", "output"
        net.add_monitor("input", "state", target="input", variables=["s"])
        net.add_monitor("output", "state", target="output", variables=["s", "v"])
        spikes = torch.rand(50, 1, 16, generator=torch.Generator().manual_seed(0)) < 0.3
        net.run({"input": spikes}, time=50)
        metrics = {"accuracy": [0.2, 0.5, 0.7], "rate": [3.0, 4.0, 2.0], "return": [9.0, 12.0, 30.0]}
        return from_network(net, metrics=metrics, arrays={"assignments": torch.tensor([[0, 1, -1, 1]])})

    def draw(self, plugins: PluginManager, recording: Any, **extra: Any) -> Any:
        pytest.importorskip("matplotlib")
        return plugins.build("plots", self.name, recording, **self.params, **extra)

    def test_draws_a_figure_with_content(self, plugins: PluginManager) -> None:
        figure = self.draw(plugins, self.recording(plugins))
        assert hasattr(figure, "axes") and figure.axes, f"expected a matplotlib figure with axes, got {figure!r}"
        drawn = sum(len(ax.lines) + len(ax.collections) + len(ax.images) + len(ax.patches) for ax in figure.axes)
        assert drawn, "the figure has axes but nothing drawn in them"

    def test_draws_into_the_figure_it_is_given(self, plugins: PluginManager) -> None:
        recording = self.recording(plugins)
        figure = self.draw(plugins, recording)
        again = self.draw(plugins, recording, figure=figure)
        assert again is figure, "called with figure=..., the plot must draw into that figure (live updates)"
        assert len(again.axes) == len(figure.axes), "redrawing changed the number of panels"

    def test_an_empty_recording_is_a_clear_error(self, plugins: PluginManager) -> None:
        from snnkit.errors import SnnkitError
        from snnkit.network import Network
        from snnkit.recording import from_network

        with pytest.raises(SnnkitError):
            self.draw(plugins, from_network(Network(plugins=plugins)))


class PipelineContract(_Contract):
    """Checks that a pipeline honours the ``Pipeline`` contract through the runner, as ``snnkit run``
    runs it: the run completes with finite metrics, and a run stopped between units and resumed from
    its checkpoint ends exactly as an uninterrupted one (weights, metrics, recorded steps).

    Set ``name`` and ``experiment``: the TOML text of a small experiment whose ``[pipeline]`` names
    this pipeline (a few units), and optionally ``overrides`` (``"run.samples=4"``, as ``--set``)."""

    kind = "pipelines"
    experiment: ClassVar[str]
    overrides: ClassVar[tuple[str, ...]] = ()

    def run(self, plugins: PluginManager, path: Any, stop_after: int | None = None) -> Any:
        """Run the experiment into ``path`` (a name; the recorder's suffix is added), stopping
        after ``stop_after`` units if given; returns the experiment and the ``RunResult``."""
        from pathlib import Path

        from snnkit.experiment import parse_experiment
        from snnkit.runner import run_experiment

        source = f"{type(self).__name__}.experiment"
        experiment = parse_experiment(self.experiment, plugins, source=source, overrides=self.overrides)
        experiment.data["run"]["output"] = str(path) + Path(experiment.run["output"]).suffix
        assert experiment.data["pipeline"]["plugin"] == self.name, (
            f"the contract's experiment runs pipeline {experiment.data['pipeline']['plugin']!r}, not {self.name!r}"
        )
        done: list[int] = []
        result = run_experiment(
            experiment,
            plugins,
            should_stop=lambda: stop_after is not None and len(done) >= stop_after,
            progress=lambda finished, units, metrics: done.append(finished),
        )
        return experiment, result

    def outcome(self, plugins: PluginManager, path: Any) -> tuple[dict[str, torch.Tensor], dict[str, list[float]]]:
        from snnkit.recording import open as open_recording

        recording = open_recording(path, plugins)
        assert recording.status == "complete", f"the run ended {recording.status!r}"
        network = {k: v.clone() for k, v in recording.checkpoint()["network"].items()}
        metrics = {k: v.tolist() for k, (_, v) in recording.metrics().items()}
        return network, metrics

    def test_runs_to_completion_with_finite_metrics(self, plugins: PluginManager, tmp_path: Any) -> None:
        _, result = self.run(plugins, tmp_path / "run")
        assert result.status == "complete" and result.units_done == result.units > 0, f"ended as {result}"
        for name, value in result.metrics.items():
            assert isinstance(value, float) and value == value, f"metric {name!r} is {value!r}: not a finite float"

    def test_a_stopped_run_resumes_to_the_uninterrupted_result(self, plugins: PluginManager, tmp_path: Any) -> None:
        from snnkit.runner import run_experiment

        straight_run, result = self.run(plugins, tmp_path / "straight")
        if result.units < 2:
            pytest.skip("the contract's experiment has one unit: nothing to stop between")
        experiment, partial = self.run(plugins, tmp_path / "stopped", stop_after=result.units // 2)
        assert partial.status == "interrupted", f"the run did not stop between units: {partial}"
        resumed = run_experiment(experiment, plugins, resume=experiment.output)
        assert resumed.status == "complete", f"the resumed run ended {resumed.status!r}"
        (w1, m1), (w2, m2) = self.outcome(plugins, straight_run.output), self.outcome(plugins, experiment.output)
        assert m1 == m2, f"metrics differ after the resume:\n{m1}\n{m2}"
        assert w1.keys() == w2.keys() and all(torch.equal(w1[k], w2[k]) for k in w1), (
            "the network's saved tensors differ after the resume: does state_dict hold every progress-dependent value?"
        )
